"""Property: for random small tables and random expectations, the failing-row counts of the compiled SQL are
those of a plain-Python reading of the same rules (NULL passes value rules, duplicates are rows beyond the
first among complete keys, a primary key also fails on NULL)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import duckdb
from contract_kit import contract, run, table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshplane.contracts import Kind

_INTS = st.one_of(st.none(), st.integers(min_value=-5, max_value=5))
_TEXT = st.one_of(st.none(), st.sampled_from(["a", "b", "ab", "ba", "abc", "", "c1", "A"]))
_ROWS = st.lists(st.tuples(_INTS, _TEXT, _INTS), min_size=0, max_size=25)
_PATTERNS = st.sampled_from(["^a", "b$", "^[a-c]+$", "[0-9]", "^$", "a.c"])


@st.composite
def expectations(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["notNull", "range", "acceptedValues", "pattern", "unique", "uniquePair"]))
    if kind == "notNull":
        return {"type": "notNull", "column": draw(st.sampled_from(["n", "s", "m"]))}
    if kind == "range":
        low = draw(st.one_of(st.none(), st.integers(-5, 5)))
        high = draw(st.one_of(st.none(), st.integers(-5, 5))) if low is not None else draw(st.integers(-5, 5))
        return {
            "type": "range",
            "column": draw(st.sampled_from(["n", "m"])),
            "min": low,
            "max": high,
            "exclusiveMin": draw(st.booleans()),
            "exclusiveMax": draw(st.booleans()),
        }
    if kind == "acceptedValues":
        return {"type": "acceptedValues", "column": "s", "values": draw(st.lists(_TEXT, min_size=1, max_size=4))}
    if kind == "pattern":
        return {"type": "pattern", "column": "s", "pattern": draw(_PATTERNS)}
    if kind == "unique":
        return {"type": "unique", "columns": [draw(st.sampled_from(["n", "s", "m"]))]}
    return {"type": "unique", "columns": draw(st.permutations(["n", "s"]))}


def _value(row: tuple[Any, ...], column: str) -> Any:
    return row[{"n": 0, "s": 1, "m": 2}[column]]


def _keyed_failures(rows: list[tuple[Any, ...]], columns: list[str], primary: bool) -> int:
    keys = [tuple(_value(r, c) for c in columns) for r in rows]
    complete = [k for k in keys if all(v is not None for v in k)]
    duplicates = len(complete) - len(Counter(complete))
    return duplicates + (len(keys) - len(complete) if primary else 0)


def reference(rows: list[tuple[Any, ...]], exp: dict[str, Any]) -> int:
    """How many rows fail ``exp``, read in plain Python."""
    kind = exp["type"]
    if kind == "unique":
        return _keyed_failures(rows, exp["columns"], primary=False)
    values = [_value(r, exp["column"]) for r in rows]
    if kind == "notNull":
        return sum(v is None for v in values)
    present = [v for v in values if v is not None]
    if kind == "acceptedValues":
        return sum(v not in exp["values"] for v in present)
    if kind == "pattern":
        return sum(re.search(exp["pattern"], v) is None for v in present)
    low, high = exp.get("min"), exp.get("max")

    def bad(v: int) -> bool:
        below = low is not None and (v <= low if exp["exclusiveMin"] else v < low)
        above = high is not None and (v >= high if exp["exclusiveMax"] else v > high)
        return below or above

    return sum(bad(v) for v in present)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_ROWS, rules=st.lists(expectations(), min_size=1, max_size=5), primary=st.booleans())
def test_compiled_counts_equal_the_python_reference(rows, rules, primary):
    con = duckdb.connect()
    try:
        table(con, "t", {"n": "INTEGER", "s": "VARCHAR", "m": "INTEGER"}, rows)
        cols = [
            {"name": "n", "type": "integer", "primaryKey": primary},
            {"name": "s", "type": "string", "primaryKey": primary},
            {"name": "m", "type": "integer"},
        ]
        plan, results = run(con, contract(cols, rules))
        rule_checks = [c for c in plan.checks if c.kind not in (Kind.SCHEMA, Kind.PRIMARY_KEY)]
        assert len(rule_checks) == len(rules)
        for check, rule in zip(rule_checks, rules, strict=True):
            assert results[check.id].failed == reference(rows, rule), (check.id, rule)
            if check.fail_predicate is not None:
                where = con.execute(f'SELECT count(*) FROM "t" WHERE {check.fail_predicate}').fetchone()[0]
                assert where == results[check.id].failed
        if primary:
            assert results["primaryKey:n,s"].failed == _keyed_failures(rows, ["n", "s"], primary=True)
        assert all(r.total == len(rows) for r in results.values() if r.total is not None)
    finally:
        con.close()
