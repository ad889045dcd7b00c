"""What ``meshplane test`` tests: a contract and the data it describes.

The contract is an ODCS file or a data product's output port (``DP.PORT`` in a mesh). The data is named
like datacontract-cli names it — a ``servers`` entry of the contract (``--server``), relative paths
resolving against the contract's folder — or given directly (``--path``): a Parquet/CSV/JSON file, a DuckDB
database file with ``--table``, or a ``postgresql://`` URL with ``--table``. A deployed output port is read
from its Delta table, ``<storage root>/<env>/<domain>/<dp>/v<major>/<port>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from meshplane.contracts import quote_ident, quote_string
from meshplane.errors import InvalidInputError, NotFoundError, UnsupportedError
from meshplane.quality.engine import parquet_null_counts, run_checks
from meshplane.quality.report import ContractReport
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.model import DataContract

_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json_auto"}
_SUFFIX_FORMAT = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".json": "json"}
_DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
_PG = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://", re.I)


@dataclass
class Contract:
    """A contract to test, with the names its custom queries may use for its table."""

    label: str
    schema_name: str
    contract: DataContract
    table_names: set[str]
    folder: Path
    servers: list[dict[str, Any]] = field(default_factory=list)
    physical_name: str | None = None


@dataclass(frozen=True)
class Data:
    """Where the data is: ``kind`` is file, duckdb, postgres or delta."""

    kind: str
    location: str
    table: str | None = None
    format: str | None = None


def test_target(
    target: str,
    *,
    server: str | None = None,
    path: str | None = None,
    table: str | None = None,
    schema: str | None = None,
    mesh: Path | None = None,
    environment: str | None = None,
    samples: int = 5,
    now_sql: str = "now()",
) -> ContractReport:
    """Test the data of ``target`` against its contract; see the module docstring for what can be named."""
    candidate = Path(target)
    if candidate.is_file():
        contract = _odcs(candidate, schema)
        data = _data_for(contract, server=server, path=path, table=table)
    elif "." in target and candidate.suffix.lower() not in (".yaml", ".yml", ".json"):
        contract, data = _port(target, mesh or Path(), environment)
    else:
        raise NotFoundError(
            f"{target} is neither a contract file nor an output port",
            hint="name an ODCS contract file, or DP.PORT with --mesh",
        )
    if data.kind == "postgres":
        from meshplane.quality.postgres import run_postgres

        report = run_postgres(
            data.location,
            data.table or contract.physical_name or contract.schema_name,
            contract.contract,
            samples=samples,
            now_sql=now_sql,
            table_names=contract.table_names,
            label=contract.label,
        )
    else:
        report = _run_duckdb(contract, data, samples=samples, now_sql=now_sql)
    report.schema = contract.schema_name
    return report


# -- contracts -------------------------------------------------------------------------------------------------


def _odcs(file: Path, schema: str | None) -> Contract:
    from meshplane.spec.codecs import import_file

    result = import_file(file, "odcs")
    if not result.ok or not result.contracts:
        errors = [d for d in result.diagnostics if d.severity.value == "error"]
        raise InvalidInputError(
            f"{file} is not a data contract Meshplane can read", errors, hint="fix the errors above"
        )
    names = [n for n, _ in result.contracts]
    if schema is None and len(names) > 1:
        raise InvalidInputError(
            f"{file} describes {len(names)} tables ({', '.join(names)})", hint="choose one with --schema NAME"
        )
    index = 0 if schema is None else next((i for i, n in enumerate(names) if n == schema), -1)
    if index < 0:
        raise NotFoundError(
            f"no schema object `{schema}` in {file}", hint=did_you_mean(schema or "", names) or f"use one of {names}"
        )
    name, contract = result.contracts[index]
    info = result.contract_info[index]
    specific = info.specific
    servers = specific.get("contract", {}).get("servers", [])
    physical = specific.get("schema", {}).get("physicalName")
    label = info.name or info.id or file.name
    names_used = {name, *([physical] if isinstance(physical, str) else [])}
    return Contract(
        label,
        name,
        contract,
        names_used,
        file.resolve().parent,
        servers if isinstance(servers, list) else [],
        physical if isinstance(physical, str) else None,
    )


def _port(target: str, mesh: Path, environment: str | None) -> tuple[Contract, Data]:
    from meshplane.adapters.base import ProvisionRequest
    from meshplane.adapters.storage import port_location
    from meshplane.spec.service import resolve_dataproduct
    from meshplane.spec.workspace import open_workspace

    ref, port_name = target.rsplit(".", 1)
    dp = resolve_dataproduct(ref, mesh)
    port = dp.port(port_name)
    if port is None:
        ports = [c.name for c in dp.components if hasattr(c, "data_contract")]
        raise NotFoundError(
            f"{dp.id} has no output port `{port_name}`", hint=did_you_mean(port_name, ports) or f"ports: {ports}"
        )
    ws = open_workspace(mesh)
    model = ws.mesh_model
    if model is None:
        raise NotFoundError(f"no mesh.yaml at or above {mesh}", hint="pass the mesh folder with --mesh")
    envs = [e.name for e in model.environments]
    env = environment or envs[0]
    if env not in envs:
        raise NotFoundError(f"no environment `{env}` in the mesh", hint=did_you_mean(env, envs) or f"use one of {envs}")
    request = ProvisionRequest(dp, port, env, model, ws.root)
    location = port_location(request)
    contract = Contract(f"{dp.id}.{port.name}", port.name, port.data_contract, {port.name}, ws.root)
    return contract, Data("delta", location.uri)


# -- data ----------------------------------------------------------------------------------------------------


def _data_for(contract: Contract, *, server: str | None, path: str | None, table: str | None) -> Data:
    if path is not None:
        if _PG.match(path):
            return Data("postgres", path, table)
        local = Path(path).expanduser()
        if (local / "_delta_log").is_dir():
            return Data("delta", str(local.resolve()))
        if local.suffix.lower() in _DUCKDB_SUFFIXES:
            return Data("duckdb", str(local.resolve()), table)
        return Data("file", str(local.resolve()), None, _format(local, None))
    servers = [s for s in contract.servers if isinstance(s, dict)]
    if server is None:
        if len(servers) != 1:
            names = ", ".join(str(s.get("server")) for s in servers) or "none"
            raise InvalidInputError(
                f"which data? the contract lists {len(servers)} servers ({names})",
                hint="pass --server NAME, or --path FILE",
            )
        chosen = servers[0]
    else:
        listed = [str(s.get("server")) for s in servers]
        found = next((s for s in servers if str(s.get("server")) == server), None)
        if found is None:
            raise NotFoundError(
                f"no server `{server}` in the contract", hint=did_you_mean(server, listed) or f"servers: {listed}"
            )
        chosen = found
    return _server(chosen, contract, table)


def _server(entry: dict[str, Any], contract: Contract, table: str | None) -> Data:
    kind = str(entry.get("type", "local")).lower()
    name = table or contract.physical_name or contract.schema_name
    if kind in ("local", "file", "files"):
        raw = entry.get("path") or entry.get("location")
        if not isinstance(raw, str):
            raise InvalidInputError(f"server `{entry.get('server')}` has no `path`", hint="add `path:` to the server")
        local = Path(raw).expanduser()
        local = local if local.is_absolute() else contract.folder / local
        fmt = entry.get("format")
        return Data("file", str(local.resolve()), None, _format(local, fmt if isinstance(fmt, str) else None))
    if kind == "duckdb":
        raw = entry.get("database") or entry.get("path")
        if not isinstance(raw, str):
            raise InvalidInputError(f"server `{entry.get('server')}` has no `database`", hint="add `database:`")
        local = Path(raw).expanduser()
        return Data("duckdb", str((local if local.is_absolute() else contract.folder / local).resolve()), name)
    if kind in ("postgres", "postgresql"):
        host, port, database = entry.get("host", "127.0.0.1"), entry.get("port", 5432), entry.get("database")
        schema = entry.get("schema", "public")
        return Data("postgres", f"postgresql://{host}:{port}/{database or 'postgres'}", f"{schema}.{name}")
    raise UnsupportedError(
        f"server type `{kind}` is not supported by meshplane test",
        hint="use a local, duckdb or postgres server, or pass --path",
    )


def _format(path: Path, declared: str | None) -> str:
    fmt = (declared or _SUFFIX_FORMAT.get(path.suffix.lower(), "")).lower()
    if fmt == "delta":
        return fmt
    if fmt not in _READERS:
        raise UnsupportedError(
            f"cannot tell the format of {path}", hint="name a .parquet, .csv or .json file, or set the server's format"
        )
    return fmt


def _run_duckdb(contract: Contract, data: Data, *, samples: int, now_sql: str) -> ContractReport:
    view = quote_ident(contract.schema_name)
    if data.kind == "duckdb":
        if not Path(data.location).is_file():
            raise NotFoundError(f"{data.location} does not exist", hint="check --path or the server's database")
        con = duckdb.connect(data.location, read_only=True)
        con.execute("SET enable_progress_bar = false")
        relation = _duckdb_table(con, data.table or contract.schema_name)
        names = {*contract.table_names, *([data.table] if data.table else [])}
        try:
            report = run_checks(
                con,
                relation,
                contract.contract,
                samples=samples,
                now_sql=now_sql,
                table_names=names,
                label=contract.label,
            )
        finally:
            con.close()
        report.source = f"{data.location} {data.table or contract.schema_name}"
        return report
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    nulls: dict[str, int] | None = None
    try:
        if data.kind == "delta" or data.format == "delta":
            _register_delta(con, view, data.location)
        else:
            if not any(ch in data.location for ch in "*?[") and not Path(data.location).exists():
                raise NotFoundError(f"{data.location} does not exist", hint="check --path or the server's path")
            reader = _READERS[data.format or "parquet"]
            con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {reader}({quote_string(data.location)})")
            if reader == "read_parquet" and Path(data.location).is_file():
                nulls = parquet_null_counts(con, data.location)
        report = run_checks(
            con,
            view,
            contract.contract,
            samples=samples,
            now_sql=now_sql,
            table_names=contract.table_names,
            label=contract.label,
            null_counts=nulls,
        )
    finally:
        con.close()
    report.source = data.location
    return report


def _duckdb_table(con: duckdb.DuckDBPyConnection, table: str) -> str:
    parts = table.split(".")
    found = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name = ? "
        + ("AND table_schema = ?" if len(parts) == 2 else ""),
        [parts[-1], parts[0]] if len(parts) == 2 else [parts[0]],
    ).fetchall()
    if not found:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        raise NotFoundError(
            f"no table `{table}` in the database", hint=did_you_mean(table, tables) or f"tables: {tables}"
        )
    return f"{quote_ident(found[0][0])}.{quote_ident(found[0][1])}"


def _register_delta(con: duckdb.DuckDBPyConnection, view: str, uri: str) -> None:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        dataset = DeltaTable(uri).to_pyarrow_dataset()
    except TableNotFoundError as exc:
        raise NotFoundError(
            f"no Delta table at {uri}", hint="deploy the data product and run its pipeline first"
        ) from exc
    con.register(view.strip('"').replace('""', '"'), dataset)


# Named like a test, but a service: keep pytest from collecting it where it is imported.
test_target.__test__ = False  # type: ignore[attr-defined]
