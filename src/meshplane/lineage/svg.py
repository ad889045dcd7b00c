"""The lineage graph across data products drawn as SVG: a layered layout computed here, no Graphviz needed.

The marketplace shows lineage as a picture people can click, and the machines it runs on have no Graphviz,
so the layout is done in Python with the classic layered (Sugiyama) recipe, sized for meshes of tens to a
few hundred products:

1. cycles are broken by reversing the back edges a depth-first search finds (drawn the right way round);
2. layers by longest path from the sources, so every edge points right;
3. edges spanning several layers get a bend point per layer crossed, so they route between boxes;
4. crossings are reduced by barycentre sweeps, down and up;
5. each layer is pulled towards its neighbours' centres, then pushed apart so no two boxes overlap.

Pure: :func:`layout` and :func:`render_svg` take plain nodes and edges; :func:`product_graph` turns a
:class:`~meshplane.lineage.graph.LineageGraph` into them (data products and external systems; one edge per
pair of products, labelled with the ports it goes through). Every text and URL is escaped.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise
from typing import Literal

from meshplane.lineage.graph import LineageGraph
from meshplane.lineage.model import EdgeKind, Node, NodeKind

__all__ = [
    "PALETTE",
    "Box",
    "GraphEdge",
    "GraphNode",
    "Layout",
    "Route",
    "domain_colour",
    "domain_colours",
    "layout",
    "product_graph",
    "render_svg",
]

NodeRole = Literal["product", "system", "missing"]

#: Colour-blind-safe hues (Okabe–Ito and Tol's bright), dark enough for white text.
PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#8a6d00",
    "#4477aa",
    "#aa3377",
    "#228833",
    "#66447a",
    "#b2502b",
)
SYSTEM_COLOUR = "#5f6b76"

NODE_HEIGHT = 46.0
DUMMY_HEIGHT = 8.0
CHAR_WIDTH = 8.2  # of the 13 px bold sans-serif label; a generous estimate so labels fit their box
SUB_CHAR_WIDTH = 6.6  # of the 11 px sublabel
MIN_WIDTH, MAX_WIDTH = 120.0, 280.0
LAYER_GAP = 90.0  # horizontal space between layers, where the edges run
NODE_GAP = 22.0  # vertical space between boxes of one layer
MARGIN = 20.0
SWEEPS = 6


@dataclass(frozen=True)
class GraphNode:
    """One box: ``group`` picks its colour (the domain), ``href`` makes it a link."""

    id: str
    label: str
    sublabel: str = ""
    group: str = ""
    href: str | None = None
    role: NodeRole = "product"
    tooltip: str = ""


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class Box:
    id: str
    layer: int
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom


@dataclass(frozen=True)
class Route:
    """One edge's polyline from the source box's right side to the target box's left side (or, for an edge
    reversed to break a cycle, from the source's left side back to the target's right side)."""

    source: str
    target: str
    points: tuple[tuple[float, float], ...]
    label: str = ""
    reversed: bool = False


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    routes: list[Route]
    width: float
    height: float


def domain_colour(group: str) -> str:
    """A stable colour for a domain nobody assigned one to: CRC-32 of its name into the palette."""
    return PALETTE[zlib.crc32(group.encode()) % len(PALETTE)]


def domain_colours(domains: Iterable[str]) -> dict[str, str]:
    """Distinct colours for a mesh's domains (sorted, so every page of one mesh agrees) while the palette lasts."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(domains)))}


def _width(node: GraphNode) -> float:
    text = max(len(_clip(node.label)) * CHAR_WIDTH, len(_clip(node.sublabel)) * SUB_CHAR_WIDTH)
    return min(MAX_WIDTH, max(MIN_WIDTH, text + 30))


#: Characters XML 1.0 forbids (C0 controls but tab and newlines, surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    """``value`` safe inside an SVG element or a double-quoted attribute."""
    return escape(_NOT_XML.sub("\ufffd", value))


def _clip(text: str, limit: int = int((MAX_WIDTH - 28) / CHAR_WIDTH)) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- layout ------------------------------------------------------------------------------------------


@dataclass
class _Work:
    """The layout's working state: real and dummy vertices, their layers, order, heights and positions."""

    succ: dict[str, list[str]] = field(default_factory=dict)
    pred: dict[str, list[str]] = field(default_factory=dict)
    layer: dict[str, int] = field(default_factory=dict)
    height: dict[str, float] = field(default_factory=dict)
    layers: list[list[str]] = field(default_factory=list)
    y: dict[str, float] = field(default_factory=dict)

    def link(self, a: str, b: str) -> None:
        self.succ.setdefault(a, []).append(b)
        self.pred.setdefault(b, []).append(a)


