"""``meshplane plan``, ``deploy``, ``undeploy``, ``status``, ``deprecate``, ``import-existing``, ``adapter serve``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from meshplane.cli.console import Format, err, out
from meshplane.cli.options import EnvOpt, FmtOpt, MeshOpt
from meshplane.cli.report import emit_json, render
from meshplane.provisioning.coordinator import Outcome
from meshplane.provisioning.service import Session, open_session, require_clean, set_retirement, status_rows
from meshplane.spec import yamlio
from meshplane.spec.model import DataProduct

adapter_app = typer.Typer(
    help="Tech adapters: serve Meshplane's own over the Witboost interface.", no_args_is_help=True
)

DpArgs = Annotated[list[str] | None, typer.Argument(help="Data products (ids or names); all when omitted.")]

_OP_STYLE = {"create": "green", "update": "yellow", "replace": "bold red", "delete": "red", "noop": "dim"}
_STATUS_STYLE = {
    "DEPLOYED": "green",
    "PARTIALLY_DEPLOYED": "yellow",
    "FAILED": "bold red",
    "NOT_DEPLOYED": "dim",
    "PROVISIONING": "yellow",
    "UNPROVISIONED": "dim",
    "PENDING": "dim",
}


def plan(dataproducts: DpArgs = None, mesh: MeshOpt = Path(), env: EnvOpt = None, fmt: FmtOpt = Format.TEXT) -> None:
    """Show, per component, what a deploy would create, update, replace or delete (after `check`)."""
    with open_session(mesh, env) as session:
        report = session.check()
        plans = [session.coordinator.plan(dp) for dp in session.select(dataproducts)]
        if fmt is Format.JSON:
            emit_json(
                {
                    "ok": report.ok,
                    "diagnostics": [d.to_dict() for d in report.diagnostics],
                    "plans": [p.to_dict() for p in plans],
                }
            )
        else:
            render(report.diagnostics, report.files, Format.TEXT, title="meshplane plan")
            for p in plans:
                head = f"[bold]{escape(p.dp_id)}[/] {p.previous_version or '—'} → {p.version} ({p.environment})"
                out.print(head)
                for item in p.items:
                    style = _OP_STYLE[item.operation.value]
                    out.print(
                        f"  [{style}]{item.operation.value:<8}[/] {item.kind:<13} {escape(item.name):<24} "
                        f"[dim]{item.adapter}: {escape(item.reason)}[/]"
                    )
            total = sum(len(p.changes) for p in plans)
            out.print(f"{total} change(s) in {len(plans)} data product(s)")
        if not report.ok:
            raise typer.Exit(1)


def deploy_with_progress(session: Session, chosen: list[DataProduct], *, quiet: bool) -> list[Outcome]:
    """Deploy each data product (upstream first) under a Rich progress display on stderr."""
    outcomes = []
    with Progress(
        TextColumn("{task.description:<48}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet,
    ) as progress:
        overall = progress.add_task("deploying", total=len(chosen))
        step = progress.add_task("", total=1)

        def report(text: str, done: int, total: int) -> None:
            progress.update(step, description=text, completed=done, total=max(total, 1))

        for dp in chosen:
            outcomes.append(session.coordinator.deploy(dp, progress=report))
            progress.advance(overall)
    return outcomes


def deploy(dataproducts: DpArgs = None, mesh: MeshOpt = Path(), env: EnvOpt = None, fmt: FmtOpt = Format.TEXT) -> None:
    """Check, then apply the plan in dependsOn order; idempotent (a second deploy changes nothing) and
    resumable (re-run a deploy that was killed and it completes)."""
    with open_session(mesh, env) as session:
        require_clean(session.check())
        outcomes = deploy_with_progress(session, session.select(dataproducts), quiet=fmt is Format.JSON)
        failed = [o for o in outcomes if not o.ok]
        if fmt is Format.JSON:
            emit_json({"ok": not failed, "deployments": [o.to_dict() for o in outcomes]})
        else:
            for o in outcomes:
                style = _STATUS_STYLE.get(o.status, "")
                out.print(f"[{style}]{o.status:<19}[/] {escape(o.dp_id)} [dim]{len(o.plan.changes)} change(s)[/]")
                for component, error in o.failures:
                    out.print(f"    [bold red]failed[/] {escape(component)}: {escape(error)}")
        if failed:
            raise typer.Exit(1)


def undeploy(
    dataproduct: Annotated[str, typer.Argument(help="A deployed data product id or name.")],
    remove_data: Annotated[
        bool, typer.Option("--remove-data", help="Also delete the data of its output ports.")
    ] = False,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Remove a data product's components (data kept unless --remove-data)."""
    with open_session(mesh, env) as session:
        found = session.workspace.find(dataproduct)
        dp_id = found.id if found is not None else dataproduct
        outcome = session.coordinator.undeploy(dp_id, remove_data=remove_data)
        if fmt is Format.JSON:
            emit_json(outcome.to_dict())
        else:
            out.print(f"{outcome.status} {escape(dp_id)}" + (" (data removed)" if remove_data else " (data kept)"))
        if not outcome.ok:
            raise typer.Exit(1)


