"""Helpers shared by the lineage tests (importable by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb

from meshplane.spec.model import DatabaseSource, DataProduct, FilesSource, OutputPortSource
from meshplane.spec.workspace import Workspace


def input_schema(ws: Workspace, dp: DataProduct) -> dict[str, list[str]]:
    """Input port -> its columns: the upstream port's contract, else the source's own header."""
    products = ws.by_id()
    found: dict[str, list[str]] = {}
    for port in dp.input_ports:
        src = port.source
        if isinstance(src, OutputPortSource):
            upstream = products[src.data_product][1].port(src.port)
            assert upstream is not None
            found[port.name] = [c.name for c in upstream.data_contract.columns]
        elif isinstance(src, FilesSource):
            reader = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json_auto"}[src.format]
            rows = duckdb.sql(f"DESCRIBE SELECT * FROM {reader}('{ws.root / src.path}')").fetchall()
            found[port.name] = [r[0] for r in rows]
        elif isinstance(src, DatabaseSource):
            db = ws.root / src.url.removeprefix("sqlite:///")
            with sqlite3.connect(db) as con:
                found[port.name] = [r[1] for r in con.execute(f"PRAGMA table_info({src.table})")]
    return found


@dataclass(frozen=True)
class Workload:
    dp: DataProduct
    port: str
    sql: str
    inputs: dict[str, list[str]]

    @property
    def id(self) -> str:
        return f"{self.dp.name}.{self.port}"


def demo_workloads(ws: Workspace) -> list[Workload]:
    found = []
    for loaded, dp in ws.models():
        schema = input_schema(ws, dp)
        for wl in dp.workloads:
            for port, path in wl.sql.items():
                sql = (Path(loaded.document.file).parent / path).read_text()
                found.append(Workload(dp, port, sql, schema))
    return sorted(found, key=lambda w: w.id)
