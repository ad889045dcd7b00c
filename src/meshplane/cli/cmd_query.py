"""``meshplane query``: run SQL over the output ports you are granted, through the query gateway."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table

from meshplane.cli.console import err, out
from meshplane.cli.options import AsOpt, EnvOpt, MeshOpt
from meshplane.cli.report import emit_json
from meshplane.errors import InvalidInputError
from meshplane.gateway import DEFAULTS, Limits, QueryResult, QueryService, ResultFormat, render, to_document
from meshplane.gateway.results import csv_cell
from meshplane.identity import Directory, resolve_cli_identity
from meshplane.provisioning.service import open_session

_SUFFIXES = {".json": ResultFormat.JSON, ".csv": ResultFormat.CSV, ".arrow": ResultFormat.ARROW}
_SUFFIXES[".arrows"] = ResultFormat.ARROW
#: Rows a table on the terminal shows unless --limit says otherwise.
TEXT_ROWS = 100


class QueryFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    ARROW = "arrow"


def query(
    sql: Annotated[str, typer.Argument(help="One SELECT over ports named domain.product.port.")],
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help='Read every port as it was at this date/time; per table: "port@v3".')
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", help=f"At most this many rows (default {TEXT_ROWS} as a table, else 10000)."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Stop the query after this many seconds.")] = (
        DEFAULTS.timeout
    ),
    memory: Annotated[str, typer.Option("--memory", help="Memory limit of the query, e.g. 512MB, 2GB.")] = (
        DEFAULTS.memory
    ),
    fmt: Annotated[
        QueryFormat | None, typer.Option("--format", "-f", help="text (a table), json, csv or arrow.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the result to this file.")] = None,
) -> None:
    """Query data products you are granted: row filters and column masks applied, every query audited.

    Ports are named domain.product.port (sales.orders.orders); a major explicitly as product_v1; a past version
    as sales.orders."orders@v3" or "orders@2026-01-01T00:00:00Z".
    """
    chosen = _format(fmt, output)
    rows = limit if limit is not None else TEXT_ROWS if chosen is QueryFormat.TEXT else DEFAULTS.max_rows
    limits = Limits(timeout=timeout, memory=memory, threads=DEFAULTS.threads, max_rows=rows)
    with open_session(mesh, env) as session:
        model = session.workspace.mesh_model
        assert model is not None  # open_session refuses a folder without mesh.yaml
        identity = resolve_cli_identity(Directory(model), as_user)
        environment = session.coordinator.target.environment
        service = QueryService.open(session.registry, model, session.workspace.root, environment)
        try:
            result = service.query(identity, sql, as_of=as_of, limits=limits)
        finally:
            service.close()
    if chosen is QueryFormat.TEXT:
        _print(result)
        return
    data = render(result, ResultFormat(chosen.value))
    if output is not None:
        output.write_bytes(data)
        err.print(f"[dim]{result.rows} row(s) written to {escape(str(output))}[/]")
    elif chosen is QueryFormat.JSON:
        emit_json(to_document(result))
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _format(fmt: QueryFormat | None, output: Path | None) -> QueryFormat:
    if fmt is not None:
        if fmt is QueryFormat.TEXT and output is not None:
            raise InvalidInputError("--output writes json, csv or arrow", hint="add --format csv (or json, arrow)")
        return fmt
    if output is None:
        return QueryFormat.TEXT
    found = _SUFFIXES.get(output.suffix.lower())
    if found is None:
        raise InvalidInputError(
            f"cannot tell the format of {output} from its suffix", hint="add --format json, csv or arrow"
        )
    return QueryFormat(found.value)


def _print(result: QueryResult) -> None:
    table = Table(show_header=True, header_style="bold")
    for name in result.table.column_names:
        table.add_column(escape(name), overflow="fold")
    for row in _rows(result.table):
        table.add_row(*(escape(csv_cell(v)) for v in row))
    out.print(table)
    read = ", ".join(f"{r.name} @ v{r.version}" for r in result.reads) or "no port"
    more = f" (stopped at the {result.truncated} limit)" if result.truncated else ""
    out.print(f"[dim]{result.rows} row(s){more} from {escape(read)} in {result.duration_ms:.0f} ms[/]")


def _rows(table: pa.Table) -> list[list[object]]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [[col[r] for col in columns] for r in range(table.num_rows)]
