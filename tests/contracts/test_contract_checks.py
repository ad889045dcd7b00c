"""Every expectation kind compiled to SQL and run on a real in-process DuckDB: pass, fail, warn, thresholds,
NULL handling, bounds, regular expressions, custom SQL, freshness, keys and schema."""

from __future__ import annotations

import duckdb
import pytest
from contract_kit import contract, run, table

from meshplane.contracts import Kind, Status, compile_contract, evaluate


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


# -- notNull / required, with thresholds ---------------------------------------------------------------------------


def test_required_column_counts_nulls_and_says_so(con):
    table(con, "t", {"id": "VARCHAR"}, [("a",), (None,), ("c",), (None,)])
    _, results = run(con, contract([{"name": "id", "type": "string", "required": True}]))
    r = results["required:id"]
    assert (r.status, r.failed, r.total, r.percent) == (Status.FAIL, 2, 4, 50.0)
    assert r.message == "2 of 4 rows (50%) are NULL in `id`; none allowed"


def test_not_null_thresholds_and_severities(con):
    table(con, "t", {"x": "INTEGER"}, [(1,), (None,), (3,), (4,)])
    quality = [
        {"type": "notNull", "column": "x"},
        {"type": "notNull", "column": "x", "threshold": 25},
        {"type": "notNull", "column": "x", "threshold": 10},
        {"type": "notNull", "column": "x", "severity": "warning"},
    ]
    _, results = run(con, contract([{"name": "x", "type": "integer"}], quality))
    assert results["notNull:x"].status is Status.FAIL
    assert results["notNull:x#2"].status is Status.PASS  # 25% failing, 25% allowed
    assert "within the 25% allowed" in results["notNull:x#2"].message
    assert results["notNull:x#3"].status is Status.FAIL
    assert results["notNull:x#3"].message.endswith("at most 10% allowed")
    assert results["notNull:x#4"].status is Status.WARN
    assert all(r.failed == 1 for r in results.values() if r.check.kind is Kind.NOT_NULL)


def test_a_passing_check_says_how_many_rows_it_saw(con):
    table(con, "t", {"x": "INTEGER"}, [(1,), (2,)])
    _, results = run(con, contract([{"name": "x", "type": "integer", "required": True}]))
    assert results["required:x"].status is Status.PASS
    assert results["required:x"].message == "none of 2 rows are NULL in `x`"


def test_thousands_and_small_percentages_in_messages():
    plan = compile_contract(contract([{"name": "customer_id", "type": "string", "required": True}]), '"t"')
    (result,) = evaluate(plan, {"required:customer_id": 17}, 1_000_000, {})
    assert result.message == "17 of 1,000,000 rows (0.0017%) are NULL in `customer_id`; none allowed"


# -- accepted values -----------------------------------------------------------------------------------------------


def test_accepted_values_let_null_pass_and_count_the_rest(con):
    table(con, "t", {"s": "VARCHAR"}, [("a",), ("b",), ("x",), (None,), ("y",)])
    _, results = run(
        con,
        contract(
            [{"name": "s", "type": "string"}],
            [
                {"type": "acceptedValues", "column": "s", "values": ["a", "b"]},
            ],
        ),
    )
    r = results["acceptedValues:s"]
    assert (r.status, r.failed) == (Status.FAIL, 2)
    assert "outside the accepted values (a, b)" in r.message


def test_accepted_values_listing_null_still_checks_the_others(con):
    table(con, "t", {"s": "VARCHAR"}, [("",), (None,), ("n/a",), ("good",)])
    _, results = run(
        con,
        contract(
            [{"name": "s", "type": "string"}],
            [
                {"type": "acceptedValues", "column": "s", "values": ["", None, "n/a"]},
            ],
        ),
    )
    assert results["acceptedValues:s"].failed == 1


def test_accepted_numbers_on_an_integer_column(con):
    table(con, "t", {"p": "INTEGER"}, [(1,), (2,), (3,), (4,), (7,)])
    _, results = run(
        con,
        contract(
            [{"name": "p", "type": "integer"}],
            [
                {"type": "acceptedValues", "column": "p", "values": [1, 2, 3]},
            ],
        ),
    )
    assert results["acceptedValues:p"].failed == 2


# -- range ---------------------------------------------------------------------------------------------------------


