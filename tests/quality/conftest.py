"""Fixtures for the quality gate: a planted-violations orders file, an ODCS contract beside its data, and a
throwaway PostgreSQL database (skipped, saying why, when the server at 127.0.0.1:5432 is not reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from quality_kit import orders_sql

ADMIN_URL = os.environ.get("MESHPLANE_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def corrupt_orders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 orders in Parquet with ten planted violations of each kind."""
    path = tmp_path_factory.mktemp("orders") / "orders_10k_corrupt.parquet"
    con = duckdb.connect()
    con.execute(f"COPY ({orders_sql(10_000)}) TO '{path}' (FORMAT PARQUET)")
    con.close()
    return path


ORDERS_CONTRACT = """\
apiVersion: v3.1.0
kind: DataContract
id: urn:test:orders
name: Orders (test)
version: 1.0.0
status: active
servers:
  - server: local
    type: local
    format: parquet
    path: ./data/orders.parquet
  - server: csv
    type: local
    format: csv
    path: ./data/orders.csv
schema:
  - name: orders
    physicalName: orders
    properties:
      - {name: order_id, logicalType: string, required: true, unique: true, primaryKey: true}
      - {name: customer_id, logicalType: string, required: true}
      - name: amount
        logicalType: number
        required: true
        logicalTypeOptions: {minimum: 0}
      - name: status
        logicalType: string
        quality:
          - metric: invalidValues
            arguments: {validValues: [pending, paid, shipped, cancelled]}
            mustBe: 0
      - name: email
        logicalType: string
        logicalTypeOptions: {pattern: '^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$'}
      - {name: created_at, logicalType: timestamp, required: true}
    quality:
      - metric: rowCount
        mustBeGreaterThan: 0
      - type: sql
        description: no order is created in the future
        query: SELECT count(*) FROM orders WHERE created_at > now()
        mustBe: 0
"""


@pytest.fixture
def contract_dir(tmp_path: Path, corrupt_orders: Path) -> Path:
    """An ODCS contract with a `data/` folder beside it holding the corrupt orders as Parquet and CSV."""
    (tmp_path / "data").mkdir()
    (tmp_path / "orders.odcs.yaml").write_text(ORDERS_CONTRACT)
    (tmp_path / "data" / "orders.parquet").write_bytes(corrupt_orders.read_bytes())
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{corrupt_orders}')) TO '{tmp_path / 'data' / 'orders.csv'}'")
    con.close()
    return tmp_path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session; its URL."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {str(exc).strip()}")
    name = f"meshplane_quality_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
