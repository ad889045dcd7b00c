"""The lineage graph across data products, from the descriptors alone — and, once runs exist, with versions.

Descriptors already say everything needed for the static picture: an input port names the output port (or
external system) it reads, a workload says which input ports it reads and which output ports it writes, a
boundary port names the external systems that consume it. So the graph is known before anything is
deployed, and a change can be judged by what it touches downstream. Run events (OpenLineage, see
:mod:`meshplane.lineage.events`) add what only runs know: which table version each port is at and which
version a consumer last read.

Nodes are data products, their ports and workloads (ids are the component ids, so they match the registry
and the marketplace), and external systems (``system:<name>``). Edges:

- ``reads``: an upstream output port or an external system -> an input port;
- ``feeds``: an input port -> the workload that reads it;
- ``writes``: a workload -> the output or boundary port it writes;
- ``exports``: a boundary port -> an external consumer.

Renderers (:mod:`meshplane.lineage.render`): an indented text tree (terminals), JSON (nodes/edges, for the
marketplace), Graphviz DOT and Mermaid (the pictures people would rather look at). Column-level lineage
for a port comes from its SQL workload through :func:`meshplane.lineage.columns.column_lineage`, with the
upstream contracts as schemas.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.lineage import render
from meshplane.lineage.columns import ColumnLineage, column_lineage
from meshplane.lineage.model import PORTS, Direction, Edge, EdgeKind, Node, NodeKind, PortColumns
from meshplane.lineage.naming import DatasetName, mesh_namespace, port_dataset, source_dataset
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.graph import dependency_order, find_cycle
from meshplane.spec.model import (
    BoundaryPort,
    DatabaseSource,
    DataProduct,
    EventsSource,
    FilesSource,
    InputPort,
    Language,
    OutputPort,
    OutputPortSource,
    Workload,
)
from meshplane.spec.workspace import Workspace

__all__ = [
    "Direction",
    "Edge",
    "EdgeKind",
    "LineageGraph",
    "Node",
    "NodeKind",
    "PortColumns",
    "mesh_graph",
]


@dataclass
class LineageGraph:
    mesh: str
    environment: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    #: What the graph could not show (descriptors that did not load, references to unknown products).
    problems: list[str] = field(default_factory=list)
    workspace: Workspace | None = field(default=None, repr=False, compare=False)
    _edge_keys: set[tuple[str, str, EdgeKind]] = field(default_factory=set, init=False, repr=False, compare=False)

    @property
    def workspace_root(self) -> Path | None:
        """The mesh folder: relative source paths in descriptors are relative to it."""
        return self.workspace.root if self.workspace else None

    # -- building ----------------------------------------------------------------------------------
    def add_node(self, node: Node) -> Node:
        return self.nodes.setdefault(node.id, node)

    def add_edge(self, edge: Edge) -> None:
        """Add ``edge`` unless one with the same ends and kind is there (a set lookup: whole meshes have
        thousands of edges; ``edges`` may also be assigned directly, so the set is rebuilt when it drifts)."""
        key = (edge.source, edge.target, edge.kind)
        if len(self._edge_keys) != len(self.edges):
            self._edge_keys = {(e.source, e.target, e.kind) for e in self.edges}
        if key not in self._edge_keys:
            self._edge_keys.add(key)
            self.edges.append(edge)

    # -- looking things up -------------------------------------------------------------------------
    def data_products(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind is NodeKind.DATA_PRODUCT]

    def find(self, ref: str) -> Node:
        """A data product by id, ``domain/name`` or name; :class:`NotFoundError` (with a suggestion) if none."""
        products = self.data_products()
        keys: list[Callable[[Node], object]] = [lambda n: n.id, lambda n: n.label, lambda n: n.attrs.get("name")]
        for key in keys:
            found = [n for n in products if key(n) == ref]
            if len(found) > 1:  # the same name in two domains
                raise InvalidInputError(
                    f"`{ref}` names {len(found)} data products", hint="use one of " + ", ".join(n.label for n in found)
                )
            if found:
                return found[0]
        names = [str(n.attrs.get("name") or n.label) for n in products]
        raise NotFoundError(
            f"no data product `{ref}` in mesh {self.mesh}",
            hint=did_you_mean(ref, names) or f"known: {', '.join(sorted(names)) or 'none'}",
        )

    def members(self, dp_id: str, *kinds: NodeKind) -> list[Node]:
        return [n for n in self.nodes.values() if n.dp == dp_id and (not kinds or n.kind in kinds)]

    def incoming(self, node_id: str, kind: EdgeKind | None = None) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id and (kind is None or e.kind is kind)]

    def outgoing(self, node_id: str, kind: EdgeKind | None = None) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id and (kind is None or e.kind is kind)]

    def owner(self, node_id: str) -> str:
        """The node that stands for ``node_id`` at the data-product level: its data product, or itself."""
        node = self.nodes[node_id]
        return node.dp or node.id

    def _neighbours(self, direction: Literal["upstream", "downstream"]) -> dict[str, set[str]]:
        """Data-product-level adjacency (systems included) through ``reads`` and ``exports`` edges."""
        adjacency: dict[str, set[str]] = {}
        for edge in self.edges:
            if edge.kind not in (EdgeKind.READS, EdgeKind.EXPORTS):
                continue
            a, b = self.owner(edge.source), self.owner(edge.target)
            if a == b:
                continue
            src, dst = (a, b) if direction == "downstream" else (b, a)
            adjacency.setdefault(src, set()).add(dst)
        return adjacency

    def _closure(self, dp_id: str, direction: Literal["upstream", "downstream"]) -> list[str]:
        adjacency = self._neighbours(direction)
        seen: dict[str, int] = {}
        queue = deque([(dp_id, 0)])
        while queue:
            current, depth = queue.popleft()
            for nxt in sorted(adjacency.get(current, ())):
                if nxt != dp_id and nxt not in seen:
                    seen[nxt] = depth + 1
                    queue.append((nxt, depth + 1))
        return sorted(seen, key=lambda n: (seen[n], n))

    def upstream(self, ref: str, *, systems: bool = False) -> list[str]:
        """Every data product ``ref`` depends on, directly or not, nearest first (and external systems with
        ``systems=True``)."""
        found = self._closure(self.find(ref).id, "upstream")
        return [n for n in found if systems or self.nodes[n].kind is NodeKind.DATA_PRODUCT]

    def downstream(self, ref: str, *, systems: bool = False) -> list[str]:
        """Every data product that depends on ``ref``, nearest first (and external consumers with
        ``systems=True``)."""
        found = self._closure(self.find(ref).id, "downstream")
        return [n for n in found if systems or self.nodes[n].kind is NodeKind.DATA_PRODUCT]

    def subgraph(self, ref: str, direction: Direction = "both") -> LineageGraph:
        """``ref`` with everything upstream and/or downstream of it — what a picture of one product shows."""
        root = self.find(ref).id
        keep = {root}
        if direction in ("upstream", "both"):
            keep.update(self._closure(root, "upstream"))
        if direction in ("downstream", "both"):
            keep.update(self._closure(root, "downstream"))
        sub = LineageGraph(self.mesh, self.environment, problems=list(self.problems), workspace=self.workspace)
        for node in self.nodes.values():
            if (node.dp or node.id) in keep:
                sub.nodes[node.id] = node
        sub.edges = [e for e in self.edges if e.source in sub.nodes and e.target in sub.nodes]
        return sub

    # -- run events ---------------------------------------------------------------------------------
    def enrich(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Add what runs know: each port's latest dataset version, row count and run; the version each input
        port last read; each product's last run state. Events of other meshes or environments are ignored.
        Returns how many events were applied."""
        by_dataset: dict[tuple[str, str], list[Node]] = {}
        for node in self.nodes.values():
            ds = node.attrs.get("dataset")
            if isinstance(ds, dict):
                by_dataset.setdefault((ds["namespace"], ds["name"]), []).append(node)
        applied = 0
        for event in sorted(events, key=lambda e: str(e.get("eventTime", ""))):
            job = event.get("job") or {}
            dp_id = _event_dp(event)
            if dp_id not in self.nodes or job.get("namespace") != mesh_namespace(self.mesh, self.environment):
                continue
            applied += 1
            run = {
                "runId": (event.get("run") or {}).get("runId"),
                "state": event.get("eventType"),
                "eventTime": event.get("eventTime"),
            }
            error = ((event.get("run") or {}).get("facets") or {}).get("errorMessage")
            if isinstance(error, dict) and error.get("message"):
                run["error"] = error["message"]
            self.nodes[dp_id].attrs["lastRun"] = run
            for ds in event.get("outputs") or []:
                for node in by_dataset.get((ds.get("namespace"), ds.get("name")), []):
                    if node.kind in PORTS:
                        _apply_output(node, ds, run)
            for ds in event.get("inputs") or []:
                version = _version(ds)
                if version is None:
                    continue
                for node in by_dataset.get((ds.get("namespace"), ds.get("name")), []):
                    if node.kind is NodeKind.INPUT_PORT and node.dp == dp_id:
                        node.attrs["readVersion"] = version
                        for edge in self.incoming(node.id, EdgeKind.READS):
                            edge.attrs["version"] = version
        return applied

    # -- column lineage -----------------------------------------------------------------------------
    def column_lineage(self, ref: str, port: str, *, schemas: Mapping[str, Sequence[str]] | None = None) -> PortColumns:
        """Column-level lineage of one output port from the SQL of the workload writing it. Input schemas are
        the upstream ports' contract columns; ``schemas`` (input port -> columns) adds or overrides them,
        e.g. for external sources that have no contract."""
        if self.workspace is None:
            raise NotFoundError("this lineage graph was not built from descriptors", hint="use mesh_graph(ws)")
        dp_node = self.find(ref)
        products = self.workspace.by_id()
        loaded, dp = products[dp_node.id]
        target = dp.port(port)
        if target is None:
            names = [p.name for p in dp.output_ports + dp.boundary_ports]
            raise NotFoundError(
                f"{dp_node.label} has no output port `{port}`",
                hint=did_you_mean(port, names) or f"its ports: {', '.join(names) or 'none'}",
            )
        workload = next((w for w in dp.workloads if port in w.writes), None)
        relations = _relations(self, dp)

        def result(lineage: ColumnLineage, sql: str | None = None) -> PortColumns:
            return PortColumns(dp.id, dp_node.label, port, workload.name if workload else None, sql, lineage, relations)

        if workload is None:
            return result(ColumnLineage.unknown(f"no workload writes {port}"))
        if workload.language is not Language.SQL:
            return result(
                ColumnLineage.unknown(
                    f"workload {workload.name} is written in {workload.language.value} "
                    f"({workload.function or 'no function'}); column lineage is derived from SQL only"
                )
            )
        text = workload.sql.get(port)
        if text is None:
            return result(ColumnLineage.unknown(f"workload {workload.name} has no SQL for {port}"))
        sql, source = _sql_text(text, Path(loaded.document.file).parent)
        if sql is None:
            return result(ColumnLineage.unknown(f"SQL file {source} cannot be read"), source)
        reads = [p for p in dp.input_ports if not workload.reads or p.name in workload.reads]
        inputs = {p.name: _schema_of(p, products) for p in reads}
        inputs.update({k: list(v) for k, v in (schemas or {}).items() if k in inputs})
        return result(column_lineage(sql, inputs), source)

    # -- rendering ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "mesh": self.mesh,
            "environment": self.environment,
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges],
            "problems": list(self.problems),
        }

    def to_text(self, ref: str | None = None, direction: Direction = "both") -> str:
        """An overview of the whole mesh, or trees upstream and/or downstream of one data product."""
        if ref is None:
            return render.overview(self)
        root = self.find(ref)
        parts: list[str] = []
        if direction in ("upstream", "both"):
            parts.append(render.tree(self, root, "upstream"))
        if direction in ("downstream", "both"):
            parts.append(render.tree(self, root, "downstream"))
        return "\n\n".join(parts)

    def to_dot(self) -> str:
        return render.dot(self)

    def to_mermaid(self) -> str:
        return render.mermaid(self)


