"""Run records: the registry side of running pipelines (``Registry.runs``).

A run is recorded RUNNING *before* it reads or writes anything, with the process that runs it as ``owner``;
its pinned inputs are stored before the first output is committed, so an interrupted run can be completed
with exactly the same inputs. Each method is one transaction. Sequence numbers count the runs of one data
product in one environment (1, 2, 3 …); they are the versions of the runs' Delta app transactions, so they
must never be reused: a run's number is allocated inside the write transaction that inserts it, and the
unique constraint turns a race on PostgreSQL into a retry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meshplane.registry.errors import RegistryError, RegistryNotFoundError
from meshplane.registry.locking import stale_reason
from meshplane.registry.records import canonical_json, status_of, utcnow
from meshplane.registry.run_models import RunRow, RunStatus

Tx = Callable[..., AbstractContextManager[Session]]
_ATTEMPTS = 5


class ConcurrentRunError(RegistryError):
    """Another live process is running the same data product in the same environment."""


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    dp_id: str
    environment: str
    seq: int
    status: RunStatus
    mode: str
    dp_version: str | None
    actor: str
    owner: str | None
    heartbeat_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    overwrites: str | None
    #: Input port → what was read: ``{"kind", "version" | "watermark" {column, from, to}, "rows", …}``.
    inputs: dict[str, Any]
    #: Output port → what was written: ``{"version", "rows", "mode", "committed" …}``.
    outputs: dict[str, Any]
    #: Output port → the contract check report.
    checks: dict[str, Any]
    #: The OpenLineage run event.
    lineage: dict[str, Any]
    error: str | None

    @property
    def row_counts(self) -> dict[str, int]:
        return {port: int(o.get("rows") or 0) for port, o in self.outputs.items()}

    def interrupted(self, stale_after: float = 600.0) -> str | None:
        """Why a RUNNING run is no longer running (its process is gone, or silent too long), else None."""
        if self.status is not RunStatus.RUNNING or self.owner is None:
            return None
        return stale_reason(self.owner, self.heartbeat_at or self.started_at, stale_after, utcnow())

    def to_dict(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "dataProduct": self.dp_id,
            "environment": self.environment,
            "seq": self.seq,
            "status": self.status.value,
            "interrupted": self.interrupted(),
            "mode": self.mode,
            "dpVersion": self.dp_version,
            "actor": self.actor,
            "startedAt": self.started_at.isoformat(),
            "finishedAt": self.finished_at.isoformat() if self.finished_at else None,
            "durationMs": self.duration_ms,
            "overwrites": self.overwrites,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "rowCounts": self.row_counts,
            "checks": self.checks,
            "lineage": self.lineage,
            "error": self.error,
        }


def _record(row: RunRow) -> RunRecord:
    return RunRecord(
        run_id=row.run_id,
        dp_id=row.dp_id,
        environment=row.environment,
        seq=row.seq,
        status=RunStatus(row.status),
        mode=row.mode,
        dp_version=row.dp_version,
        actor=row.actor,
        owner=row.owner,
        heartbeat_at=row.heartbeat_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_ms=row.duration_ms,
        overwrites=row.overwrites,
        inputs=dict(row.inputs or {}),
        outputs=dict(row.outputs or {}),
        checks=dict(row.checks or {}),
        lineage=dict(row.lineage or {}),
        error=row.error,
    )


def new_run_id() -> str:
    """A UUID version 7: unique, and sorting by it sorts by start time (what OpenLineage's runId wants)."""
    millis = int(utcnow().timestamp() * 1000)
    raw = millis.to_bytes(6, "big") + uuid.uuid4().bytes[6:]
    value = int.from_bytes(raw, "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


class RunRecords:
    """The run records of one registry; get it as ``registry.runs``."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    # -- reading -------------------------------------------------------------------------------------
    def get(self, run_id: str, dp_id: str | None = None) -> RunRecord:
        """A run by id, or by a unique prefix of its id (of ``dp_id`` when given)."""
        query = select(RunRow).where(RunRow.run_id.startswith(run_id, autoescape=True)).limit(2)
        if dp_id is not None:
            query = query.where(RunRow.dp_id == dp_id)
        with self._tx() as s:
            rows = list(s.scalars(query))
        if not rows:
            where = f" of {dp_id}" if dp_id else ""
            raise RegistryNotFoundError(f"no run `{run_id}`{where}", hint="see `meshplane runs DP` for run ids")
        if len(rows) > 1:
            raise RegistryError(f"`{run_id}` names several runs", hint="give more characters of the run id")
        return _record(rows[0])

    def recent(self, dp_id: str, environment: str, *, limit: int = 50) -> list[RunRecord]:
        """Runs of ``dp_id`` in ``environment``, newest first."""
        query = (
            select(RunRow)
            .where(RunRow.dp_id == dp_id, RunRow.environment == environment)
            .order_by(RunRow.seq.desc())
            .limit(max(limit, 0))
        )
        with self._tx() as s:
            return [_record(r) for r in s.scalars(query)]

    def latest(self, dp_id: str, environment: str, *, status: RunStatus | None = None) -> RunRecord | None:
        query = select(RunRow).where(RunRow.dp_id == dp_id, RunRow.environment == environment)
        if status is not None:
            query = query.where(RunRow.status == status.value)
        with self._tx() as s:
            row = s.scalar(query.order_by(RunRow.seq.desc()).limit(1))
            return _record(row) if row else None

    # -- writing -------------------------------------------------------------------------------------
    def start(
        self,
        dp_id: str,
        environment: str,
        *,
        actor: str,
        owner: str,
        mode: str = "run",
        dp_version: str | None = None,
        inputs: dict[str, Any] | None = None,
        overwrites: str | None = None,
        stale_after: float = 600.0,
    ) -> RunRecord:
        """Record a new RUNNING run with the next sequence number; ConcurrentRunError while another live
        process runs ``dp_id`` in ``environment`` (runs whose process is gone do not count)."""
        canonical_json(inputs or {}, "run inputs")
        for attempt in range(_ATTEMPTS):
            try:
                with self._tx(write=True) as s:
                    self._refuse_live(s, dp_id, environment, stale_after)
                    last = s.scalar(
                        select(func.max(RunRow.seq)).where(RunRow.dp_id == dp_id, RunRow.environment == environment)
                    )
                    now = utcnow()
                    row = RunRow(
                        run_id=new_run_id(),
                        dp_id=dp_id,
                        environment=environment,
                        seq=(last or 0) + 1,
                        status=RunStatus.RUNNING.value,
                        mode=mode,
                        dp_version=dp_version,
                        actor=actor,
                        owner=owner,
                        heartbeat_at=now,
                        started_at=now,
                        overwrites=overwrites,
                        inputs=dict(inputs or {}),
                        outputs={},
                        checks={},
                        lineage={},
                    )
                    s.add(row)
                    s.flush()
                    return _record(row)
            except IntegrityError:  # a concurrent start took the same number (PostgreSQL); take the next one
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _refuse_live(s: Session, dp_id: str, environment: str, stale_after: float) -> None:
        running = s.scalars(
            select(RunRow).where(
                RunRow.dp_id == dp_id, RunRow.environment == environment, RunRow.status == RunStatus.RUNNING.value
            )
        )
        for row in running:
            record = _record(row)
            if record.interrupted(stale_after) is None:
                raise ConcurrentRunError(
                    f"{dp_id} is already running in {environment} (run {row.run_id}, by {row.owner})",
                    hint="wait for that run to finish; a run whose process is gone no longer counts",
                )

    def take_over(self, run_id: str, owner: str) -> RunRecord:
        """Make ``owner`` the process of an interrupted or failed run, to complete it (``--recover``)."""
        with self._tx(write=True) as s:
            row = self._row(s, run_id)
            row.owner, row.heartbeat_at = owner, utcnow()
            row.status, row.error, row.finished_at, row.duration_ms = RunStatus.RUNNING.value, None, None, None
            return _record(row)

    def update(
        self, run_id: str, *, inputs: dict[str, Any] | None = None, outputs: dict[str, Any] | None = None
    ) -> None:
        """Store what a running run has pinned or committed so far (and show it is alive)."""
        with self._tx(write=True) as s:
            row = self._row(s, run_id)
            if inputs is not None:
                canonical_json(inputs, "run inputs")
                row.inputs = dict(inputs)
            if outputs is not None:
                canonical_json(outputs, "run outputs")
                row.outputs = dict(outputs)
            row.heartbeat_at = utcnow()

    def finish(
        self,
        run_id: str,
        status: str,
        *,
        outputs: dict[str, Any] | None = None,
        checks: dict[str, Any] | None = None,
        lineage: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> RunRecord:
        state = status_of(RunStatus, status, "run")
        if state is RunStatus.RUNNING:
            raise RegistryError("a run finishes SUCCEEDED, FAILED or BLOCKED", hint="pass one of those")
        for value, what in ((outputs, "run outputs"), (checks, "run checks"), (lineage, "run lineage")):
            canonical_json(value or {}, what)
        with self._tx(write=True) as s:
            row = self._row(s, run_id)
            now = utcnow()
            row.status, row.finished_at, row.owner = state.value, now, None
            row.duration_ms = int((now - row.started_at).total_seconds() * 1000)
            if outputs is not None:
                row.outputs = dict(outputs)
            if checks is not None:
                row.checks = dict(checks)
            if lineage is not None:
                row.lineage = dict(lineage)
            row.error = error
            return _record(row)

    @staticmethod
    def _row(s: Session, run_id: str) -> RunRow:
        row = s.scalar(select(RunRow).where(RunRow.run_id == run_id).with_for_update())
        if row is None:
            raise RegistryNotFoundError(f"no run {run_id} in the registry", hint="use the id `start` returned")
        return row
