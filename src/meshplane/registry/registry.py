"""The control-plane registry: what is deployed where, who is deploying it, and what happened.

Every public method is one transaction, so a process killed between two calls leaves a consistent store;
writes that belong together (a recorded deployment, its descriptor version, its audit record) commit
together. Deploys of one data product in one environment are serialized by a lease (see ``acquire``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meshplane.registry import convert, leases
from meshplane.registry.access import AccessRecords
from meshplane.registry.engine import WRITE, display, ensure_database, make_engine, resolve_url, translated
from meshplane.registry.errors import ConcurrentDeployError, RegistryError, RegistryNotFoundError
from meshplane.registry.locking import actor_of, backoff, qualify
from meshplane.registry.migrate import upgrade
from meshplane.registry.models import AuditRow, ComponentRow, DeploymentRow, DescriptorVersionRow, PlanRow
from meshplane.registry.records import (
    AuditRecord,
    ComponentState,
    ComponentStatus,
    ComponentUpdate,
    Deployment,
    DeploymentStatus,
    DescriptorVersion,
    Lease,
    PlanRecord,
    PlanStatus,
    canonical_json,
    sha256_of,
    status_of,
    utcnow,
)
from meshplane.registry.reviews import ReviewRecords
from meshplane.registry.runs import RunRecords

#: Log lines kept per component: enough to see why the last few runs failed, small enough to read whole.
LOG_LIMIT = 200


class Registry:
    """Open with ``Registry.open(url)``; close when done (or use it as a context manager)."""

    def __init__(self, engine: Engine, url: URL, migrated: tuple[str, ...] = ()) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self.url = url
        #: Migrations this ``open`` applied (empty when the schema was already at head).
        self.migrated = migrated

    @classmethod
    def open(cls, url: str, *, base: Path | None = None) -> Registry:
        """Open the registry at ``url`` (``MESHPLANE_REGISTRY_URL`` overrides it), creating and migrating it
        as needed. Relative SQLite paths resolve against ``base`` when given. Safe to call from several
        processes at once."""
        resolved = resolve_url(url, base)
        engine = make_engine(resolved)
        try:
            with translated(resolved, opening=True):
                ensure_database(engine)
                migrated = upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, resolved, migrated)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for services that keep their own tables in the registry database (such as a
        transactional outbox); use ``engine.execution_options(meshplane_write=True)`` for writes on SQLite."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Registry({display(self.url)!r})"

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[Session]:
        engine = self._writer if write else self._engine
        with translated(self.url), Session(engine, expire_on_commit=False) as s, s.begin():
            yield s

    @property
    def access(self) -> AccessRecords:
        """Access requests, grants and the outbox (see ``registry/access.py``)."""
        return AccessRecords(self._tx)

    @property
    def runs(self) -> RunRecords:
        """Pipeline run records: start, take over, update, finish, list (see ``registry/runs.py``)."""
        return RunRecords(self._tx)

    @property
    def reviews(self) -> ReviewRecords:
        """Ratings, reviews and the FAQ of data products (see ``registry/reviews.py``)."""
        return ReviewRecords(self._tx)

    # -- deployments ---------------------------------------------------------------------------------
    def deployment(self, dp_id: str, environment: str) -> Deployment | None:
        with self._tx() as s:
            row = convert.find_deployment(s, dp_id, environment)
            return convert.deployment(row) if row else None

    def snapshot(self, dp_id: str, environment: str) -> tuple[Deployment | None, list[ComponentState]]:
        """The deployment and its components, read together (one consistent view for planning)."""
        with self._tx() as s:
            row = convert.find_deployment(s, dp_id, environment)
            if row is None:
                return None, []
            rows = s.scalars(select(ComponentRow).where(ComponentRow.deployment_id == row.id).order_by(ComponentRow.id))
            return convert.deployment(row), [convert.component(c, row) for c in rows]

    def deployments(self, environment: str | None = None) -> list[Deployment]:
        query = select(DeploymentRow).order_by(DeploymentRow.environment, DeploymentRow.dp_id)
        if environment is not None:
            query = query.where(DeploymentRow.environment == environment)
        with self._tx() as s:
            return [convert.deployment(r) for r in s.scalars(query)]

    # -- the deploy lock -----------------------------------------------------------------------------
    def acquire(
        self, dp_id: str, environment: str, owner: str, *, wait: float = 60.0, stale_after: float = 600.0
    ) -> Lease:
        """Take the deploy lock of ``dp_id`` in ``environment``, waiting up to ``wait`` seconds.

        ``owner`` should be ``host:pid:token`` (``locking.new_owner()``); any other string is extended to
        ``owner@host:pid:token``. A held lock is broken when its holder's process on this host is gone or it
        was not refreshed (``heartbeat``) for ``stale_after`` seconds. Not re-entrant.
        """
        holder = qualify(owner)
        deadline = time.monotonic() + max(wait, 0.0)
        delays = backoff()
        while True:
            outcome = self._try_acquire(dp_id, environment, holder, stale_after)
            if isinstance(outcome, Lease):
                return outcome
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                current, since = outcome
                when = f" since {since:%Y-%m-%d %H:%M:%S} UTC" if since else ""
                raise ConcurrentDeployError(
                    f"{dp_id} in {environment} is being deployed by {current}{when}; gave up after {wait:g} s",
                    holder=current,
                    locked_at=since,
                    hint=f"wait for that deploy to finish; if it is gone, its lock goes stale after {stale_after:g} s",
                )
            time.sleep(min(next(delays), remaining))

    def _try_acquire(self, dp_id: str, environment: str, holder: str, stale_after: float) -> Lease | leases.Busy:
        try:
            with self._tx(write=True) as s:
                return leases.try_acquire(s, dp_id, environment, holder, stale_after)
        except IntegrityError:  # another process created the deployment row first; the next attempt sees it
            return "another deploy", None

    def release(self, lease: Lease) -> None:
        """Give the lock back; does nothing when it was broken and taken by someone else meanwhile."""
        with self._tx(write=True) as s:
            leases.release(s, lease)

    def heartbeat(self, lease: Lease) -> None:
        """Show the deploy is alive, so its lock does not go stale; LockLostError if it was broken."""
        with self._tx(write=True) as s:
            row = convert.held(s, lease)
            row.locked_at = utcnow()

    # -- what is deployed ----------------------------------------------------------------------------
    def record_deployment(
        self,
        lease: Lease,
        *,
        version: str,
        descriptor: dict[str, Any],
        status: str,
        deployed_by: str | None = None,
        components: Sequence[ComponentUpdate] = (),
        plan: tuple[int, str, dict[str, Any]] | None = None,
    ) -> None:
        """Record what is now deployed, keep the descriptor as a new version, and audit it — one transaction,
        together with the final ``components`` states and, as ``(plan id, status, result)``, the plan's end.

        ``deployed_by`` defaults to the actor in the lease's owner (or the owner itself).
        """
        state = status_of(DeploymentStatus, status, "deployment")
        self._check_components(components)
        if plan is not None:
            self._check_plan_end(plan[1], plan[2])
        digest = sha256_of(descriptor)
        if descriptor.get("id", lease.dp_id) != lease.dp_id:
            raise RegistryError(
                f"descriptor of {descriptor.get('id')} recorded under the lease of {lease.dp_id}",
                hint="record a descriptor under its own data product's lease",
            )
        by = deployed_by or actor_of(lease.owner)
        with self._tx(write=True) as s:
            row = convert.held(s, lease)
            now = utcnow()
            row.version, row.descriptor, row.status = version, dict(descriptor), state.value
            row.revision += 1
            row.updated_at = now
            s.add(
                DescriptorVersionRow(
                    deployment_id=row.id,
                    version=version,
                    descriptor=dict(descriptor),
                    sha256=digest,
                    status=state.value,
                    deployed_at=now,
                    deployed_by=by,
                )
            )
            details = {"environment": lease.environment, "version": version, "status": state.value, "sha256": digest}
            s.add(convert.audit_row(by, "deployment.recorded", lease.dp_id, details))
            self._write_components(s, row, components, now)
            if plan is not None:
                self._finish_plan(s, *plan)

    def descriptor_versions(self, dp_id: str, environment: str) -> list[DescriptorVersion]:
        """Every descriptor recorded for ``dp_id`` in ``environment``, oldest first."""
        query = (
            select(DescriptorVersionRow, DeploymentRow)
            .join(DeploymentRow, DescriptorVersionRow.deployment_id == DeploymentRow.id)
            .where(DeploymentRow.dp_id == dp_id, DeploymentRow.environment == environment)
            .order_by(DescriptorVersionRow.id)
        )
        with self._tx() as s:
            return [convert.descriptor_version(v, d) for v, d in s.execute(query)]

    # -- components ----------------------------------------------------------------------------------
    def set_component(
        self,
        lease: Lease,
        component_id: str,
        *,
        kind: str,
        adapter: str,
        status: str,
        desired_hash: str | None = None,
        info: dict[str, Any] | None = None,
        log: list[str] | None = None,
    ) -> None:
        """Create or update a component's state. ``desired_hash`` and ``info`` left as None keep what is
        stored (a progress update need not repeat them); ``log`` lines are appended with a timestamp and only
        the last ``LOG_LIMIT`` are kept."""
        self.set_components(lease, [ComponentUpdate(component_id, kind, adapter, status, desired_hash, info, log)])

    def set_components(self, lease: Lease, updates: Sequence[ComponentUpdate]) -> None:
        """Several component states in one transaction (a deploy records its quick components together)."""
        self._check_components(updates)
        with self._tx(write=True) as s:
            self._write_components(s, convert.held(s, lease), updates, utcnow())

    @staticmethod
    def _check_components(updates: Sequence[ComponentUpdate]) -> None:
        for u in updates:
            status_of(ComponentStatus, u.status, "component")
            if u.info is not None:
                canonical_json(u.info, "component info")

    @staticmethod
    def _write_components(s: Session, dep: DeploymentRow, updates: Sequence[ComponentUpdate], now: datetime) -> None:
        if not updates:
            return
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        ids = [u.component_id for u in updates]
        rows = {
            r.component_id: r
            for r in s.scalars(
                select(ComponentRow).where(ComponentRow.deployment_id == dep.id, ComponentRow.component_id.in_(ids))
            )
        }
        for u in updates:
            row = rows.get(u.component_id)
            if row is None:
                row = ComponentRow(deployment_id=dep.id, component_id=u.component_id, info={}, log=[])
                s.add(row)
                rows[u.component_id] = row
            row.kind, row.adapter, row.updated_at = u.kind, u.adapter, now
            row.status = status_of(ComponentStatus, u.status, "component").value
            if u.desired_hash is not None:
                row.desired_hash = u.desired_hash
            if u.info is not None:
                row.info = dict(u.info)
            if u.log:
                row.log = [*(row.log or []), *(f"{stamp} {line}" for line in u.log)][-LOG_LIMIT:]

    def components(self, dp_id: str, environment: str) -> list[ComponentState]:
        """The components of ``dp_id`` in ``environment``, in the order they were first recorded."""
        query = (
            select(ComponentRow, DeploymentRow)
            .join(DeploymentRow, ComponentRow.deployment_id == DeploymentRow.id)
            .where(DeploymentRow.dp_id == dp_id, DeploymentRow.environment == environment)
            .order_by(ComponentRow.id)
        )
        with self._tx() as s:
            return [convert.component(c, d) for c, d in s.execute(query)]

    def remove_component(self, lease: Lease, component_id: str) -> None:
        """Forget a component that was unprovisioned; its last state goes to the audit log. Idempotent."""
        with self._tx(write=True) as s:
            dep = convert.held(s, lease)
            row = s.scalar(
                select(ComponentRow).where(
                    ComponentRow.deployment_id == dep.id, ComponentRow.component_id == component_id
                )
            )
            if row is None:
                return
            details = {"environment": dep.environment, "component": component_id, "kind": row.kind}
            details |= {"adapter": row.adapter, "lastStatus": row.status}
            s.add(convert.audit_row(actor_of(lease.owner), "component.removed", dep.dp_id, details))
            s.delete(row)

    # -- plans ---------------------------------------------------------------------------------------
    def save_plan(self, dp_id: str, environment: str, plan: dict[str, Any], *, actor: str) -> int:
        """Store a plan (status PLANNED) before it is applied; returns its id for ``finish_plan``."""
        canonical_json(plan, "plan")
        with self._tx(write=True) as s:
            row = PlanRow(
                dp_id=dp_id,
                environment=environment,
                plan=dict(plan),
                actor=actor,
                status=PlanStatus.PLANNED.value,
                result=None,
                created_at=utcnow(),
                finished_at=None,
            )
            s.add(row)
            s.flush()
            return row.id

    def finish_plan(self, plan_id: int, *, status: str, result: dict[str, Any]) -> None:
        self._check_plan_end(status, result)
        with self._tx(write=True) as s:
            self._finish_plan(s, plan_id, status, result)

    @staticmethod
    def _check_plan_end(status: str, result: dict[str, Any]) -> None:
        if status_of(PlanStatus, status, "plan") is PlanStatus.PLANNED:
            raise RegistryError("a plan is finished as APPLIED or FAILED", hint="pass status='APPLIED' or 'FAILED'")
        canonical_json(result, "plan result")

    @staticmethod
    def _finish_plan(s: Session, plan_id: int, status: str, result: dict[str, Any]) -> None:
        row = s.get(PlanRow, plan_id, with_for_update=True)
        if row is None:
            raise RegistryNotFoundError(f"no plan {plan_id} in the registry", hint="use the id save_plan returned")
        if row.status != PlanStatus.PLANNED.value:
            raise RegistryError(f"plan {plan_id} is already {row.status}", hint="save a new plan for a new run")
        row.status, row.result, row.finished_at = status_of(PlanStatus, status, "plan").value, dict(result), utcnow()

    def plans(self, dp_id: str, environment: str) -> list[PlanRecord]:
        """Plans of ``dp_id`` in ``environment``, oldest first."""
        query = select(PlanRow).where(PlanRow.dp_id == dp_id, PlanRow.environment == environment).order_by(PlanRow.id)
        with self._tx() as s:
            return [convert.plan(r) for r in s.scalars(query)]

    # -- lifecycle of majors -------------------------------------------------------------------------
    def set_lifecycle(
        self,
        dp_id: str,
        environment: str,
        *,
        deprecated_on: date | None,
        retire_on: date | None,
        actor: str = "system",
    ) -> None:
        """Set (or clear, with None) when this major is deprecated and retired; audited."""
        if deprecated_on and retire_on and retire_on < deprecated_on:
            raise RegistryError(
                f"{dp_id}: retire_on {retire_on} is before deprecated_on {deprecated_on}",
                hint="a data product is deprecated first and retired later",
            )
        with self._tx(write=True) as s:
            row = convert.find_deployment(s, dp_id, environment, for_update=True)
            if row is None:
                raise RegistryNotFoundError(
                    f"{dp_id} has never been deployed in {environment}",
                    hint="deploy it first; lifecycle dates belong to a deployment",
                )
            row.deprecated_on, row.retire_on = deprecated_on, retire_on
            row.revision += 1
            row.updated_at = utcnow()
            dates = {"deprecatedOn": deprecated_on, "retireOn": retire_on}
            details = {"environment": environment} | {k: v.isoformat() if v else None for k, v in dates.items()}
            s.add(convert.audit_row(actor, "lifecycle.set", dp_id, details))

    # -- audit log (append-only: there is deliberately no way to change or remove a record) -----------
    def audit(self, actor: str, action: str, target: str, details: dict[str, Any] | None = None) -> None:
        canonical_json(details or {}, "audit details")
        with self._tx(write=True) as s:
            s.add(convert.audit_row(actor, action, target, details))

    def audit_log(self, *, target: str | None = None, actor: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """Audit records, newest first."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(max(limit, 0))
        if target is not None:
            query = query.where(AuditRow.target == target)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        with self._tx() as s:
            return [convert.audit(r) for r in s.scalars(query)]
