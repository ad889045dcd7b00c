"""Turn measured numbers into check results: status from severity and tolerance, and a message a person
can act on ("17 of 1,000,000 rows (0.0017%) are NULL in `customer_id`; none allowed").

Status rules: a row-level or keyed check passes when no row fails, or when the failing share is within its
``threshold`` (percent of rows); otherwise it fails (severity ``error``) or warns (``warning``). Aggregate
checks compare their measured value with their bounds; a value that could not be measured fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from meshplane.contracts.compiler import range_text
from meshplane.contracts.model import KEYED, ROW_LEVEL, Check, CheckPlan, CheckResult, Kind, Status
from meshplane.spec.model import Severity


def evaluate(
    plan: CheckPlan,
    counts: Mapping[str, int],
    total: int,
    extra: Mapping[str, float | None],
    *,
    errors: Mapping[str, str] | None = None,
) -> list[CheckResult]:
    """Results for every check of ``plan``, in plan order. ``counts`` are failing rows by check id, ``extra``
    measured values (freshness age in seconds, custom query results); ``errors`` are queries that failed."""
    errors = errors or {}
    decided = {r.check.id: r for r in plan.schema_results}
    results: list[CheckResult] = []
    for check in plan.checks:
        if check.id in decided:
            results.append(decided[check.id])
        elif check.id in plan.skipped:
            results.append(CheckResult(check, Status.SKIP, None, total, None, f"not run: {plan.skipped[check.id]}"))
        elif check.id in errors:
            results.append(CheckResult(check, _bad(check), None, total, None, f"the query failed: {errors[check.id]}"))
        elif check.kind in ROW_LEVEL or check.kind in KEYED:
            results.append(row_result(check, int(counts.get(check.id, 0)), total))
        elif check.kind is Kind.ROW_COUNT:
            results.append(_row_count(check, total))
        elif check.kind is Kind.FRESHNESS:
            results.append(_freshness(check, extra.get(check.id), total))
        else:
            value = extra.get(check.id)
            results.append(_custom(check, value, total))
    return results


def _bad(check: Check) -> Status:
    return Status.FAIL if check.severity is Severity.ERROR else Status.WARN


def percent_text(value: float) -> str:
    """A percentage with four significant digits and no exponent.

    >>> percent_text(0.0017), percent_text(12.3456), percent_text(0.00001), percent_text(100.0)
    ('0.0017', '12.35', '0.00001', '100')
    """
    text = format(Decimal(f"{value:.4g}"), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _phrase(check: Check) -> tuple[str, str]:
    """What a failing row is, as (plural verb phrase, singular verb phrase)."""
    col = ", ".join(f"`{c}`" for c in check.columns)
    p = check.params
    if check.kind in (Kind.REQUIRED, Kind.NOT_NULL):
        return f"are NULL in {col}", f"is NULL in {col}"
    if check.kind is Kind.TYPE:
        return f"have {col} values that are not {p.get('logical')}", f"has a {col} value that is not {p.get('logical')}"
    if check.kind is Kind.ACCEPTED_VALUES:
        values = [v for v in p.get("values", []) if v is not None]
        shown = ", ".join(str(v) for v in values[:8]) + (", …" if len(values) > 8 else "")
        return f"have {col} outside the accepted values ({shown})", f"has {col} outside the accepted values ({shown})"
    if check.kind is Kind.RANGE:
        bounds = range_text(dict(p))
        return f"have {col} out of range (must be {bounds})", f"has {col} out of range (must be {bounds})"
    if check.kind is Kind.PATTERN:
        return f"have {col} not matching `{p.get('pattern')}`", f"has {col} not matching `{p.get('pattern')}`"
    if check.kind is Kind.UNIQUE:
        return f"repeat the {col} of an earlier row", f"repeats the {col} of an earlier row"
    return f"have a NULL or repeated primary key {col}", f"has a NULL or repeated primary key {col}"


def row_result(check: Check, failed: int, total: int) -> CheckResult:
    """The result of a row-level or keyed check that found ``failed`` of ``total`` rows failing."""
    percent = failed * 100.0 / total if total else 0.0
    many, one = _phrase(check)
    allowed = "none allowed" if check.threshold == 0 else f"at most {percent_text(check.threshold)}% allowed"
    if failed == 0:
        return CheckResult(check, Status.PASS, 0, total, 0.0, f"none of {_rows(total)} {many}")
    share = f"{failed:,} of {_rows(total)} ({percent_text(percent)}%) {one if failed == 1 else many}"
    if check.threshold > 0 and percent <= check.threshold:
        return CheckResult(
            check, Status.PASS, failed, total, percent, f"{share}; within the {percent_text(check.threshold)}% allowed"
        )
    return CheckResult(check, _bad(check), failed, total, percent, f"{share}; {allowed}")


def _row_count(check: Check, total: int) -> CheckResult:
    low, high = check.params.get("min"), check.params.get("max")
    ok = (low is None or total >= low) and (high is None or total <= high)
    wanted = " and ".join(
        p
        for p in (f"at least {low:,}" if low is not None else "", f"at most {high:,}" if high is not None else "")
        if p
    )
    message = f"{_rows(total)}; must be {wanted}"
    return CheckResult(check, Status.PASS if ok else _bad(check), None, total, None, message, value=float(total))


def duration_text(seconds: float) -> str:
    """An age in the two largest units.

    >>> duration_text(93784), duration_text(42.5), duration_text(-3600)
    ('1 day 2 hours', '42 seconds', '1 hour in the future')
    """
    ahead = seconds < 0
    left = int(abs(seconds))
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, left = divmod(left, size)
        if n:
            parts.append(f"{n} {unit}{'' if n == 1 else 's'}")
    text = " ".join(parts[:2]) or "0 seconds"
    return f"{text} in the future" if ahead else text


def _freshness(check: Check, age: float | None, total: int) -> CheckResult:
    col = f"`{check.columns[0]}`"
    limit = float(check.params["max_seconds"])
    if age is None:
        message = f"{col} has no values, so the data's age is unknown; at most {check.params['max_age']} allowed"
        return CheckResult(check, _bad(check), None, total, None, message)
    when = duration_text(age) if age < 0 else f"{duration_text(age)} old"
    message = f"the newest {col} is {when}; at most {check.params['max_age']} allowed"
    status = Status.PASS if age <= limit else _bad(check)
    return CheckResult(check, status, None, total, None, message, value=age)


_OPS: dict[str, tuple[str, Any]] = {
    "must_be": ("", lambda v, b: v == b),
    "must_be_less_than": ("<", lambda v, b: v < b),
    "must_be_less_or_equal_to": ("≤", lambda v, b: v <= b),
    "must_be_greater_than": (">", lambda v, b: v > b),
    "must_be_greater_or_equal_to": ("≥", lambda v, b: v >= b),
}


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def _custom(check: Check, value: float | None, total: int) -> CheckResult:
    bounds: dict[str, float] = dict(check.params.get("bounds", {}))
    wanted = " and ".join(f"{_OPS[k][0]} {_number(b)}".strip() for k, b in bounds.items())
    if value is None:
        return CheckResult(check, _bad(check), None, total, None, f"the query returned no number; must be {wanted}")
    ok = all(_OPS[k][1](value, b) for k, b in bounds.items())
    message = f"the query returned {_number(value)}; must be {wanted}"
    return CheckResult(check, Status.PASS if ok else _bad(check), None, total, None, message, value=value)