# -- building from descriptors -------------------------------------------------------------------------


def mesh_graph(ws: Workspace, *, environment: str | None = None) -> LineageGraph:
    """The static lineage graph of every data product in ``ws``."""
    mesh = ws.mesh_model
    mesh_name = mesh.name if mesh else ws.root.name
    known_envs = [e.name for e in mesh.environments] if mesh else []
    if environment is not None and known_envs and environment not in known_envs:
        raise NotFoundError(
            f"mesh {mesh_name} has no environment `{environment}`",
            hint=did_you_mean(environment, known_envs) or f"its environments: {', '.join(known_envs)}",
        )
    env = environment or (known_envs[0] if known_envs else "dev")
    graph = LineageGraph(mesh_name, env, workspace=ws)
    products = {dp.id: dp for _, dp in ws.models()}
    for broken in sorted(ws.broken_ids()):
        graph.problems.append(f"{broken}: its descriptor does not load; run `meshplane validate` to see why")
    cycle = find_cycle(list(products.values()))
    if cycle:
        graph.problems.append("data products read each other in a cycle: " + " -> ".join(cycle))
        order = sorted(products)
    else:
        order = dependency_order(list(products.values()))
    for dp_id in order:
        _add_nodes(graph, products[dp_id])
    for dp_id in order:
        _add_edges(graph, products[dp_id], products, ws)
    return graph