def test_inclusive_bounds_accept_the_bound_and_exclusive_ones_refuse_it(con):
    table(con, "t", {"n": "DECIMAL(12,2)"}, [(0,), (10,), (5,), (-1,), (11,), (None,)])
    quality = [
        {"type": "range", "column": "n", "min": 0, "max": 10},
        {"type": "range", "column": "n", "min": 0, "max": 10, "exclusiveMin": True},
        {"type": "range", "column": "n", "min": 0, "max": 10, "exclusiveMin": True, "exclusiveMax": True},
    ]
    _, results = run(con, contract([{"name": "n", "type": "number"}], quality))
    assert results["range:n"].failed == 2  # -1 and 11; NULL passes
    assert results["range:n#2"].failed == 3  # and 0
    assert results["range:n#3"].failed == 4  # and 10
    assert "(must be > 0 and < 10)" in results["range:n#3"].message


def test_range_on_dates_with_text_bounds(con):
    table(con, "t", {"d": "DATE"}, [("2020-01-01",), ("2020-06-01",), ("2021-01-01",), ("2021-01-02",)])
    _, results = run(
        con,
        contract(
            [{"name": "d", "type": "date"}],
            [
                {"type": "range", "column": "d", "min": "2020-01-01", "max": "2021-01-01", "exclusiveMin": True},
            ],
        ),
    )
    assert results["range:d"].failed == 2


# -- pattern -------------------------------------------------------------------------------------------------------


def test_pattern_is_a_search_as_in_json_schema_and_null_passes(con):
    table(con, "t", {"a": "VARCHAR"}, [("ACC12345678",), ("xACC12345678y",), ("ACC1",), (None,)])
    _, results = run(
        con,
        contract(
            [{"name": "a", "type": "string"}],
            [
                {"type": "pattern", "column": "a", "pattern": "ACC[0-9]{8}"},
                {"type": "pattern", "column": "a", "pattern": "^ACC[0-9]{8}$", "severity": "warning"},
            ],
        ),
    )
    assert results["pattern:a"].failed == 1
    assert results["pattern:a#2"].failed == 2
    assert results["pattern:a#2"].status is Status.WARN


def test_pattern_on_a_number_column_reads_its_text(con):
    table(con, "t", {"zip": "INTEGER"}, [(12345,), (1234,)])
    _, results = run(
        con,
        contract(
            [{"name": "zip", "type": "integer"}],
            [
                {"type": "pattern", "column": "zip", "pattern": "^[0-9]{5}$"},
            ],
        ),
    )
    assert results["pattern:zip"].failed == 1


# -- keys ----------------------------------------------------------------------------------------------------------


def test_unique_counts_rows_beyond_the_first_and_ignores_nulls(con):
    table(con, "t", {"k": "VARCHAR"}, [("a",), ("a",), ("a",), ("b",), (None,), (None,)])
    _, results = run(con, contract([{"name": "k", "type": "string", "unique": True}]))
    assert results["unique:k"].failed == 2


def test_unique_over_several_columns(con):
    rows = [(1, "x"), (1, "x"), (1, "y"), (2, "x"), (None, "x"), (None, "x"), (2, None)]
    table(con, "t", {"a": "INTEGER", "b": "VARCHAR"}, rows)
    cols = [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]
    _, results = run(con, contract(cols, [{"type": "unique", "columns": ["a", "b"]}]))
    assert results["unique:a,b"].failed == 1


def test_primary_key_fails_on_nulls_and_duplicates(con):
    rows = [(1, "x"), (1, "x"), (1, "y"), (None, "x"), (2, "z")]
    table(con, "t", {"a": "INTEGER", "b": "VARCHAR"}, rows)
    cols = [{"name": "a", "type": "integer", "primaryKey": True}, {"name": "b", "type": "string", "primaryKey": True}]
    _, results = run(con, contract(cols))
    assert results["primaryKey:a,b"].failed == 2


def test_unique_and_primary_key_share_one_distinct_count(con):
    plan = compile_contract(contract([{"name": "id", "type": "string", "unique": True, "primaryKey": True}]), '"t"')
    assert plan.aggregate_sql.count("count(DISTINCT") == 1


# -- row count, freshness, custom SQL ------------------------------------------------------------------------------


def test_row_count_bounds(con):
    table(con, "t", {"x": "INTEGER"}, [(1,), (2,), (3,)])
    _, results = run(
        con,
        contract(
            [{"name": "x", "type": "integer"}],
            [
                {"type": "rowCount", "min": 1},
                {"type": "rowCount", "min": 4},
                {"type": "rowCount", "max": 2, "severity": "warning"},
            ],
        ),
    )
    assert results["rowCount"].status is Status.PASS
    assert results["rowCount#2"].status is Status.FAIL
    assert results["rowCount#2"].message == "3 rows; must be at least 4"
    assert results["rowCount#3"].status is Status.WARN


