"""``meshplane test``: test data against its contract, as ``datacontract test`` does, for pipelines and CI.

A thin shell over :func:`meshplane.quality.test_target`. Exit code 1 when an error-severity check fails;
warnings exit 0. ``--format junit`` gives one test case per check so it can replace ``datacontract test``
in CI. The quality service is imported when the command runs, keeping the CLI's start-up light.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from meshplane.cli.console import Format, out
from meshplane.cli.report import emit_json

if TYPE_CHECKING:
    from meshplane.quality import ContractReport

_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}
_MARK = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "skip": "- skip"}


def test(
    target: Annotated[
        str, typer.Argument(help="An ODCS contract file, or DP.PORT (a data product's output port; see --mesh).")
    ],
    server: Annotated[
        str | None, typer.Option("--server", help="The contract's `servers` entry holding the data.")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(
            "--path",
            help="The data instead of a server: a Parquet/CSV/JSON file, a DuckDB database file (with --table) "
            "or a postgresql:// URL (with --table).",
        ),
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="The table in a DuckDB or PostgreSQL database (schema.table).")
    ] = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="Which schema object of a contract describing several tables.")
    ] = None,
    mesh: Annotated[Path, typer.Option("--mesh", help="The mesh holding DP (for DP.PORT targets).")] = Path(),
    env: Annotated[
        str | None, typer.Option("--env", help="The environment whose deployment to test (default: the first).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text, json or junit.")] = Format.TEXT,
    samples: Annotated[int, typer.Option("--samples", min=0, help="Failing rows to show per failing check.")] = 5,
) -> None:
    """Test data against its data contract: schema, required, unique, primary key and quality checks.

    All data checks run in one scan (DuckDB; on PostgreSQL the checks run in the database). Exit code 1
    when an error-severity check fails.
    """
    from meshplane.quality import test_target

    report = test_target(
        target, server=server, path=path, table=table, schema=schema, mesh=mesh, environment=env, samples=samples
    )
    if fmt is Format.JSON:
        emit_json(report.to_dict())
    elif fmt is Format.JUNIT:
        out.print(junit(report), markup=False, highlight=False, soft_wrap=True)
    else:
        text(report)
    if report.blocking:
        raise typer.Exit(1)


def _cell(value: Any, width: int = 40) -> str:
    shown = "NULL" if value is None else str(value)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def text(report: ContractReport) -> None:
    out.print(
        f"[bold]{escape(report.contract)}[/] ({escape(report.schema or '')}) — {escape(report.source)} "
        f"[dim]via {report.engine}[/]"
    )
    table = Table(show_header=True, header_style="bold", expand=False)
    for name, justify in (("status", "left"), ("check", "left"), ("failing", "right"), ("%", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("details", overflow="fold")
    for r in report.results:
        status = r.status.value
        table.add_row(
            f"[{_STYLE[status]}]{_MARK[status]}[/]",
            escape(r.check.id),
            "" if r.failed is None else f"{r.failed:,}",
            "" if r.percent is None or not r.failed else f"{r.percent:.4g}",
            escape(r.message),
        )
    out.print(table)
    for r in report.results:
        if not r.samples:
            continue
        out.print(f"[bold]{escape(r.check.id)}[/]: {len(r.samples)} sample(s) of failing rows")
        sample = Table(show_header=True, header_style="dim", expand=False)
        columns = list(r.samples[0])
        for name in columns:
            sample.add_column(escape(name), overflow="fold")
        for row in r.samples:
            sample.add_row(*(escape(_cell(row.get(c))) for c in columns))
        out.print(sample)
    counts = report.counts
    rows = "?" if report.total is None else f"{report.total:,}"
    summary = (
        f"{len(report.results)} checks on {rows} rows in {report.seconds:.2f}s: {counts['pass']} passed, "
        f"{counts['fail']} failed, {counts['warn']} warned, {counts['skip']} skipped"
    )
    out.print(f"[bold red]✗[/] {summary}" if report.blocking else f"[bold green]✓[/] {summary}")


def junit(report: ContractReport) -> str:
    """One test case per check: a failure for ``fail``, system-out for ``warn``, skipped for ``skip``."""
    title = f"meshplane test {report.contract}"
    counts = report.counts
    attrs: dict[str, str] = {"tests": str(len(report.results)), "failures": str(counts["fail"]), "errors": "0"}
    suites = ET.Element("testsuites", {"name": title, **attrs})
    suite = ET.SubElement(
        suites, "testsuite", {"name": title, "skipped": str(counts["skip"]), "time": f"{report.seconds:.3f}", **attrs}
    )
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=report.schema or report.contract, name=r.check.id)
        if r.status.value == "fail":
            ET.SubElement(case, "failure", message=r.message[:500], type=r.check.kind.value).text = _detail(r)
        elif r.status.value == "skip":
            ET.SubElement(case, "skipped", message=r.message[:500])
        elif r.status.value == "warn":
            ET.SubElement(case, "system-out").text = f"WARNING: {_detail(r)}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _detail(r: Any) -> str:
    lines = [r.message, *(str(s) for s in r.samples)]
    return "\n".join(lines)
