"""A plain stand-in for the runtime, for the demo tests: run every workload, check every contract.

``run_mesh`` gives each data product a fresh DuckDB connection in which its input ports are relations named
after the ports - a SQLite table read with ``sqlite3``, a Parquet/CSV file, or an upstream product's result -
and executes each SQL file of its workload, upstream products first. ``check_contract`` evaluates every
expectation of a contract against a result, so the tests can say the demo's contracts really hold on the
demo's data.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from meshplane.spec.model import (
    AcceptedValues,
    CustomSql,
    DatabaseSource,
    DataContract,
    DataProduct,
    FilesSource,
    Freshness,
    NotNull,
    OutputPortSource,
    Pattern,
    Range,
    RowCount,
    Unique,
)

CUSTOMERS = 500
SEED = 7


@dataclass
class Product:
    model: DataProduct
    folder: Path


def upstream_first(products: dict[str, Product]) -> list[Product]:
    ordered: list[Product] = []
    placed: set[str] = set()
    pending = dict(products)
    while pending:
        ready = [
            dp_id for dp_id, p in pending.items() if all(src.data_product in placed for src in _port_sources(p.model))
        ]
        assert ready, f"a cycle among {sorted(pending)}"
        for dp_id in sorted(ready):
            ordered.append(pending.pop(dp_id))
            placed.add(dp_id)
    return ordered


def _port_sources(model: DataProduct) -> list[OutputPortSource]:
    return [p.source for p in model.input_ports if isinstance(p.source, OutputPortSource)]


def read_sqlite(root: Path, url: str, table: str) -> pa.Table:
    assert url.startswith("sqlite:///")
    db = sqlite3.connect(root / url.removeprefix("sqlite:///"))
    try:
        cursor = db.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        db.close()
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


def run_mesh(root: Path, products: dict[str, Product]) -> dict[tuple[str, str], pa.Table]:
    results: dict[tuple[str, str], pa.Table] = {}
    by_id = {dp_id: p.model.name for dp_id, p in products.items()}
    for product in upstream_first(products):
        con = duckdb.connect()
        try:
            for port in product.model.input_ports:
                src = port.source
                if isinstance(src, DatabaseSource):
                    con.register(port.name, read_sqlite(root, src.url, src.table))
                elif isinstance(src, FilesSource):
                    reader = {"parquet": "read_parquet", "csv": "read_csv"}[src.format]
                    con.execute(f"CREATE VIEW {port.name} AS SELECT * FROM {reader}('{root / src.path}')")
                elif isinstance(src, OutputPortSource):
                    con.register(port.name, results[(by_id[src.data_product], src.port)])
            for workload in product.model.workloads:
                for port_name, ref in workload.sql.items():
                    sql = (product.folder / ref).read_text()
                    results[(product.model.name, port_name)] = con.sql(sql).to_arrow_table()
        finally:
            con.close()
    return results


_TYPES = {
    "string": ("VARCHAR",),
    "integer": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT"),
    "number": ("DOUBLE", "FLOAT", "DECIMAL"),
    "decimal": ("DECIMAL",),
    "boolean": ("BOOLEAN",),
    "date": ("DATE",),
    "timestamp": ("TIMESTAMP",),
}


def check_contract(table: pa.Table, port: str, contract: DataContract) -> list[str]:
    """Every way ``table`` breaks ``contract`` (freshness excepted: the demo's dates are fixed)."""
    problems: list[str] = []
    con = duckdb.connect()
    con.register(port, table)

    def count(sql: str, *params: object) -> int:
        row = con.execute(sql, list(params)).fetchall()[0]
        assert row is not None
        return int(row[0])

    names = [c.name for c in contract.columns]
    if table.column_names != names:
        problems.append(f"columns {table.column_names} != contract {names}")
        return problems
    described = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {port})").fetchall())
    for col in contract.columns:
        physical = str(described[col.name])
        if not physical.startswith(_TYPES[col.type.value]):
            problems.append(f"{col.name}: {physical} is not {col.type.value}")
        if col.required and (n := count(f'SELECT count(*) FROM {port} WHERE "{col.name}" IS NULL')):
            problems.append(f"{col.name}: {n} nulls in a required column")
        if col.unique and (
            n := count(f'SELECT count(*) - count(DISTINCT "{col.name}") FROM {port} WHERE "{col.name}" IS NOT NULL')
        ):
            problems.append(f"{col.name}: {n} duplicates in a unique column")
    if contract.primary_key:
        key = ", ".join(f'"{k}"' for k in contract.primary_key)
        if n := count(f"SELECT count(*) FROM (SELECT {key} FROM {port} GROUP BY ALL HAVING count(*) > 1)"):
            problems.append(f"primary key {contract.primary_key}: {n} duplicated keys")
    total = table.num_rows
    for exp in contract.quality:
        failed = _failures(exp, port, count)
        if failed is None:
            continue
        allowed = total * exp.threshold / 100 if not isinstance(exp, RowCount | CustomSql) else 0
        if failed > allowed:
            problems.append(f"{exp.type} {getattr(exp, 'column', '')} {exp.name or ''}: {failed} failing rows")
    con.close()
    return problems


def _failures(exp: object, port: str, q: Callable[..., int]) -> int | None:
    if isinstance(exp, NotNull):
        return q(f'SELECT count(*) FROM {port} WHERE "{exp.column}" IS NULL')
    if isinstance(exp, Unique):
        cols = ", ".join(f'"{c}"' for c in exp.columns)
        return q(f"SELECT count(*) FROM (SELECT {cols} FROM {port} GROUP BY ALL HAVING count(*) > 1)")
    if isinstance(exp, AcceptedValues):
        return q(
            f'SELECT count(*) FROM {port} WHERE "{exp.column}" IS NOT NULL '
            f'AND NOT list_contains(?, CAST("{exp.column}" AS VARCHAR))',
            [str(v) for v in exp.values],
        )
    if isinstance(exp, Range):
        conds = []
        if exp.min is not None:
            conds.append(f'"{exp.column}" {"<=" if exp.exclusive_min else "<"} {exp.min}')
        if exp.max is not None:
            conds.append(f'"{exp.column}" {">=" if exp.exclusive_max else ">"} {exp.max}')
        return q(f"SELECT count(*) FROM {port} WHERE {' OR '.join(conds)}")
    if isinstance(exp, Pattern):
        re.compile(exp.pattern)
        return q(
            f'SELECT count(*) FROM {port} WHERE "{exp.column}" IS NOT NULL AND NOT regexp_matches("{exp.column}", ?)',
            exp.pattern,
        )
    if isinstance(exp, RowCount):
        rows = q(f"SELECT count(*) FROM {port}")
        too_few = exp.min is not None and rows < exp.min
        too_many = exp.max is not None and rows > exp.max
        return int(too_few or too_many)
    if isinstance(exp, CustomSql):
        value = q(exp.query)
        assert exp.must_be is not None, "the demo's custom checks all use mustBe"
        return int(value != exp.must_be)
    if isinstance(exp, Freshness):
        return None
    raise AssertionError(f"no check for {exp!r}")
