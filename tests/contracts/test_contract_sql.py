"""The SQL around the checks: quarantine with reasons, samples, custom-query rewriting, and the ODCS fixtures."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from contract_kit import NOW, contract, run, table

from meshplane.contracts import REASONS, compile_contract, count_condition, substitute_relation
from meshplane.spec.codecs import import_file


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def _orders(con):
    rows = [
        ("o1", "c1", 10, "paid"),
        ("o2", None, 5, "paid"),  # required
        ("o3", "c3", -1, "nope"),  # range + accepted
        ("o3", "c4", 1, "paid"),  # duplicate key (with the row above)
        ("o5", "c5", 2, "late"),  # accepted, but only a warning
    ]
    table(con, "t", {"id": "VARCHAR", "cust": "VARCHAR", "amount": "INTEGER", "status": "VARCHAR"}, rows)
    cols = [
        {"name": "id", "type": "string", "unique": True},
        {"name": "cust", "type": "string", "required": True},
        {"name": "amount", "type": "integer"},
        {"name": "status", "type": "string"},
    ]
    quality = [
        {"type": "range", "column": "amount", "min": 0},
        {"type": "acceptedValues", "column": "status", "values": ["paid", "late"]},
        {"type": "acceptedValues", "column": "status", "values": ["paid"], "severity": "warning"},
    ]
    return contract(cols, quality)


def test_quarantine_rows_carry_the_ids_of_the_checks_they_fail(con):
    plan = compile_contract(_orders(con), '"t"', now_sql=NOW)
    got = con.execute(f"{plan.quarantine_sql()} ORDER BY id, cust").fetchall()
    reasons = {(r[0], r[1]): r[-1] for r in got}
    assert reasons == {
        ("o2", None): ["required:cust"],
        ("o3", "c3"): ["unique:id", "range:amount", "acceptedValues:status"],
        ("o3", "c4"): ["unique:id"],
    }
    columns = [d[0] for d in con.execute(plan.quarantine_sql()).description]
    assert columns == ["id", "cust", "amount", "status", REASONS]


def test_quarantine_with_warnings_too(con):
    plan = compile_contract(_orders(con), '"t"', now_sql=NOW)
    got = {r[0]: r[-1] for r in con.execute(plan.quarantine_sql(blocking_only=False)).fetchall() if r[0] == "o5"}
    assert got == {"o5": ["acceptedValues:status#2"]}


def test_quarantine_of_a_contract_without_row_rules_is_empty(con):
    table(con, "t", {"x": "INTEGER"}, [(1,)])
    plan = compile_contract(contract([{"name": "x", "type": "integer"}], [{"type": "rowCount", "min": 5}]), '"t"')
    assert con.execute(plan.quarantine_sql()).fetchall() == []


def test_samples_show_failing_rows_and_duplicated_keys(con):
    plan, results = run(con, _orders(con))
    sql = plan.sample_sql("range:amount", 5)
    assert sql is not None
    assert con.execute(sql).fetchall() == [("o3", "c3", -1, "nope")]
    dup = plan.sample_sql("unique:id", 5)
    assert dup is not None
    assert con.execute(dup).fetchall() == [("o3", 2)]
    assert plan.sample_sql("acceptedValues:status", 0) is not None
    assert results["unique:id"].failed == 1


# -- custom SQL rewriting -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT count(*) FROM orders WHERE created_at > now()", "created_at > now()"),
        ("select COUNT(1) as n from public.orders;", "TRUE"),
        ("SELECT count(*) FROM orders WHERE s = 'from orders'", "s = 'from orders'"),
        ("SELECT count(*) FROM orders o WHERE o.x > 1", None),
        ("SELECT count(*) FROM orders WHERE orders.x > 1", None),
        ("SELECT count(*) FROM orders JOIN items ON true", None),
        ("SELECT count(*) FROM orders WHERE x IN (SELECT 1)", None),
        ("SELECT count(*) FROM orders WHERE x > 1 GROUP BY y", None),
        ("SELECT count(*) FROM other WHERE x > 1", None),
        ("SELECT sum(x) FROM orders", None),
    ],
)
def test_which_custom_queries_fold_into_the_scan(query, expected):
    assert count_condition(query, {"orders"}) == expected


def test_table_references_are_rewritten_but_strings_and_columns_are_not():
    sql = (
        "SELECT orders.id, 'orders' AS t FROM orders JOIN x ON x.id = orders.id "
        'WHERE id IN (SELECT id FROM "orders") -- from orders'
    )
    got = substitute_relation(sql, {"orders"}, "R")
    assert (
        got == "SELECT R.id, 'orders' AS t FROM R JOIN x ON x.id = R.id WHERE id IN (SELECT id FROM R) -- from orders"
    )


def test_without_names_any_table_read_is_the_contracts():
    assert substitute_relation("SELECT count(*) FROM whatever w WHERE w.a = 1", None, "R") == (
        "SELECT count(*) FROM R w WHERE w.a = 1"
    )


# -- the ODCS fixtures -------------------------------------------------------------------------------------------------

_DUCK = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "decimal": "DECIMAL(18,4)",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "time": "TIME",
    "binary": "BLOB",
    "array": "VARCHAR[]",
    "object": "JSON",
}


def test_every_odcs_fixture_compiles_to_sql_duckdb_runs(shared_dir: Path):
    files = sorted((shared_dir / "fixtures" / "odcs").glob("*.yaml"))
    if not files:
        pytest.skip("no ODCS fixtures under ../shared/fixtures/odcs")
    con = duckdb.connect()
    compiled = 0
    for file in files:
        result = import_file(file, "odcs")
        assert result.ok, file.name
        for name, data_contract in result.contracts:
            columns = {f'"{c.name}"': _DUCK[c.type.value] for c in data_contract.columns} or {'"_x"': "INTEGER"}
            con.execute(f"CREATE OR REPLACE TABLE t ({', '.join(f'{k} {v}' for k, v in columns.items())})")
            plan = compile_contract(
                data_contract,
                '"t"',
                now_sql=NOW,
                schema=[(r[0], r[1]) for r in con.execute("DESCRIBE t").fetchall()],
                table_names={name},
            )
            assert not plan.skipped, (file.name, plan.skipped)
            con.execute(plan.aggregate_sql).fetchall()
            con.execute(plan.quarantine_sql(False)).fetchall()
            for check in plan.checks:
                sample = plan.sample_sql(check.id, 1)
                if sample:
                    con.execute(sample).fetchall()
            compiled += 1
    assert compiled >= len(files)
