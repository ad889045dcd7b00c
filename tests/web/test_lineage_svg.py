"""The lineage drawing (meshplane.lineage.svg): a layout with no overlapping boxes, every edge drawn and pointing
the right way, valid SVG with links — on the demo's graph and on random graphs (hypothesis)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshplane.lineage.graph import mesh_graph
from meshplane.lineage.svg import (
    GraphEdge,
    GraphNode,
    Layout,
    domain_colour,
    domain_colours,
    layout,
    product_graph,
    render_svg,
)
from meshplane.spec.workspace import open_workspace

SVG = "{http://www.w3.org/2000/svg}"


def assert_sound(drawn: Layout, nodes: list[GraphNode], edges: list[GraphEdge]) -> None:
    """No two boxes overlap, every box lies inside the drawing, every distinct edge has one route that
    starts on its source box and ends on its target box."""
    boxes = list(drawn.boxes.values())
    assert {b.id for b in boxes} == {n.id for n in nodes}
    for i, a in enumerate(boxes):
        assert a.x >= 0 and a.right <= drawn.width + 1e-6, a
        assert a.y >= 0 and a.bottom <= drawn.height + 1e-6, a
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    wanted = {(e.source, e.target) for e in edges if e.source != e.target}
    assert sorted((r.source, r.target) for r in drawn.routes) == sorted(wanted)
    for route in drawn.routes:
        src, dst = drawn.boxes[route.source], drawn.boxes[route.target]
        (x0, y0), (x1, y1) = route.points[0], route.points[-1]
        assert x0 in (src.x, src.right) and src.y <= y0 <= src.bottom
        assert x1 in (dst.x, dst.right) and dst.y <= y1 <= dst.bottom
        if not route.reversed:  # forward edges run left to right, through every layer in between
            assert x0 == src.right and x1 == dst.x and src.layer < dst.layer
            assert len(route.points) == dst.layer - src.layer + 1


def test_a_chain_runs_left_to_right():
    nodes = [GraphNode(n, n) for n in "abc"]
    edges = [GraphEdge("a", "b"), GraphEdge("b", "c")]
    drawn = layout(nodes, edges)
    assert [drawn.boxes[n].layer for n in "abc"] == [0, 1, 2]
    assert drawn.boxes["a"].right < drawn.boxes["b"].x < drawn.boxes["c"].x
    assert_sound(drawn, nodes, edges)


def test_a_long_edge_bends_around_the_layer_it_crosses():
    nodes = [GraphNode(n, n) for n in "abc"]
    edges = [GraphEdge("a", "b"), GraphEdge("b", "c"), GraphEdge("a", "c")]
    drawn = layout(nodes, edges)
    skip = next(r for r in drawn.routes if (r.source, r.target) == ("a", "c"))
    assert len(skip.points) == 3  # one bend point in b's layer
    bend_y = skip.points[1][1]
    b = drawn.boxes["b"]
    assert not (b.y <= bend_y <= b.bottom), "the bend point must not sit on b's box"
    assert_sound(drawn, nodes, edges)


def test_cycles_self_loops_duplicates_and_dangling_edges():
    nodes = [GraphNode(n, n) for n in "abc"]
    edges = [
        GraphEdge("a", "b", "x"),
        GraphEdge("a", "b", "y"),
        GraphEdge("b", "c"),
        GraphEdge("c", "a"),
        GraphEdge("a", "a"),
        GraphEdge("a", "nowhere"),
    ]
    drawn = layout(nodes, edges)
    assert len(drawn.routes) == 3
    assert next(r for r in drawn.routes if r.source == "a").label == "x, y"
    assert sum(r.reversed for r in drawn.routes) == 1
    assert_sound(drawn, nodes, [e for e in edges if e.target != "nowhere"])


def test_an_empty_graph_is_an_empty_drawing():
    drawn = layout([], [])
    assert drawn.boxes == {} and drawn.routes == []
    ET.fromstring(render_svg([], []))


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[GraphNode], list[GraphEdge]]:
    size = draw(st.integers(1, 18))
    names = [f"n{i}" for i in range(size)]
    labels = draw(st.lists(st.text(min_size=1, max_size=40), min_size=size, max_size=size))
    nodes = [GraphNode(n, label, group=f"d{i % 4}") for i, (n, label) in enumerate(zip(names, labels, strict=True))]
    pairs = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=40))
    acyclic = draw(st.booleans())
    edges = [
        GraphEdge(a, b) if not acyclic or names.index(a) < names.index(b) else GraphEdge(b, a)
        for a, b in pairs
        if a != b
    ]
    return nodes, edges


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_random_graphs_lay_out_without_overlaps_and_with_every_edge(graph):
    nodes, edges = graph
    drawn = layout(nodes, edges)
    assert_sound(drawn, nodes, edges)
    root = ET.fromstring(render_svg(nodes, edges))  # labels of any text still make well-formed SVG
    assert len(root.findall(f".//{SVG}path[@class='edge']")) + len(
        root.findall(f".//{SVG}path[@class='edge reversed']")
    ) == len(drawn.routes)


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_acyclic_graphs_point_every_edge_to_a_later_layer(graph):
    nodes, edges = graph
    order = {n.id: i for i, n in enumerate(nodes)}
    dag = [e for e in edges if order[e.source] < order[e.target]]
    drawn = layout(nodes, dag)
    assert not any(r.reversed for r in drawn.routes)
    for e in dag:
        assert drawn.boxes[e.source].layer < drawn.boxes[e.target].layer


def test_text_and_links_are_escaped():
    nodes = [
        GraphNode("a", "<script>alert(1)</script>", 'say "hi"', href='/dp/x"onclick="evil()'),
        GraphNode("b", "b & c"),
    ]
    svg = render_svg(nodes, [GraphEdge("a", "b", "<port>")], title="<t>")
    assert "<script>" not in svg and 'x"onclick' not in svg
    root = ET.fromstring(svg)
    link = root.find(f".//{SVG}a")
    assert link is not None and link.get("href") == '/dp/x"onclick="evil()'
    assert root.find(f"{SVG}title").text == "<t>"


def test_domain_colours_are_distinct_and_stable():
    colours = domain_colours(["sales", "billing", "customer", "sales"])
    assert len(set(colours.values())) == 3 and colours == domain_colours(["customer", "billing", "sales"])
    assert domain_colour("sales") == domain_colour("sales")


@pytest.fixture(scope="module")
def demo_graph(tmp_path_factory):
    from meshplane.demo import write_demo

    root = tmp_path_factory.mktemp("svg") / "acme"
    write_demo(root, customers=100, seed=7)
    return mesh_graph(open_workspace(Path(root)))


def test_the_demo_mesh_is_drawn_with_every_product_linked(demo_graph):
    nodes, edges = product_graph(demo_graph, lambda dp: f"/dp/{dp}")
    products = [n for n in nodes if n.role == "product"]
    assert len(products) == 8 and all(n.href == f"/dp/{n.id}" for n in products)
    systems = {n.label for n in nodes if n.role == "system"}
    assert {"legacy_crm", "webshop", "ml_platform"} <= systems
    # customer_master feeds customer_360 through two ports: one edge, both ports in its label
    c360 = "urn:dmb:dp:marketing:customer_360:1"
    master = "urn:dmb:dp:customer:customer_master:1"
    drawn = layout(nodes, edges)
    route = next(r for r in drawn.routes if (r.source, r.target) == (master, c360))
    assert set(route.label.split(", ")) == {"customers", "customer_keys"}
    assert_sound(drawn, nodes, edges)
    svg = render_svg(nodes, edges, focus=c360, colours=domain_colours(n.group for n in products))
    root = ET.fromstring(svg)
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert links == {f"/dp/{n.id}" for n in products}
    focus = [a for a in root.iter(f"{SVG}a") if "focus" in (a.get("class") or "")]
    assert [a.get("data-id") for a in focus] == [c360]
    assert len([p for p in root.iter(f"{SVG}path") if "edge" in (p.get("class") or "")]) == len(drawn.routes)
    # churn_features exports to the ML platform: drawn downstream of it
    churn = "urn:dmb:dp:marketing:churn_features:1"
    assert drawn.boxes["system:ml_platform"].layer > drawn.boxes[churn].layer > drawn.boxes[c360].layer
