"""``meshplane run``, ``runs``, ``quarantine``, ``versions``, ``restore``, ``read``: thin shells over
``meshplane.runtime.service``."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from meshplane.cli.console import Format, err, out
from meshplane.cli.options import EnvOpt, FmtOpt, MeshOpt
from meshplane.cli.report import emit_json
from meshplane.contracts import REASONS
from meshplane.provisioning.service import open_session
from meshplane.registry import RunRecord
from meshplane.runtime import service
from meshplane.runtime.quarantine import AT_COLUMN, RUN_COLUMN
from meshplane.runtime.runner import BatchResult

LimitOpt = Annotated[int, typer.Option("--limit", "-n", help="At most this many rows.")]

_STYLE = {"SUCCEEDED": "green", "BLOCKED": "bold yellow", "FAILED": "bold red", "RUNNING": "cyan"}


class ReadFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


def run(
    dataproducts: Annotated[list[str] | None, typer.Argument(help="Data products (ids or names).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Run every data product of the mesh, upstream first.")] = False,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    pin: Annotated[
        list[str] | None, typer.Option("--pin", help="PORT=VERSION: read an input port at that table version.")
    ] = None,
    recover: Annotated[bool, typer.Option("--recover", help="Complete the last, interrupted run.")] = False,
    overwrite: Annotated[
        str | None, typer.Option("--overwrite", help="Re-run over RUN's inputs and replace what it wrote.")
    ] = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Run workloads with their contracts enforced: inputs pinned, output checked, committed exactly once."""
    pins = service.parse_pins(pin or [])
    with open_session(mesh, env) as session:
        result = _with_progress(
            lambda report: service.run_products(
                session, dataproducts, every=every, pins=pins, recover=recover, overwrite=overwrite, progress=report
            ),
            quiet=fmt is Format.JSON,
        )
    if fmt is Format.JSON:
        emit_json(
            {
                "ok": result.ok,
                "runs": [r.to_dict() for r in result.records],
                "skipped": [{"dataProduct": k, "reason": v} for k, v in result.skipped.items()],
            }
        )
    else:
        for record in result.records:
            _print_run(record)
        for dp_id, reason in result.skipped.items():
            out.print(f"[dim]{'SKIPPED':<10}[/] {escape(dp_id)}: {escape(reason)}")
    if not result.ok:
        raise typer.Exit(1)


