"""Access records: requests, grants and the outbox (``Registry.access``).

The state machine lives here, next to the rows, so that it holds whoever calls: a request goes PENDING →
APPROVED or DENIED, and an approved one → REVOKED or EXPIRED; every other move is a ConflictError naming who
decided what, when. Each method is one transaction, and every decision writes its audit record and its
outbox event in that same transaction: a decision is never stored without its announcement, nor announced
without being stored. *Who* may decide (the owning team) is the access service's business, not the store's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from meshplane.errors import ConflictError, InvalidInputError
from meshplane.registry.access_models import (
    AccessRequestRow,
    GrantRow,
    GrantState,
    OutboxRow,
    PrincipalKind,
    RequestState,
)
from meshplane.registry.convert import audit_row
from meshplane.registry.errors import RegistryNotFoundError
from meshplane.registry.records import canonical_json, utcnow

Tx = Callable[..., AbstractContextManager[Session]]

#: Allowed moves of a request; anything else is a ConflictError.
TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.PENDING: frozenset({RequestState.APPROVED, RequestState.DENIED}),
    RequestState.APPROVED: frozenset({RequestState.REVOKED, RequestState.EXPIRED}),
    RequestState.DENIED: frozenset(),
    RequestState.REVOKED: frozenset(),
    RequestState.EXPIRED: frozenset(),
}
#: Subject prefix of access events in the outbox (and on the broker).
TOPIC = "meshplane.access"


@dataclass(frozen=True)
class AccessRequest:
    id: int
    requester_kind: PrincipalKind
    requester: str
    requested_by: str
    dp_id: str
    port: str
    environment: str
    purpose: str
    expires_at: datetime | None
    state: RequestState
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "requesterKind": self.requester_kind.value,
            "requester": self.requester,
            "requestedBy": self.requested_by,
            "dataProduct": self.dp_id,
            "port": self.port,
            "environment": self.environment,
            "purpose": self.purpose,
            "expiresAt": _iso(self.expires_at),
            "state": self.state.value,
            "createdAt": _iso(self.created_at),
            "decidedAt": _iso(self.decided_at),
            "decidedBy": self.decided_by,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class GrantTerms:
    """What an approver decides besides "yes": the rows, the masks, the PII shown in clear, until when."""

    row_filter: str | None = None
    masks: dict[str, str] = field(default_factory=dict)
    pii_unmasked: tuple[str, ...] = ()
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Grant:
    id: int
    request_id: int | None
    principal_kind: PrincipalKind
    principal: str
    dp_id: str
    product: str
    major: int
    port: str
    environment: str
    row_filter: str | None
    masks: dict[str, str]
    pii_unmasked: tuple[str, ...]
    expires_at: datetime | None
    state: GrantState
    created_at: datetime
    created_by: str
    ended_at: datetime | None
    ended_by: str | None
    migrated_from: int | None

    def live(self, now: datetime | None = None) -> bool:
        """Active and not past its expiry: an expired grant never counts, swept or not."""
        moment = now or utcnow()
        return self.state is GrantState.ACTIVE and (self.expires_at is None or self.expires_at > moment)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "requestId": self.request_id,
            "principalKind": self.principal_kind.value,
            "principal": self.principal,
            "dataProduct": self.dp_id,
            "major": self.major,
            "port": self.port,
            "environment": self.environment,
            "rowFilter": self.row_filter,
            "masks": dict(self.masks),
            "piiUnmasked": list(self.pii_unmasked),
            "expiresAt": _iso(self.expires_at),
            "state": self.state.value,
            "live": self.live(),
            "createdAt": _iso(self.created_at),
            "createdBy": self.created_by,
            "endedAt": _iso(self.ended_at),
            "endedBy": self.ended_by,
            "migratedFrom": self.migrated_from,
        }


@dataclass(frozen=True)
class OutboxMessage:
    seq: int
    id: str
    topic: str
    key: str
    payload: dict[str, Any]
    created_at: datetime
    published_at: datetime | None


def split_dp_id(dp_id: str) -> tuple[str, int]:
    """``urn:dmb:dp:sales:orders:2`` → (``urn:dmb:dp:sales:orders``, 2)."""
    product, _, major = dp_id.rpartition(":")
    if not product.startswith("urn:dmb:dp:") or not major.isdigit():
        raise InvalidInputError(
            f"`{dp_id}` is not a data product id", hint="expected urn:dmb:dp:<domain>:<name>:<major>"
        )
    return product, int(major)


class AccessRecords:
    """Requests, grants and outbox rows; one transaction per method (see the module docstring)."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- requests ------------------------------------------------------------------------------------
    def create_request(
        self,
        *,
        requester_kind: PrincipalKind,
        requester: str,
        requested_by: str,
        dp_id: str,
        port: str,
        environment: str,
        purpose: str,
        expires_at: datetime | None = None,
    ) -> AccessRequest:
        """File a PENDING request; ConflictError when the same requester already has one pending or a live grant
        on the same port (asking twice would only make the owners decide twice)."""
        split_dp_id(dp_id)  # refuse a malformed id before anything is stored
        now = utcnow()
        with self._tx(write=True) as s:
            pending = s.scalar(
                select(AccessRequestRow).where(
                    AccessRequestRow.requester == requester,
                    AccessRequestRow.dp_id == dp_id,
                    AccessRequestRow.port == port,
                    AccessRequestRow.environment == environment,
                    AccessRequestRow.state == RequestState.PENDING.value,
                )
            )
            if pending is not None:
                raise ConflictError(
                    f"{requester} already has request {pending.id} pending on {dp_id} port {port} in {environment}",
                    hint=f"wait for the owners' decision, or see it with `meshplane access list` (id {pending.id})",
                )
            held = [g for g in self._select_grants(s, [requester], dp_id, port, environment) if _grant(g).live(now)]
            if held:
                raise ConflictError(
                    f"{requester} already holds grant {held[0].id} on {dp_id} port {port} in {environment}",
                    hint="a new request is needed only after it is revoked or expires",
                )
            row = AccessRequestRow(
                requester_kind=requester_kind.value,
                requester=requester,
                requested_by=requested_by,
                dp_id=dp_id,
                port=port,
                environment=environment,
                purpose=purpose,
                expires_at=expires_at,
                state=RequestState.PENDING.value,
                created_at=now,
            )
            s.add(row)
            s.flush()
            record = _request(row)
            self._announce(s, requested_by, "requested", record.to_dict(), key=dp_id, target=dp_id)
            return record

    def request(self, request_id: int) -> AccessRequest:
        with self._tx() as s:
            return _request(self._request_row(s, request_id))

    def requests(
        self,
        *,
        requesters: Collection[str] | None = None,
        dp_ids: Collection[str] | None = None,
        states: Collection[RequestState] | None = None,
        environment: str | None = None,
        requested_by: str | None = None,
        limit: int = 1000,
    ) -> list[AccessRequest]:
        """Requests, newest first, filtered by any of the arguments given."""
        query = select(AccessRequestRow).order_by(AccessRequestRow.id.desc()).limit(max(limit, 0))
        if requesters is not None or requested_by is not None:
            clauses: list[ColumnElement[bool]] = []
            if requesters is not None:
                clauses.append(AccessRequestRow.requester.in_(list(requesters)))
            if requested_by is not None:
                clauses.append(AccessRequestRow.requested_by == requested_by)
            query = query.where(or_(*clauses))
        if dp_ids is not None:
            query = query.where(AccessRequestRow.dp_id.in_(list(dp_ids)))
        if states is not None:
            query = query.where(AccessRequestRow.state.in_([s.value for s in states]))
        if environment is not None:
            query = query.where(AccessRequestRow.environment == environment)
        with self._tx() as s:
            return [_request(r) for r in s.scalars(query)]

    def approve(self, request_id: int, *, by: str, terms: GrantTerms, reason: str | None = None) -> Grant:
        """PENDING → APPROVED, and the grant, in one transaction; returns the grant."""
        canonical_json(terms.masks, "grant masks")
        now = utcnow()
        with self._tx(write=True) as s:
            row = self._request_row(s, request_id, for_update=True)
            self._move(row, RequestState.APPROVED)
            if row.expires_at is not None and row.expires_at <= now:
                raise ConflictError(
                    f"request {request_id} asked for access until {row.expires_at:%Y-%m-%d %H:%M} UTC, "
                    "which has passed",
                    hint="deny it; the requester can ask again with a later expiry",
                )
            expires = _earliest(row.expires_at, terms.expires_at)
            row.state, row.decided_at, row.decided_by, row.reason = RequestState.APPROVED.value, now, by, reason
            product, major = split_dp_id(row.dp_id)
            grant = GrantRow(
                request_id=row.id,
                principal_kind=row.requester_kind,
                principal=row.requester,
                dp_id=row.dp_id,
                product=product,
                major=major,
                port=row.port,
                environment=row.environment,
                row_filter=terms.row_filter,
                masks=dict(terms.masks),
                pii_unmasked=sorted(set(terms.pii_unmasked)),
                expires_at=expires,
                state=GrantState.ACTIVE.value,
                created_at=now,
                created_by=by,
            )
            s.add(grant)
            s.flush()
            record = _grant(grant)
            payload = {"request": _request(row).to_dict(), "grant": record.to_dict()}
            self._announce(s, by, "approved", payload, key=row.dp_id, target=row.dp_id)
            return record

    def deny(self, request_id: int, *, by: str, reason: str) -> AccessRequest:
        now = utcnow()
        with self._tx(write=True) as s:
            row = self._request_row(s, request_id, for_update=True)
            self._move(row, RequestState.DENIED)
            row.state, row.decided_at, row.decided_by, row.reason = RequestState.DENIED.value, now, by, reason
            record = _request(row)
            self._announce(s, by, "denied", {"request": record.to_dict()}, key=row.dp_id, target=row.dp_id)
            return record

    def revoke(self, request_id: int, *, by: str, reason: str | None = None, major: int | None = None) -> list[Grant]:
        """End the live grants of an approved request (only the one on ``major`` when given). The request
        turns REVOKED once none of its grants is live any more."""
        now = utcnow()
        with self._tx(write=True) as s:
            row = self._request_row(s, request_id, for_update=True)
            self._move(row, RequestState.REVOKED)
            grants = list(s.scalars(select(GrantRow).where(GrantRow.request_id == row.id).order_by(GrantRow.id)))
            chosen = [g for g in grants if g.state == GrantState.ACTIVE.value and (major is None or g.major == major)]
            if not chosen:
                on = f" on major {major}" if major is not None else ""
                raise ConflictError(f"request {request_id} has no active grant{on} to revoke", hint="see `access list`")
            for g in chosen:
                g.state, g.ended_at, g.ended_by = GrantState.REVOKED.value, now, by
            if all(g.state != GrantState.ACTIVE.value for g in grants):
                row.state = RequestState.REVOKED.value
            row.reason = reason or row.reason
            ended = [_grant(g) for g in chosen]
            payload = {"request": _request(row).to_dict(), "grants": [g.to_dict() for g in ended], "reason": reason}
            self._announce(s, by, "revoked", payload, key=row.dp_id, target=row.dp_id)
            return ended

    # -- grants --------------------------------------------------------------------------------------
    def grant(self, grant_id: int) -> Grant:
        with self._tx() as s:
            row = s.get(GrantRow, grant_id)
            if row is None:
                raise RegistryNotFoundError(f"no grant {grant_id}", hint="list grants with `meshplane access list`")
            return _grant(row)

    def grants(
        self,
        *,
        principals: Collection[str] | None = None,
        dp_id: str | None = None,
        port: str | None = None,
        environment: str | None = None,
        product: str | None = None,
        states: Collection[GrantState] | None = None,
        request_id: int | None = None,
    ) -> list[Grant]:
        """Grants filtered by any of the arguments given, oldest first. Callers that decide access must also
        check ``Grant.live()``: an ACTIVE grant past its expiry (not yet swept) does not count."""
        with self._tx() as s:
            query = self._grant_query(principals, dp_id, port, environment)
            if product is not None:
                query = query.where(GrantRow.product == product)
            if states is not None:
                query = query.where(GrantRow.state.in_([st.value for st in states]))
            if request_id is not None:
                query = query.where(GrantRow.request_id == request_id)
            return [_grant(r) for r in s.scalars(query)]

    def has_live_grant(self, principal: str, dp_id: str, port: str, environment: str) -> bool:
        """Whether ``principal`` may read the port now (what deploy gating asks)."""
        now = utcnow()
        with self._tx() as s:
            return any(_grant(r).live(now) for r in self._select_grants(s, [principal], dp_id, port, environment))

    def expire_due(self, *, by: str = "system") -> list[Grant]:
        """Mark every ACTIVE grant past its expiry EXPIRED (audited, announced); a request whose grants have
        all ended becomes EXPIRED too. Returns the grants it expired; idempotent."""
        now = utcnow()
        with self._tx(write=True) as s:
            due = list(
                s.scalars(
                    select(GrantRow)
                    .where(GrantRow.state == GrantState.ACTIVE.value, GrantRow.expires_at <= now)
                    .order_by(GrantRow.id)
                    .with_for_update()
                )
            )
            for g in due:
                g.state, g.ended_at, g.ended_by = GrantState.EXPIRED.value, now, by
            s.flush()
            for request_id in sorted({g.request_id for g in due if g.request_id is not None}):
                req = self._request_row(s, request_id, for_update=True)
                states = set(s.scalars(select(GrantRow.state).where(GrantRow.request_id == request_id)))
                if req.state == RequestState.APPROVED.value and GrantState.ACTIVE.value not in states:
                    req.state = RequestState.EXPIRED.value
            for g in due:
                record = _grant(g)
                self._announce(s, by, "expired", {"grant": record.to_dict()}, key=g.dp_id, target=g.dp_id)
            return [_grant(g) for g in due]

    def copy_grants(self, grant_ids: Sequence[int], new_dp_id: str, *, by: str) -> list[Grant]:
        """Copy live grants onto another major of the same product (their filters, masks and expiry kept),
        each pointing back with ``migrated_from``. Grants already copied there are skipped: idempotent."""
        new_product, new_major = split_dp_id(new_dp_id)
        now = utcnow()
        with self._tx(write=True) as s:
            made: list[GrantRow] = []
            done = set(s.scalars(select(GrantRow.migrated_from).where(GrantRow.dp_id == new_dp_id)))
            for gid in grant_ids:
                old = s.get(GrantRow, gid)
                if old is None:
                    raise RegistryNotFoundError(f"no grant {gid}", hint="list grants with `meshplane access list`")
                if old.product != new_product:
                    raise InvalidInputError(f"grant {gid} is on {old.dp_id}, not a major of {new_product}")
                if gid in done or not _grant(old).live(now):
                    continue
                new = GrantRow(
                    request_id=old.request_id,
                    principal_kind=old.principal_kind,
                    principal=old.principal,
                    dp_id=new_dp_id,
                    product=new_product,
                    major=new_major,
                    port=old.port,
                    environment=old.environment,
                    row_filter=old.row_filter,
                    masks=dict(old.masks or {}),
                    pii_unmasked=list(old.pii_unmasked or []),
                    expires_at=old.expires_at,
                    state=GrantState.ACTIVE.value,
                    created_at=now,
                    created_by=by,
                    migrated_from=old.id,
                )
                s.add(new)
                made.append(new)
            s.flush()
            records = [_grant(g) for g in made]
            if records:
                payload = {"dataProduct": new_dp_id, "grants": [g.to_dict() for g in records]}
                self._announce(s, by, "migrated", payload, key=new_dp_id, target=new_dp_id)
            return records

    # -- outbox --------------------------------------------------------------------------------------
    def publish_later(self, topic: str, key: str, payload: dict[str, Any]) -> str:
        """Queue an event on its own (services whose change is not an access decision); returns its id."""
        canonical_json(payload, "event payload")
        with self._tx(write=True) as s:
            return _outbox(s, topic, key, payload)

    def unpublished(self, limit: int = 100) -> list[OutboxMessage]:
        """The oldest events not yet published."""
        query = select(OutboxRow).where(OutboxRow.published_at.is_(None)).order_by(OutboxRow.seq).limit(limit)
        with self._tx() as s:
            return [_message(r) for r in s.scalars(query)]

    def unpublished_count(self) -> int:
        with self._tx() as s:
            return int(
                s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.published_at.is_(None))) or 0
            )

    def outbox(self, *, limit: int = 100) -> list[OutboxMessage]:
        """Every event, newest first (published or not)."""
        with self._tx() as s:
            return [_message(r) for r in s.scalars(select(OutboxRow).order_by(OutboxRow.seq.desc()).limit(limit))]

    def mark_published(self, ids: Sequence[str], at: datetime | None = None) -> int:
        """Stamp events as published (those already stamped keep their first time); returns how many changed."""
        moment = at or utcnow()
        with self._tx(write=True) as s:
            query = select(OutboxRow).where(OutboxRow.id.in_(list(ids)), OutboxRow.published_at.is_(None))
            rows = list(s.scalars(query))
            for r in rows:
                r.published_at = moment
            return len(rows)

    # -- internals -----------------------------------------------------------------------------------
    @staticmethod
    def _request_row(s: Session, request_id: int, *, for_update: bool = False) -> AccessRequestRow:
        row = s.get(AccessRequestRow, request_id, with_for_update=for_update)
        if row is None:
            raise RegistryNotFoundError(
                f"no access request {request_id}", hint="list requests with `meshplane access list`"
            )
        return row

    @staticmethod
    def _move(row: AccessRequestRow, to: RequestState) -> None:
        current = RequestState(row.state)
        if to in TRANSITIONS[current]:
            return
        who = f" by {row.decided_by}" if row.decided_by else ""
        when = f" at {row.decided_at:%Y-%m-%d %H:%M} UTC" if row.decided_at else ""
        hints = {
            RequestState.PENDING: "approve or deny it first",
            RequestState.DENIED: "the requester can file a new request",
            RequestState.REVOKED: "the requester can file a new request",
            RequestState.EXPIRED: "the requester can file a new request",
            RequestState.APPROVED: "revoke it to end the access",
        }
        raise ConflictError(
            f"request {row.id} is {current.value}{who}{when}; it cannot become {to.value}", hint=hints[current]
        )

    @staticmethod
    def _grant_query(
        principals: Collection[str] | None, dp_id: str | None, port: str | None, environment: str | None
    ) -> Select[GrantRow]:
        query = select(GrantRow).order_by(GrantRow.id)
        if principals is not None:
            query = query.where(GrantRow.principal.in_(list(principals)))
        if dp_id is not None:
            query = query.where(GrantRow.dp_id == dp_id)
        if port is not None:
            query = query.where(GrantRow.port == port)
        if environment is not None:
            query = query.where(GrantRow.environment == environment)
        return query

    def _select_grants(
        self, s: Session, principals: Collection[str], dp_id: str, port: str, environment: str
    ) -> list[GrantRow]:
        query = self._grant_query(principals, dp_id, port, environment).where(GrantRow.state == GrantState.ACTIVE.value)
        return list(s.scalars(query))

    @staticmethod
    def _announce(s: Session, actor: str, event: str, payload: dict[str, Any], *, key: str, target: str) -> None:
        """The audit record and the outbox event of a decision, in the caller's transaction."""
        s.add(audit_row(actor, f"access.{event}", target, payload))
        _outbox(s, f"{TOPIC}.{event}", key, payload | {"event": event, "actor": actor})


