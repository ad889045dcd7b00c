"""Tables of operational databases as Arrow: SQLite through ``sqlite3``, PostgreSQL through psycopg 3.

DuckDB's SQLite and PostgreSQL scanners are extensions, and extensions cannot be downloaded here, so the
rows come through the Python drivers: SQLite opened read-only (a missing file is an error, not a new empty
database), PostgreSQL through a server-side cursor in a read-only REPEATABLE READ transaction (one
consistent snapshot, fetched in batches). Column types come from the declared types (SQLite affinity rules,
PostgreSQL type oids); a column whose values do not fit its declared type (SQLite allows that) is read as
text, so the contract checks can say which rows are wrong instead of the read failing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa

from meshplane.errors import InvalidInputError, NotFoundError, UnsupportedError
from meshplane.runtime.watermarks import condition

_BATCH = 50_000
#: PostgreSQL type oids → Arrow types (others are inferred from the values).
_PG_TYPES: dict[int, Any] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    25: pa.string(),
    1042: pa.string(),
    1043: pa.string(),
    2950: pa.string(),
    114: pa.string(),
    3802: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    17: pa.binary(),
}


def sqlite_path(url: str, root: Path) -> Path:
    """``sqlite:///relative/to/mesh.db`` or ``sqlite:////absolute/path.db``."""
    text = url.split("?", 1)[0]
    rest = unquote(text[len("sqlite:///") :])
    path = Path(rest)
    return path if path.is_absolute() else root / path


def _quote(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _sqlite_type(declared: str) -> Any | None:
    """SQLite's type affinity rules (https://sqlite.org/datatype3.html §3.1)."""
    text = declared.upper()
    if "INT" in text:
        return pa.int64()
    if any(word in text for word in ("CHAR", "CLOB", "TEXT")):
        return pa.string()
    if "BLOB" in text:
        return pa.binary()
    if any(word in text for word in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    return None


def read_sqlite(port: str, url: str, table: str, root: Path, *, watermark: str | None, low: Any, high: Any) -> pa.Table:
    path = sqlite_path(url, root)
    if not path.is_file():
        raise NotFoundError(
            f"input `{port}`: the SQLite database {path} does not exist",
            hint="check the source's url (relative paths start at the mesh folder)",
        )
    where, params = condition(_quote(watermark), low, high) if watermark else ("", [])
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInputError(f"input `{port}`: cannot open {path}: {exc}") from exc
    try:
        declared = {row[1]: row[2] for row in db.execute(f"PRAGMA table_info({_quote(table)})")}
        cursor = db.execute(f"SELECT * FROM {_quote(table)}{where}", params)
        names = [d[0] for d in cursor.description]
        columns: list[list[Any]] = [[] for _ in names]
        while rows := cursor.fetchmany(_BATCH):
            for i, values in enumerate(zip(*rows, strict=True)):
                columns[i].extend(values)
    except sqlite3.Error as exc:
        raise InvalidInputError(
            f"input `{port}`: reading table `{table}` of {path} failed: {exc}",
            hint="check the table and column names in the input port's source",
        ) from exc
    finally:
        db.close()
    return _table(names, columns, [_sqlite_type(declared.get(n) or "") for n in names])


def read_postgres(port: str, url: str, table: str, *, watermark: str | None, low: Any, high: Any) -> pa.Table:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a dependency
        raise UnsupportedError(
            "reading PostgreSQL sources needs psycopg", hint="pip install 'psycopg[binary]'"
        ) from exc
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    where, params = condition(_quote(watermark), low, high, "%s") if watermark else ("", [])
    try:
        with (
            psycopg.connect(dsn, connect_timeout=5) as conn,
            conn.transaction(),
        ):
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            with conn.cursor(name="meshplane_input") as cursor:
                cursor.execute(f"SELECT * FROM {_quote(table)}{where}", params)
                description = cursor.description or []
                names = [d.name for d in description]
                columns: list[list[Any]] = [[] for _ in names]
                while rows := cursor.fetchmany(_BATCH):
                    for i, values in enumerate(zip(*rows, strict=True)):
                        columns[i].extend(values)
                types = [_PG_TYPES.get(d.type_code) for d in description]
    except psycopg.Error as exc:
        raise InvalidInputError(
            f"input `{port}`: reading `{table}` from PostgreSQL failed: {str(exc).strip().splitlines()[0]}",
            hint="check that the database is reachable and the source's url, table and watermark column",
        ) from exc
    for i, arrow_type in enumerate(types):
        if arrow_type == pa.string():
            columns[i] = [_text(v) for v in columns[i]]
    return _table(names, columns, types)


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _table(names: Sequence[str], columns: Sequence[list[Any]], types: Iterable[Any | None]) -> pa.Table:
    arrays = [_array(values, arrow_type) for values, arrow_type in zip(columns, types, strict=True)]
    return pa.Table.from_arrays(arrays, names=list(names))


def _array(values: list[Any], arrow_type: Any | None) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type) if arrow_type is not None else pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        # a value that does not fit the declared type: read the column as text, let the checks judge it
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