def _add_nodes(graph: LineageGraph, dp: DataProduct) -> None:
    graph.add_node(
        Node(
            dp.id,
            NodeKind.DATA_PRODUCT,
            f"{dp.domain}/{dp.name}",
            attrs={
                "name": dp.name,
                "domain": dp.domain,
                "productKind": dp.kind.value,
                "version": dp.version,
                "status": dp.status.value,
                "owner": dp.owner,
            },
        )
    )
    for port in dp.output_ports + dp.boundary_ports:
        kind = NodeKind.BOUNDARY_PORT if isinstance(port, BoundaryPort) else NodeKind.OUTPUT_PORT
        ds = port_dataset(graph.mesh, graph.environment, dp.id, port.name)
        graph.add_node(
            Node(
                dp.component_id(port),
                kind,
                port.name,
                dp=dp.id,
                attrs={
                    "type": port.type.value,
                    "dataset": _ds(ds),
                    "columns": [c.name for c in port.data_contract.columns],
                },
            )
        )
    for wl in dp.workloads:
        attrs: dict[str, Any] = {"language": wl.language.value, "engine": wl.engine}
        if wl.language is Language.SQL:
            attrs["sql"] = dict(wl.sql)
        elif wl.function:
            attrs["function"] = wl.function
        graph.add_node(Node(dp.component_id(wl), NodeKind.WORKLOAD, wl.name, dp=dp.id, attrs=attrs))
    for inp in dp.input_ports:
        ds = source_dataset(inp.source, mesh=graph.mesh, environment=graph.environment, base=graph.workspace_root)
        graph.add_node(
            Node(
                dp.component_id(inp),
                NodeKind.INPUT_PORT,
                inp.name,
                dp=dp.id,
                attrs={"source": inp.source.type, "dataset": _ds(ds)},
            )
        )


