"""The outcome of testing data against a contract: every check's result, and whether it blocks."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from meshplane.contracts import CheckPlan, CheckResult, Status


@dataclass
class ContractReport:
    """``blocking`` is what a pipeline gate or CI looks at: an error-severity check failed."""

    contract: str
    source: str
    engine: str
    total: int | None
    results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    schema: str | None = None
    #: The plan that ran (DuckDB runs), e.g. for :func:`meshplane.quality.quarantine` without recompiling.
    plan: CheckPlan | None = field(default=None, repr=False)

    @property
    def blocking(self) -> bool:
        return any(r.status is Status.FAIL for r in self.results)

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for r in self.results if r.status is s) for s in Status}

    def result(self, check_id: str) -> CheckResult:
        found = next((r for r in self.results if r.check.id == check_id), None)
        if found is None:
            raise KeyError(check_id)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "schema": self.schema,
            "source": self.source,
            "engine": self.engine,
            "ok": not self.blocking,
            "blocking": self.blocking,
            "rows": self.total,
            "seconds": round(self.seconds, 3),
            "counts": self.counts,
            "checks": [{**r.to_dict(), "samples": [jsonable(s) for s in r.samples]} for r in self.results],
        }


def jsonable(value: Any) -> Any:
    """Sample values as JSON has them: timestamps in ISO 8601, decimals as strings (no precision lost)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value
