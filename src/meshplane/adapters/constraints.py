"""The part of a data contract that storage can enforce cheaply, as CHECK constraints.

Only expectations that must hold for every row qualify: severity ``error`` with no tolerated failures
(``threshold: 0``). Those are ``range``, ``acceptedValues`` and ``notNull`` (on a column not already
``required``), plus ``validFrom <= validTo`` for bi-temporal ports. Patterns, freshness, row counts and
custom SQL need the runtime's checks: regular-expression dialects differ between engines, and the others
are about the table, not a row.

A check is dialect-neutral data; each adapter renders it. Its name ends in a hash of its meaning, so an
adapter finds the constraints it owns (the ``mp_`` prefix) and tells changed ones from unchanged ones by
name alone — Delta rewrites the expression text it stores, so comparing text would not work.

Two behaviours of delta-rs 1.x shape the Delta rendering (both measured): a row where the expression is
NULL is rejected, so nullable columns get ``col IS NULL OR (…)``; and decimal literals are stored by their
unscaled value (``amount <= 100`` on DECIMAL(12,2) comes back as ``<= '10000'``), so decimal columns are
compared as DOUBLE.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from meshplane.spec.model import (
    AcceptedValues,
    Column,
    DataContract,
    LogicalType,
    NotNull,
    Range,
    Severity,
)

PREFIX = "mp_"
_NUMERIC = frozenset({LogicalType.INTEGER, LogicalType.NUMBER, LogicalType.DECIMAL})


@dataclass(frozen=True)
class Check:
    """One row-level rule on a column. ``lower``/``upper`` are ``(operator, value)``."""

    kind: str  # "range" | "accepted" | "notnull" | "bitemporal"
    column: str
    logical: LogicalType
    lower: tuple[str, Any] | None = None
    upper: tuple[str, Any] | None = None
    values: tuple[Any, ...] = ()
    #: For ``bitemporal``: the valid-to column compared with ``column`` (valid-from).
    other: str | None = None

    @property
    def digest(self) -> str:
        key = [self.kind, self.column, self.logical.value, self.lower, self.upper, list(self.values), self.other]
        return hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:8]

    def name(self, max_length: int = 63) -> str:
        """``mp_range_amount_1a2b3c4d``: readable, stable, unique per meaning, at most ``max_length`` long."""
        column = re.sub(r"[^A-Za-z0-9_]", "_", self.column).lower()
        head = f"{PREFIX}{self.kind}_{column}"
        return f"{head[: max_length - 9]}_{self.digest}"


def _number(value: Any) -> float | int | Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the model reads `min: 0` as 0.0; render and hash it as the 0 that was written
    if isinstance(value, int | float):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _enforced(exp: Any) -> bool:
    return bool(exp.severity is Severity.ERROR and exp.threshold == 0)


def compile_checks(contract: DataContract) -> list[Check]:
    """The contract's row-level rules storage can enforce; the rest is left to the runtime's checks.

    Expectations on unknown columns, and range bounds that are not numbers on a numeric column, are
    skipped: the descriptor checks report them with their location.
    """
    checks: list[Check] = []
    for exp in contract.quality:
        if not isinstance(exp, Range | AcceptedValues | NotNull) or not _enforced(exp):
            continue
        column = contract.column(exp.column)
        if column is None:
            continue
        if isinstance(exp, Range):
            bounds = _bounds(exp, column)
            if bounds is not None:
                checks.append(Check("range", column.name, column.type, *bounds))
        elif isinstance(exp, AcceptedValues):
            checks.append(Check("accepted", column.name, column.type, values=tuple(exp.values)))
        elif not column.required:
            checks.append(Check("notnull", column.name, column.type))
    temporal = contract.bitemporal
    if temporal is not None:
        start, end = contract.column(temporal.valid_from), contract.column(temporal.valid_to)
        if start is not None and end is not None:
            checks.append(Check("bitemporal", start.name, start.type, other=end.name))
    return checks


def _bounds(exp: Range, column: Column) -> tuple[tuple[str, Any] | None, tuple[str, Any] | None] | None:
    def bound(value: float | str | None, op: str) -> tuple[str, Any] | None:
        if value is None:
            return None
        if column.type in _NUMERIC:
            number = _number(value)
            if number is None:
                raise _Skip
            return op, number
        return op, str(value)

    try:
        lower = bound(exp.min, ">" if exp.exclusive_min else ">=")
        upper = bound(exp.max, "<" if exp.exclusive_max else "<=")
    except _Skip:
        return None
    return lower, upper


class _Skip(Exception):
    pass


def bound_problems(contract: DataContract) -> list[str]:
    """Range bounds on numeric columns that are not numbers: a validation error, not a silent skip."""
    problems = []
    for exp in contract.quality:
        column = contract.column(exp.column) if isinstance(exp, Range) else None
        if isinstance(exp, Range) and column is not None and column.type in _NUMERIC:
            for value in (exp.min, exp.max):
                if value is not None and _number(value) is None:
                    problems.append(f"range on numeric column `{column.name}` has a bound `{value}` that is no number")
    return problems


# -- Delta (DataFusion SQL) -------------------------------------------------------------------------------


def delta_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def delta_literal(value: Any, logical: LogicalType) -> str:
    if value is None:
        return "NULL"
    if logical is LogicalType.BOOLEAN:
        return "TRUE" if str(value).strip().lower() in ("true", "1", "yes") else "FALSE"
    if logical in _NUMERIC:
        number = _number(value)
        if number is not None:
            return format(Decimal(str(number)), "f")
    return "'" + str(value).replace("'", "''") + "'"


def render_delta(check: Check) -> str:
    """The check as a Delta constraint expression (NULL passes, as in SQL CHECK constraints)."""
    col = delta_identifier(check.column)
    value = f"CAST({col} AS DOUBLE)" if check.logical is LogicalType.DECIMAL else col
    if check.kind == "notnull":
        return f"{col} IS NOT NULL"
    if check.kind == "bitemporal":
        assert check.other is not None
        other = delta_identifier(check.other)
        return f"{col} IS NULL OR {other} IS NULL OR ({col} <= {other})"
    if check.kind == "accepted":
        allowed = [v for v in check.values if v is not None]
        literals = ", ".join(delta_literal(v, check.logical) for v in allowed)
        return f"{col} IS NULL OR ({value} IN ({literals}))" if allowed else f"{col} IS NULL"
    bounds = [b for b in (check.lower, check.upper) if b is not None]
    parts = [f"{value} {op} {delta_literal(v, check.logical)}" for op, v in bounds]
    return f"{col} IS NULL OR ({' AND '.join(parts)})"
