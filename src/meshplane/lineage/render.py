"""Renderers for lineage: an indented text tree, Graphviz DOT and Mermaid — for graphs and for one port's columns.

Pictures are what people look at (a marketplace page, a README, a pull request), so the output is plain
text a tool renders: DOT for Graphviz (``dot -Tsvg``), Mermaid for GitHub/GitLab Markdown. Identifiers are
quoted or numbered so URNs and odd names never break the syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from meshplane.lineage.model import PORTS, Edge, EdgeKind, Node, NodeKind, PortColumns

if TYPE_CHECKING:
    from meshplane.lineage.graph import LineageGraph

__all__ = ["columns_dot", "columns_mermaid", "columns_text", "dot", "mermaid", "overview", "tree"]

# -- text --------------------------------------------------------------------------------------------


def _port_label(node: Node) -> str:
    version = node.attrs.get("version")
    return f"{node.label} @v{version}" if version is not None else node.label


def overview(graph: LineageGraph) -> str:
    """Every data product in dependency order with what each input reads and who reads each port."""
    products = graph.data_products()
    systems = [n for n in graph.nodes.values() if n.kind is NodeKind.SYSTEM]
    lines = [f"mesh {graph.mesh} ({graph.environment}): {len(products)} data products, {len(systems)} external systems"]
    for dp in products:
        if dp.attrs.get("missing"):
            continue
        lines.append("")
        lines.append(f"{dp.label}  [{dp.attrs.get('productKind')}, v{dp.attrs.get('version')}]  {dp.id}")
        for inp in graph.members(dp.id, NodeKind.INPUT_PORT):
            for edge in graph.incoming(inp.id, EdgeKind.READS):
                lines.append(f"  ◀ {inp.label:<22} from {_describe_source(graph, edge)}")
        for port in graph.members(dp.id, *PORTS):
            consumers = _consumers(graph, port)
            arrow = "⇒" if port.kind is NodeKind.BOUNDARY_PORT else "▶"
            text = f"to {', '.join(consumers)}" if consumers else "(no consumers in this mesh)"
            lines.append(f"  {arrow} {_port_label(port):<22} {text}")
    if graph.problems:
        lines.append("")
        lines.extend(f"! {p}" for p in graph.problems)
    return "\n".join(lines)


def _describe_source(graph: LineageGraph, edge: Edge) -> str:
    source = graph.nodes[edge.source]
    if source.kind is NodeKind.SYSTEM:
        return f"{source.label} ({edge.label})" if edge.label else source.label
    owner = graph.nodes.get(source.dp or "")
    text = f"{owner.label if owner else source.dp}.{_port_label(source)}"
    version = edge.attrs.get("version") or edge.attrs.get("pinned")
    return f"{text} (read v{version})" if version is not None else text


def _consumers(graph: LineageGraph, port: Node) -> list[str]:
    found = []
    for edge in graph.outgoing(port.id):
        target = graph.nodes[edge.target]
        if target.kind is NodeKind.SYSTEM:
            found.append(f"{target.label} (external)")
        elif edge.kind is EdgeKind.READS:
            owner = graph.nodes.get(target.dp or "")
            found.append(f"{owner.label if owner else target.dp} (as {target.label})")
    return found


def tree(graph: LineageGraph, root: Node, direction: Literal["upstream", "downstream"]) -> str:
    """One product's lineage as a tree of ports: the graph is a DAG, so a product reached twice is expanded
    once and then marked "shown above" — the tree stays as long as the mesh, not exponential."""
    title = "upstream of" if direction == "upstream" else "downstream of"
    lines = [f"{root.label}  ({title} {root.id})"]
    shown: set[str] = {root.id}

    def children(dp_id: str) -> list[tuple[str, str | None]]:
        """(line, data product to descend into) for one level."""
        out: list[tuple[str, str | None]] = []
        if direction == "downstream":
            for port in graph.members(dp_id, *PORTS):
                edges = graph.outgoing(port.id)
                if not edges:
                    out.append((f"{_port_label(port)}  (no consumers)", None))
                for edge in edges:
                    target = graph.nodes[edge.target]
                    if target.kind is NodeKind.SYSTEM:
                        out.append((f"{_port_label(port)} ⇒ {target.label} (external system)", None))
                    elif edge.kind is EdgeKind.READS and target.dp:
                        owner = graph.nodes[target.dp]
                        out.append((f"{_port_label(port)} ▶ {owner.label} (as {target.label})", owner.id))
        else:
            for inp in graph.members(dp_id, NodeKind.INPUT_PORT):
                for edge in graph.incoming(inp.id, EdgeKind.READS):
                    source = graph.nodes[edge.source]
                    descend = source.dp if source.kind is not NodeKind.SYSTEM else None
                    out.append((f"{inp.label} ◀ {_describe_source(graph, edge)}", descend))
        return out

    def walk(dp_id: str, prefix: str) -> None:
        items = children(dp_id)
        for i, (text, descend) in enumerate(items):
            last = i == len(items) - 1
            lines.append(prefix + ("└── " if last else "├── ") + text)
            if descend is None:
                continue
            inner = prefix + ("    " if last else "│   ")
            if descend in shown:
                if children(descend):
                    lines.append(inner + "└── … (shown above)")
                continue
            shown.add(descend)
            walk(descend, inner)

    walk(root.id, "")
    if len(lines) == 1:
        lines.append("└── (nothing " + direction + ")")
    return "\n".join(lines)


def _describe(relation: str, column: str, transformations: Sequence[Any]) -> str:
    kinds = ", ".join(t.subtype.value.lower() + (" masked" if t.masking else "") for t in transformations)
    return f"{relation}.{column} [{kinds}]" if kinds else f"{relation}.{column}"


# -- DOT -----------------------------------------------------------------------------------------------

_DOT_SHAPES = {
    NodeKind.INPUT_PORT: 'shape=cds, style="filled", fillcolor="#e8f0fe"',
    NodeKind.OUTPUT_PORT: 'shape=cylinder, style="filled", fillcolor="#e6f4ea"',
    NodeKind.BOUNDARY_PORT: 'shape=cylinder, style="filled,dashed", fillcolor="#fef7e0"',
    NodeKind.WORKLOAD: 'shape=box, style="rounded,filled", fillcolor="#f1f3f4"',
    NodeKind.SYSTEM: 'shape=component, style="filled", fillcolor="#fce8e6"',
}
_DOT_EDGES = {
    EdgeKind.READS: "",
    EdgeKind.FEEDS: ", color=gray40",
    EdgeKind.WRITES: ", color=gray40",
    EdgeKind.EXPORTS: ', style=dashed, color="#b06000"',
}


def _dq(text: str) -> str:
    """A DOT double-quoted string: only ``"`` and backslashes need escaping; newlines become ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node_label(node: Node) -> str:
    label = _port_label(node)
    rows = node.attrs.get("rowCount")
    return f"{label}\n{rows:,} rows" if isinstance(rows, int) else label


