"""Access pages: request access on ``/dp/{id}/access``, and ``/access`` — the owner's decision queue, your
requests and your grants. Forms post here and redirect back (post/redirect/get); refused input comes back in
the page with the reason (422). The decisions are the access service's (``meshplane.access``), as in the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from meshplane.access import MASK_KINDS, AccessService
from meshplane.access.catalog import protected_columns
from meshplane.access.model import parse_expiry
from meshplane.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from meshplane.identity import Identity
from meshplane.web.api.access import service
from meshplane.web.pages.common import signed_in
from meshplane.web.pages.rendering import dp_url, identity_of, render

router = APIRouter(include_in_schema=False)
_REFUSED = (InvalidInputError, ConflictError, PermissionDeniedError, NotFoundError)


def _product_context(request: Request, svc: AccessService, dp_ref: str, identity: Identity | None) -> dict[str, Any]:
    dp = svc.catalog().resolve(dp_ref)
    owner = identity is not None and svc.is_owner(identity, dp)
    ports = [
        {
            "name": p.name,
            "description": p.description,
            "protected": protected_columns(p),
            "columns": [c.name for c in p.data_contract.columns],
        }
        for p in dp.output_ports
    ]
    owned = [p.id for p in svc.catalog().all() if identity is not None and svc.is_owner(identity, p) and p.id != dp.id]
    context: dict[str, Any] = {
        "dp": dp,
        "ports": ports,
        "owners": svc.owners(dp),
        "is_owner": owner,
        "my_groups": sorted(identity.groups) if identity else [],
        "my_products": owned,
        "mask_kinds": MASK_KINDS,
        "mine": [],
        "pending": [],
        "grants": [],
        "offers": [],
        "error": None,
        "message": request.query_params.get("done"),
        "names": svc.catalog().names(),  # how ports are written, as in gateway SQL: sales.orders.orders
    }
    if identity is not None:
        context["mine"] = [r for r in svc.mine(identity) if r.dp_id == dp.id]
        if owner:
            context["pending"] = [r for r in svc.pending_for(identity) if r.dp_id == dp.id]
            context["grants"] = [g for g in svc.grants_on(identity, dp.id) if g.live()]
            context["offers"] = svc.offers(dp.id)
    return context


@router.get("/dp/{dp_id}/access", response_class=HTMLResponse)
def product_access(request: Request, dp_id: str) -> HTMLResponse:
    svc = service(request)
    return render(request, "access.html", _product_context(request, svc, dp_id, identity_of(request)))


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.getlist(k) if k in ("mask", "unmask_pii") else form.get(k) for k in form}


def _text(form: dict[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


@router.post("/dp/{dp_id}/access")
async def post_request(request: Request, dp_id: str) -> Response:
    identity = signed_in(request)
    svc = service(request)
    form = await _form(request)
    who = _text(form, "requester") or "me"
    try:
        port = _text(form, "port") or ""
        dp = svc.catalog().resolve(dp_id)
        req = svc.request(
            identity,
            f"{dp.id}.{port}",
            purpose=_text(form, "purpose") or "",
            expires_at=parse_expiry(_text(form, "expires")),
            for_group=who.removeprefix("group:") if who.startswith("group:") else None,
            for_product=who.removeprefix("product:") if who.startswith("product:") else None,
        )
    except _REFUSED as exc:
        context = _product_context(request, svc, dp_id, identity) | {"error": _say(exc), "form": form}
        return render(request, "access.html", context, status=_status(exc))
    return RedirectResponse(dp_url(req.dp_id, "access") + f"?done=request+{req.id}+sent", status_code=303)


@router.get("/access", response_class=HTMLResponse)
def my_access(request: Request) -> Response:
    identity = identity_of(request)
    if identity is None:
        return RedirectResponse("/signin?next=/access", status_code=303)
    return render(request, "access_home.html", _home_context(request, identity))


def _home_context(request: Request, identity: Identity) -> dict[str, Any]:
    svc = service(request)
    environment = request.app.state.environment
    pending = svc.pending_for(identity)
    columns: dict[str, dict[str, Any]] = {}
    for r in pending:
        dp = svc.catalog().get(r.dp_id)
        port = next((p for p in dp.output_ports if p.name == r.port), None) if dp else None
        if port is not None:
            columns[f"{r.id}"] = {
                "all": [c.name for c in port.data_contract.columns],
                "protected": protected_columns(port),
            }
    return {
        "pending": pending,
        "columns": columns,
        "mine": svc.mine(identity),
        "grants": svc.grants_of(identity),
        "readable": svc.effective_grants(identity, environment),
        "mask_kinds": MASK_KINDS,
        "error": None,
        "message": request.query_params.get("done"),
        "names": svc.catalog().names(),  # how ports are written, as in gateway SQL: sales.orders.orders
    }


def _back(form: dict[str, Any], fallback: str) -> str:
    target = _text(form, "next") or fallback
    return target if target.startswith("/") and not target.startswith("//") else fallback


async def _decide(request: Request, request_id: int, verb: str) -> Response:
    identity = signed_in(request)
    svc = service(request)
    form = await _form(request)
    back = _back(form, "/access")
    try:
        if verb == "approve":
            masks = [f"{c}={k}" for c, k in (m.split("=", 1) for m in form.get("mask", []) if "=" in m) if k != "none"]
            svc.approve(
                identity,
                request_id,
                row_filter=_text(form, "filter"),
                masks=masks,
                unmask_pii=[c for c in form.get("unmask_pii", []) if isinstance(c, str)],
                expires_at=parse_expiry(_text(form, "expires")),
                reason=_text(form, "reason"),
            )
        elif verb == "deny":
            svc.deny(identity, request_id, reason=_text(form, "reason") or "")
        else:
            svc.revoke(identity, request_id, reason=_text(form, "reason"))
    except _REFUSED as exc:
        context = _home_context(request, identity) | {"error": f"request {request_id}: {_say(exc)}"}
        return render(request, "access_home.html", context, status=_status(exc))
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}done=request+{request_id}+{verb.replace('deny', 'denie')}d", status_code=303)


@router.post("/access/requests/{request_id}/approve")
async def post_approve(request: Request, request_id: int) -> Response:
    return await _decide(request, request_id, "approve")


@router.post("/access/requests/{request_id}/deny")
async def post_deny(request: Request, request_id: int) -> Response:
    return await _decide(request, request_id, "deny")


@router.post("/access/requests/{request_id}/revoke")
async def post_revoke(request: Request, request_id: int) -> Response:
    return await _decide(request, request_id, "revoke")


@router.post("/dp/{dp_id}/access/migrate")
async def post_migrate(request: Request, dp_id: str) -> Response:
    identity = signed_in(request)
    svc = service(request)
    dp = svc.catalog().resolve(dp_id)
    major = int(dp.id.rpartition(":")[2])
    try:
        moved = svc.migrate_grants(identity, dp.id, major)
    except _REFUSED as exc:
        context = _product_context(request, svc, dp_id, identity) | {"error": _say(exc)}
        return render(request, "access.html", context, status=_status(exc))
    return RedirectResponse(dp_url(dp.id, "access") + f"?done={len(moved)}+grants+migrated", status_code=303)


def _say(exc: Exception) -> str:
    hint = getattr(exc, "hint", None)
    message = getattr(exc, "message", str(exc))
    return f"{message} ({hint})" if hint else str(message)


def _status(exc: Exception) -> int:
    for cls, code in ((PermissionDeniedError, 403), (ConflictError, 409), (NotFoundError, 404)):
        if isinstance(exc, cls):
            return code
    return 422
