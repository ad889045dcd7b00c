"""The access REST API under ``/api/v1/access``: requests, decisions, grants, migration offers, tokens.

A thin shell over :class:`meshplane.access.AccessService`. Every endpoint needs an identity (``Authorization:
Bearer <JWT>`` or the sign-in cookie); who may decide is the service's business (403 for anyone but the
owning team). Errors come back as ``{"error": {"type", "message", "hint"}}`` via ``web/errors.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from meshplane.access import AccessService, Offer, PortGrant
from meshplane.errors import PermissionDeniedError
from meshplane.identity import Identity
from meshplane.registry.access import AccessRequest, Grant
from meshplane.web.auth import current_identity, tokens
from meshplane.web.errors import error_responses

router = APIRouter(prefix="/api/v1", tags=["access"])
Me = Annotated[Identity, Depends(current_identity)]
_ID_MAX = 2**31 - 1
RequestId = Annotated[int, Path(ge=1, le=_ID_MAX, description="An access request's id")]
DpRef = Annotated[
    str, Path(max_length=400, description="A data product: its id, domain/name, a name unique in the mesh, name_v2")
]
_ASK = error_responses(401, 403, 404, 409, 422)


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RequestIn(_Model):
    """What to read and why. ``port`` is named as in gateway SQL (``sales.orders.orders``), or ``orders.orders``,
    ``orders_v2.orders`` for one major, ``urn:dmb:dp:sales:orders:1.orders``."""

    port: str = Field(
        min_length=3,
        max_length=600,
        description="domain.product.port (sales.orders.orders), product.port, product_v2.port or DATA_PRODUCT_ID.port",
    )
    purpose: str = Field(min_length=1, max_length=2000)
    expires_at: datetime | None = None
    for_product: str | None = Field(default=None, max_length=400)
    for_group: str | None = Field(default=None, max_length=200)


class ApproveIn(_Model):
    row_filter: str | None = Field(default=None, max_length=2000, description="A SQL predicate over the port's columns")
    masks: dict[str, Literal["hash", "redact", "null"]] = Field(default_factory=dict, max_length=200)
    unmask_pii: list[str] = Field(default_factory=list, max_length=200)
    expires_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=2000)


class DenyIn(_Model):
    reason: str = Field(min_length=1, max_length=2000)


class RevokeIn(_Model):
    reason: str | None = Field(default=None, max_length=2000)
    major: int | None = Field(default=None, ge=0, le=_ID_MAX)


class MigrateIn(_Model):
    to_major: int = Field(ge=0, le=_ID_MAX)


class TokenIn(_Model):
    ttl_hours: float = Field(default=8, gt=0, le=24 * 90)


class RequestView(_Model):
    id: int
    requester_kind: str
    requester: str
    requested_by: str
    data_product: str
    port: str
    environment: str
    purpose: str
    expires_at: datetime | None
    state: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None


class GrantView(_Model):
    id: int
    request_id: int | None
    principal_kind: str
    principal: str
    data_product: str
    major: int
    port: str
    environment: str
    row_filter: str | None
    masks: dict[str, str]
    pii_unmasked: list[str]
    expires_at: datetime | None
    state: str
    live: bool
    created_at: datetime
    created_by: str
    ended_at: datetime | None
    ended_by: str | None
    migrated_from: int | None


class PortGrantView(_Model):
    data_product: str
    port: str
    environment: str
    row_filter: str | None
    masks: dict[str, str]
    grant_id: str
    expires_at: datetime | None


class OfferView(_Model):
    grant: GrantView
    to: str
    migratable: bool
    problem: str | None = None


class MeView(_Model):
    user: str
    groups: list[str]
    data_product: str | None


class TokenView(_Model):
    token: str
    user: str
    expires_at: datetime


class Decision(_Model):
    """A decision's result, and what could not be applied to PostgreSQL yet (``meshplane access sync`` retries)."""

    grant: GrantView
    warnings: list[str] = Field(default_factory=list)


def service(request: Request) -> AccessService:
    """The app's access service (built on first use, cached on ``app.state``)."""
    state = request.app.state
    found = getattr(state, "access", None)
    if isinstance(found, AccessService):
        return found
    made = AccessService(state.registry, state.mesh, environment=state.environment)
    state.access = made
    return made


Access = Annotated[AccessService, Depends(service)]


def _request(r: AccessRequest) -> RequestView:
    return RequestView.model_validate(r.to_dict())


def _grant(g: Grant) -> GrantView:
    return GrantView.model_validate(g.to_dict())


def _port_grant(g: PortGrant) -> PortGrantView:
    return PortGrantView.model_validate(g.to_dict())


def _offer(o: Offer) -> OfferView:
    return OfferView(grant=_grant(o.grant), to=o.to_dp_id, migratable=o.problem is None, problem=o.problem)


def _warnings(svc: AccessService, before: int) -> list[str]:
    return svc.warnings[before:]


@router.get(
    "/me", summary="Who the token or cookie says you are", response_model=MeView, responses=error_responses(401)
)
def me(identity: Me) -> MeView:
    return MeView(user=identity.user, groups=sorted(identity.groups), data_product=identity.data_product)


