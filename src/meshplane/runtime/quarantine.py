"""The quarantine: rows a blocking contract check rejected, kept beside the port instead of in it.

``<storage root>/<env>/<domain>/<dp>/v<major>/_quarantine/<port>/<run id>.parquet`` — one Parquet file per
port and run, every column of the rejected rows as the workload produced them plus ``_meshplane_run_id``,
``_meshplane_reasons`` (the ids of the checks each row failed) and ``_meshplane_quarantined_at``. One file
per run keeps writes atomic (written aside, then renamed) and lets a run's rows be read or dropped alone;
the folder starts with ``_`` so nothing mistakes it for a port.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs

from meshplane.adapters.storage import Location

RUN_COLUMN = "_meshplane_run_id"
AT_COLUMN = "_meshplane_quarantined_at"
FOLDER = "_quarantine"


def folder(product: Location, port: str) -> Location:
    return product.child(FOLDER, port)


def write(product: Location, port: str, run_id: str, rows: pa.Table) -> str:
    """Store ``rows`` (with ``_meshplane_reasons``) for ``run_id``; returns where."""
    now = datetime.now(UTC)
    table = rows.append_column(RUN_COLUMN, pa.array([run_id] * rows.num_rows, type=pa.string()))
    table = table.append_column(AT_COLUMN, pa.array([now] * rows.num_rows, type=pa.timestamp("us", tz="UTC")))
    target = folder(product, port).child(f"{run_id}.parquet")
    if target.local is not None:
        target.local.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=target.local.parent)
        os.close(handle)
        try:
            pq.write_table(table, temp)
            Path(temp).replace(target.local)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    else:
        filesystem, path = fs.FileSystem.from_uri(target.uri)
        pq.write_table(table, path, filesystem=filesystem)  # an object store's PUT is atomic
    return target.uri


def files(product: Location, port: str) -> list[str]:
    where = folder(product, port)
    if where.local is not None:
        return sorted(str(p) for p in where.local.glob("*.parquet")) if where.local.is_dir() else []
    filesystem, path = fs.FileSystem.from_uri(where.uri)
    found = filesystem.get_file_info(fs.FileSelector(path, allow_not_found=True))
    return sorted(f.path for f in found if f.path.endswith(".parquet"))


def read(product: Location, port: str, *, run_id: str | None = None, limit: int | None = None) -> pa.Table:
    """Quarantined rows of ``port`` (of one run when ``run_id`` is given), newest run first."""
    where = folder(product, port)
    paths = files(product, port)
    if run_id is not None:
        paths = [p for p in paths if Path(p).name.startswith(run_id)]
    if not paths:
        return pa.table({RUN_COLUMN: pa.array([], pa.string())})
    filesystem = None if where.local is not None else fs.FileSystem.from_uri(where.uri)[0]
    tables = [pq.read_table(p, filesystem=filesystem) for p in reversed(paths)]  # run ids sort by time
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.slice(0, limit) if limit is not None else table