def _with_progress(work: Any, *, quiet: bool) -> BatchResult:
    with Progress(
        TextColumn("{task.description:<48}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("running", total=1)

        def report(text: str, done: int, total: int) -> None:
            progress.update(task, description=text, completed=done, total=max(total, 1))

        result: BatchResult = work(report)
        return result


def _print_run(record: RunRecord) -> None:
    status = record.status.value
    seconds = f"{(record.duration_ms or 0) / 1000:.1f}s"
    out.print(
        f"[{_STYLE.get(status, '')}]{status:<10}[/] {escape(record.dp_id)} [dim]run {record.run_id} #{record.seq} "
        f"{seconds}[/]"
    )
    for port, written in record.outputs.items():
        if written.get("quarantined"):
            out.print(f"    {escape(port)}: [yellow]{written['quarantined']} row(s) quarantined[/] at {written['at']}")
        else:
            note = f" ({written['skipped']})" if written.get("skipped") else ""
            warn = f", [yellow]{written['warnings']} warning(s)[/]" if written.get("warnings") else ""
            out.print(f"    {escape(port)}: version {written.get('version')}, {written.get('rows')} row(s){note}{warn}")
    if record.error:
        out.print(f"    [red]{escape(record.error)}[/]")


def runs(
    dataproduct: Annotated[str, typer.Argument(help="A data product id or name.")],
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    limit: LimitOpt = 20,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """The runs of a data product, newest first: status, pinned inputs, versions written, checks."""
    with open_session(mesh, env) as session:
        found = service.runs(session, dataproduct, limit=limit)
    if fmt is Format.JSON:
        emit_json({"runs": [r.to_dict() for r in found]})
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("#", "run", "status", "started", "took"):
        table.add_column(column, no_wrap=True)
    table.add_column("inputs", overflow="fold")
    table.add_column("outputs", overflow="fold")
    for r in found:
        status = r.status.value + (" (interrupted)" if r.interrupted() else "")
        status += f" ({r.mode})" if r.mode != "run" else ""
        inputs = ", ".join(f"{p}@{_pin(v)}" for p, v in r.inputs.items())
        outputs = ", ".join(f"{p}@{o.get('version')}" for p, o in r.outputs.items())
        table.add_row(
            str(r.seq),
            r.run_id[:13],  # a unique prefix in practice; --overwrite and --run take prefixes
            f"[{_STYLE.get(r.status.value, '')}]{status}[/]",
            f"{r.started_at:%Y-%m-%d %H:%M}",
            f"{(r.duration_ms or 0) / 1000:.1f}s",
            escape(inputs),
            escape(outputs),
        )
    out.print(table)


def _pin(pin: dict[str, Any]) -> str:
    if pin.get("version") is not None:
        return f"v{pin['version']}"
    mark = pin.get("watermark")
    if mark and mark.get("to"):
        return f"≤{mark['to'].get('value')}"
    return f"{pin.get('rows', '?')} rows"


def quarantine(
    dataproduct: Annotated[str, typer.Argument(help="A data product id or name.")],
    port: Annotated[str | None, typer.Option("--port", "-p", help="Only this output port.")] = None,
    run_id: Annotated[str | None, typer.Option("--run", "-r", help="Only this run (id or prefix).")] = None,
    limit: LimitOpt = 20,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Rows a blocking contract check kept out of an output port, with the checks they failed."""
    with open_session(mesh, env) as session:
        found = service.quarantined(session, dataproduct, port=port, run_id=run_id, limit=limit)
    if fmt is Format.JSON:
        emit_json({"quarantine": [q.to_dict() for q in found]})
        return
    for q in found:
        out.print(f"[bold]{escape(q.port)}[/]: {q.rows.num_rows} row(s)")
        rows = q.rows
        for run_id in dict.fromkeys(rows.column(RUN_COLUMN).to_pylist()) if rows.num_rows else []:
            of_run = rows.filter(pc.equal(rows[RUN_COLUMN], run_id))
            out.print(f"  run {run_id}")
            reasons = of_run.column(REASONS)
            data = of_run.drop_columns([c for c in (REASONS, RUN_COLUMN, AT_COLUMN) if c in of_run.column_names])
            _table(data.add_column(0, "failed checks", pc.binary_join(reasons, ", ")), first_no_wrap=True)


def versions(
    port: Annotated[str, typer.Argument(help="DP.PORT, e.g. orders.orders.")],
    limit: LimitOpt = 50,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """A port's versions, newest first, with the run that wrote each."""
    with open_session(mesh, env) as session:
        name, found = service.versions(session, port, limit=limit)
    if fmt is Format.JSON:
        emit_json({"port": name, "versions": [v.to_dict() for v in found]})
        return
    table = Table(title=name, show_header=True, header_style="bold")
    for column in ("version", "timestamp", "operation", "run", "rows", "written"):
        table.add_column(column, no_wrap=column != "run", overflow="fold")
    for v in found:
        table.add_row(
            str(v.version),
            f"{v.timestamp:%Y-%m-%d %H:%M:%S}",
            v.operation,
            v.run_id or "",
            "" if v.rows is None else str(v.rows),
            "" if v.written is None else str(v.written),
        )
    out.print(table)


def restore(
    port: Annotated[str, typer.Argument(help="DP.PORT, e.g. orders.orders.")],
    version: Annotated[int, typer.Argument(help="The version whose content becomes current.")],
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
) -> None:
    """Restore a port to an earlier version (a new version; nothing is lost)."""
    with open_session(mesh, env) as session:
        name, new = service.restore(session, port, version)
    out.print(f"{escape(name)}: restored version {version} as version {new}")


def read(
    port: Annotated[str, typer.Argument(help="DP.PORT, e.g. orders.orders.")],
    version: Annotated[int | None, typer.Option("--version", "-v", help="Read this table version.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Read the port as it was at this time.")] = None,
    valid_at: Annotated[
        str | None, typer.Option("--valid-at", help="Bi-temporal ports: the rows valid at this date/time.")
    ] = None,
    limit: LimitOpt = 20,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: Annotated[ReadFormat, typer.Option("--format", "-f", help="text, json or csv.")] = ReadFormat.TEXT,
) -> None:
    """Read a port: now, as of a version or a time, and (bi-temporal) valid at a time."""
    with open_session(mesh, env) as session:
        name, at, rows = service.read(session, port, version=version, as_of=as_of, valid_at=valid_at, limit=limit)
    if fmt is ReadFormat.JSON:
        emit_json({"port": name, "version": at, "rows": rows.to_pylist()})
    elif fmt is ReadFormat.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(rows.column_names)
        writer.writerows([[_cell(v) for v in row.values()] for row in rows.to_pylist()])
        out.file.write(buffer.getvalue())
    else:
        _table(rows, title=f"{name} @ version {at}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


def _table(rows: pa.Table, title: str | None = None, *, first_no_wrap: bool = False) -> None:
    table = Table(title=title, show_header=True, header_style="bold")
    for i, name in enumerate(rows.column_names):
        table.add_column(escape(name), no_wrap=first_no_wrap and i == 0, overflow="fold")
    for row in rows.to_pylist():
        table.add_row(*(escape(_cell(v)) for v in row.values()))
    out.print(table)
