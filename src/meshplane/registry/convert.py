"""ORM rows to the frozen records callers get, plus the queries shared by several registry methods."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from meshplane.registry.errors import LockLostError
from meshplane.registry.models import AuditRow, ComponentRow, DeploymentRow, DescriptorVersionRow, PlanRow
from meshplane.registry.records import (
    AuditRecord,
    ComponentState,
    ComponentStatus,
    Deployment,
    DeploymentStatus,
    DescriptorVersion,
    Lease,
    PlanRecord,
    PlanStatus,
    utcnow,
)


def audit_row(actor: str, action: str, target: str, details: dict[str, Any] | None = None) -> AuditRow:
    return AuditRow(at=utcnow(), actor=actor, action=action, target=target, details=dict(details or {}))


def find_deployment(
    session: Session, dp_id: str, environment: str, *, for_update: bool = False
) -> DeploymentRow | None:
    query = select(DeploymentRow).where(DeploymentRow.dp_id == dp_id, DeploymentRow.environment == environment)
    if for_update:
        query = query.with_for_update()  # PostgreSQL: no lock break can slip between our check and our write
    return session.scalar(query)


def held(session: Session, lease: Lease) -> DeploymentRow:
    """The lease's deployment row, locked for this transaction; LockLostError when the lease is not the holder."""
    row = find_deployment(session, lease.dp_id, lease.environment, for_update=True)
    if row is None or row.lock_owner != lease.owner:
        raise lock_lost(lease, row.lock_owner if row else None)
    return row


def lock_lost(lease: Lease, holder: str | None) -> LockLostError:
    now = f"it is now held by {holder}" if holder else "nobody holds it now"
    return LockLostError(
        f"the deploy lock on {lease.dp_id} in {lease.environment} was broken while {lease.owner} held it; {now}",
        hint="another deploy judged this one stale (no heartbeat within its stale_after, or its process looked "
        "dead); stop and re-run the deploy",
    )


def deployment(row: DeploymentRow) -> Deployment:
    return Deployment(
        dp_id=row.dp_id,
        environment=row.environment,
        version=row.version,
        descriptor=row.descriptor or {},
        status=DeploymentStatus(row.status),
        revision=row.revision,
        lock_owner=row.lock_owner,
        deprecated_on=row.deprecated_on,
        retire_on=row.retire_on,
        updated_at=row.updated_at,
        locked_at=row.locked_at,
    )


def descriptor_version(row: DescriptorVersionRow, dep: DeploymentRow) -> DescriptorVersion:
    return DescriptorVersion(
        dp_id=dep.dp_id,
        environment=dep.environment,
        version=row.version,
        descriptor=row.descriptor,
        sha256=row.sha256,
        status=DeploymentStatus(row.status),
        deployed_at=row.deployed_at,
        deployed_by=row.deployed_by,
    )


def component(row: ComponentRow, dep: DeploymentRow) -> ComponentState:
    return ComponentState(
        dp_id=dep.dp_id,
        environment=dep.environment,
        component_id=row.component_id,
        kind=row.kind,
        adapter=row.adapter,
        status=ComponentStatus(row.status),
        desired_hash=row.desired_hash,
        info=row.info or {},
        log=tuple(row.log or ()),
        updated_at=row.updated_at,
    )


def plan(row: PlanRow) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        dp_id=row.dp_id,
        environment=row.environment,
        plan=row.plan,
        actor=row.actor,
        status=PlanStatus(row.status),
        result=row.result,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def audit(row: AuditRow) -> AuditRecord:
    return AuditRecord(
        id=row.id, at=row.at, actor=row.actor, action=row.action, target=row.target, details=row.details or {}
    )
