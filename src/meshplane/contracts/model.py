"""What a compiled contract is made of: checks, the plan that runs them, and their results — all plain data.

Outcomes are data, not exceptions (as in datacontract-cli's ``Run``/``Check``): a failing check is a normal
result the caller renders, ranks by severity, or turns into an exit code. Nothing here runs SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from meshplane.spec.model import Severity


class Status(StrEnum):
    """``skip`` is a check that could not run (its column is missing); the schema check says why."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class Kind(StrEnum):
    SCHEMA = "schema"
    TYPE = "type"
    REQUIRED = "required"
    NOT_NULL = "notNull"
    UNIQUE = "unique"
    PRIMARY_KEY = "primaryKey"
    ACCEPTED_VALUES = "acceptedValues"
    RANGE = "range"
    PATTERN = "pattern"
    ROW_COUNT = "rowCount"
    FRESHNESS = "freshness"
    SQL = "sql"


#: Kinds decided row by row: each has a ``fail_predicate`` and its failing rows can be sampled and quarantined.
ROW_LEVEL = frozenset({Kind.TYPE, Kind.REQUIRED, Kind.NOT_NULL, Kind.ACCEPTED_VALUES, Kind.RANGE, Kind.PATTERN})
#: Kinds whose failing rows are counted per key (rows beyond the first of each key).
KEYED = frozenset({Kind.UNIQUE, Kind.PRIMARY_KEY})


@dataclass(frozen=True)
class Check:
    """One thing the data must satisfy.

    ``fail_predicate`` is a DuckDB boolean that is TRUE exactly for a failing row and never NULL (so it can
    be negated, or-ed and used in WHERE). It is ``None`` for kinds decided over the whole table.
    ``params`` holds what the kind needs for messages and reference evaluation (bounds, values, pattern …).
    """

    id: str
    name: str
    kind: Kind
    columns: tuple[str, ...]
    severity: Severity = Severity.ERROR
    threshold: float = 0.0
    description: str = ""
    fail_predicate: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "columns": list(self.columns),
            "severity": self.severity.value,
            "threshold": self.threshold,
            "description": self.description,
        }


@dataclass
class CheckResult:
    """The outcome of one check. ``failed``/``percent`` are rows for row-level and keyed kinds; ``value`` is
    what an aggregate kind measured (row count, age in seconds, the custom query's number)."""

    check: Check
    status: Status
    failed: int | None
    total: int | None
    percent: float | None
    message: str
    value: float | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.check.to_dict(),
            "status": self.status.value,
            "failed": self.failed,
            "total": self.total,
            "percent": self.percent,
            "value": self.value,
            "message": self.message,
            "samples": self.samples,
        }


@dataclass
class CheckPlan:
    """A contract compiled against one relation: the checks and the SQL that measures them.

    ``aggregate_sql`` is ONE scan returning ``_total`` and one column per check id: failing rows for
    row-level and keyed checks, a value for freshness (age in seconds) and for custom queries simple enough
    to be folded into the scan. ``extra_sql`` holds the custom queries that need their own statement.
    ``skipped`` maps checks that cannot run (missing column) to the reason; ``schema_results`` are the schema
    checks, already decided when the relation's columns were given.
    """

    relation: str
    checks: list[Check]
    aggregate_sql: str
    extra_sql: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    schema_results: list[CheckResult] = field(default_factory=list)
    #: Check id → how the aggregate reports it: ``"count"`` (failing rows) or ``"value"``.
    aggregate_columns: dict[str, str] = field(default_factory=dict)
    #: Keyed checks counted by hashed keys (an upper bound): when the aggregate reports failing rows, this
    #: query recounts them exactly. A zero needs no confirmation.
    confirm_sql: dict[str, str] = field(default_factory=dict)
    _quarantine: dict[bool, str] = field(default_factory=dict, repr=False)
    _samples: dict[str, str] = field(default_factory=dict, repr=False)

    def check(self, check_id: str) -> Check:
        found = next((c for c in self.checks if c.id == check_id), None)
        if found is None:
            raise KeyError(check_id)
        return found

    def quarantine_sql(self, blocking_only: bool = True) -> str:
        """The failing rows, every column plus ``_meshplane_reasons`` (the ids of the checks each row fails).

        Every row of a duplicated key is selected: nothing says which copy is the right one. With
        ``blocking_only`` only error-severity checks count, whatever their threshold: the threshold decides
        whether a batch passes, quarantine decides which rows may reach an output port.
        """
        return self._quarantine[blocking_only]

    def sample_sql(self, check_id: str, limit: int) -> str | None:
        """A query for up to ``limit`` failing rows of a row-level check (duplicated keys with their count for
        a keyed one); ``None`` for aggregate kinds."""
        base = self._samples.get(check_id)
        return None if base is None else f"{base} LIMIT {max(int(limit), 0)}"

    def read_aggregate(
        self, names: Sequence[str], row: Sequence[Any]
    ) -> tuple[int, dict[str, int], dict[str, float | None]]:
        """Split the aggregate's one row into (total, failing counts by check id, values by check id)."""
        got = dict(zip(names, row, strict=True))
        total = int(got.get("_total") or 0)
        counts: dict[str, int] = {}
        values: dict[str, float | None] = {}
        for check_id, role in self.aggregate_columns.items():
            raw = got.get(check_id)
            if role == "count":
                counts[check_id] = int(raw or 0)
            else:
                values[check_id] = None if raw is None else float(raw)
        return total, counts, values
