"""Row filters in the Arrow scan keep exactly the rows DuckDB's WHERE keeps — NULLs, NOT and all.

The property: for random tables with NULLs and random predicates over them, the rows a pyarrow dataset
filter keeps are the rows ``WHERE p`` keeps, and the rows ``~filter`` keeps are the rows ``WHERE NOT p``
keeps (so the translation is exact in three-valued logic, not merely at the top level).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meshplane.errors import InvalidInputError
from meshplane.gateway.filters import Untranslatable, filter_sql, parse_filter, to_arrow

SCHEMA = pa.schema(
    [
        ("k", pa.int64()),
        ("i", pa.int64()),
        ("j", pa.int32()),
        ("f", pa.float64()),
        ("s", pa.string()),
        ("t", pa.string()),
        ("d", pa.date32()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("n", pa.timestamp("us")),
        ("b", pa.bool_()),
        ("m", pa.decimal128(10, 2)),
    ]
)
WORDS = ["a", "b", "ab", "ba", "B", "", "a_b", "%"]
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def maybe(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), strategy)


ROW = st.fixed_dictionaries(
    {
        "i": maybe(st.integers(-3, 3)),
        "j": maybe(st.integers(-3, 3)),
        "f": maybe(st.sampled_from([-1.5, 0.0, 0.5, 1.5, 2.0])),
        "s": maybe(st.sampled_from(WORDS)),
        "t": maybe(st.sampled_from(WORDS)),
        "d": maybe(st.integers(0, 4).map(lambda n: date(2024, 1, 1) + timedelta(days=n))),
        "ts": maybe(st.integers(0, 4).map(lambda h: BASE + timedelta(hours=h))),
        "n": maybe(st.integers(0, 4).map(lambda h: datetime(2024, 1, 1) + timedelta(hours=h))),
        "b": maybe(st.booleans()),
        "m": maybe(st.sampled_from([Decimal("-1.25"), Decimal("0.00"), Decimal("1.50"), Decimal("2.00")])),
    }
)

LITERALS: dict[str, st.SearchStrategy[str]] = {
    "i": st.one_of(st.integers(-3, 3).map(str), st.just("-2")),
    "j": st.integers(-3, 3).map(str),
    "f": st.sampled_from(["0", "0.5", "1.5", "-1.5", "2"]),
    "s": st.sampled_from(WORDS).map(lambda w: "'" + w + "'"),
    "t": st.sampled_from(WORDS).map(lambda w: "'" + w + "'"),
    "d": st.integers(0, 4)
    .map(lambda n: (date(2024, 1, 1) + timedelta(days=n)).isoformat())
    .flatmap(lambda text: st.sampled_from([f"'{text}'", f"DATE '{text}'"])),
    "ts": st.integers(0, 4).flatmap(
        lambda h: st.sampled_from([f"'2024-01-01 {h:02d}:00:00'", f"'2024-01-01T{h:02d}:00:00Z'"])
    ),
    "n": st.integers(0, 4).map(lambda h: f"TIMESTAMP '2024-01-01 {h:02d}:00:00'"),
    "b": st.sampled_from(["true", "false"]),
    "m": st.sampled_from(["1.5", "0", "-1.25", "2.00"]),
}
SAME_TYPE = [("i", "i"), ("s", "t"), ("i", "f"), ("d", "d")]


@st.composite
def atoms(draw: st.DrawFn) -> str:
    column = draw(st.sampled_from(sorted(LITERALS)))
    literal = draw(LITERALS[column])
    kind = draw(st.sampled_from(["cmp", "in", "between", "null", "distinct", "like", "cols", "bare"]))
    if kind == "cmp":
        op = draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]))
        return draw(st.sampled_from([f"{column} {op} {literal}", f"{literal} {op} {column}"]))
    if kind == "in":
        values = draw(st.lists(st.one_of(LITERALS[column], st.just("NULL")), min_size=1, max_size=3))
        negate = draw(st.booleans())
        return f"{column} {'NOT IN' if negate else 'IN'} ({', '.join(values)})"
    if kind == "between":
        return f"{column} BETWEEN {literal} AND {draw(LITERALS[column])}"
    if kind == "null":
        return f"{column} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    if kind == "distinct":
        other = draw(st.one_of(LITERALS[column], st.just("NULL")))
        return f"{column} IS {draw(st.sampled_from(['', 'NOT ']))}DISTINCT FROM {other}"
    if kind == "like":
        word = draw(st.sampled_from(["s", "t"]))
        pattern = draw(st.sampled_from(["'a%'", "'%b'", "'_'", "'a_'", "'%'", "'A%'"]))
        return f"{word} {draw(st.sampled_from(['LIKE', 'ILIKE', 'NOT LIKE']))} {pattern}"
    if kind == "cols":
        a, b = draw(st.sampled_from(SAME_TYPE))
        return f"{a} {draw(st.sampled_from(['=', '<>', '<', '>=', 'IS DISTINCT FROM']))} {b}"
    return "b"


def predicates() -> st.SearchStrategy[str]:
    return st.recursive(
        atoms(),
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: f"({p[0]}) AND ({p[1]})"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]}) OR ({p[1]})"),
            inner.map(lambda p: f"NOT ({p})"),
        ),
        max_leaves=4,
    )


def table_of(rows: list[dict[str, object]]) -> pa.Table:
    data = {"k": list(range(len(rows)))} | {name: [r[name] for r in rows] for name in SCHEMA.names[1:]}
    return pa.Table.from_pydict(data, schema=SCHEMA)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def kept(con: duckdb.DuckDBPyConnection, table: pa.Table, where: str) -> set[int]:
    con.register("t", table)
    try:
        return {row[0] for row in con.execute(f"SELECT k FROM t WHERE {where}").fetchall()}
    finally:
        con.unregister("t")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=12), predicate=predicates())
def test_arrow_filter_keeps_what_sql_keeps(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]], predicate: str
) -> None:
    table = table_of(rows)
    tree = parse_filter(predicate, "test")
    try:
        expression = to_arrow(tree, SCHEMA)
    except Untranslatable:
        assume(False)
        return
    dataset = pads.dataset(table)
    by_arrow = set(dataset.filter(expression).to_table().column("k").to_pylist())
    by_arrow_not = set(dataset.filter(~expression).to_table().column("k").to_pylist())
    sql = filter_sql(tree)
    assert by_arrow == kept(con, table, sql), f"{predicate} (as {expression})"
    assert by_arrow_not == kept(con, table, f"NOT ({sql})"), f"NOT {predicate} (as {expression})"


@pytest.mark.parametrize(
    "predicate",
    [
        "i = 2.5",  # SQL's decimal rules, not float comparison
        "s = 5",  # DuckDB casts the column to a number
        "lower(s) = 'a'",
        "i + 1 = 2",
        "CAST(i AS VARCHAR) = '1'",
        "s LIKE 'a\\%'",
        "n = TIMESTAMP '2024-01-01 10:00:00' OR n = '2024-01-01T10:00:00+02:00'",
        "nope = 1",
    ],
)
def test_what_has_no_exact_arrow_form_is_left_to_sql(predicate: str) -> None:
    with pytest.raises(Untranslatable):
        to_arrow(parse_filter(predicate, "test"), SCHEMA)


@pytest.mark.parametrize(
    "predicate",
    ["(SELECT 1) = 1", "i IN (SELECT i FROM t)", "count(*) > 1", "t.i = 1", "getvariable('x') = 1", "i = ?"],
)
def test_a_filter_is_a_predicate_over_one_row(predicate: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_filter(predicate, "grant 7")


def test_not_in_with_null_keeps_nothing(con: duckdb.DuckDBPyConnection) -> None:
    table = table_of([{**dict.fromkeys(SCHEMA.names[1:]), "i": v} for v in (1, 2, None)])
    expression = to_arrow(parse_filter("i NOT IN (1, NULL)", "t"), SCHEMA)
    assert (
        pads.dataset(table).filter(expression).to_table().num_rows == 0 == len(kept(con, table, "i NOT IN (1, NULL)"))
    )
