"""The marketplace's reads of the registry that the record groups do not offer: whole-mesh scans in one query
each (every deployment, the latest run of every product, first deployments), and the change fingerprint.

A read model needs these in bulk: asking ``registry.runs.latest`` for 10,000 products one by one would cost
10,000 round trips. Everything here is read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meshplane.registry import Registry, RunStatus
from meshplane.registry.engine import translated
from meshplane.registry.market_models import ReviewRow
from meshplane.registry.models import DeploymentRow, DescriptorVersionRow, PlanRow
from meshplane.registry.records import DeploymentStatus
from meshplane.registry.run_models import RunRow


@dataclass(frozen=True)
class Fingerprint:
    """Aggregates that change whenever what they cover changes: ``catalog`` (deployments) decides when the
    search index is rebuilt, ``live`` (runs, reviews) when quality and ratings are re-read. Questions and
    answers are not cached anywhere, so they are not part of it."""

    catalog: tuple[Any, ...]
    live: tuple[Any, ...]


@dataclass(frozen=True)
class DeployedRow:
    dp_id: str
    version: str | None
    descriptor: dict[str, Any]
    status: str
    deprecated_on: date | None
    retire_on: date | None
    updated_at: datetime


@dataclass(frozen=True)
class LatestRun:
    run_id: str
    seq: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    outputs: dict[str, Any]


def _session(registry: Registry) -> Session:
    return Session(registry.engine)


def fingerprint(registry: Registry, environment: str) -> Fingerprint:
    """One round trip of scalar sub-queries (about a millisecond at 10,000 products on SQLite)."""
    dep = DeploymentRow
    in_env = dep.environment == environment
    runs_env = RunRow.environment == environment
    query = select(
        select(func.count()).select_from(dep).where(in_env).scalar_subquery(),
        select(func.max(dep.updated_at)).where(in_env).scalar_subquery(),
        select(func.sum(dep.revision)).where(in_env).scalar_subquery(),
        select(func.count()).select_from(RunRow).where(runs_env).scalar_subquery(),
        select(func.count(RunRow.finished_at)).where(runs_env).scalar_subquery(),
        select(func.max(RunRow.finished_at)).where(runs_env).scalar_subquery(),
        select(func.count()).select_from(ReviewRow).scalar_subquery(),
        select(func.max(ReviewRow.updated_at)).scalar_subquery(),
    )
    with translated(registry.url), _session(registry) as s:
        row = s.execute(query).one()
    values = tuple(str(v) if isinstance(v, datetime) else v for v in row)
    return Fingerprint(values[:3], values[3:])


def deployed(registry: Registry, environment: str) -> list[DeployedRow]:
    """Every deployment in ``environment`` that has a descriptor (never-deployed lock rows have none)."""
    dep = DeploymentRow
    query = (
        select(dep.dp_id, dep.version, dep.descriptor, dep.status, dep.deprecated_on, dep.retire_on, dep.updated_at)
        .where(dep.environment == environment, dep.status != DeploymentStatus.NOT_DEPLOYED.value)
        .order_by(dep.dp_id)
    )
    with translated(registry.url), _session(registry) as s:
        return [DeployedRow(*row) for row in s.execute(query) if row[2]]


def latest_runs(registry: Registry, environment: str) -> dict[str, LatestRun]:
    """The latest finished run of every product in ``environment`` (a run still going says nothing yet)."""
    finished = (
        select(RunRow.dp_id, func.max(RunRow.seq).label("seq"))
        .where(RunRow.environment == environment, RunRow.status != RunStatus.RUNNING.value)
        .group_by(RunRow.dp_id)
        .subquery()
    )
    query = select(
        RunRow.dp_id,
        RunRow.run_id,
        RunRow.seq,
        RunRow.status,
        RunRow.started_at,
        RunRow.finished_at,
        RunRow.duration_ms,
        RunRow.outputs,
    ).join(finished, (RunRow.dp_id == finished.c.dp_id) & (RunRow.seq == finished.c.seq))
    query = query.where(RunRow.environment == environment)
    with translated(registry.url), _session(registry) as s:
        return {
            dp: LatestRun(run_id, seq, status, started, finished, duration, dict(outputs or {}))
            for dp, run_id, seq, status, started, finished, duration, outputs in s.execute(query)
        }


def last_successes(registry: Registry, environment: str) -> dict[str, datetime]:
    """When each product's latest successful run finished: how fresh its output ports are."""
    query = (
        select(RunRow.dp_id, func.max(RunRow.finished_at))
        .where(RunRow.environment == environment, RunRow.status == RunStatus.SUCCEEDED.value)
        .group_by(RunRow.dp_id)
    )
    with translated(registry.url), _session(registry) as s:
        return {dp: at for dp, at in s.execute(query) if at is not None}


def first_deploys(registry: Registry, environment: str) -> dict[str, datetime]:
    """When each product was first recorded as DEPLOYED in ``environment``."""
    v, d = DescriptorVersionRow, DeploymentRow
    query = (
        select(d.dp_id, func.min(v.deployed_at))
        .join(d, v.deployment_id == d.id)
        .where(d.environment == environment, v.status == DeploymentStatus.DEPLOYED.value)
        .group_by(d.dp_id)
    )
    with translated(registry.url), _session(registry) as s:
        return {str(dp): at for dp, at in s.execute(query)}


def first_plans(registry: Registry, environment: str) -> dict[str, datetime]:
    """When a deployment of each product was first planned: the registry's idea of when work on it began."""
    query = select(PlanRow.dp_id, func.min(PlanRow.created_at)).where(PlanRow.environment == environment)
    with translated(registry.url), _session(registry) as s:
        return {str(dp): at for dp, at in s.execute(query.group_by(PlanRow.dp_id))}


def descriptors(registry: Registry, environment: str, ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The deployed descriptors of ``ids`` (of every product when None), in one query."""
    dep = DeploymentRow
    query = select(dep.dp_id, dep.descriptor).where(
        dep.environment == environment, dep.status != DeploymentStatus.NOT_DEPLOYED.value
    )
    if ids is not None:
        query = query.where(dep.dp_id.in_(sorted(set(ids))))
    with translated(registry.url), _session(registry) as s:
        return {dp: dict(d) for dp, d in s.execute(query.order_by(dep.dp_id)) if d}


def latest_lineage(registry: Registry, environment: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The OpenLineage event of each product's latest finished run (what the lineage graph is enriched with)."""
    wanted = sorted(set(ids))
    finished = (
        select(RunRow.dp_id, func.max(RunRow.seq).label("seq"))
        .where(
            RunRow.environment == environment,
            RunRow.status != RunStatus.RUNNING.value,
            RunRow.dp_id.in_(wanted),
        )
        .group_by(RunRow.dp_id)
        .subquery()
    )
    query = (
        select(RunRow.lineage)
        .join(finished, (RunRow.dp_id == finished.c.dp_id) & (RunRow.seq == finished.c.seq))
        .where(RunRow.environment == environment)
    )
    with translated(registry.url), _session(registry) as s:
        return [dict(event) for (event,) in s.execute(query) if event]
