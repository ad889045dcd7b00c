"""SQL that returns rows rather than counts: samples of duplicated keys, and the quarantine query.

Quarantine selects every row a blocking check fails, with the ids of those checks, so the runtime can set
bad rows aside and let the rest through. Duplicated keys need a window (how many rows share the key) — the
one place the row-level SQL cannot be a plain filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from meshplane.contracts.model import KEYED, ROW_LEVEL, Check, CheckPlan, Kind
from meshplane.contracts.sqltext import quote_string
from meshplane.spec.model import Severity

#: The reasons column quarantined rows carry.
REASONS = "_meshplane_reasons"


def keyed_sample_sql(check: Check, sqls: Sequence[str], relation: str) -> str:
    """The duplicated (or NULL, for a primary key) keys of a keyed check, most repeated first."""
    keys = ", ".join(sqls)
    if check.kind is Kind.UNIQUE:
        where = " AND ".join(f"{s} IS NOT NULL" for s in sqls)
        return (
            f'SELECT {keys}, count(*) AS "_meshplane_count" FROM {relation} WHERE {where} GROUP BY {keys} '
            f"HAVING count(*) > 1 ORDER BY count(*) DESC, {keys}"
        )
    nulls = " OR ".join(f"{s} IS NULL" for s in sqls)
    return (
        f'SELECT {keys}, count(*) AS "_meshplane_count" FROM {relation} GROUP BY {keys} '
        f"HAVING count(*) > 1 OR {nulls} ORDER BY count(*) DESC, {keys}"
    )


def quarantine_sql(
    plan: CheckPlan, lean: Mapping[str, str], keys: Mapping[str, tuple[str, ...]], blocking_only: bool
) -> str:
    """Every column of the failing rows plus the list of check ids each fails (see
    :meth:`CheckPlan.quarantine_sql`). ``lean`` is each row-level check's counting condition (NULL for a
    row that passes), ``keys`` each keyed check's key columns as SQL."""
    reasons: list[tuple[str, str]] = []
    windows: dict[tuple[str, ...], str] = {}
    for check in plan.checks:
        if check.id in plan.skipped or (blocking_only and check.severity is not Severity.ERROR):
            continue
        if check.kind in ROW_LEVEL and check.id in lean:
            reasons.append((check.id, lean[check.id]))
        elif check.kind in KEYED and check.id in keys:
            sqls = keys[check.id]
            alias = windows.setdefault(sqls, f"_meshplane_n{len(windows)}")
            if check.kind is Kind.UNIQUE:
                cond = " AND ".join([*(f"{s} IS NOT NULL" for s in sqls), f"{alias} > 1"])
            else:
                cond = " OR ".join([*(f"{s} IS NULL" for s in sqls), f"{alias} > 1"])
            reasons.append((check.id, f"({cond})"))
    if not reasons:
        return f"SELECT *, CAST([] AS VARCHAR[]) AS {REASONS} FROM {plan.relation} WHERE FALSE"
    items = ", ".join(f"CASE WHEN {cond} THEN {quote_string(cid)} END" for cid, cond in reasons)
    listed = f"list_filter([{items}], lambda r: r IS NOT NULL) AS {REASONS}"
    where = " OR ".join(f"coalesce({cond}, FALSE)" for _, cond in reasons)
    if not windows:
        return f"SELECT *, {listed} FROM {plan.relation} WHERE {where}"
    counts = ", ".join(f"count(*) OVER (PARTITION BY {', '.join(k)}) AS {a}" for k, a in windows.items())
    hidden = ", ".join(windows.values())
    return (
        f"SELECT * EXCLUDE ({hidden}), {listed} FROM (SELECT *, {counts} FROM {plan.relation}) "
        f"AS _meshplane_windows WHERE {where}"
    )
