"""The registry table of pipeline runs (one row per run of a data product's workloads in one environment).

Kept beside ``models.py`` (which imports this module, so the runs table is part of ``Base.metadata`` for
Alembic and the schema test); the migration ``…_run_records`` creates exactly this table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meshplane.registry.models import Base


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    BLOCKED = "BLOCKED"


RUN_STATUS_CHECK = f"status IN ({', '.join(repr(s.value) for s in RunStatus)})"


class RunRow(Base):
    """One run: its sequence number per data product and environment, what it read, wrote and checked."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("run_id"),
        UniqueConstraint("dp_id", "environment", "seq"),
        Index("ix_runs_dp_id_environment", "dp_id", "environment"),
        CheckConstraint(RUN_STATUS_CHECK, name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36))
    dp_id: Mapped[str] = mapped_column(String(400))
    environment: Mapped[str] = mapped_column(String(100))
    #: 1, 2, 3 … per data product and environment: the version of the runs' Delta app transactions.
    seq: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    #: ``run``, ``overwrite`` or ``backfill`` (a run over pinned input versions).
    mode: Mapped[str] = mapped_column(String(16))
    dp_version: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    #: ``[actor@]host:pid:token`` of the process running it; tells a live run from an interrupted one.
    owner: Mapped[str | None] = mapped_column(String(400))
    heartbeat_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None]
    #: The run whose outputs this one replaced (``--overwrite``).
    overwrites: Mapped[str | None] = mapped_column(String(36))
    inputs: Mapped[dict[str, Any]]
    outputs: Mapped[dict[str, Any]]
    checks: Mapped[dict[str, Any]]
    lineage: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