def _add_edges(graph: LineageGraph, dp: DataProduct, products: Mapping[str, DataProduct], ws: Workspace) -> None:
    mesh = ws.mesh_model
    for inp in dp.input_ports:
        target = dp.component_id(inp)
        src = inp.source
        if isinstance(src, OutputPortSource):
            upstream = products.get(src.data_product)
            port = upstream.port(src.port) if upstream else None
            if upstream is None or port is None:
                source_id = f"{src.data_product}:{src.port}"
                graph.problems.append(
                    f"{dp.id} input {inp.name} reads {src.data_product} port {src.port}, which is not in this mesh"
                )
                graph.add_node(
                    Node(
                        src.data_product,
                        NodeKind.DATA_PRODUCT,
                        src.data_product,
                        attrs={"name": src.data_product, "missing": True},
                    )
                )
                graph.add_node(
                    Node(source_id, NodeKind.OUTPUT_PORT, src.port, dp=src.data_product, attrs={"missing": True})
                )
            else:
                source_id = upstream.component_id(port)
            pinned = {} if src.version == "latest" else {"pinned": str(src.version)}
            graph.add_edge(Edge(source_id, target, EdgeKind.READS, attrs=pinned))
        else:
            system = mesh.system(src.system) if mesh else None
            node = graph.add_node(
                Node(
                    f"system:{src.system}",
                    NodeKind.SYSTEM,
                    src.system,
                    attrs={
                        "systemType": system.type if system else src.type,
                        "description": system.description if system else "",
                        "declared": system is not None,
                    },
                )
            )
            graph.add_edge(Edge(node.id, target, EdgeKind.READS, label=_source_label(src)))
    inputs = {p.name: dp.component_id(p) for p in dp.input_ports}
    ports: dict[str, OutputPort | BoundaryPort] = {p.name: p for p in dp.output_ports + dp.boundary_ports}
    for wl in dp.workloads:
        wl_id = dp.component_id(wl)
        for name in _reads(wl, inputs):
            graph.add_edge(Edge(inputs[name], wl_id, EdgeKind.FEEDS))
        for name in wl.writes:
            if name in ports:
                graph.add_edge(Edge(wl_id, dp.component_id(ports[name]), EdgeKind.WRITES))
    for bport in dp.boundary_ports:
        for consumer in bport.consumers:
            system = mesh.system(consumer) if mesh else None
            node = graph.add_node(
                Node(
                    f"system:{consumer}",
                    NodeKind.SYSTEM,
                    consumer,
                    attrs={
                        "systemType": system.type if system else "application",
                        "description": system.description if system else "",
                        "declared": system is not None,
                    },
                )
            )
            graph.add_edge(Edge(dp.component_id(bport), node.id, EdgeKind.EXPORTS, label="boundary"))