def _unique_edges(nodes: Mapping[str, GraphNode], edges: Iterable[GraphEdge]) -> list[GraphEdge]:
    """One edge per (source, target) pair with their labels joined; self-loops and dangling edges dropped."""
    merged: dict[tuple[str, str], list[str]] = {}
    for e in edges:
        if e.source == e.target or e.source not in nodes or e.target not in nodes:
            continue
        labels = merged.setdefault((e.source, e.target), [])
        if e.label and e.label not in labels:
            labels.append(e.label)
    return [GraphEdge(s, t, ", ".join(labels)) for (s, t), labels in merged.items()]


def _back_edges(order: Sequence[str], edges: Sequence[GraphEdge]) -> set[tuple[str, str]]:
    """Edges closing a cycle, found by an iterative depth-first search in input order."""
    succ: dict[str, list[str]] = {}
    for e in edges:
        succ.setdefault(e.source, []).append(e.target)
    state: dict[str, int] = {}  # 1 on the stack, 2 finished
    back: set[tuple[str, str]] = set()
    for root in order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ.get(root, ())))]
        while stack:
            vertex, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[vertex] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((vertex, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succ.get(child, ()))))
    return back


def _longest_path_layers(order: Sequence[str], dag: Sequence[tuple[str, str]]) -> dict[str, int]:
    indegree = dict.fromkeys(order, 0)
    succ: dict[str, list[str]] = {}
    for a, b in dag:
        succ.setdefault(a, []).append(b)
        indegree[b] += 1
    layer = dict.fromkeys(order, 0)
    ready = [v for v in order if indegree[v] == 0]
    while ready:
        vertex = ready.pop()
        for nxt in succ.get(vertex, ()):
            layer[nxt] = max(layer[nxt], layer[vertex] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    return layer


def _order_layers(work: _Work) -> None:
    """Barycentre sweeps: each vertex moves to the mean position of its neighbours in the layer just fixed."""

    def sweep(layers: Sequence[list[str]], neighbours: Mapping[str, list[str]]) -> None:
        for index in range(1, len(layers)):
            position = {v: i for i, v in enumerate(layers[index - 1])}
            current = layers[index]
            keys: dict[str, float] = {}
            for i, v in enumerate(current):
                near = [position[n] for n in neighbours.get(v, ()) if n in position]
                keys[v] = sum(near) / len(near) if near else float(i)
            current.sort(key=lambda v: keys[v])  # stable: ties keep their order

    for _ in range(SWEEPS):
        sweep(work.layers, work.pred)
        sweep(work.layers[::-1], work.succ)


def _place(work: _Work) -> None:
    """Vertical positions: stack each layer, then pull vertices towards their neighbours' centres and push
    them apart again in layer order, so boxes never overlap however the pull went."""
    for layer in work.layers:
        top = 0.0
        for v in layer:
            work.y[v] = top
            top += work.height[v] + NODE_GAP

    def centre(v: str) -> float:
        return work.y[v] + work.height[v] / 2

    def settle(layer: list[str], wanted: Mapping[str, float]) -> None:
        # Two feasible placements: wanted tops pushed down past the box above, and pushed up past the box
        # below. The constraints are linear, so their average is feasible too, and it is not biased either way.
        down: dict[str, float] = {}
        floor = float("-inf")
        for v in layer:
            down[v] = max(wanted[v], floor)
            floor = down[v] + work.height[v] + NODE_GAP
        up: dict[str, float] = {}
        ceiling = float("inf")
        for v in reversed(layer):
            up[v] = min(wanted[v], ceiling - work.height[v] - NODE_GAP)
            ceiling = up[v]
        for v in layer:
            work.y[v] = (down[v] + up[v]) / 2

    for _ in range(SWEEPS):
        for neighbours, layers in ((work.pred, work.layers), (work.succ, work.layers[::-1])):
            for layer in layers:
                wanted: dict[str, float] = {}
                for v in layer:
                    near = [centre(n) for n in neighbours.get(v, ())]
                    mid = sum(near) / len(near) if near else centre(v)
                    wanted[v] = mid - work.height[v] / 2
                settle(layer, wanted)
    low = min(work.y.values(), default=0.0)
    for v in work.y:
        work.y[v] -= low


def layout(nodes: Sequence[GraphNode], edges: Iterable[GraphEdge]) -> Layout:
    """Boxes and edge routes for ``nodes`` and ``edges``, left to right; any graph, cycles included."""
    by_id = {n.id: n for n in nodes}
    order = list(by_id)
    unique = _unique_edges(by_id, edges)
    back = _back_edges(order, unique)
    dag = [(e.target, e.source) if (e.source, e.target) in back else (e.source, e.target) for e in unique]
    layer_of = _longest_path_layers(order, dag)
    work = _Work(layer=dict(layer_of))
    for v in order:
        work.height[v] = NODE_HEIGHT
    chains: dict[tuple[str, str], list[str]] = {}
    for a, b in dag:
        chain = [a]
        for step in range(layer_of[a] + 1, layer_of[b]):
            dummy = f"\x00{a}\x00{b}\x00{step}"
            work.layer[dummy], work.height[dummy] = step, DUMMY_HEIGHT
            chain.append(dummy)
        chain.append(b)
        for u, w in pairwise(chain):
            work.link(u, w)
        chains[(a, b)] = chain
    depth = max(work.layer.values(), default=-1) + 1
    work.layers = [[] for _ in range(depth)]
    for v in order:  # real vertices first, in input order, then dummies in edge order
        work.layers[work.layer[v]].append(v)
    for chain in chains.values():
        for dummy in chain[1:-1]:
            work.layers[work.layer[dummy]].append(dummy)
    _order_layers(work)
    _place(work)

    widths = [max((_width(by_id[v]) for v in layer if v in by_id), default=MIN_WIDTH) for layer in work.layers]
    lefts: list[float] = []
    x = MARGIN
    for column in widths:
        lefts.append(x)
        x += column + LAYER_GAP
    boxes: dict[str, Box] = {}
    for v in order:
        index = work.layer[v]
        width = _width(by_id[v])
        left = lefts[index] + (widths[index] - width) / 2
        boxes[v] = Box(v, index, left, work.y[v] + MARGIN, width, NODE_HEIGHT)

    routes: list[Route] = []
    for e in unique:
        flipped = (e.source, e.target) in back
        a, b = (e.target, e.source) if flipped else (e.source, e.target)
        chain = chains[(a, b)]
        start, end = boxes[a], boxes[b]
        points = [(start.right, start.y + start.height / 2)]
        for dummy in chain[1:-1]:
            index = work.layer[dummy]
            points.append((lefts[index] + widths[index] / 2, work.y[dummy] + MARGIN + DUMMY_HEIGHT / 2))
        points.append((end.x, end.y + end.height / 2))
        if flipped:
            points.reverse()
        routes.append(Route(e.source, e.target, tuple(points), e.label, flipped))
    width = (lefts[-1] + widths[-1] + MARGIN) if lefts else 2 * MARGIN
    bottom = max((v + work.height[k] for k, v in work.y.items()), default=0.0)
    return Layout(boxes, routes, width, bottom + 2 * MARGIN)


# -- drawing -----------------------------------------------------------------------------------------


def _path(points: Sequence[tuple[float, float]]) -> str:
    """Cubic Béziers with horizontal tangents through every point: smooth curves between the layers."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        dx = (x1 - x0) / 2
        parts.append(f"C{x0 + dx:.1f},{y0:.1f} {x1 - dx:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(parts)


def _colour(node: GraphNode, colours: Mapping[str, str]) -> str:
    if node.role == "system":
        return SYSTEM_COLOUR
    if node.role == "missing":
        return "#9aa3ab"
    return colours.get(node.group) or domain_colour(node.group or node.id)


def render_svg(
    nodes: Sequence[GraphNode],
    edges: Iterable[GraphEdge],
    *,
    focus: str | None = None,
    title: str = "Lineage",
    colours: Mapping[str, str] | None = None,
) -> str:
    """The graph as a standalone ``<svg>`` element: boxes are links where ``href`` is set, edges end in
    arrows, ``focus`` is outlined, ``colours`` maps groups to colours (see :func:`domain_colours`). Class
    names (``node``, ``edge``, ``focus``) let a page style and script it."""
    by_id = {n.id: n for n in nodes}
    drawn = layout(nodes, edges)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage" role="img" '
        f'viewBox="0 0 {drawn.width:.0f} {drawn.height:.0f}" width="{drawn.width:.0f}" '
        f'height="{drawn.height:.0f}" data-width="{drawn.width:.0f}" data-height="{drawn.height:.0f}">',
        f"<title>{_text(title)}</title>",
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#56616b"/></marker>'
        "</defs>",
        '<g class="edges">',
    ]
    for route in drawn.routes:
        tip = f"{by_id[route.source].label} → {by_id[route.target].label}"
        if route.label:
            tip += f" ({route.label})"
        out.append(
            f'<path class="edge{" reversed" if route.reversed else ""}" data-source="{_text(route.source)}" '
            f'data-target="{_text(route.target)}" d="{_path(route.points)}" fill="none" stroke="#56616b" '
            f'stroke-width="1.6" marker-end="url(#arrow)"><title>{_text(tip)}</title></path>'
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for node in nodes:
        box = drawn.boxes[node.id]
        colour = _text(_colour(node, colours or {}))
        classes = f"node {node.role}" + (" focus" if node.id == focus else "")
        tooltip = node.tooltip or (f"{node.label} — {node.sublabel}" if node.sublabel else node.label)
        body = (
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="7" '
            f'fill="#ffffff" stroke="{colour}" stroke-width="{3 if node.id == focus else 1.5}"/>'
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="7" height="{box.height:.1f}" rx="3" fill="{colour}"/>'
            f'<text x="{box.x + 16:.1f}" y="{box.y + 19:.1f}" class="label" font-size="13" '
            f'font-weight="600" fill="#1d2730">{_text(_clip(node.label))}</text>'
        )
        if node.sublabel:
            body += (
                f'<text x="{box.x + 16:.1f}" y="{box.y + 36:.1f}" class="sublabel" font-size="11" '
                f'fill="{colour}">{_text(_clip(node.sublabel))}</text>'
            )
        body += f"<title>{_text(tooltip)}</title>"
        data = f'data-id="{_text(node.id)}" data-group="{_text(node.group)}"'
        if node.href:
            out.append(f'<a class="{classes}" href="{_text(node.href)}" {data}>{body}</a>')
        else:
            out.append(f'<g class="{classes}" {data}>{body}</g>')
    out.append("</g></svg>")
    return "".join(out)


# -- from the lineage graph --------------------------------------------------------------------------


def product_graph(
    graph: LineageGraph, href: Callable[[str], str | None] | None = None
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Data products and external systems of ``graph`` with one edge per pair, labelled with the ports the
    data goes through (``orders`` or ``customers, customer_keys``). ``href(dp_id)`` gives each product's link."""
    nodes: list[GraphNode] = []
    for node in graph.nodes.values():
        if node.kind is NodeKind.DATA_PRODUCT:
            nodes.append(_product_node(node, href))
        elif node.kind is NodeKind.SYSTEM:
            kind = str(node.attrs.get("systemType") or "system")
            tip = f"{node.label} ({kind}) — external system" + (
                f": {node.attrs['description']}" if node.attrs.get("description") else ""
            )
            nodes.append(GraphNode(node.id, node.label, f"external · {kind}", "", None, "system", tip))
    edges: list[GraphEdge] = []
    for edge in graph.edges:
        if edge.kind not in (EdgeKind.READS, EdgeKind.EXPORTS):
            continue
        source, target = graph.owner(edge.source), graph.owner(edge.target)
        if source == target:
            continue
        port = graph.nodes[edge.source] if edge.kind is EdgeKind.EXPORTS else graph.nodes.get(edge.source)
        label = port.label if port is not None and port.kind is not NodeKind.SYSTEM else edge.label
        edges.append(GraphEdge(source, target, label))
    return nodes, edges


def _product_node(node: Node, href: Callable[[str], str | None] | None) -> GraphNode:
    attrs = node.attrs
    if attrs.get("missing"):
        return GraphNode(node.id, node.label, "not in this mesh", "", None, "missing", f"{node.id}: not in this mesh")
    domain = str(attrs.get("domain") or "")
    name = str(attrs.get("name") or node.label)
    kind = str(attrs.get("productKind") or "")
    sub = " · ".join(p for p in (domain, kind) if p)
    tip = f"{node.label} v{attrs.get('version', '?')} ({kind}) — {node.id}"
    return GraphNode(node.id, name, sub, domain, href(node.id) if href else None, "product", tip)
