"""Signing in by picking a mesh user (the directory is ``mesh.yaml``), and signing out.

There is no password here: Meshplane's own sign-in is for a mesh run by one team or on a laptop, where the
users are who ``mesh.yaml`` says; a production mesh puts an OIDC provider in front and sends bearer tokens.
The cookie itself is set by ``meshplane.web.auth`` (HttpOnly, SameSite=Lax).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from meshplane.errors import AuthenticationError
from meshplane.web.auth import local_signin_allowed, signin_cookie, signout_cookie
from meshplane.web.pages.rendering import render

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only a path on this site: an open redirect to another host would make the sign-in page a phishing aid."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _users(request: Request) -> list[dict[str, object]]:
    mesh = request.app.state.mesh
    groups: dict[str, list[str]] = {}
    for g in mesh.groups:
        for member in g.members:
            groups.setdefault(member, []).append(g.name)
    return [{"id": u.id, "name": u.name, "groups": groups.get(u.id, [])} for u in mesh.users]


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> HTMLResponse:
    params = request.query_params
    local = local_signin_allowed(request)
    context = {
        "users": _users(request) if local else [],
        "local": local,
        "next": _safe_next(params.get("next")),
        "selected": params.get("user"),
        "error": None,
    }
    return render(request, "signin.html", context)


@router.post("/signin")
async def signin(request: Request) -> Response:
    form = await request.form()
    user = form.get("user")
    target = _safe_next(form.get("next") if isinstance(form.get("next"), str) else None)  # type: ignore[arg-type]
    response = RedirectResponse(target, status_code=303)
    try:
        if not isinstance(user, str) or not user:
            raise AuthenticationError("pick a user to sign in as")
        signin_cookie(request, response, user)
    except AuthenticationError as exc:
        context = {"users": _users(request), "next": target, "selected": user, "error": exc.message}
        return render(request, "signin.html", context, status=401)
    return response


@router.post("/signout")
def signout() -> Response:
    response = RedirectResponse("/", status_code=303)
    signout_cookie(response)
    return response
