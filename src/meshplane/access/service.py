"""The access service: request, decide, revoke, expire and migrate grants; compute what a caller may read.

The CLI, the REST API and the pages are thin shells over ``AccessService``. It decides *who* may do what —
only the owning team (the product's owner or owner group, or its domain's owner group) approves, denies and
migrates; a requester acts for themselves, for a group they belong to, or for a data product they own —
and checks *what* is granted (ports exist, row filters are safe, masks name real columns). The registry
records each decision with its audit record and outbox event in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from meshplane.access.catalog import Catalog, columns_of, port_of, protected_columns
from meshplane.access.model import OWNER_GRANT, PortGrant, combine, effective_masks, parse_masks
from meshplane.access.rowfilter import validate_row_filter
from meshplane.errors import (
    ConflictError,
    InvalidInputError,
    MeshplaneError,
    NotFoundError,
    PermissionDeniedError,
)
from meshplane.identity import Directory, Identity
from meshplane.registry import Registry
from meshplane.registry.access import AccessRequest, Grant, GrantTerms
from meshplane.registry.access_models import GrantState, PrincipalKind, RequestState
from meshplane.registry.records import utcnow
from meshplane.spec.ids import DataProductId
from meshplane.spec.model import DataProduct, Mesh, OutputPort

#: The shortest purpose accepted: owners decide on it, so "x" is not enough.
MIN_PURPOSE = 10


@dataclass(frozen=True)
class Offer:
    """A live grant on an older major that can move to ``to_dp_id`` (or why it cannot)."""

    grant: Grant
    to_dp_id: str
    problem: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"grant": self.grant.to_dict(), "to": self.to_dp_id, "migratable": self.problem is None} | (
            {"problem": self.problem} if self.problem else {}
        )


class AccessService:
    """Access control over one registry and mesh; ``environment`` is the default for new requests."""

    def __init__(
        self,
        registry: Registry,
        mesh: Mesh,
        *,
        environment: str,
        extra: Iterable[DataProduct] = (),
        enforce_postgres: bool = True,
    ) -> None:
        self.registry = registry
        self.mesh = mesh
        self.directory = Directory(mesh)
        self.environment = environment
        self.enforce_postgres = enforce_postgres
        #: Problems applying decisions to PostgreSQL (the decision itself is recorded); ``sync_postgres`` retries.
        self.warnings: list[str] = []
        self._extra = list(extra)
        self._catalogs: dict[str, Catalog] = {}

    def catalog(self, environment: str | None = None) -> Catalog:
        env = environment or self.environment
        found = self._catalogs.get(env)
        if found is None:
            found = self._catalogs[env] = Catalog(self.registry, env, self._extra)
        return found

    def is_owner(self, identity: Identity, dp: DataProduct) -> bool:
        return self.directory.is_owner(identity, domain=dp.domain, owner=dp.owner, owner_group=dp.owner_group)

    def owners(self, dp: DataProduct) -> list[str]:
        team = self.directory.owner_group_of_domain(dp.domain)
        return sorted({p for p in (dp.owner, dp.owner_group, team) if p})

    def resolve_port(self, ref: str, environment: str | None = None) -> tuple[DataProduct, OutputPort]:
        """A port by any of its names: ``domain.product.port`` as in gateway SQL, ``product.port``,
        ``product_v2.port``, ``DP_ID.port`` (:mod:`meshplane.access.naming`)."""
        return self.catalog(environment).resolve_port(ref)

    def port_name(self, dp_id: str, port: str, environment: str | None = None) -> str:
        """The name people write for a port (``sales.orders.orders``), as hints print it."""
        return self.catalog(environment).names().port_name(dp_id, port)

    # -- requests ------------------------------------------------------------------------------------
    def request(
        self,
        identity: Identity,
        port_ref: str,
        *,
        purpose: str,
        expires_at: datetime | None = None,
        for_product: str | None = None,
        for_group: str | None = None,
        environment: str | None = None,
    ) -> AccessRequest:
        """File a request for read access to a port (any of its names, e.g. ``sales.orders.orders``), for the
        caller, a group of theirs or a product they own."""
        env = environment or self.environment
        dp, port = self.resolve_port(port_ref, env)
        purpose = (purpose or "").strip()
        if len(purpose) < MIN_PURPOSE:
            raise InvalidInputError(
                "say what the data is for (at least a sentence): the owners decide on it",
                hint='e.g. --purpose "weekly churn report for the retention team"',
            )
        _require_future(expires_at, "the requested expiry")
        if for_product and for_group:
            raise InvalidInputError("request for a data product or for a group, not both")
        if for_product:
            consumer = self.catalog(env).resolve(for_product)
            if not self.is_owner(identity, consumer):
                raise PermissionDeniedError(
                    f"{identity.user} does not own {consumer.id}, so cannot request access for it",
                    hint=f"ask one of its owners: {', '.join(self.owners(consumer))}",
                )
            if consumer.id == dp.id:
                raise InvalidInputError(f"{dp.id} cannot request access to its own port")
            kind, requester = PrincipalKind.DATA_PRODUCT, consumer.id
        elif for_group:
            self.directory.require_principal(for_group)
            if not self.directory.has_group(for_group):
                raise InvalidInputError(
                    f"`{for_group}` is a user, not a group", hint="drop --for-group to ask for yourself"
                )
            if for_group not in identity.groups:
                raise PermissionDeniedError(
                    f"{identity.user} is not a member of `{for_group}`", hint="ask a member of the group to request"
                )
            kind, requester = PrincipalKind.GROUP, for_group
        else:
            if self.is_owner(identity, dp):
                raise ConflictError(
                    f"{identity.user} owns {dp.id}: owners read its ports without a grant",
                    hint="request for a consuming data product with --for-product when a pipeline needs it",
                )
            kind, requester = PrincipalKind.USER, identity.user
        return self.registry.access.create_request(
            requester_kind=kind,
            requester=requester,
            requested_by=identity.user,
            dp_id=dp.id,
            port=port.name,
            environment=env,
            purpose=purpose,
            expires_at=expires_at,
        )

    def approve(
        self,
        identity: Identity,
        request_id: int,
        *,
        row_filter: str | None = None,
        masks: Sequence[str] | dict[str, str] = (),
        unmask_pii: Sequence[str] = (),
        expires_at: datetime | None = None,
        reason: str | None = None,
    ) -> Grant:
        """Approve as an owner, optionally narrowing rows (a SQL predicate) and masking columns; PII columns
        stay masked unless listed in ``unmask_pii``."""
        req = self.registry.access.request(request_id)
        dp, port = self._decidable(identity, req, "approve")
        columns = columns_of(port)
        stored_filter = validate_row_filter(row_filter, columns) if row_filter and row_filter.strip() else None
        chosen = parse_masks(masks)
        for column in chosen:
            _require_column(column, columns, port, dp)
        protected = protected_columns(port)
        for column in unmask_pii:
            _require_column(column, columns, port, dp)
            if column not in protected:
                raise InvalidInputError(
                    f"`{column}` of {dp.id}.{port.name} is not classified PII or sensitive; it is not masked",
                    hint=f"protected columns: {', '.join(protected) or 'none'}",
                )
            if column in chosen:
                raise InvalidInputError(f"`{column}` is both masked and unmasked", hint="pick one")
        _require_future(expires_at, "the grant's expiry")
        terms = GrantTerms(stored_filter, chosen, tuple(unmask_pii), expires_at)
        grant = self.registry.access.approve(request_id, by=identity.user, terms=terms, reason=reason)
        self._enforce([grant])
        return grant

    def deny(self, identity: Identity, request_id: int, *, reason: str) -> AccessRequest:
        if not (reason or "").strip():
            raise InvalidInputError("say why the request is denied", hint='e.g. --reason "use the aggregate port"')
        req = self.registry.access.request(request_id)
        self._decidable(identity, req, "deny")
        return self.registry.access.deny(request_id, by=identity.user, reason=reason.strip())

    def revoke(
        self, identity: Identity, request_id: int, *, reason: str | None = None, major: int | None = None
    ) -> list[Grant]:
        """End an approved request's access (owners, or the requester giving it up)."""
        req = self.registry.access.request(request_id)
        dp = self.catalog(req.environment).get(req.dp_id)
        own = dp is not None and self.is_owner(identity, dp)
        mine = req.requested_by == identity.user or req.requester in {identity.user, identity.data_product}
        if not own and not mine:
            raise PermissionDeniedError(
                f"only the owners of {req.dp_id} or the requester can revoke request {request_id}",
                hint=f"owners: {', '.join(self.owners(dp)) if dp else 'unknown (not deployed)'}",
            )
        ended = self.registry.access.revoke(request_id, by=identity.user, reason=reason, major=major)
        self._enforce(ended)
        return ended

    # -- listing -------------------------------------------------------------------------------------
    def mine(self, identity: Identity, *, environment: str | None = None) -> list[AccessRequest]:
        """Requests filed by the caller or for them, their groups or the products they own."""
        owned = [dp.id for dp in self.catalog(environment).all() if self.is_owner(identity, dp)]
        principals = {*identity.principals, *owned}
        return self.registry.access.requests(requesters=principals, requested_by=identity.user, environment=environment)

    def pending_for(self, identity: Identity, *, environment: str | None = None) -> list[AccessRequest]:
        """PENDING requests on the products the caller owns: their decision queue."""
        catalog = self.catalog(environment)
        owned = [dp.id for dp in catalog.all() if self.is_owner(identity, dp)]
        if not owned:
            return []
        return self.registry.access.requests(dp_ids=owned, states=[RequestState.PENDING], environment=environment)

    def grants_on(self, identity: Identity, dp_ref: str, *, environment: str | None = None) -> list[Grant]:
        """Every grant on a product's majors (owners only: who reads my product, with which filter)."""
        dp = self.catalog(environment).resolve(dp_ref)
        if not self.is_owner(identity, dp):
            raise PermissionDeniedError(
                f"only the owners of {dp.id} see who is granted", hint=f"owners: {', '.join(self.owners(dp))}"
            )
        product = dp.id.rpartition(":")[0]
        return self.registry.access.grants(product=product, environment=environment or self.environment)

    def grants_of(self, identity: Identity, *, environment: str | None = None) -> list[Grant]:
        """The grants of the caller, their groups and the data products they own, live or not."""
        owned = [dp.id for dp in self.catalog(environment).all() if self.is_owner(identity, dp)]
        return self.registry.access.grants(principals={*identity.principals, *owned}, environment=environment)

    # -- expiry and majors ---------------------------------------------------------------------------
    def sweep(self, *, by: str = "system") -> list[Grant]:
        """Mark expired grants EXPIRED (audited, announced). Expired grants never count even before a sweep."""
        expired = self.registry.access.expire_due(by=by)
        self._enforce(expired)
        return expired

    def offers(self, dp_ref: str, *, environment: str | None = None) -> list[Offer]:
        """Live grants on the product's older majors not yet on ``dp_ref`` (the newer major): what its owners
        are offered to migrate, each with the reason it cannot move if it cannot."""
        catalog = self.catalog(environment)
        target = catalog.resolve(dp_ref)
        major = DataProductId.parse(target.id).major
        product = target.id.rpartition(":")[0]
        env = environment or self.environment
        grants = self.registry.access.grants(product=product, environment=env, states=[GrantState.ACTIVE])
        done = {g.migrated_from for g in grants if g.dp_id == target.id}
        held = {(g.principal, g.port) for g in grants if g.dp_id == target.id}
        offers: list[Offer] = []
        for g in grants:
            if g.major >= major or g.id in done or not g.live() or (g.principal, g.port) in held:
                continue
            offers.append(Offer(g, target.id, self._migration_problem(g, target)))
        return offers

    def migrate_grants(
        self, identity: Identity, dp_ref: str, to_major: int, *, environment: str | None = None
    ) -> list[Grant]:
        """Confirm once, as an owner, that the grants on older majors of ``dp_ref``'s product carry over to
        major ``to_major``; consumers keep the old grants while both majors run."""
        catalog = self.catalog(environment)
        given = catalog.resolve(dp_ref)
        parsed = DataProductId.parse(given.id)
        target_id = str(DataProductId(parsed.domain, parsed.name, to_major))
        target = catalog.get(target_id)
        if target is None:
            raise NotFoundError(
                f"major {to_major} of {parsed.domain}/{parsed.name} is not deployed in {catalog.environment}",
                hint="deploy the new major first; its grants are then offered for migration",
            )
        if not self.is_owner(identity, target):
            raise PermissionDeniedError(
                f"only the owners of {target.id} can migrate its grants",
                hint=f"owners: {', '.join(self.owners(target))}",
            )
        movable = [o.grant.id for o in self.offers(target.id, environment=environment) if o.problem is None]
        moved = self.registry.access.copy_grants(movable, target.id, by=identity.user)
        self._enforce(moved)
        return moved

    # -- PostgreSQL --------------------------------------------------------------------------------
    def sync_postgres(self, *, environment: str | None = None, dp_ref: str | None = None) -> list[str]:
        """Converge every PostgreSQL-published port (or one product's) to its live grants; idempotent.
        Raises on the first database error (unlike the best-effort sync after each decision)."""
        catalog = self.catalog(environment)
        env = catalog.environment
        products = [catalog.resolve(dp_ref)] if dp_ref else catalog.deployed()
        logs: list[str] = []
        for dp in products:
            if catalog.get_deployed(dp.id) is not None:
                for port in dp.output_ports:
                    logs.extend(self._enforce_port(dp, port, env))
        return logs

    def _enforce(self, grants: Iterable[Grant]) -> None:
        """Apply decisions to PostgreSQL best-effort: the decision is already recorded, a database that is
        down must not undo it; the problem is kept in ``warnings`` and ``sync_postgres`` converges later."""
        if not self.enforce_postgres:
            return
        for dp_id, port_name, env in sorted({(g.dp_id, g.port, g.environment) for g in grants}):
            dp = self.catalog(env).get_deployed(dp_id)
            if dp is None:
                continue
            try:
                self._enforce_port(dp, port_of(dp, port_name), env)
            except MeshplaneError as exc:
                self.warnings.append(f"{dp_id}.{port_name} in {env}: PostgreSQL not updated: {exc}")

    def _enforce_port(self, dp: DataProduct, port: OutputPort, environment: str) -> list[str]:
        from meshplane.access import postgres

        if not postgres.is_postgres_port(port, self.mesh):
            return []
        now = utcnow()
        live = [
            g
            for g in self.registry.access.grants(
                dp_id=dp.id, port=port.name, environment=environment, states=[GrantState.ACTIVE]
            )
            if g.live(now)
        ]
        return postgres.enforce(dp, port, live, mesh=self.mesh, environment=environment)

    def _migration_problem(self, grant: Grant, target: DataProduct) -> str | None:
        try:
            port = port_of(target, grant.port)
        except NotFoundError:
            return f"{target.id} has no output port `{grant.port}`"
        columns = columns_of(port)
        if grant.row_filter:
            try:
                validate_row_filter(grant.row_filter, columns)
            except InvalidInputError as exc:
                return f"its row filter no longer applies: {exc.message}"
        return None

    # -- what a caller may read ----------------------------------------------------------------------
    def effective_grants(self, identity: Identity, environment: str) -> list[PortGrant]:
        """One ``PortGrant`` per output port the identity may read in ``environment``: its live user, group
        and data-product grants combined, PII masks merged in; every port of a product it owns, unfiltered
        and unmasked. Sorted by data product and port."""
        catalog = self.catalog(environment)
        if identity.data_product:
            # A token may act for a data product (its input ports' grants); only that product's owners may.
            acting = catalog.get_deployed(identity.data_product)
            person = identity.acting_for(None)
            if acting is None or not self.is_owner(person, acting):
                raise PermissionDeniedError(
                    f"{identity.user} may not act for {identity.data_product} in {environment}: "
                    "only its owners may read with its grants",
                    hint="issue the token to an owner of that data product, or without --for-product",
                )
        by_port: dict[tuple[str, str], list[PortGrant]] = {}
        owned: dict[tuple[str, str], PortGrant] = {}
        for dp in catalog.deployed():
            if not self.is_owner(identity, dp):
                continue
            for port in dp.output_ports:
                owned[(dp.id, port.name)] = _owner_grant(dp.id, port.name, environment)
        now = utcnow()
        for grant in self.registry.access.grants(
            principals=identity.principals, environment=environment, states=[GrantState.ACTIVE]
        ):
            key = (grant.dp_id, grant.port)
            if key in owned or not grant.live(now):
                continue
            granted = catalog.get_deployed(grant.dp_id)
            if granted is None:
                continue
            try:
                port = port_of(granted, grant.port)
            except NotFoundError:
                continue  # the port went away in a later minor; nothing to read
            by_port.setdefault(key, []).append(_port_grant(grant, port))
        combined = {key: combine(items) for key, items in by_port.items()} | owned
        return [combined[key] for key in sorted(combined)]

    def authorize_port(self, identity: Identity, dp_id: str, port: str, environment: str) -> PortGrant:
        """The caller's effective grant on one port; PermissionDeniedError (with how to ask) otherwise."""
        dp = self.catalog(environment).get_deployed(dp_id)
        if dp is None:
            raise NotFoundError(f"{dp_id} is not deployed in {environment}", hint="see `meshplane status`")
        port_of(dp, port)
        for grant in self.effective_grants(identity, environment):
            if grant.dp_id == dp_id and grant.port == port:
                return grant
        who = identity.data_product or identity.user
        name = self.port_name(dp_id, port, environment)
        raise PermissionDeniedError(
            f"{who} has no grant on {name} ({dp_id} port `{port}`) in {environment}",
            hint=f'request access with `meshplane access request {name} --purpose "…"`',
        )

    def _decidable(self, identity: Identity, req: AccessRequest, verb: str) -> tuple[DataProduct, OutputPort]:
        dp = self.catalog(req.environment).get(req.dp_id)
        if dp is None:
            raise NotFoundError(
                f"{req.dp_id} is not deployed in {req.environment}", hint="deny the request, or deploy it first"
            )
        if not self.is_owner(identity, dp):
            raise PermissionDeniedError(
                f"only the owners of {dp.id} can {verb} access to it ({identity.user} is not one of them)",
                hint=f"owners: {', '.join(self.owners(dp))}",
            )
        if req.state is not RequestState.PENDING:
            by = f" by {req.decided_by}" if req.decided_by else ""
            raise ConflictError(
                f"request {req.id} is already {req.state.value}{by}", hint="see `meshplane access list`"
            )
        return dp, port_of(dp, req.port)


