"""The runtime tests' mesh: five data products over real sources (SQLite, CSV, Parquet, another product's
port), with SQL and Python workloads, an ``events`` port fed incrementally, and a bi-temporal port; and
:class:`Rt`, a test's own copy of it with helpers. (A module of its own: every test folder has a
``conftest``, so helpers imported by name must live elsewhere.)
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from deltalake import DeltaTable

from meshplane.provisioning.service import Session, open_session
from meshplane.registry import RunRecord
from meshplane.runtime import run

MESH: dict[str, Any] = {
    "apiVersion": "meshplane/v1",
    "name": "rt",
    "environments": [{"name": "dev"}],
    "domains": [{"name": "shop"}, {"name": "analytics"}],
    "users": [{"id": "ann"}],
    "systems": [{"name": "shop_db"}, {"name": "exports"}],
}


def _dp(domain: str, name: str, components: list[dict[str, Any]], kind: str = "source-aligned") -> dict[str, Any]:
    return {
        "apiVersion": "meshplane/v1",
        "id": f"urn:dmb:dp:{domain}:{name}:1",
        "name": name,
        "domain": domain,
        "kind": kind,
        "version": "1.0.0",
        "owner": "ann",
        "components": components,
    }


def _port(name: str, columns: list[dict[str, Any]], quality: list[dict[str, Any]] | None = None, **extra: Any) -> dict:
    contract: dict[str, Any] = {"columns": columns, "quality": quality or []}
    contract.update(extra.pop("contract", {}))
    return {"kind": "outputPort", "name": name, "dataContract": contract, **extra}


def _wl(reads: list[str], writes: list[str], **extra: Any) -> dict[str, Any]:
    return {"kind": "workload", "name": "build", "reads": reads, "writes": writes, **extra}


CUSTOMERS = _dp(
    "shop",
    "customers",
    [
        {
            "kind": "inputPort",
            "name": "crm",
            "source": {
                "type": "database",
                "system": "shop_db",
                "url": "sqlite:///sources/shop.db",
                "table": "customers",
            },
        },
        _port(
            "customers",
            [
                {"name": "cid", "type": "string", "required": True, "primaryKey": True},
                {"name": "email", "type": "string"},
                {"name": "since", "type": "timestamp", "required": True},
            ],
            [
                {"type": "pattern", "column": "email", "pattern": "^[^@]+@[^@]+$", "severity": "warning"},
                {"type": "rowCount", "min": 1},
            ],
        ),
        _port("emails", [{"name": "cid", "type": "string", "required": True}, {"name": "email", "type": "string"}]),
        _wl(
            ["crm"],
            ["customers", "emails"],
            sql={
                "customers": "sql/customers.sql",
                "emails": "SELECT 'C' || id AS cid, lower(email) AS email FROM crm WHERE email IS NOT NULL",
            },
        ),
    ],
)
CUSTOMERS_SQL = "SELECT 'C' || id AS cid, lower(email) AS email, CAST(created AS TIMESTAMP) AS since FROM crm\n"

ORDERS = _dp(
    "shop",
    "orders",
    [
        {
            "kind": "inputPort",
            "name": "raw",
            "source": {"type": "files", "system": "exports", "path": "sources/orders.csv", "format": "csv"},
        },
        _port(
            "orders",
            [
                {"name": "order_id", "type": "string", "required": True, "primaryKey": True},
                {"name": "cid", "type": "string", "required": True},
                {"name": "amount", "type": "decimal", "physicalType": "DECIMAL(12,2)", "required": True},
                {"name": "status", "type": "string", "required": True},
            ],
            [
                {"type": "acceptedValues", "column": "status", "values": ["paid", "shipped"]},
                {"type": "range", "column": "amount", "min": 0},
                {"type": "range", "column": "amount", "max": 500, "severity": "warning"},
            ],
        ),
        _wl(
            ["raw"],
            ["orders"],
            sql={
                "orders": "SELECT CAST(order_id AS VARCHAR) AS order_id, cid, CAST(amount AS DECIMAL(12,2)) AS amount, "
                "status FROM raw"
            },
        ),
    ],
)

REVENUE = _dp(
    "analytics",
    "revenue",
    [
        {
            "kind": "inputPort",
            "name": "customers",
            "source": {"type": "outputPort", "dataProduct": "urn:dmb:dp:shop:customers:1", "port": "customers"},
        },
        {
            "kind": "inputPort",
            "name": "orders",
            "source": {"type": "outputPort", "dataProduct": "urn:dmb:dp:shop:orders:1", "port": "orders"},
        },
        _port(
            "revenue",
            [
                {"name": "cid", "type": "string", "required": True, "primaryKey": True},
                {"name": "orders", "type": "integer", "required": True},
                {"name": "total", "type": "decimal", "physicalType": "DECIMAL(14,2)"},
            ],
        ),
        _wl(["customers", "orders"], ["revenue"], language="python", function="transform.py:build"),
    ],
    kind="aggregate",
)
REVENUE_PY = """
def build(inputs):
    customers, orders = inputs["customers"], inputs["orders"]
    joined = customers.join(orders, "cid", how="left")
    result = joined.aggregate(
        "cid, count(order_id)::BIGINT AS orders, sum(amount)::DECIMAL(14,2) AS total", "cid"
    ).order("cid")
    return {"revenue": result.to_arrow_table()}
