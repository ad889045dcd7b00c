"""One attempt at taking a deploy lock, and giving it back — the SQL behind ``Registry.acquire``/``release``.

The lock is a column pair (``lock_owner``, ``locked_at``) on the deployment row, taken by a conditional
UPDATE that also bumps ``revision``: of two racing writers that read the same revision, only one UPDATE
matches. This works unchanged on SQLite (where writes are serialized anyway) and on PostgreSQL under READ
COMMITTED (where the loser's UPDATE re-reads the row after the winner commits and matches nothing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from meshplane.registry.convert import audit_row, find_deployment
from meshplane.registry.locking import actor_of, stale_reason
from meshplane.registry.models import DeploymentRow
from meshplane.registry.records import DeploymentStatus, Lease, utcnow

#: What ``try_acquire`` returns when the lock is held: the holder and since when.
Busy = tuple[str, datetime | None]


def try_acquire(s: Session, dp_id: str, environment: str, holder: str, stale_after: float) -> Lease | Busy:
    """Take the lock in this transaction (creating the deployment row if missing), or say who holds it.

    A stale lock is broken here and the break is audited in the same transaction.
    """
    now = utcnow()
    row = find_deployment(s, dp_id, environment)
    if row is None:
        row = DeploymentRow(
            dp_id=dp_id,
            environment=environment,
            version=None,
            descriptor={},
            status=DeploymentStatus.NOT_DEPLOYED.value,
            revision=0,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()  # a concurrent creator makes this raise IntegrityError; the caller retries
    seen_owner, seen_at, revision = row.lock_owner, row.locked_at, row.revision
    reason = None
    if seen_owner is not None:
        reason = stale_reason(seen_owner, seen_at, stale_after, now)
        if reason is None:
            return seen_owner, seen_at
    same_holder = DeploymentRow.lock_owner.is_(None) if seen_owner is None else DeploymentRow.lock_owner == seen_owner
    taken = s.connection().execute(
        update(DeploymentRow)
        .where(DeploymentRow.id == row.id, DeploymentRow.revision == revision, same_holder)
        .values(lock_owner=holder, locked_at=now, revision=revision + 1)
    )
    if taken.rowcount != 1:
        return seen_owner or "another deploy", seen_at
    if seen_owner is not None:
        details = {"environment": environment, "previousHolder": seen_owner, "newHolder": holder, "reason": reason}
        s.add(audit_row(actor_of(holder), "lock.broken", dp_id, details))
    return Lease(dp_id, environment, holder, revision + 1, now)


def release(s: Session, lease: Lease) -> None:
    """Clear the lock if ``lease`` still holds it (a broken-and-retaken lock is left to its new holder)."""
    s.connection().execute(
        update(DeploymentRow)
        .where(
            DeploymentRow.dp_id == lease.dp_id,
            DeploymentRow.environment == lease.environment,
            DeploymentRow.lock_owner == lease.owner,
        )
        .values(lock_owner=None, locked_at=None, revision=DeploymentRow.revision + 1)
    )