def test_freshness_against_a_fixed_now(con):
    table(con, "t", {"ts": "TIMESTAMP"}, [("2024-12-31 00:00:00",), ("2024-12-01 00:00:00",)])
    _, results = run(
        con,
        contract(
            [{"name": "ts", "type": "timestamp"}],
            [
                {"type": "freshness", "column": "ts", "maxAge": "2d"},
                {"type": "freshness", "column": "ts", "maxAge": "12h"},
            ],
        ),
    )
    assert results["freshness:ts"].status is Status.PASS
    assert results["freshness:ts"].value == 86400
    assert results["freshness:ts#2"].status is Status.FAIL
    assert results["freshness:ts#2"].message == "the newest `ts` is 1 day old; at most 12h allowed"


def test_freshness_without_values_fails(con):
    table(con, "t", {"ts": "TIMESTAMP"}, [(None,)])
    _, results = run(
        con,
        contract(
            [{"name": "ts", "type": "timestamp"}],
            [
                {"type": "freshness", "column": "ts", "maxAge": "1d"},
            ],
        ),
    )
    assert results["freshness:ts"].status is Status.FAIL
    assert "no values" in results["freshness:ts"].message


def test_a_simple_custom_count_joins_the_scan(con):
    table(con, "orders", {"amount": "INTEGER"}, [(1,), (-2,), (-3,)])
    quality = [{"type": "sql", "query": "SELECT count(*) FROM orders WHERE amount < 0", "mustBe": 0}]
    con.execute('CREATE VIEW "data" AS SELECT * FROM orders')
    plan, results = run(
        con, contract([{"name": "amount", "type": "integer"}], quality), '"data"', table_names={"orders"}
    )
    assert plan.extra_sql == {}
    assert "count_if(amount < 0)" in plan.aggregate_sql
    assert (results["sql"].status, results["sql"].value) == (Status.FAIL, 2)
    assert results["sql"].message == "the query returned 2; must be 0"


def test_other_custom_queries_run_on_their_own_against_the_relation(con):
    table(con, "data", {"g": "VARCHAR", "v": "INTEGER"}, [("a", 1), ("a", 2), ("b", 3)])
    quality = [
        {
            "type": "sql",
            "name": "groups",
            "query": "SELECT count(*) FROM (SELECT g FROM orders GROUP BY g)",
            "mustBeLessThan": 2,
        },
        {"type": "sql", "query": "SELECT max(v) FROM orders o WHERE o.v > 0", "mustBeGreaterOrEqualTo": 3},
    ]
    plan, results = run(con, contract([{"name": "g", "type": "string"}], quality), '"data"', table_names={"orders"})
    assert set(plan.extra_sql) == {"sql:groups", "sql"}
    assert 'FROM "data"' in plan.extra_sql["sql:groups"]
    assert (results["sql:groups"].status, results["sql:groups"].value) == (Status.FAIL, 2)
    assert results["sql"].status is Status.PASS


def test_a_broken_custom_query_fails_alone(con):
    table(con, "t", {"x": "INTEGER"}, [(1,)])
    quality = [{"type": "sql", "query": "SELECT nope FROM (SELECT 1) s", "severity": "warning"}]
    _, results = run(con, contract([{"name": "x", "type": "integer", "required": True}], quality))
    assert results["sql"].status is Status.WARN
    assert results["sql"].message.startswith("the query failed")
    assert results["required:x"].status is Status.PASS


# -- schema and types ----------------------------------------------------------------------------------------------


def test_a_missing_column_fails_its_schema_check_and_skips_its_rules(con):
    table(con, "t", {"a": "INTEGER"}, [(1,)])
    cols = [{"name": "a", "type": "integer"}, {"name": "b", "type": "string", "required": True}]
    plan, results = run(con, contract(cols, [{"type": "pattern", "column": "b", "pattern": "x"}]))
    assert results["schema:b"].status is Status.FAIL
    assert results["schema:b"].message == "column `b` is missing"
    assert results["required:b"].status is Status.SKIP
    assert results["pattern:b"].status is Status.SKIP
    assert '"b"' not in plan.aggregate_sql


def test_incompatible_types_fail_the_schema_check(con):
    table(con, "t", {"a": "BOOLEAN"}, [(True,)])
    _, results = run(
        con,
        contract(
            [{"name": "a", "type": "integer"}],
            [
                {"type": "range", "column": "a", "min": 0},
            ],
        ),
    )
    assert results["schema:a"].status is Status.FAIL
    assert "BOOLEAN" in results["schema:a"].message
    assert results["range:a"].status is Status.SKIP


def test_text_holding_typed_values_is_cast_value_by_value(con):
    table(con, "t", {"age": "VARCHAR"}, [("18",), ("x",), ("150",), (None,)])
    _, results = run(
        con,
        contract(
            [{"name": "age", "type": "integer"}],
            [
                {"type": "range", "column": "age", "min": 0, "max": 120},
            ],
        ),
    )
    assert results["schema:age"].status is Status.PASS
    assert results["type:age"].failed == 1  # "x"
    assert results["range:age"].failed == 1  # 150; "x" is the type check's


