"""The columns of external sources, read from the sources themselves — best effort.

Output ports have contracts, so their columns are known from the descriptors. An external source (a CRM
table, a CSV export) has none, and a SQL workload joining two of them cannot always be attributed column by
column without knowing which relation has which column. Reading just the header (DuckDB ``DESCRIBE`` for
files, ``PRAGMA table_info`` for SQLite) is cheap and closes that gap. Anything that cannot be read quickly
and safely (PostgreSQL, event streams, a missing file) gives ``None``: the lineage then says what it could
not attribute instead of guessing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from meshplane.spec.model import DatabaseSource, DataProduct, FilesSource, Source

__all__ = ["describe_source", "external_schemas"]

_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json_auto"}


def describe_source(source: Source, base: Path) -> list[str] | None:
    """The column names of a file or SQLite source (paths relative to ``base``, the mesh folder), or None."""
    try:
        if isinstance(source, FilesSource):
            return _describe_file(source, base)
        if isinstance(source, DatabaseSource) and source.url.lower().startswith("sqlite:"):
            return _describe_sqlite(source, base)
    except Exception:  # a source we cannot read is simply not described; lineage reports the gap
        return None
    return None


def external_schemas(dp: DataProduct, base: Path) -> dict[str, list[str]]:
    """Input port -> columns, for the external sources of ``dp`` that could be described."""
    found: dict[str, list[str]] = {}
    for port in dp.input_ports:
        columns = describe_source(port.source, base)
        if columns:
            found[port.name] = columns
    return found


def _describe_file(source: FilesSource, base: Path) -> list[str] | None:
    import duckdb  # imported here: only this best-effort path needs the engine

    path = Path(source.path)
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        return None
    con = duckdb.connect()
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {_READERS[source.format]}(?)", [str(path)]).fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows]


def _describe_sqlite(source: DatabaseSource, base: Path) -> list[str] | None:
    raw = source.url.split(":///", 1)[1] if ":///" in source.url else ""
    path = Path(raw)
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        return None
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT name FROM pragma_table_info(?)", (source.table,)).fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows] or None
