"""Contract checks run by PostgreSQL itself (compiled SQL transpiled by sqlglot), on a real server."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import pytest

from meshplane import quality
from meshplane.contracts import Status
from meshplane.quality.postgres import run_postgres, split_table
from meshplane.spec.codecs import import_file
from meshplane.spec.model import DataContract


@pytest.fixture(scope="module")
def pg_orders(pg_url: str, corrupt_orders: Path) -> str:
    rows = duckdb.connect().execute(f"SELECT * FROM read_parquet('{corrupt_orders}')").fetchall()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS sales")
        conn.execute(
            "CREATE TABLE sales.orders (order_id varchar(20), customer_id text, amount numeric(12,2), "
            "status varchar(16), email text, created_at timestamp)"
        )
        with conn.cursor() as cur, cur.copy("COPY sales.orders FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return pg_url


def test_planted_violations_are_counted_in_postgres(pg_orders: str, contract_dir: Path):
    report = quality.test_target(str(contract_dir / "orders.odcs.yaml"), path=pg_orders, table="sales.orders")
    assert report.engine == "postgresql"
    failing = {r.check.id: r.failed for r in report.results if r.status is Status.FAIL}
    assert failing == {
        "required:customer_id": 10,
        "unique:order_id": 10,
        "primaryKey:order_id": 10,
        "range:amount": 10,
        "acceptedValues:status": 10,
        "pattern:email": 10,
    }
    assert report.result("schema:amount").message.startswith("`amount` is numeric(12,2)")
    assert report.result("sql").status is Status.PASS
    assert report.result("pattern:email").samples[0]["email"] == "not-an-email"
    assert report.source.endswith("sales.orders")


def test_multi_column_keys_freshness_and_a_failing_custom_query(pg_url: str):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE pairs (a int, b text, ts timestamptz)")
        conn.execute(
            "INSERT INTO pairs VALUES (1, 'x', now()), (1, 'x', now()), (1, NULL, now()), (1, NULL, now()), "
            "(2, 'y', now() - interval '3 days')"
        )
    contract = DataContract.model_validate(
        {
            "columns": [
                {"name": "a", "type": "integer"},
                {"name": "b", "type": "string"},
                {"name": "ts", "type": "timestamp"},
            ],
            "quality": [
                {"type": "unique", "columns": ["a", "b"]},
                {"type": "freshness", "column": "ts", "maxAge": "1h"},
                {"type": "sql", "query": "SELECT count(*) FROM pairs WHERE b = 'y'", "mustBe": 1},
                {"type": "sql", "query": "SELECT no_such_column FROM pairs", "severity": "warning"},
            ],
        }
    )
    report = run_postgres(pg_url, "pairs", contract, table_names={"pairs"})
    assert report.result("unique:a,b").failed == 1
    assert report.result("freshness:ts").status is Status.PASS
    assert report.result("sql").status is Status.PASS
    assert report.result("sql#2").status is Status.WARN
    assert "no_such_column" in report.result("sql#2").message


def test_the_session_is_read_only(pg_url: str):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE guarded (x int)")
        conn.execute("INSERT INTO guarded VALUES (1)")
    contract = DataContract.model_validate(
        {"columns": [{"name": "x", "type": "integer"}], "quality": [{"type": "sql", "query": "DELETE FROM guarded"}]}
    )
    report = run_postgres(pg_url, "guarded", contract)
    assert report.result("sql").status is Status.FAIL
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM guarded").fetchone() == (1,)


def test_table_names_split_into_schema_and_table():
    assert split_table("orders") == ("public", "orders")
    assert split_table("sales.orders") == ("sales", "orders")
    assert split_table('"Sales"."Big.Orders"') == ("Sales", "Big.Orders")


def test_an_odcs_postgres_server_entry(pg_orders: str, tmp_path: Path):
    database = pg_orders.rsplit("/", 1)[1]
    (tmp_path / "c.yaml").write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\n"
        "servers:\n  - {server: prod, type: postgres, host: 127.0.0.1, port: 5432, "
        f"database: {database}, schema: sales}}\n"
        "schema:\n  - name: orders\n    properties:\n      - {name: order_id, logicalType: string, required: true}\n"
    )
    assert import_file(tmp_path / "c.yaml", "odcs").ok
    report = quality.test_target(str(tmp_path / "c.yaml"), server="prod")
    assert report.engine == "postgresql"
    assert report.result("required:order_id").status is Status.PASS
    assert report.total == 10_000
