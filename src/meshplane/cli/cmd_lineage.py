"""``meshplane lineage`` and ``meshplane lineage-export``: where data comes from and where it goes.

``lineage`` draws the graph the descriptors define (with versions once runs are recorded): the whole mesh,
one product upstream and/or downstream, or one port's columns; as text, JSON, Graphviz DOT or Mermaid.
``lineage-export`` sends it as OpenLineage events to a file or a Marquez-compatible server, with the run
events the registry holds.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from meshplane.cli.console import err, out
from meshplane.cli.options import EnvOpt, MeshOpt
from meshplane.cli.report import emit_json
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.lineage.emit import emit, is_url, read_jsonl
from meshplane.lineage.export import static_events
from meshplane.lineage.graph import Direction, LineageGraph, PortColumns, mesh_graph
from meshplane.lineage.sources import external_schemas
from meshplane.spec.workspace import Workspace, open_workspace


class LineageFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    DOT = "dot"
    MERMAID = "mermaid"


class ExportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def lineage(
    dataproduct: Annotated[
        str | None,
        typer.Argument(metavar="DP", help="A data product (id, domain/name or name); the whole mesh when omitted."),
    ] = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    upstream: Annotated[
        bool | None,
        typer.Option(
            "--upstream/--downstream", help="Only what DP reads from (or only what reads DP); both by default."
        ),
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Column-level lineage of this output port of DP, from its SQL.")
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option("--events", help="OpenLineage events (JSON lines) to add versions from, besides stored runs."),
    ] = None,
    fmt: Annotated[
        LineageFormat, typer.Option("--format", "-f", help="text, json, dot or mermaid.")
    ] = LineageFormat.TEXT,
) -> None:
    """Show lineage: the mesh's data products, ports and external systems and how data flows between them.

    With DP, what it depends on and what depends on it; with --columns PORT, where each column of that port
    comes from (identity, transformation, aggregation, or only deciding which rows). DOT renders with
    Graphviz (`dot -Tsvg`); Mermaid renders in GitHub, GitLab and most Markdown viewers.
    """
    ws = open_workspace(mesh)
    graph = mesh_graph(ws, environment=env)
    if columns is not None:
        if dataproduct is None:
            raise InvalidInputError("--columns needs a data product", hint="meshplane lineage DP --columns PORT")
        dp = graph.find(dataproduct)
        model = ws.by_id()[dp.id][1]
        found = graph.column_lineage(dp.id, columns, schemas=external_schemas(model, ws.root))
        _print(found.to_dict() if fmt is LineageFormat.JSON else _render_columns(found, fmt), fmt)
        return
    if upstream is not None and dataproduct is None:
        raise InvalidInputError("--upstream/--downstream need a data product", hint="meshplane lineage DP --upstream")
    notes = _enrich(graph, ws, events)
    direction: Direction = "both" if upstream is None else ("upstream" if upstream else "downstream")
    shown = graph if dataproduct is None else graph.subgraph(dataproduct, direction)
    if fmt is LineageFormat.JSON:
        data = shown.to_dict()
        if dataproduct is not None:
            root = graph.find(dataproduct)
            data = {
                "dataProduct": root.id,
                "upstream": graph.upstream(root.id, systems=True) if direction != "downstream" else [],
                "downstream": graph.downstream(root.id, systems=True) if direction != "upstream" else [],
                **data,
            }
        data["notes"] = notes
        emit_json(data)
    elif fmt is LineageFormat.TEXT:
        _print(graph.to_text(dataproduct, direction), fmt)
        for note in notes:
            err.print(f"[dim]note:[/] {note}", highlight=False)
    else:
        _print(shown.to_dot() if fmt is LineageFormat.DOT else shown.to_mermaid(), fmt)


def lineage_export(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="A file (JSON lines, appended) or the URL of a Marquez-compatible server "
            "(events are POSTed to URL/api/v1/lineage).",
        ),
    ],
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    runs: Annotated[
        bool, typer.Option("--runs/--no-runs", help="Also export the run events stored in the registry.")
    ] = True,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the server, per try.")
    ] = 10.0,
    retries: Annotated[
        int, typer.Option("--retries", min=0, max=10, help="Extra tries per event on errors that may pass.")
    ] = 3,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="text, or json for scripts.")] = ExportFormat.TEXT,
) -> None:
    """Export lineage as OpenLineage events: one job event per workload (what the descriptors say, with column
    lineage from the SQL), then every run event the registry holds (versions, row counts, failures)."""
    ws = open_workspace(mesh)
    graph = mesh_graph(ws, environment=env)
    job_events = static_events(graph)
    run_events: list[dict[str, Any]] = []
    notes: list[str] = []
    if runs:
        run_events, notes = stored_events(ws, graph)
    with err.status(f"Sending {len(job_events) + len(run_events)} events to {to} …", spinner="dots"):
        result = emit(
            [*job_events, *run_events], to, **({"timeout": timeout, "retries": retries} if is_url(to) else {})
        )
    if fmt is ExportFormat.JSON:
        emit_json(
            {
                "target": result.target,
                "jobEvents": len(job_events),
                "runEvents": len(run_events),
                "delivered": result.events,
                "notes": notes,
                "problems": graph.problems,
            }
        )
        return
    out.print(
        f"Exported {len(job_events)} job event(s) (the descriptors' lineage) and {len(run_events)} run event(s) "
        f"to {result.target}",
        markup=False,
        highlight=False,
    )
    for note in [*notes, *graph.problems]:
        err.print(f"[dim]note:[/] {note}", highlight=False)


# -- helpers --------------------------------------------------------------------------------------------


def stored_events(
    ws: Workspace, graph: LineageGraph, *, explain_missing: bool = True
) -> tuple[list[dict[str, Any]], list[str]]:
    """The OpenLineage events of the runs recorded in the mesh's registry, oldest first, and notes on what
    could not be read. Never creates a registry: a mesh that never deployed or ran has none yet (said only
    with ``explain_missing``: a picture of the descriptors needs no apology)."""
    from meshplane.provisioning.context import registry_url
    from meshplane.registry import Registry, RegistryError

    mesh = ws.mesh_model
    if mesh is None:
        return [], ["no mesh.yaml, so no registry: only the descriptors' lineage is exported"]
    url = registry_url(mesh, ws.root)
    prefix = "sqlite:///"
    if url.startswith(prefix) and not Path(url[len(prefix) :]).exists():
        missing = f"no registry at {url[len(prefix) :]} yet (nothing has run): no run events"
        return [], [missing] if explain_missing else []
    events: list[dict[str, Any]] = []
    try:
        with Registry.open(url, base=ws.root) as registry:
            for node in graph.data_products():
                for record in reversed(registry.runs.recent(node.id, graph.environment, limit=100_000)):
                    events.extend(_run_lineage(record.lineage))
    except (RegistryError, MeshplaneError) as exc:
        return [], [f"run records could not be read: {exc}"]
    return events, []


def _run_lineage(value: Any) -> list[dict[str, Any]]:
    """A run record's ``lineage``: one OpenLineage event, a list of them, or ``{"events": […]}``."""
    if isinstance(value, dict) and isinstance(value.get("events"), list):
        value = value["events"]
    items = value if isinstance(value, list) else [value]
    return [e for e in items if isinstance(e, dict) and "eventTime" in e and ("run" in e or "job" in e)]


def _enrich(graph: LineageGraph, ws: Workspace, events: Path | None) -> list[str]:
    found, notes = stored_events(ws, graph, explain_missing=False)
    if events is not None:
        if not events.is_file():
            raise NotFoundError(f"{events} does not exist", hint="pass a JSON-lines file of OpenLineage events")
        found.extend(read_jsonl(events))
    if found:
        applied = graph.enrich(found)
        notes.append(f"versions from {applied} run event(s)")
    return notes


def _render_columns(found: PortColumns, fmt: LineageFormat) -> str:
    if fmt is LineageFormat.DOT:
        return found.to_dot()
    if fmt is LineageFormat.MERMAID:
        return found.to_mermaid()
    return found.to_text()


def _print(value: Any, fmt: LineageFormat) -> None:
    if fmt is LineageFormat.JSON:
        emit_json(value)
        return
    text = str(value)
    out.print(text if text.endswith("\n") else text + "\n", markup=False, highlight=False, end="", soft_wrap=True)