@router.post(
    "/token",
    summary="A bearer token for the signed-in user",
    response_model=TokenView,
    responses=error_responses(401, 422),
)
def issue_token(request: Request, identity: Me, body: TokenIn | None = None) -> TokenView:
    """For scripts: trade the sign-in cookie (or a token) for a fresh token of the same user."""
    ttl = timedelta(hours=(body or TokenIn()).ttl_hours)
    token = tokens(request).issue_token(identity.user, ttl)
    return TokenView(token=token, user=identity.user, expires_at=datetime.now(UTC) + ttl)


@router.post(
    "/access/requests",
    summary="Request read access to an output port",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestView,
    responses=_ASK,
)
def create_request(svc: Access, identity: Me, body: RequestIn) -> RequestView:
    """For yourself, for a group you belong to (``forGroup``), or for a data product you own (``forProduct``)."""
    req = svc.request(
        identity,
        body.port,
        purpose=body.purpose,
        expires_at=body.expires_at,
        for_product=body.for_product,
        for_group=body.for_group,
    )
    return _request(req)


@router.get(
    "/access/requests",
    summary="Your requests, or those waiting for your decision",
    response_model=list[RequestView],
    responses=error_responses(401, 422),
)
def list_requests(
    svc: Access,
    identity: Me,
    scope: Annotated[Literal["mine", "pending"], Query(description="mine: filed by or for you; pending: to decide")] = (
        "mine"
    ),
) -> list[RequestView]:
    found = svc.pending_for(identity) if scope == "pending" else svc.mine(identity)
    return [_request(r) for r in found]


@router.get("/access/requests/{request_id}", summary="One request", response_model=RequestView, responses=_ASK)
def get_request(svc: Access, identity: Me, request_id: RequestId) -> RequestView:
    """Visible to whoever it is for and to the owners of the data product."""
    req = svc.registry.access.request(request_id)
    dp = svc.catalog(req.environment).get(req.dp_id)
    mine = req.requested_by == identity.user or req.requester in identity.principals
    if not mine and not (dp is not None and svc.is_owner(identity, dp)):
        raise PermissionDeniedError(f"request {request_id} is neither yours nor on a product you own")
    return _request(req)


@router.post(
    "/access/requests/{request_id}/approve", summary="Approve (owners)", response_model=Decision, responses=_ASK
)
def approve(svc: Access, identity: Me, request_id: RequestId, body: ApproveIn | None = None) -> Decision:
    """Optionally with a row filter (a SQL predicate over the port's columns), column masks (hash, redact,
    null) and PII columns shown in clear; PII columns are masked otherwise."""
    terms = body or ApproveIn()
    before = len(svc.warnings)
    grant = svc.approve(
        identity,
        request_id,
        row_filter=terms.row_filter,
        masks=dict(terms.masks),
        unmask_pii=terms.unmask_pii,
        expires_at=terms.expires_at,
        reason=terms.reason,
    )
    return Decision(grant=_grant(grant), warnings=_warnings(svc, before))


@router.post("/access/requests/{request_id}/deny", summary="Deny (owners)", response_model=RequestView, responses=_ASK)
def deny(svc: Access, identity: Me, request_id: RequestId, body: DenyIn) -> RequestView:
    return _request(svc.deny(identity, request_id, reason=body.reason))


@router.post(
    "/access/requests/{request_id}/revoke",
    summary="Revoke (owners) or give up (the requester)",
    response_model=list[GrantView],
    responses=_ASK,
)
def revoke(svc: Access, identity: Me, request_id: RequestId, body: RevokeIn | None = None) -> list[GrantView]:
    terms = body or RevokeIn()
    return [_grant(g) for g in svc.revoke(identity, request_id, reason=terms.reason, major=terms.major)]


@router.get(
    "/access/grants",
    summary="Your grants (yours, your groups', your products')",
    response_model=list[GrantView],
    responses=error_responses(401),
)
def my_grants(svc: Access, identity: Me) -> list[GrantView]:
    return [_grant(g) for g in svc.grants_of(identity)]


@router.get(
    "/access/readable",
    summary="What you may read: one effective grant per port, masks and filters applied",
    response_model=list[PortGrantView],
    responses=error_responses(401),
)
def readable(request: Request, svc: Access, identity: Me) -> list[PortGrantView]:
    return [_port_grant(g) for g in svc.effective_grants(identity, request.app.state.environment)]


@router.get(
    "/access/products/{dp_ref}/grants",
    summary="Who is granted what on a product (owners)",
    response_model=list[GrantView],
    responses=_ASK,
)
def product_grants(svc: Access, identity: Me, dp_ref: DpRef) -> list[GrantView]:
    return [_grant(g) for g in svc.grants_on(identity, dp_ref)]


@router.get(
    "/access/products/{dp_ref}/offers",
    summary="Grants on older majors offered for migration to this one",
    response_model=list[OfferView],
    responses=_ASK,
)
def offers(svc: Access, identity: Me, dp_ref: DpRef) -> list[OfferView]:
    del identity  # any signed-in user may see what is offered; only owners confirm
    return [_offer(o) for o in svc.offers(dp_ref)]


@router.post(
    "/access/products/{dp_ref}/migrate",
    summary="Confirm the migration of grants to a new major (owners)",
    response_model=list[GrantView],
    responses=_ASK,
)
def migrate(svc: Access, identity: Me, dp_ref: DpRef, body: MigrateIn) -> list[GrantView]:
    return [_grant(g) for g in svc.migrate_grants(identity, dp_ref, body.to_major)]