def _owner_grant(dp_id: str, port: str, environment: str) -> PortGrant:
    return PortGrant(dp_id, port, environment, None, MappingProxyType({}), OWNER_GRANT, None)


def _port_grant(grant: Grant, port: OutputPort) -> PortGrant:
    present = set(columns_of(port))
    masks = {c: k for c, k in grant.masks.items() if c in present}
    return PortGrant(
        dp_id=grant.dp_id,
        port=grant.port,
        environment=grant.environment,
        row_filter=grant.row_filter,
        masks=effective_masks(masks, protected_columns(port), grant.pii_unmasked),
        grant_id=str(grant.id),
        expires_at=grant.expires_at,
    )


def _require_column(column: str, columns: dict[str, str], port: OutputPort, dp: DataProduct) -> None:
    if column not in columns:
        raise InvalidInputError(
            f"{dp.id}.{port.name} has no column `{column}`", hint=f"its columns: {', '.join(columns)}"
        )


def _require_future(moment: datetime | None, what: str) -> None:
    if moment is None:
        return
    if moment.tzinfo is None:
        raise InvalidInputError(f"{what} needs a time zone", hint="e.g. 2026-12-31T00:00:00Z, or a duration like 30d")
    if moment <= utcnow():
        raise InvalidInputError(f"{what} ({moment:%Y-%m-%d %H:%M} UTC) is in the past", hint="e.g. 30d or 2027-01-31")
