"""Importing existing tables as draft data products: Delta, SQLite and PostgreSQL sources."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from meshplane.adapters.reverse import import_existing
from meshplane.errors import InvalidInputError, NotFoundError, UnsupportedError
from meshplane.spec.model import DatabaseSource, DataProduct, InputPort, OutputPort, Workload

OWNER = {"domain": "sales", "owner": "bob"}


def port_of(dp: DataProduct) -> OutputPort:
    (port,) = dp.output_ports
    return port


def round_trips(dp: DataProduct) -> bool:
    return DataProduct.model_validate(dp.to_data()) == dp


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name VARCHAR(40), "
            "balance DECIMAL(10,2), joined DATETIME, vip BOOLEAN, prefs JSON, photo BLOB, a TEXT, b TEXT)"
        )
        db.execute("CREATE UNIQUE INDEX customers_ab ON customers (a, b)")
    return path


def test_a_sqlite_table_becomes_a_source_aligned_draft(shop_db):
    dp = import_existing("sqlite:///shop.db#customers", name="customers", base=shop_db.parent, **OWNER)

    assert dp.id == "urn:dmb:dp:sales:customers:0"
    assert dp.kind.value == "source-aligned" and dp.status.value == "draft"
    source, ingest, port = dp.components
    assert isinstance(source, InputPort) and isinstance(source.source, DatabaseSource)
    assert (source.source.url, source.source.table, source.source.system) == ("sqlite:///shop.db", "customers", "shop")
    assert isinstance(ingest, Workload) and ingest.writes == ["customers"]
    assert ingest.sql["customers"].startswith('SELECT "id", "email", "name"')
    assert isinstance(port, OutputPort) and port.depends_on == ["ingest"]
    columns = {c.name: c for c in port.data_contract.columns}
    assert port.data_contract.primary_key == ["id"]
    assert columns["id"].required and columns["id"].unique
    assert columns["email"].required and columns["email"].unique and columns["email"].type.value == "string"
    assert (columns["name"].type.value, columns["name"].physical_type) == ("string", "VARCHAR(40)")
    assert (columns["balance"].type.value, columns["balance"].physical_type) == ("decimal", "DECIMAL(10,2)")
    assert [columns[n].type.value for n in ("joined", "vip", "prefs", "photo")] == [
        "timestamp",
        "boolean",
        "object",
        "binary",
    ]
    assert not columns["name"].required
    assert [(e.type, e.columns) for e in port.data_contract.quality] == [("unique", ["a", "b"])]
    assert round_trips(dp)


def test_sqlite_errors_name_the_problem(shop_db):
    with pytest.raises(NotFoundError) as missing_table:
        import_existing("sqlite:///shop.db#customer", name="c", base=shop_db.parent, **OWNER)
    assert missing_table.value.hint == "did you mean `customers`?"
    with pytest.raises(NotFoundError, match="no SQLite database"):
        import_existing("sqlite:///nope.db#customers", name="c", base=shop_db.parent, **OWNER)
    assert not (shop_db.parent / "nope.db").exists(), "a missing database is not created"
    with pytest.raises(InvalidInputError, match="names no table"):
        import_existing(f"sqlite:///{shop_db}", name="c", **OWNER)


def test_a_delta_table_is_adopted_as_the_output_port(tmp_path):
    path = tmp_path / "daily_revenue"
    schema = pa.schema([pa.field("day", pa.date32(), nullable=False), pa.field("revenue", pa.decimal128(14, 2))])
    write_deltalake(str(path), pa.table({"day": [], "revenue": []}, schema))

    dp = import_existing("daily_revenue", name="revenue", kind="aggregate", version="1.0.0", base=tmp_path, **OWNER)

    assert dp.id == "urn:dmb:dp:sales:revenue:1" and dp.kind.value == "aggregate"
    port = port_of(dp)
    assert port.name == "daily_revenue" and len(dp.components) == 1
    assert [(c.name, c.type.value, c.physical_type, c.required) for c in port.data_contract.columns] == [
        ("day", "date", None, True),
        ("revenue", "decimal", "DECIMAL(14,2)", False),
    ]
    assert round_trips(dp)


def test_unknown_or_missing_sources_are_clear_errors(tmp_path):
    with pytest.raises(UnsupportedError, match="cannot import from `mysql://` sources"):
        import_existing("mysql://db/shop#t", name="x", **OWNER)
    with pytest.raises(NotFoundError, match="no Delta table"):
        import_existing(str(tmp_path), name="x", **OWNER)
    with pytest.raises(InvalidInputError, match="not a valid data product name"):
        import_existing(str(tmp_path), name="no spaces", **OWNER)
    with pytest.raises(InvalidInputError, match="not a data product kind") as kind:
        import_existing(str(tmp_path), name="x", kind="Aggregate", **OWNER)
    assert kind.value.hint == "did you mean `aggregate`?"


def test_a_postgres_table_becomes_a_draft_without_the_password(pg_database, pg):
    schema = f"s{uuid.uuid4().hex[:8]}"
    pg.execute(f'CREATE SCHEMA "{schema}"')
    pg.execute(f'CREATE TABLE "{schema}".orders (id bigint PRIMARY KEY, total numeric(12,2) NOT NULL, note text)')
    host, database = pg_database.split("@", 1)[1].rsplit("/", 1)
    url = f"postgresql://postgres:not-needed@{host}/{database}"  # trust auth ignores the password

    dp = import_existing(f"{url}#{schema}.orders", name="orders", system="shop_db", **OWNER)

    source = dp.input_ports[0].source
    assert isinstance(source, DatabaseSource)
    assert source.url == f"postgresql://postgres@{host}/{database}"
    assert (source.table, source.system) == (f"{schema}.orders", "shop_db")
    port = port_of(dp)
    assert port.name == "orders"
    assert [(c.name, c.type.value, c.required, c.primary_key) for c in port.data_contract.columns] == [
        ("id", "integer", True, True),
        ("total", "decimal", True, False),
        ("note", "string", False, False),
    ]
    assert round_trips(dp)
    with pytest.raises(NotFoundError, match="no table"):
        import_existing(f"{url}#{schema}.missing", name="orders", **OWNER)
    with pytest.raises(InvalidInputError, match="names no table"):
        import_existing(url, name="orders", **OWNER)