def dot(graph: LineageGraph) -> str:
    """Graphviz: one cluster per data product (its input ports, workloads and output ports), external
    systems outside, left to right in the direction data flows."""
    lines = [
        f"digraph {_dq('lineage ' + graph.mesh + ' ' + graph.environment)} {{",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", fontsize=11];',
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for i, dp in enumerate(graph.data_products()):
        lines.append(f"  subgraph {_dq(f'cluster_{i}')} {{")
        title = dp.label + (f"\nv{dp.attrs['version']}" if dp.attrs.get("version") else "")
        style = "dashed" if dp.attrs.get("missing") else "rounded"
        lines.append(f"    label={_dq(title)}; style={_dq(style)}; color=gray50;")
        for node in graph.members(dp.id):
            lines.append(f"    {_dq(node.id)} [label={_dq(_node_label(node))}, {_DOT_SHAPES[node.kind]}];")
        lines.append("  }")
    for node in graph.nodes.values():
        if node.kind is NodeKind.SYSTEM:
            lines.append(f"  {_dq(node.id)} [label={_dq(node.label)}, {_DOT_SHAPES[node.kind]}];")
    for edge in graph.edges:
        label = edge.label
        if edge.attrs.get("version") is not None:
            label = (label + " " if label else "") + f"v{edge.attrs['version']}"
        attrs = f"label={_dq(label)}" if label else ""
        extra = _DOT_EDGES[edge.kind]
        attrs = (attrs + extra) if attrs else extra.lstrip(", ")
        lines.append(f"  {_dq(edge.source)} -> {_dq(edge.target)}" + (f" [{attrs}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid -------------------------------------------------------------------------------------------


class _Ids:
    """Mermaid ids must be plain words; component ids are URNs, so number them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.known: dict[str, str] = {}

    def get(self, key: str) -> str:
        if key not in self.known:
            self.known[key] = f"{self.prefix}{len(self.known)}"
        return self.known[key]


def _mm(text: str) -> str:
    """Text inside a quoted Mermaid label: quotes and angle brackets as entities, line breaks as <br/>."""
    escaped = text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return escaped.replace("\n", "<br/>")


_MERMAID_SHAPES = {
    NodeKind.INPUT_PORT: ('[/"', '"/]'),
    NodeKind.OUTPUT_PORT: ('[("', '")]'),
    NodeKind.BOUNDARY_PORT: ('[("', '")]'),
    NodeKind.WORKLOAD: ('(["', '"])'),
    NodeKind.SYSTEM: ('{{"', '"}}'),
}


def mermaid(graph: LineageGraph) -> str:
    """The same picture as :func:`dot` as a Mermaid flowchart, which GitHub and GitLab render inline."""
    ids = _Ids("n")
    lines = ["flowchart LR"]

    def node_line(node: Node) -> str:
        left, right = _MERMAID_SHAPES[node.kind]
        return f"{ids.get(node.id)}{left}{_mm(_node_label(node))}{right}"

    for dp in graph.data_products():
        lines.append(f'  subgraph {ids.get(dp.id)}["{_mm(dp.label)}"]')
        lines.append("    direction LR")
        lines.extend(f"    {node_line(n)}" for n in graph.members(dp.id))
        lines.append("  end")
    lines.extend(f"  {node_line(n)}" for n in graph.nodes.values() if n.kind is NodeKind.SYSTEM)
    for edge in graph.edges:
        label = edge.label
        if edge.attrs.get("version") is not None:
            label = (label + " " if label else "") + f"v{edge.attrs['version']}"
        arrow = "-.->" if edge.kind is EdgeKind.EXPORTS else "-->"
        middle = f'{arrow}|"{_mm(label)}"|' if label else arrow
        lines.append(f"  {ids.get(edge.source)} {middle} {ids.get(edge.target)}")
    classes = {
        NodeKind.SYSTEM: "fill:#fce8e6,stroke:#c5221f",
        NodeKind.BOUNDARY_PORT: "fill:#fef7e0,stroke:#b06000,stroke-dasharray: 4 2",
        NodeKind.OUTPUT_PORT: "fill:#e6f4ea,stroke:#137333",
        NodeKind.INPUT_PORT: "fill:#e8f0fe,stroke:#1a73e8",
    }
    for kind, style in classes.items():
        members = [ids.get(n.id) for n in graph.nodes.values() if n.kind is kind]
        if members:
            lines.append(f"  classDef {kind.value} {style}")
            lines.append(f"  class {','.join(members)} {kind.value}")
    return "\n".join(lines) + "\n"


# -- one port's columns -------------------------------------------------------------------------


def columns_text(pc: PortColumns) -> str:
    """One line per output column: its inputs and how each is used; then the inputs that shape all rows."""
    lines = [f"{pc.dp_label}.{pc.port}" + (f"  ← {pc.workload} ({pc.sql})" if pc.workload else "")]
    width = max((len(c) for c in pc.lineage.fields), default=0)
    for column, inputs in pc.lineage.fields.items():
        sources = ", ".join(_describe(f.relation, f.column, f.transformations) for f in inputs) or "(no input column)"
        lines.append(f"  {column.ljust(width)}  ← {sources}")
    if pc.lineage.dataset:
        shaped = ", ".join(_describe(f.relation, f.column, f.transformations) for f in pc.lineage.dataset)
        lines.append(f"  rows shaped by: {shaped}")
    used = sorted(
        {f.relation for fs in pc.lineage.fields.values() for f in fs} | {f.relation for f in pc.lineage.dataset}
    )
    for relation in used:
        if relation in pc.relations:
            lines.append(f"  {relation} = {pc.relations[relation]}")
    lines.extend(f"  ! {p}" for p in pc.lineage.problems)
    return "\n".join(lines)


def columns_mermaid(pc: PortColumns) -> str:
    """Input columns (grouped by relation) on the left, output columns on the right; dashed = indirect."""
    ids = _Ids("c")
    lines = ["flowchart LR"]
    by_relation: dict[str, list[str]] = {}
    for fields_ in [*pc.lineage.fields.values(), pc.lineage.dataset]:
        for f in fields_:
            if f.column not in by_relation.setdefault(f.relation, []):
                by_relation[f.relation].append(f.column)
    for relation, columns in by_relation.items():
        lines.append(f'  subgraph {ids.get("rel:" + relation)}["{_mm(relation)}"]')
        lines.extend(f'    {ids.get(f"in:{relation}.{c}")}["{_mm(c)}"]' for c in columns)
        lines.append("  end")
    lines.append(f'  subgraph {ids.get("out")}["{_mm(pc.port)}"]')
    lines.extend(f'    {ids.get("out:" + c)}["{_mm(c)}"]' for c in pc.lineage.fields)
    lines.append("  end")
    for column, inputs in pc.lineage.fields.items():
        for f in inputs:
            arrow = "-->" if f.direct else "-.->"
            label = "/".join(t.subtype.value.lower() for t in f.transformations)
            middle = f'{arrow}|"{_mm(label)}"|' if label else arrow
            lines.append(f"  {ids.get(f'in:{f.relation}.{f.column}')} {middle} {ids.get('out:' + column)}")
    return "\n".join(lines) + "\n"


def columns_dot(pc: PortColumns) -> str:
    """The same picture as :func:`columns_mermaid`, for Graphviz."""
    lines = ["digraph columns {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];']
    by_relation: dict[str, set[str]] = {}
    for fields_ in [*pc.lineage.fields.values(), pc.lineage.dataset]:
        for f in fields_:
            by_relation.setdefault(f.relation, set()).add(f.column)
    for i, (relation, columns) in enumerate(by_relation.items()):
        lines.append(f"  subgraph {_dq(f'cluster_in{i}')} {{")
        lines.append(f"    label={_dq(relation)};")
        lines.extend(f"    {_dq(f'in:{relation}.{c}')} [label={_dq(c)}];" for c in sorted(columns))
        lines.append("  }")
    lines.append(f"  subgraph {_dq('cluster_out')} {{")
    lines.append(f"    label={_dq(pc.dp_label + '.' + pc.port)};")
    lines.extend(f"    {_dq('out:' + c)} [label={_dq(c)}];" for c in pc.lineage.fields)
    lines.append("  }")
    for column, inputs in pc.lineage.fields.items():
        for f in inputs:
            label = "/".join(t.subtype.value.lower() for t in f.transformations)
            style = "" if f.direct else ", style=dashed"
            lines.append(
                f"  {_dq(f'in:{f.relation}.{f.column}')} -> {_dq('out:' + column)} [label={_dq(label)}{style}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
