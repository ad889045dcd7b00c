"""Run a data product's workloads: from input relations to staged output tables, with no I/O of their own.

Each workload gets a fresh DuckDB connection in which its input ports (``reads``; all of them when it names
none) are registered relations named after the ports. Then the connection is locked: external access off
and configuration frozen, so a workload cannot read files, attach databases or install extensions — what it
computes depends on its inputs alone, which is what makes a run re-runnable over pinned inputs.

* SQL: one query per output port, from a file (relative to the descriptor folder) or inline. Errors name the
  data product's descriptor, the SQL file and DuckDB's message.
* Python: ``function: file.py:func`` (relative to the descriptor folder) is called with a dict of DuckDB
  relations (port → relation; ``.to_arrow_table()`` gives Arrow) and returns a dict port → Arrow table,
  DuckDB relation or anything exposing the Arrow C stream interface.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from meshplane.errors import InvalidInputError, UnsupportedError
from meshplane.runtime.inputs import Input
from meshplane.spec.model import DataProduct, Language, Workload


class WorkloadError(InvalidInputError):
    """A workload failed: bad SQL, a Python error, or a result that is not a table."""


def sandbox(inputs: Mapping[str, Any], *, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that sees only ``inputs`` (name → Arrow table or dataset), locked down."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name, data in inputs.items():
        con.register(name, data)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def stage(dp: DataProduct, folder: Path, inputs: Mapping[str, Input]) -> dict[str, pa.Table]:
    """Every output port the workloads write, as Arrow tables (not yet checked, not yet stored)."""
    staged: dict[str, pa.Table] = {}
    descriptor = folder / "dataproduct.yaml"
    for wl in dp.workloads:
        if wl.engine != "duckdb":
            raise UnsupportedError(
                f"{descriptor}: workload `{wl.name}` asks for the {wl.engine} engine; runs use the embedded DuckDB",
                hint="set `engine: duckdb` (or leave it out)",
            )
        names = wl.reads or list(inputs)
        missing = [n for n in names if n not in inputs]
        if missing:
            raise WorkloadError(f"{descriptor}: workload `{wl.name}` reads {', '.join(missing)}, which were not read")
        con = sandbox({n: inputs[n].data for n in names})
        try:
            if wl.language is Language.SQL:
                produced = {port: _query(con, wl, port, folder, descriptor) for port in wl.writes}
            else:
                produced = _python(con, wl, names, folder, descriptor)
        finally:
            con.close()
        staged.update(produced)
    return staged


def sql_text(wl: Workload, port: str, folder: Path) -> tuple[str, str]:
    """(SQL, where it came from): a ``.sql`` file relative to the descriptor folder, or the inline text."""
    ref = wl.sql.get(port)
    if ref is None:
        raise WorkloadError(f"workload `{wl.name}` writes `{port}` but gives no SQL for it", hint="add it under `sql`")
    text = ref.strip()
    if text.lower().endswith(".sql") and "\n" not in text:
        path = folder / text
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise WorkloadError(
                f"cannot read {path}: {exc.strerror or exc}", hint="check the path under `sql`"
            ) from exc
    return ref, f"the inline SQL of `{port}`"


def _query(con: duckdb.DuckDBPyConnection, wl: Workload, port: str, folder: Path, descriptor: Path) -> pa.Table:
    text, origin = sql_text(wl, port, folder)
    where = f"{descriptor}: workload `{wl.name}`, port `{port}` ({origin})"
    try:
        relation = con.sql(text)
        if relation is None:
            raise WorkloadError(f"{where}: the SQL does not end in a query", hint="end it with a SELECT")
        return relation.to_arrow_table()
    except duckdb.Error as exc:
        raise WorkloadError(
            f"{where}: DuckDB says: {exc}",
            hint="the input ports are relations named after the ports; files and extensions are not reachable",
        ) from exc


def _python(
    con: duckdb.DuckDBPyConnection, wl: Workload, names: list[str], folder: Path, descriptor: Path
) -> dict[str, pa.Table]:
    ref = wl.function or ""
    where = f"{descriptor}: workload `{wl.name}` ({ref})"
    func = load_function(ref, folder, where)
    relations = {name: con.table(name) for name in names}
    try:
        result = func(relations)
    except Exception as exc:  # the workload's own error, reported with where it happened
        raise WorkloadError(f"{where} raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, Mapping):
        raise WorkloadError(
            f"{where} returned {type(result).__name__}, not a dict of port → table",
            hint=f"return {{{', '.join(repr(p) for p in wl.writes)}: …}}",
        )
    unknown = sorted(set(result) - set(wl.writes))
    missing = [p for p in wl.writes if p not in result]
    if unknown or missing:
        raise WorkloadError(
            f"{where} returned ports {sorted(result)}; the workload writes {wl.writes}",
            hint="return exactly the ports listed under `writes`",
        )
    return {port: _as_table(value, f"{where}, port `{port}`") for port, value in result.items()}


def load_function(ref: str, folder: Path, where: str) -> Callable[..., Any]:
    file, _, name = ref.partition(":")
    path = folder / file
    if not name or not path.is_file():
        raise WorkloadError(f"{where}: no function `{name or '?'}` in {path}", hint="write `function: file.py:func`")
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(f"meshplane_workload_{digest}", path)
    if spec is None or spec.loader is None:
        raise WorkloadError(f"{where}: cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise WorkloadError(f"{where}: importing {path} failed: {type(exc).__name__}: {exc}") from exc
    func = getattr(module, name, None)
    if not callable(func):
        raise WorkloadError(f"{where}: {path} has no function `{name}`")
    return func  # type: ignore[no-any-return]


def _as_table(value: Any, where: str) -> pa.Table:
    if isinstance(value, pa.Table):
        return value
    if isinstance(value, duckdb.DuckDBPyRelation):
        try:
            return value.to_arrow_table()
        except duckdb.Error as exc:
            raise WorkloadError(f"{where}: DuckDB says: {exc}") from exc
    if isinstance(value, pa.RecordBatchReader):
        return value.read_all()
    if hasattr(value, "__arrow_c_stream__"):
        return pa.table(value)
    raise WorkloadError(
        f"{where}: got {type(value).__name__}, not a table", hint="return a pyarrow Table or a DuckDB relation"
    )
