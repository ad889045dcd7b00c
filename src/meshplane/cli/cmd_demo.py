"""``meshplane demo``: the main job — the demo mesh written, generated and checked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from meshplane.cli.cmd_access import grant_input_ports
from meshplane.cli.cmd_provision import deploy_with_progress
from meshplane.cli.cmd_serve import HostOpt, PortOpt, make_app, serve_app
from meshplane.cli.console import Format, err, out
from meshplane.cli.report import emit_json, render
from meshplane.governance.check import check
from meshplane.provisioning.coordinator import Outcome
from meshplane.provisioning.service import open_session

if TYPE_CHECKING:
    from meshplane.runtime.runner import BatchResult
from meshplane.spec.diagnostics import has_errors
from meshplane.spec.workspace import open_workspace

BASE_CUSTOMERS = 20_000


def demo(
    directory: Annotated[Path, typer.Argument(help="Where to write the demo mesh.")] = Path("demo-mesh"),
    scale: Annotated[
        float, typer.Option("--scale", min=0.005, help=f"Multiply the default {BASE_CUSTOMERS:,} customers (100 → 2M).")
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the deterministic data generator.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Replace a previous demo in DIRECTORY.")] = False,
    deploy: Annotated[
        bool, typer.Option("--deploy/--no-deploy", help="Deploy the checked mesh (Delta tables, registry).")
    ] = True,
    run: Annotated[
        bool, typer.Option("--run/--no-run", help="Run every pipeline, contracts enforced (needs --deploy).")
    ] = True,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="Serve the marketplace at the end; --no-serve for scripts."),
    ] = True,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text, or json for scripts.")] = Format.TEXT,
) -> None:
    """Write the example mesh (customer MDM, sales, billing, support, marketing; a legacy CRM; a boundary port
    to an ML platform), generate its source data deterministically, check it (validation and policies) and
    deploy it on the embedded defaults: a SQLite registry and Delta tables under DIRECTORY/.meshplane, run every
    pipeline, and serve the marketplace over it until Ctrl-C (unless --no-serve)."""
    from meshplane.demo import write_demo  # the generator pulls in DuckDB: load it only when asked

    customers = max(1, round(BASE_CUSTOMERS * scale))
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=fmt is Format.JSON,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.update(tasks[step], completed=done, total=total)

        summary = write_demo(directory, customers=customers, seed=seed, progress=report, force=force)
    result = check(open_workspace(directory))  # validation and every policy of the mesh
    outcomes: list[Outcome] = []
    batch: BatchResult | None = None
    if deploy and not has_errors(result.diagnostics):
        with open_session(directory) as session:
            grant_input_ports(session)  # each consumer's owners ask, each producer's owners approve: gating passes
            outcomes = deploy_with_progress(session, session.select(None), quiet=fmt is Format.JSON)
            if run and all(o.ok for o in outcomes):
                from meshplane.runtime.runner import run_all

                batch = run_all(session)
    failed = [o for o in outcomes if not o.ok]
    runs_failed = batch is not None and not batch.ok
    if fmt is Format.JSON:
        emit_json(
            {
                "path": str(directory),
                "customers": customers,
                "seed": seed,
                "seconds": round(summary.seconds, 2),
                "dataProducts": summary.data_products,
                "rows": summary.rows,
                "dirtyRows": summary.dirty_rows,
                "validation": {
                    "ok": not has_errors(result.diagnostics),
                    "diagnostics": [d.to_dict() for d in result.diagnostics],
                },
                "deployments": [o.to_dict() for o in outcomes],
                "runs": [{"dataProduct": r.dp_id, "run": r.run_id, "status": str(r.status)} for r in batch.records]
                if batch is not None
                else [],
            }
        )
    else:
        table = Table(title=f"Demo mesh at {directory}", show_header=True)
        table.add_column("domain")
        table.add_column("data products", justify="right")
        for domain, count in sorted(summary.data_products.items()):
            table.add_row(domain, str(count))
        out.print(table)
        sources = ", ".join(f"{name}: {rows:,}" for name, rows in summary.rows.items())
        out.print(f"Source data ({customers:,} customers, seed {seed}): {sources}")
        render(result.diagnostics, result.files, Format.TEXT, title="meshplane demo")
        if outcomes:
            deployed = sum(1 for o in outcomes if o.ok)
            out.print(
                f"Deployed {deployed}/{len(outcomes)} data products (environment dev); "
                f"see `meshplane status --mesh {directory}`"
            )
        for o in failed:
            out.print(f"[bold red]{o.status}[/] {o.dp_id}: " + "; ".join(e for _, e in o.failures))
        if batch is not None:
            succeeded = sum(1 for r in batch.records if str(r.status) == "SUCCEEDED")
            out.print(
                f"Ran {succeeded}/{len(batch.records)} pipelines with their contracts enforced; "
                f"see `meshplane runs DP --mesh {directory}` and `meshplane read DP.PORT --mesh {directory}`"
            )
            for dp_id, why in batch.skipped.items():
                out.print(f"[yellow]skipped[/] {dp_id}: {why}")
    if has_errors(result.diagnostics) or failed or runs_failed:
        raise typer.Exit(1)
    if serve and outcomes:
        serve_app(
            make_app(directory, None),
            host,
            port,
            what=f"The marketplace over the demo mesh at {directory} is",
            to_stderr=fmt is Format.JSON,
        )