def _reads(wl: Workload, inputs: Mapping[str, str]) -> list[str]:
    """The input ports a workload reads; a workload that names none is taken to read them all."""
    return [n for n in wl.reads if n in inputs] if wl.reads else list(inputs)


def _source_label(src: DatabaseSource | FilesSource | EventsSource) -> str:
    if isinstance(src, DatabaseSource):
        return src.table
    if isinstance(src, FilesSource):
        return src.path
    return src.stream


def _ds(name: DatasetName) -> dict[str, str]:
    return {"namespace": name.namespace, "name": name.name}


def _schema_of(port: InputPort, products: Mapping[str, tuple[Any, DataProduct]]) -> list[str]:
    src = port.source
    if isinstance(src, OutputPortSource) and src.data_product in products:
        upstream = products[src.data_product][1].port(src.port)
        if upstream is not None:
            return [c.name for c in upstream.data_contract.columns]
    return []  # an external source: its columns are known only from the data


def _relations(graph: LineageGraph, dp: DataProduct) -> dict[str, str]:
    found: dict[str, str] = {}
    for port in dp.input_ports:
        src = port.source
        if isinstance(src, OutputPortSource):
            up = graph.nodes.get(src.data_product)
            found[port.name] = f"{up.label if up else src.data_product}.{src.port}"
        else:
            found[port.name] = f"{src.system}: {_source_label(src)}"
    return found


def _sql_text(text: str, folder: Path) -> tuple[str | None, str]:
    """A workload's ``sql`` entry is a file relative to the descriptor when it ends in ``.sql``, else the
    query itself (the rule ``meshplane validate`` applies)."""
    stripped = text.strip()
    if not stripped.lower().endswith(".sql"):
        return text, "inline"
    try:
        return (folder / stripped).read_text(encoding="utf-8"), stripped
    except OSError:
        return None, stripped


# -- run events --------------------------------------------------------------------------------------


def _event_dp(event: Mapping[str, Any]) -> str:
    facet = ((event.get("run") or {}).get("facets") or {}).get("meshplane")
    if isinstance(facet, dict) and facet.get("dataProduct"):
        return str(facet["dataProduct"])
    name = str((event.get("job") or {}).get("name", ""))
    return name.rpartition(".")[0] or name


def _version(ds: Mapping[str, Any]) -> str | None:
    facet = (ds.get("facets") or {}).get("version")
    if isinstance(facet, dict) and facet.get("datasetVersion") is not None:
        return str(facet["datasetVersion"])
    return None


def _apply_output(node: Node, ds: Mapping[str, Any], run: Mapping[str, Any]) -> None:
    version = _version(ds)
    if version is not None:
        node.attrs["version"] = version
    stats = (ds.get("outputFacets") or {}).get("outputStatistics") or {}
    metrics = (ds.get("facets") or {}).get("dataQualityMetrics") or {}
    rows = stats.get("rowCount", metrics.get("rowCount"))
    if rows is not None:
        node.attrs["rowCount"] = rows
    node.attrs["lastRun"] = dict(run)