def _outbox(s: Session, topic: str, key: str, payload: dict[str, Any]) -> str:
    message_id = str(uuid.uuid4())
    s.add(OutboxRow(id=message_id, topic=topic, key=key, payload=dict(payload), created_at=utcnow(), published_at=None))
    return message_id


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    present = [d for d in (a, b) if d is not None]
    return min(present) if present else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _request(row: AccessRequestRow) -> AccessRequest:
    return AccessRequest(
        id=row.id,
        requester_kind=PrincipalKind(row.requester_kind),
        requester=row.requester,
        requested_by=row.requested_by,
        dp_id=row.dp_id,
        port=row.port,
        environment=row.environment,
        purpose=row.purpose,
        expires_at=row.expires_at,
        state=RequestState(row.state),
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reason=row.reason,
    )


def _grant(row: GrantRow) -> Grant:
    return Grant(
        id=row.id,
        request_id=row.request_id,
        principal_kind=PrincipalKind(row.principal_kind),
        principal=row.principal,
        dp_id=row.dp_id,
        product=row.product,
        major=row.major,
        port=row.port,
        environment=row.environment,
        row_filter=row.row_filter,
        masks={str(k): str(v) for k, v in (row.masks or {}).items()},
        pii_unmasked=tuple(row.pii_unmasked or ()),
        expires_at=row.expires_at,
        state=GrantState(row.state),
        created_at=row.created_at,
        created_by=row.created_by,
        ended_at=row.ended_at,
        ended_by=row.ended_by,
        migrated_from=row.migrated_from,
    )


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(row.seq, row.id, row.topic, row.key, dict(row.payload), row.created_at, row.published_at)
