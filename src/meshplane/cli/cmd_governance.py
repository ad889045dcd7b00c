"""``meshplane check``, ``diff``, ``changelog`` and ``policy list|test``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from meshplane.cli.console import Format, out
from meshplane.cli.report import emit_json, junit, render
from meshplane.cli.sarif import sarif
from meshplane.errors import InvalidInputError
from meshplane.governance.changes import Change, Perspective, to_markdown
from meshplane.governance.check import check as run_check
from meshplane.governance.diff_files import diff_files
from meshplane.governance.packs import load_policies
from meshplane.governance.policytest import run_policy_tests
from meshplane.history.changelog import changelog as build_changelog
from meshplane.history.git import at_revision
from meshplane.spec.model import DataProduct
from meshplane.spec.service import resolve_dataproduct_file
from meshplane.spec.workspace import open_workspace

policy_app = typer.Typer(help="Inspect and test the mesh's policies.", no_args_is_help=True)


class CheckFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


PerspectiveOpt = Annotated[
    Perspective,
    typer.Option("--perspective", help="Whom a change must not break: consumers, producers, or both (default)."),
]


def check(
    path: Annotated[Path, typer.Argument(help="A mesh, a data product folder or a descriptor.")] = Path(),
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = CheckFormat.TEXT,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="A git revision holding the previous version (e.g. origin/main) for the breaking-change rules.",
        ),
    ] = None,
) -> None:
    """Validate, then apply every policy of the mesh (and the breaking-change rules against --against).

    Exit code 1 when there is any error: a CI gate.
    """
    ws = open_workspace(path)

    def previous(dp: DataProduct) -> DataProduct | None:
        if against is None:
            return None
        return at_revision(ws.dp_dir(dp) / "dataproduct.yaml", against)

    report = run_check(ws, previous=previous if against else None)
    if fmt is CheckFormat.SARIF:
        emit_json(sarif(report.diagnostics, base=ws.root))
    elif fmt is CheckFormat.JSON:
        emit_json(
            {
                "ok": report.ok,
                "checked": report.files,
                "diagnostics": [d.to_dict() for d in report.diagnostics],
                "dataProducts": [p.to_dict() for p in report.products],
            }
        )
    elif fmt is CheckFormat.JUNIT:
        out.print(junit(report.diagnostics, report.files, title="meshplane check"), markup=False, highlight=False)
    else:
        render(report.diagnostics, report.files, Format.TEXT, title="meshplane check")
        failing = sum(1 for p in report.products for r in p.results if r.status.value != "pass")
        out.print(
            f"{len(report.policies)} policies on {len(report.products)} data product(s); {failing} failing result(s)"
        )
    if not report.ok:
        raise typer.Exit(1)


def _print_changes(changes: list[Change], perspective: Perspective) -> None:
    if not changes:
        out.print("No changes.")
        return
    table = Table(show_header=True, header_style="bold")
    for column in ("", "change", "path", "what"):
        table.add_column(column)
    for change in changes:
        mark = "[bold red]BREAKING[/]" if change.is_breaking(perspective) else "[green]ok[/]"
        table.add_row(mark, change.type.value, escape(change.path), escape(change.message))
    out.print(table)
    count = sum(1 for c in changes if c.is_breaking(perspective))
    out.print(f"{count} breaking change(s) ({perspective.value} perspective), {len(changes) - count} non-breaking")


def diff(
    old: Annotated[Path, typer.Argument(help="The old descriptor or ODCS contract.")],
    new: Annotated[Path, typer.Argument(help="The new one.")],
    perspective: PerspectiveOpt = Perspective.BOTH,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f")] = DiffFormat.TEXT,
) -> None:
    """Classify the changes between two versions of a data product or a data contract.

    Exits 1 when a change is breaking and the major version did not change.
    """
    result = diff_files(old, new)
    breaking = [c for c in result.changes if c.is_breaking(perspective)]
    if fmt is DiffFormat.JSON:
        emit_json(
            {
                "old": result.old_version,
                "new": result.new_version,
                "majorBump": result.major_bump,
                "perspective": perspective.value,
                "breaking": len(breaking),
                "changes": [c.to_dict(perspective) for c in result.changes],
            }
        )
    elif fmt is DiffFormat.MARKDOWN:
        title = f"{result.name} {result.old_version} → {result.new_version}"
        out.print(to_markdown(result.changes, title=title, perspective=perspective), markup=False, highlight=False)
    else:
        out.print(f"[bold]{escape(result.name)}[/] {result.old_version} → {result.new_version}")
        _print_changes(result.changes, perspective)
        if breaking and result.major_bump:
            out.print("The major version was bumped: a new data product id that runs beside the old one.")
        elif breaking:
            out.print("[bold red]Breaking changes need a major version bump.[/]")
    if breaking and not result.major_bump:
        raise typer.Exit(1)


def changelog(
    dataproduct: Annotated[str, typer.Argument(help="A descriptor, a folder, an id or a name.")],
    mesh: Annotated[Path, typer.Option("--mesh", help="The mesh to look the data product up in.")] = Path(),
    perspective: PerspectiveOpt = Perspective.BOTH,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f")] = DiffFormat.TEXT,
) -> None:
    """The classified changes of every committed version of a data product (from git), newest first."""
    file = resolve_dataproduct_file(dataproduct, mesh)
    entries = build_changelog(file)
    if fmt is DiffFormat.JSON:
        emit_json([e.to_dict(perspective) for e in entries])
        return
    for entry in entries:
        title = f"{entry.version} — {entry.date[:10]} {entry.commit[:8]} {entry.subject}"
        if fmt is DiffFormat.MARKDOWN:
            out.print(to_markdown(entry.changes, title=title, perspective=perspective), markup=False, highlight=False)
        else:
            out.print(f"[bold]{escape(title)}[/]")
            if entry.changes:
                _print_changes(entry.changes, perspective)
            else:
                out.print("  first version" if entry is entries[-1] else "  no contract changes")


@policy_app.command("list")
def policy_list(
    path: Annotated[Path, typer.Argument(help="The mesh.")] = Path(),
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT,
) -> None:
    """The policies that apply to the mesh, and why: which pack, severity (after overrides), lifecycle."""
    ws = open_workspace(path)
    policies, problems = load_policies(ws.mesh_model, ws.root)
    rows = []
    for p in policies:
        why = "mesh policies/ folder" if p.pack == "mesh" else f"pack `{p.pack}` selected in mesh.yaml"
        if p.overridden:
            why += f"; severity overridden to {p.overridden}"
        rows.append(
            {
                "id": p.id,
                "title": p.title,
                "pack": p.pack,
                "severity": p.severity.value,
                "lifecycle": p.lifecycle.value,
                "deadline": str(p.deadline) if p.deadline else None,
                "trigger": p.trigger.value,
                "resource": p.resource.value,
                "why": why,
                "file": p.file,
            }
        )
    if fmt is Format.JSON:
        emit_json({"policies": rows, "problems": [d.to_dict() for d in problems]})
    else:
        table = Table(show_header=True, header_style="bold")
        for column in ("id", "severity", "lifecycle", "trigger", "resource", "why"):
            table.add_column(column)
        for p in policies:
            life = p.lifecycle.value + (f" until {p.deadline}" if p.deadline else "")
            why = next(str(r["why"]) for r in rows if r["id"] == p.id)
            table.add_row(p.id, p.severity.value, life, p.trigger.value, p.resource.value, escape(why))
        out.print(table)
        render(problems, [], Format.TEXT, title="policies") if problems else None
    if problems:
        raise typer.Exit(1)


@policy_app.command("test")
def policy_test(
    path: Annotated[Path, typer.Argument(help="The mesh (its policies/ folder holds the tests).")] = Path(),
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT,
) -> None:
    """Unit-test policies: example descriptors in policies/examples/<policy-id>/pass/*.yaml must pass the
    policy and those in …/fail/*.yaml must fail it."""
    ws = open_workspace(path)
    results = run_policy_tests(ws)
    if not results:
        raise InvalidInputError(
            f"no policy tests found under {ws.root / (ws.mesh_model.policies if ws.mesh_model else 'policies')}",
            hint="add policies/examples/<policy-id>/pass/*.yaml and fail/*.yaml",
        )
    failed = [r for r in results if not r.passed]
    if fmt is Format.JSON:
        emit_json(
            {"passed": len(results) - len(failed), "failed": len(failed), "tests": [r.to_dict() for r in results]}
        )
    elif fmt is Format.JUNIT:
        from meshplane.cli.report import junit_tests

        out.print(
            junit_tests("meshplane policy test", [(r.name, r.passed, r.detail) for r in results]),
            markup=False,
            highlight=False,
        )
    else:
        for r in results:
            mark = "[green]PASS[/]" if r.passed else "[bold red]FAIL[/]"
            out.print(f"{mark} {escape(r.name)}" + (f"\n      {escape(r.detail)}" if not r.passed else ""))
        out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)
