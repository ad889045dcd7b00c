"""What changes between deployments: each product's latest run (hence its quality and freshness) and its
rating. Re-read in three queries whenever runs or reviews change, without rebuilding the search index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from meshplane.marketplace import store
from meshplane.marketplace.catalog import Catalog, Entry
from meshplane.marketplace.views import Freshness, ProductSummary, QualityStatus, Rating, RunBrief
from meshplane.registry import Registry, RunStatus
from meshplane.registry.reviews import RatingSummary
from meshplane.spec.model import Mesh


@dataclass
class Live:
    runs: dict[str, store.LatestRun]
    successes: dict[str, datetime]
    ratings: dict[str, RatingSummary]

    @classmethod
    def read(cls, registry: Registry, environment: str) -> Live:
        return cls(
            store.latest_runs(registry, environment),
            store.last_successes(registry, environment),
            registry.reviews.summaries(),
        )

    def quality(self, dp_id: str) -> QualityStatus:
        return quality_of(self.runs.get(dp_id))

    def quality_column(self, catalog: Catalog) -> list[str]:
        """Quality per product in index order: the search index's one facet that moves with every run."""
        return [self.quality(e.id) for e in catalog.entries]


def quality_of(run: store.LatestRun | None) -> QualityStatus:
    """From the latest finished run: blocked by a contract check or failed → failing; committed with warnings
    → warning; committed cleanly → passing; never run → unknown."""
    if run is None:
        return "unknown"
    if run.status in (RunStatus.BLOCKED.value, RunStatus.FAILED.value):
        return "failing"
    warned = any(isinstance(o, Mapping) and (o.get("warnings") or 0) > 0 for o in run.outputs.values())
    return "warning" if warned else "passing"


def freshness(expected: float | None, last_success: datetime | None, now: datetime) -> Freshness:
    if last_success is None:
        return Freshness(status="unknown", expected_within_seconds=expected, message="no successful run yet")
    age = max((now - last_success).total_seconds(), 0.0)
    if expected is None:
        return Freshness(
            status="unknown",
            last_success_at=last_success,
            age_seconds=age,
            message="no SLA declares how fresh the data should be",
        )
    late = age > expected
    return Freshness(
        status="late" if late else "on-time",
        last_success_at=last_success,
        age_seconds=age,
        expected_within_seconds=expected,
        message=f"data is {_human(age)} old; the SLA allows {_human(expected)}",
    )


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}".replace(".0 ", " ")
    return f"{seconds:.0f} s"


def brief(run: store.LatestRun | None) -> RunBrief | None:
    if run is None:
        return None
    return RunBrief(
        run_id=run.run_id,
        seq=run.seq,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_ms=run.duration_ms,
    )


def summary(e: Entry, live: Live, mesh: Mesh, now: datetime) -> ProductSummary:
    rated = live.ratings.get(e.id)
    owner = next((u for u in mesh.users if u.id == e.owner), None)
    return ProductSummary(
        id=e.id,
        name=e.name,
        domain=e.domain,
        kind=e.kind,
        version=e.version,
        description=e.description,
        owner=e.owner,
        owner_name=owner.name if owner else None,
        status=e.status,
        maturity=e.maturity,
        tags=list(e.tags),
        polysemes=list(e.polysemes),
        output_ports=list(e.output_ports),
        deployment_status=e.deployment_status,
        updated_at=e.updated_at,
        rating=Rating(average=rated.average, count=rated.count) if rated else Rating(),
        quality=live.quality(e.id),
        last_run=brief(live.runs.get(e.id)),
        freshness=freshness(e.expected_seconds, live.successes.get(e.id), now),
    )