def test_compatible_types_across_spellings(con):
    from meshplane.contracts.types import compatible

    assert compatible("number", "DECIMAL(12,2)")
    assert compatible("number", "double precision")
    assert compatible("string", "character varying(36)")
    assert compatible("timestamp", "TIMESTAMP WITH TIME ZONE")
    assert compatible("array", "INTEGER[]")
    assert not compatible("integer", "DOUBLE")


# -- predicates ----------------------------------------------------------------------------------------------------


def test_fail_predicates_are_null_safe_and_match_the_counts(con):
    rows = [(1, "a", "x1"), (None, None, None), (-5, "z", "zz"), (7, "a", "x2")]
    table(con, "t", {"n": "INTEGER", "s": "VARCHAR", "p": "VARCHAR"}, rows)
    quality = [
        {"type": "range", "column": "n", "min": 0},
        {"type": "acceptedValues", "column": "s", "values": ["a"]},
        {"type": "pattern", "column": "p", "pattern": "^x"},
        {"type": "notNull", "column": "n"},
    ]
    cols = [{"name": "n", "type": "integer"}, {"name": "s", "type": "string"}, {"name": "p", "type": "string"}]
    plan, results = run(con, contract(cols, quality))
    for check in plan.checks:
        if check.fail_predicate is None:
            continue
        failing = con.execute(f'SELECT count(*) FROM "t" WHERE {check.fail_predicate}').fetchone()[0]
        passing = con.execute(f'SELECT count(*) FROM "t" WHERE NOT ({check.fail_predicate})').fetchone()[0]
        assert failing + passing == 4, check.id
        assert failing == results[check.id].failed, check.id


def test_aggregate_kinds_have_no_row_predicate():
    plan = compile_contract(
        contract(
            [{"name": "k", "type": "string", "unique": True}],
            [
                {"type": "rowCount", "min": 1},
                {"type": "freshness", "column": "k", "maxAge": "1d"},
                {"type": "sql", "query": "SELECT 1"},
            ],
        )
    )
    assert all(c.fail_predicate is None for c in plan.checks)


# -- scan economies ----------------------------------------------------------------------------------------------


def test_known_null_counts_are_not_measured(con):
    table(con, "t", {"a": "VARCHAR", "b": "VARCHAR"}, [("x", None), ("x", "y"), (None, "z")])
    cols = [{"name": "a", "type": "string", "required": True, "unique": True}, {"name": "b", "type": "string"}]
    plan = compile_contract(contract(cols, [{"type": "notNull", "column": "b"}]), '"t"', null_counts={"a": 1})
    assert 'count("a")' not in plan.aggregate_sql
    row = con.execute(plan.aggregate_sql)
    names = [d[0] for d in row.description]
    total, counts, _ = plan.read_aggregate(names, row.fetchone())
    assert (total, counts["required:a"], counts["notNull:b"]) == (3, 1, 1)
    assert counts["unique:a"] >= 1  # hashed: an upper bound, confirmed below
    assert con.execute(plan.confirm_sql["unique:a"]).fetchone()[0] == 1


def test_exact_distinct_counts_without_hashing():
    plan = compile_contract(contract([{"name": "k", "type": "string", "unique": True}]), '"t"', hash_keys=False)
    assert 'count(DISTINCT "k")' in plan.aggregate_sql
    assert plan.confirm_sql == {}


def test_a_hashed_key_count_is_confirmed_exactly(con):
    table(con, "t", {"k": "VARCHAR"}, [("a",), ("a",), (None,), ("b",)])
    plan, results = run(con, contract([{"name": "k", "type": "string", "unique": True, "primaryKey": True}]))
    assert "hash(" in plan.aggregate_sql
    assert set(plan.confirm_sql) == {"unique:k", "primaryKey:k"}
    assert results["unique:k"].failed == 1
    assert results["primaryKey:k"].failed == 2


def test_rules_on_undeclared_columns_use_the_data_or_are_skipped(con):
    table(con, "t", {"a": "INTEGER", "extra": "VARCHAR"}, [(1, None), (2, "x")])
    _, results = run(
        con,
        contract(
            [{"name": "a", "type": "integer"}],
            [{"type": "notNull", "column": "extra"}, {"type": "notNull", "column": "ghost"}],
        ),
    )
    assert results["notNull:extra"].failed == 1
    assert results["notNull:ghost"].status is Status.SKIP
    assert results["notNull:ghost"].message == "not run: column `ghost` is not in the data"