"""

EVENTS = _dp(
    "shop",
    "clicks",
    [
        {
            "kind": "inputPort",
            "name": "log",
            "source": {
                "type": "database",
                "system": "shop_db",
                "url": "sqlite:///sources/shop.db",
                "table": "clicks",
                "incremental": {"watermarkColumn": "id"},
            },
        },
        _port(
            "clicks",
            [
                {"name": "id", "type": "integer", "required": True, "primaryKey": True},
                {"name": "page", "type": "string", "required": True},
            ],
            type="events",
        ),
        _wl(["log"], ["clicks"], sql={"clicks": "SELECT id, page FROM log"}),
    ],
)

ADDRESSES = _dp(
    "shop",
    "addresses",
    [
        {
            "kind": "inputPort",
            "name": "moves",
            "source": {"type": "files", "system": "exports", "path": "sources/moves/*.parquet", "format": "parquet"},
        },
        _port(
            "addresses",
            [
                {"name": "cid", "type": "string", "required": True, "primaryKey": True},
                {"name": "city", "type": "string", "required": True},
                {"name": "valid_from", "type": "date", "required": True, "primaryKey": True},
                {"name": "valid_to", "type": "date"},
            ],
            contract={"bitemporal": {"validFrom": "valid_from", "validTo": "valid_to"}},
        ),
        _wl(["moves"], ["addresses"], sql={"addresses": "SELECT cid, city, valid_from FROM moves"}),
    ],
)

PRODUCTS = {
    "shop/customers": CUSTOMERS,
    "shop/orders": ORDERS,
    "analytics/revenue": REVENUE,
    "shop/clicks": EVENTS,
    "shop/addresses": ADDRESSES,
}
ORDER_ROWS = [
    ("1", "C1", "10.50", "paid"),
    ("2", "C1", "20.00", "shipped"),
    ("3", "C2", "5.25", "paid"),
]


def write_orders(root: Path, rows: list[tuple[str, ...]]) -> None:
    with (root / "sources/orders.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["order_id", "cid", "amount", "status"])
        writer.writerows(rows)


def write_moves(root: Path, name: str, rows: list[tuple[str, str, str]]) -> None:
    from datetime import date

    folder = root / "sources/moves"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "cid": [r[0] for r in rows],
            "city": [r[1] for r in rows],
            "valid_from": [date.fromisoformat(r[2]) for r in rows],
        }
    )
    pq.write_table(table, folder / f"{name}.parquet")


def build(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "mesh.yaml").write_text(yaml.safe_dump(MESH, sort_keys=False))
    for folder, dp in PRODUCTS.items():
        (root / folder).mkdir(parents=True)
        (root / folder / "dataproduct.yaml").write_text(yaml.safe_dump(dp, sort_keys=False))
    (root / "shop/customers/sql").mkdir()
    (root / "shop/customers/sql/customers.sql").write_text(CUSTOMERS_SQL)
    (root / "analytics/revenue/transform.py").write_text(REVENUE_PY)
    (root / "sources").mkdir()
    db = sqlite3.connect(root / "sources/shop.db")
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, created TEXT)")
    db.executemany(
        "INSERT INTO customers VALUES (?, ?, ?)",
        [(1, "Ann@Example.com", "2024-01-01 10:00:00"), (2, "bob@example.com", "2024-02-01 11:00:00")],
    )
    db.execute("CREATE TABLE clicks (id INTEGER PRIMARY KEY, page TEXT NOT NULL)")
    db.executemany("INSERT INTO clicks VALUES (?, ?)", [(1, "/"), (2, "/cart")])
    db.commit()
    db.close()
    write_orders(root, ORDER_ROWS)
    write_moves(root, "a", [("C1", "Rome", "2024-01-01"), ("C2", "Oslo", "2024-01-15")])
    with open_session(root) as session:
        for dp in session.select(None):
            outcome = session.coordinator.deploy(dp)
            assert outcome.ok, outcome.failures


@dataclass
class Rt:
    root: Path

    @contextmanager
    def session(self) -> Iterator[Session]:
        with open_session(self.root) as session:
            yield session

    def run(self, name: str, **kwargs: Any) -> RunRecord:
        with self.session() as session:
            dp = session.workspace.find(name)
            assert dp is not None
            return run(session, dp, **kwargs)

    def table(self, product: str, port: str | None = None) -> DeltaTable:
        domain = next(k.split("/")[0] for k in PRODUCTS if k.endswith("/" + product))
        return DeltaTable(str(self.root / ".meshplane/storage/dev" / domain / product / "v1" / (port or product)))

    def rows(self, product: str, port: str | None = None, version: int | None = None) -> list[dict[str, Any]]:
        table = self.table(product, port)
        if version is not None:
            table.load_as_version(version)
        return sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        db = sqlite3.connect(self.root / "sources/shop.db")
        db.execute(statement, params)
        db.commit()
        db.close()

    def edit(self, folder: str, change: Callable[[dict[str, Any]], object]) -> None:
        path = self.root / folder / "dataproduct.yaml"
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