def status(
    dataproducts: DpArgs = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    logs: Annotated[bool, typer.Option("--logs", help="Show each component's recent log lines.")] = False,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Deployed, Partially deployed, Not deployed or Failed — per data product and per component."""
    with open_session(mesh, env) as session:
        environment = session.coordinator.target.environment
        rows = status_rows(session, dataproducts)
    if fmt is Format.JSON:
        emit_json({"environment": environment, "dataProducts": [r.to_dict() for r in rows]})
        return
    table = Table(title=f"environment {environment}", show_header=True, header_style="bold")
    for column in ("data product", "version", "status", "components"):
        table.add_column(column)
    for row in rows:
        summary = ", ".join(
            f"[{_STATUS_STYLE.get(str(c.status), '')}]{c.component_id.rsplit(':', 1)[-1]}[/]" for c in row.components
        )
        state = f"[{_STATUS_STYLE.get(row.status, '')}]{row.status}[/]"
        if row.retire_on:
            state += f" [dim](retires {row.retire_on})[/]"
        table.add_row(escape(row.dp_id), row.version or "—", state, summary or "—")
    out.print(table)
    if logs:
        for row in rows:
            for c in row.components:
                for line in c.log[-10:]:
                    out.print(f"[dim]{escape(c.component_id)}[/] {escape(str(line))}")


def deprecate(
    dataproduct: Annotated[str, typer.Argument(help="A deployed data product id (an old major, usually).")],
    retire_on: Annotated[str, typer.Option("--retire-on", help="The day it stops being served (YYYY-MM-DD).")],
    on: Annotated[str | None, typer.Option("--on", help="The day it is deprecated (default: today).")] = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
) -> None:
    """Deprecate a data product version and set the day it retires; it stays readable until then."""
    try:
        deprecated = date.fromisoformat(on) if on else date.today()
        retire = date.fromisoformat(retire_on)
    except ValueError as exc:
        from meshplane.errors import InvalidInputError

        raise InvalidInputError(f"not a date: {exc}", hint="write dates as YYYY-MM-DD") from None
    with open_session(mesh, env) as session:
        found = session.workspace.find(dataproduct)
        dp_id = found.id if found is not None else dataproduct
        set_retirement(session, dp_id, deprecated_on=deprecated, retire_on=retire)
        out.print(f"{escape(dp_id)} deprecated on {deprecated}; retires on {retire}")


def import_existing(
    source: Annotated[
        str, typer.Argument(help="A Delta table path, postgresql://…#schema.table or sqlite:///file.db#table.")
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the new data product.")],
    domain: Annotated[str, typer.Option("--domain", "-d", help="Its domain.")],
    owner: Annotated[str, typer.Option("--owner", help="Its owner.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="A mesh folder to write it into.")] = None,
) -> None:
    """Reverse provisioning: describe an existing table as a draft data product (schema included)."""
    from meshplane.adapters.reverse import import_existing as reverse

    dp = reverse(source, name=name, domain=domain, owner=owner)
    text = yamlio.dump(dp.to_data())
    if output is None:
        out.print(text, markup=False, highlight=False, end="")
        return
    target = output / dp.domain / dp.name / "dataproduct.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.print(f"Wrote {target} (a draft: review its contract, then `meshplane check`)")


@adapter_app.command("serve")
def adapter_serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8093,
    alias: Annotated[
        list[str] | None,
        typer.Option(
            "--alias",
            help="Answer for a template id with an adapter: NAME=ADAPTER, e.g. "
            "urn:dmb:itm:delta-provisioner:1=delta (repeatable).",
        ),
    ] = None,
    token_env: Annotated[
        str | None, typer.Option("--token-env", help="Require this environment variable's value as bearer token.")
    ] = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
) -> None:
    """Serve Meshplane's built-in adapters over the Witboost Tech Adapter interface (/v1/provision …)."""
    import os

    from meshplane.adapters.catalog import available, get_adapter
    from meshplane.errors import InvalidInputError
    from meshplane.web.tech_adapter import serve

    adapters = {name: get_adapter(name) for name in available()} if alias else None
    for entry in alias or []:
        name, sep, adapter = entry.partition("=")
        if not sep or not name or not adapter:
            raise InvalidInputError(f"--alias `{entry}` is not NAME=ADAPTER", hint="e.g. --alias remote-delta=delta")
        assert adapters is not None
        adapters[name] = get_adapter(adapter)
    token = os.environ.get(token_env) if token_env else None
    if token_env and not token:
        raise InvalidInputError(f"environment variable `{token_env}` is not set", hint=f"export {token_env}=…")
    with open_session(mesh, env) as session:
        target = session.coordinator.target
        out.print(f"Tech adapter interface on http://{host}:{port}/v1 (environment {target.environment})")
        serve(
            host=host, port=port, mesh_root=target.root, environment=target.environment, adapters=adapters, token=token
        )
