"""Row filter validation: what is accepted, what is refused, and properties over generated text."""

from __future__ import annotations

import contextlib

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from meshplane.access.rowfilter import to_dialect, validate_row_filter
from meshplane.errors import InvalidInputError

COLUMNS = {"region": "string", "amount": "number", "day": "date", "active": "boolean", "email": "string"}


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("region = 'EU'", "\"region\" = 'EU'"),
        (
            "Region in ('EU', 'US') or amount between 1 and 2",
            "\"region\" IN ('EU', 'US') OR \"amount\" BETWEEN 1 AND 2",
        ),
        ("email like '%@acme.example' and not active", '"email" LIKE \'%@acme.example\' AND NOT "active"'),
        ("day >= DATE '2024-01-01'", "\"day\" >= CAST('2024-01-01' AS DATE)"),
        ("email is not null and amount <> -1", 'NOT "email" IS NULL AND "amount" <> -1'),
        ("active", '"active"'),
        ("region = 'it''s'", "\"region\" = 'it''s'"),
    ],
)
def test_accepted_filters_are_normalised(text: str, stored: str):
    assert validate_row_filter(text, COLUMNS) == stored


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("region IN (SELECT region FROM t)", "IN"),
        ("amount > (SELECT max(amount) FROM t)", "subquery"),
        ("EXISTS (SELECT 1)", "not a condition"),
        ("read_csv('/etc/passwd') IS NULL", "function"),
        ("length(region) > 2", "function"),
        ("current_setting('x') = 'y'", "function"),
        ("region = 'EU'; DROP TABLE t", "2 statements"),
        ("t.region = 'EU'", "without a table"),
        ("secret = 1", "not a column"),
        ("amount", "not a condition"),
        ("amount = ?", "parameter"),
        ("amount = $1", "parameter"),
        ("CAST(region AS INT) = 1", "only literals"),
        ("region = 'EU' AND", "not valid SQL"),
        ("", "empty"),
        ("x" * 3000, "characters long"),
        ("region = getvariable('x')", "function"),
        ("region = (region)", None),
    ],
)
def test_refused_filters_say_why(text: str, message: str | None):
    if message is None:  # a column compared with a column is fine
        validate_row_filter(text, COLUMNS)
        return
    with pytest.raises(InvalidInputError, match=message):
        validate_row_filter(text, COLUMNS)


def test_stored_filters_run_in_duckdb_and_postgres_dialects():
    stored = validate_row_filter("region = 'EU' and day >= date '2024-01-01'", COLUMNS)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (region VARCHAR, amount DOUBLE, day DATE, active BOOLEAN, email VARCHAR)")
    con.execute("INSERT INTO t VALUES ('EU', 1, DATE '2024-02-01', true, 'a'), ('US', 2, DATE '2024-02-01', true, 'b')")
    assert con.execute(f"SELECT count(*) FROM t WHERE {stored}").fetchone() == (1,)
    assert to_dialect(stored, "postgres") == "\"region\" = 'EU' AND \"day\" >= CAST('2024-01-01' AS DATE)"


_ATOMS = st.sampled_from(
    [
        "region",
        "amount",
        "'EU'",
        "1",
        "NULL",
        "(SELECT 1)",
        "read_parquet('x')",
        "glob('*')",
        "range(3)",
        "(SELECT * FROM read_csv('/etc/passwd'))",
        "EXISTS (SELECT 1)",
        "getenv('HOME')",
        "current_setting('memory_limit')",
    ]
)
_OPS = st.sampled_from(["=", "<>", "<", ">=", "AND", "OR", "IN", "LIKE", "IS", "BETWEEN 0 AND", "+", ","])


@st.composite
def _predicates(draw: st.DrawFn) -> str:
    parts = [draw(_ATOMS)]
    for _ in range(draw(st.integers(0, 5))):
        op = draw(_OPS)
        right = draw(_ATOMS)
        parts.append(f"{op} ({right})" if op == "IN" else f"{op} {right}")
    text = " ".join(parts)
    return f"NOT ({text})" if draw(st.booleans()) else text


_OPERATORS = (exp.Connector, exp.Predicate, exp.Binary, exp.Not, exp.Cast, exp.Paren)


def _reads_anything(tree: exp.Expression) -> bool:
    """A subquery, a table, or a function call (sqlglot models AND/OR/casts as functions too: not those)."""
    return any(
        isinstance(n, exp.Subquery | exp.Select | exp.Table | exp.Anonymous)
        or (isinstance(n, exp.Func) and not isinstance(n, _OPERATORS))
        for n in tree.walk()
    )


@settings(max_examples=400, deadline=None)
@given(_predicates())
def test_an_accepted_filter_never_holds_a_subquery_or_a_function(text: str):
    try:
        stored = validate_row_filter(text, COLUMNS)
    except InvalidInputError:
        return
    tree = sqlglot.parse_one(stored, read="duckdb")
    assert not _reads_anything(tree), stored
    assert "select" not in stored.lower(), stored


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_random_text_is_accepted_or_refused_never_a_crash(text: str):
    try:
        stored = validate_row_filter(text, COLUMNS)
    except InvalidInputError as exc:
        assert exc.hint
        return
    assert not _reads_anything(sqlglot.parse_one(stored, read="duckdb"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="()'\";-,.*$?=<>! \n\tselctfromawhinSELCTFROM0123456789_/", max_size=120))
def test_sql_shaped_noise_never_crashes(text: str):
    with contextlib.suppress(InvalidInputError):
        validate_row_filter(text, COLUMNS)
