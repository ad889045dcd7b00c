"""Lineage across data products as the marketplace shows it: :func:`meshplane.lineage.mesh_graph` over the
*deployed* descriptors, enriched with the runs' OpenLineage events (table versions, row counts, last run).

The lineage package builds graphs from a workspace; here the workspace is made of registry descriptors, so
the picture is what is deployed in the environment, not what happens to be in someone's folder. For one
product only its upstream and downstream neighbourhood is loaded, which keeps its page fast in a big mesh.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from meshplane.lineage import LineageGraph, mesh_graph
from meshplane.marketplace.catalog import Catalog
from meshplane.marketplace.views_mesh import LineageEdge, LineageNode, LineageView
from meshplane.spec.loader import DESCRIPTOR_FILE, MESH_FILE, Loaded
from meshplane.spec.model import DataProduct, Mesh
from meshplane.spec.workspace import Workspace
from meshplane.spec.yamlio import Document


def neighbourhood(catalog: Catalog, dp_id: str) -> set[str]:
    """The products to load to draw ``dp_id``'s lineage: itself, everything upstream and downstream, and
    what those read directly (so every edge of the drawn products resolves to a real node)."""
    keep = related(catalog, dp_id)
    return keep | {up for k in keep for up in _upstream(catalog, k)}


def related(catalog: Catalog, dp_id: str) -> set[str]:
    """``dp_id`` and every deployed product upstream or downstream of it, through output-port reads."""
    keep = {dp_id}
    for step in (_upstream, _downstream):
        queue = deque([dp_id])
        seen = {dp_id}
        while queue:
            for nxt in step(catalog, queue.popleft()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        keep |= seen
    return keep


def _upstream(catalog: Catalog, dp_id: str) -> Iterable[str]:
    entry = catalog.by_id.get(dp_id)
    return [r.data_product for r in entry.reads if r.data_product in catalog.by_id] if entry else []


def _downstream(catalog: Catalog, dp_id: str) -> Iterable[str]:
    entry = catalog.by_id.get(dp_id)
    if entry is None:
        return []
    return [c for port in entry.output_ports for c, _ in catalog.consumers.get((dp_id, port), [])]


def workspace(root: Path, mesh: Mesh, products: Iterable[DataProduct]) -> Workspace:
    """A workspace of deployed descriptors (files named as they would be in the mesh folder)."""
    ws = Workspace(root=root, mesh=Loaded(mesh, Document(str(root / MESH_FILE), None)))
    for dp in products:
        file = root / dp.domain / dp.name / DESCRIPTOR_FILE
        ws.products.append(Loaded(dp, Document(str(file), None)))
    ws.selected = [Path(p.document.file) for p in ws.products]
    return ws


def graph(
    root: Path,
    mesh: Mesh,
    products: Iterable[DataProduct],
    *,
    environment: str,
    events: Iterable[Mapping[str, Any]] = (),
) -> LineageGraph:
    built = mesh_graph(workspace(root, mesh, products), environment=environment)
    built.enrich(events)
    return built


def view(built: LineageGraph, root_id: str | None = None) -> LineageView:
    shown = built.subgraph(root_id) if root_id is not None else built
    return LineageView(
        mesh=built.mesh,
        environment=built.environment,
        root=root_id,
        nodes=[
            LineageNode(id=n.id, kind=n.kind.value, label=n.label, data_product=n.dp, attrs=dict(n.attrs))
            for n in shown.nodes.values()
        ],
        edges=[
            LineageEdge(source=e.source, target=e.target, kind=e.kind.value, label=e.label, attrs=dict(e.attrs))
            for e in shown.edges
        ],
        upstream=built.upstream(root_id) if root_id is not None else [],
        downstream=built.downstream(root_id) if root_id is not None else [],
        problems=[p for p in shown.problems if _about(p, shown)],
    )


def _about(problem: str, shown: LineageGraph) -> bool:
    """Whether a graph problem concerns a drawn product (problems name the product first, if any)."""
    first = problem.split(" ", 1)[0].rstrip(":")
    return not first.startswith("urn:") or first in shown.nodes
