"""Input ports → data a workload can scan. All of a run's reading happens here; the logic lives elsewhere.

Each input port resolves to an :class:`Input`: Arrow data to register in DuckDB under the port's name, and a
*pin* — JSON saying exactly what was read, which the run record keeps:

* another data product's output port: the Delta snapshot at the latest version, at a version pinned in the
  descriptor (``version: 12``) or on the command line (``--pin port=12``), scanned lazily as a pyarrow
  dataset. Pin: the table version. Its columns are checked against the upstream port's contract.
* files (CSV, Parquet, JSON; a path or glob relative to the mesh folder): read by DuckDB. Pin: the files'
  names, sizes and modification times, and the watermark range for an incremental source.
* a database table (``sqlite:///…`` or ``postgresql://…``): see ``dbsources``. Pin: the watermark range.

Incremental sources (``incremental.watermarkColumn``) read only rows above the previous successful run's
watermark; a run being completed or overwritten re-reads exactly its recorded range. A pin from the record
(``recorded``) always wins, so ``--recover`` and ``--overwrite`` see the inputs the original run saw.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from meshplane.errors import InvalidInputError, NotFoundError, UnsupportedError
from meshplane.runtime import watermarks
from meshplane.runtime.dbsources import read_postgres, read_sqlite
from meshplane.spec.model import (
    DatabaseSource,
    DataContract,
    EventsSource,
    FilesSource,
    InputPort,
    OutputPortSource,
)

#: ``(data product id, port name) → (table URI, the port's data contract)``; raises NotFoundError.
Locate = Callable[[str, str], tuple[str, DataContract]]
_READERS = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json_auto"}


@dataclass
class Input:
    port: str
    data: pa.Table | pads.Dataset
    pin: dict[str, Any]

    @property
    def schema(self) -> pa.Schema:
        return self.data.schema


def read_input(
    port: InputPort,
    *,
    root: Path,
    locate: Locate,
    pin: int | None = None,
    recorded: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
) -> Input:
    """Read ``port``. ``pin``: a version for an output-port source; ``recorded``: the pin of the run being
    completed or overwritten; ``previous``: the pin of the last successful run (for watermarks)."""
    src = port.source
    if isinstance(src, OutputPortSource):
        version = _recorded_version(recorded)
        if version is None:
            version = pin if pin is not None else (src.version if isinstance(src.version, int) else None)
        return _delta(port.name, src, locate, version)
    if isinstance(src, EventsSource):
        raise UnsupportedError(
            f"input `{port.name}` reads the event stream `{src.stream}`; event sources are pushed by the events "
            "integration, not pulled by a run",
            hint="land the events in a files or database source, or read another data product's port",
        )
    low, high = _range(port, recorded, previous)
    column = src.incremental.watermark_column if src.incremental else None
    if isinstance(src, FilesSource):
        table, pin_data = _files(port.name, src, root, column, low, high)
    else:
        table, pin_data = _database(port.name, src, root, column, low, high)
    if column is not None:
        if column not in table.column_names:
            raise InvalidInputError(
                f"input `{port.name}`: the watermark column `{column}` is not in the source",
                hint=f"the source has: {', '.join(table.column_names)}",
            )
        top = pc.max(table[column]).as_py() if table.num_rows else None
        end = top if top is not None else (high if high is not None else low)
        pin_data["watermark"] = {
            "column": column,
            "from": watermarks.encode(low),
            "to": watermarks.encode(high if high is not None else end),
        }
    pin_data["rows"] = table.num_rows
    return Input(port.name, table, pin_data)


def _recorded_version(recorded: Mapping[str, Any] | None) -> int | None:
    if recorded and recorded.get("kind") == "outputPort" and recorded.get("version") is not None:
        return int(recorded["version"])
    return None


def _range(port: InputPort, recorded: Mapping[str, Any] | None, previous: Mapping[str, Any] | None) -> tuple[Any, Any]:
    """``(low, high)``: re-read a recorded range exactly, else read above the previous watermark."""
    if recorded and recorded.get("watermark"):
        mark = recorded["watermark"]
        return watermarks.decode(mark.get("from")), watermarks.decode(mark.get("to"))
    if previous and previous.get("watermark"):
        return watermarks.decode(previous["watermark"].get("to")), None
    return None, None


def _delta(name: str, src: OutputPortSource, locate: Locate, version: int | None) -> Input:
    uri, contract = locate(src.data_product, src.port)
    if not DeltaTable.is_deltatable(uri):
        raise NotFoundError(
            f"input `{name}` reads {src.data_product} port `{src.port}`, which has no table at {uri}",
            hint=f"deploy {src.data_product} (and run it) first",
        )
    try:
        table = DeltaTable(uri, version=version)
    except DeltaError as exc:
        latest = DeltaTable(uri).version()
        raise InvalidInputError(
            f"input `{name}`: {src.data_product} port `{src.port}` has no version {version}: {exc}",
            hint=f"its versions are 0 to {latest}; see `meshplane versions`",
        ) from exc
    dataset = table.to_pyarrow_dataset()
    missing = [c.name for c in contract.columns if c.name not in dataset.schema.names]
    if missing:
        raise InvalidInputError(
            f"input `{name}`: {src.data_product} port `{src.port}` (version {table.version()}) does not match its "
            f"contract: missing column(s) {', '.join(missing)}",
            hint="the upstream table and its contract disagree; redeploy or restore the upstream port",
        )
    pin = {
        "kind": "outputPort",
        "dataProduct": src.data_product,
        "port": src.port,
        "version": table.version(),
        "rows": dataset.count_rows(),
    }
    return Input(name, dataset, pin)


def _files(
    name: str, src: FilesSource, root: Path, column: str | None, low: Any, high: Any
) -> tuple[pa.Table, dict[str, Any]]:
    pattern = Path(src.path) if Path(src.path).is_absolute() else root / src.path
    if glob.has_magic(str(pattern)):
        anchor = Path(pattern.anchor)
        files = sorted(str(p) for p in anchor.glob(str(pattern.relative_to(anchor))) if p.is_file())
    else:
        files = [str(pattern)] if pattern.is_file() else []
    if not files:
        raise NotFoundError(
            f"input `{name}`: no {src.format} file at {pattern}",
            hint="check the source's path (relative paths start at the mesh folder)",
        )
    listing = []
    for f in files:
        stat = Path(f).stat()
        listing.append({"path": str(Path(f).relative_to(root)) if root in Path(f).parents else f, "size": stat.st_size})
    where, params = watermarks.condition(_ident(column), low, high) if column else ("", [])
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        relation = f"{_READERS[src.format]}(?)"
        table = con.sql(f"SELECT * FROM {relation}{where}", params=[files, *params]).to_arrow_table()
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"input `{name}`: reading {src.path} ({src.format}) failed: {str(exc).splitlines()[0]}",
            hint="the file may have disappeared or changed format while the run read it; re-run",
        ) from exc
    finally:
        con.close()
    return table, {"kind": "files", "path": src.path, "format": src.format, "files": listing}


def _database(
    name: str, src: DatabaseSource, root: Path, column: str | None, low: Any, high: Any
) -> tuple[pa.Table, dict[str, Any]]:
    url = src.url
    if url.startswith("sqlite:///"):
        table = read_sqlite(name, url, src.table, root, watermark=column, low=low, high=high)
    elif url.split("://", 1)[0] in ("postgresql", "postgres", "postgresql+psycopg"):
        table = read_postgres(name, url, src.table, watermark=column, low=low, high=high)
    else:
        raise UnsupportedError(
            f"input `{name}`: cannot read `{url.split('://', 1)[0]}` databases",
            hint="use sqlite:///path.db or postgresql://user@host/db",
        )
    return table, {"kind": "database", "system": src.system, "table": src.table, "url": _safe_url(url)}


def _safe_url(url: str) -> str:
    """The URL without a password: it is stored in run records and lineage."""
    head, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{head}{sep}{user}@{host}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
