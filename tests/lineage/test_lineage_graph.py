"""The mesh-wide lineage graph of the demo: structure, traversal, versions from runs, and the renderings."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime

import pytest
import yaml

from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.lineage.columns import Subtype
from meshplane.lineage.events import InputSpec, OutputSpec, new_run_id, run_event
from meshplane.lineage.graph import EdgeKind, LineageGraph, Node, NodeKind, mesh_graph
from meshplane.lineage.naming import port_dataset
from meshplane.spec.workspace import open_workspace

C360 = "urn:dmb:dp:marketing:customer_360:1"
MASTER = "urn:dmb:dp:customer:customer_master:1"
ORDERS = "urn:dmb:dp:sales:orders:1"
CHURN = "urn:dmb:dp:marketing:churn_features:1"


@pytest.fixture
def graph(demo_ws) -> LineageGraph:
    return mesh_graph(demo_ws)


def test_static_structure(graph):
    kinds = [n.kind for n in graph.nodes.values()]
    assert kinds.count(NodeKind.DATA_PRODUCT) == 8
    assert {n.label for n in graph.nodes.values() if n.kind is NodeKind.SYSTEM} == {
        "legacy_crm",
        "webshop",
        "billing_system",
        "helpdesk",
        "marketing_cloud",
        "ml_platform",
    }
    for node in graph.nodes.values():  # every input port reads exactly one thing
        if node.kind is NodeKind.INPUT_PORT:
            assert len(graph.incoming(node.id, EdgeKind.READS)) == 1, node.id
    build = graph.nodes["urn:dmb:cmp:customer:customer_master:1:build"]
    assert sorted(graph.nodes[e.target].label for e in graph.outgoing(build.id, EdgeKind.WRITES)) == [
        "customer_addresses",
        "customer_keys",
        "customers",
    ]
    assert graph.problems == []


def test_upstream_and_downstream(graph):
    upstream = graph.upstream("customer_360")
    assert {MASTER, ORDERS} <= set(upstream)
    assert set(upstream) == {MASTER, ORDERS, "urn:dmb:dp:billing:invoices:1", "urn:dmb:dp:support:tickets:1",
                             "urn:dmb:dp:marketing:campaign_interactions:1"}  # fmt: skip
    assert "system:legacy_crm" in graph.upstream(C360, systems=True)
    downstream = graph.downstream("customer/customer_master")
    assert downstream == [C360, CHURN]  # nearest first
    assert graph.downstream(MASTER, systems=True)[-1] == "system:ml_platform"
    assert graph.downstream("daily_revenue") == [] and graph.upstream("daily_revenue") == [ORDERS]


def test_boundary_port_exports_to_the_external_ml_platform(graph):
    boundary = graph.nodes["urn:dmb:cmp:marketing:churn_features:1:churn_features"]
    assert boundary.kind is NodeKind.BOUNDARY_PORT
    (edge,) = graph.outgoing(boundary.id)
    assert (edge.kind, edge.target) == (EdgeKind.EXPORTS, "system:ml_platform")
    assert graph.nodes["system:ml_platform"].attrs["systemType"] == "application"


def test_finding_products(graph):
    assert graph.find("customer_360").id == graph.find("marketing/customer_360").id == graph.find(C360).id == C360
    with pytest.raises(NotFoundError, match="no data product `customer_306`") as caught:
        graph.find("customer_306")
    assert caught.value.hint == "did you mean `customer_360`?"


def test_a_name_shared_by_two_domains_is_ambiguous():
    graph = LineageGraph("m", "dev")
    for domain in ("sales", "billing"):
        attrs = {"name": "orders"}
        node = Node(f"urn:dmb:dp:{domain}:orders:1", NodeKind.DATA_PRODUCT, f"{domain}/orders", attrs=attrs)
        graph.add_node(node)
    with pytest.raises(InvalidInputError, match="`orders` names 2 data products") as caught:
        graph.find("orders")
    assert caught.value.hint == "use one of sales/orders, billing/orders"
    assert graph.find("billing/orders").id == "urn:dmb:dp:billing:orders:1"


def test_json_is_a_consistent_node_edge_list(graph):
    data = json.loads(json.dumps(graph.to_dict()))
    ids = {n["id"] for n in data["nodes"]}
    assert len(ids) == len(data["nodes"])
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    port = next(n for n in data["nodes"] if n["id"] == "urn:dmb:cmp:customer:customer_master:1:customers")
    assert port["dataProduct"] == MASTER and port["dataset"]["namespace"] == "meshplane://acme/dev"
    assert port["columns"][0] == "cid"


def parse_dot(text: str) -> tuple[set[str], list[tuple[str, str]], int]:
    """A small structural reader for the DOT we write: statements, balanced braces, declared endpoints."""
    lines = text.strip().splitlines()
    assert re.fullmatch(r'digraph "[^"]+" \{', lines[0]) and lines[-1] == "}"
    depth, clusters, nodes, edges = 0, 0, set(), []
    quoted = r'"(?:[^"\\]|\\.)*"'
    for line in lines:
        body = re.sub(quoted, "Q", line)  # braces inside strings do not count
        depth += body.count("{") - body.count("}")
        if line.strip().startswith("subgraph "):
            clusters += 1
        if m := re.fullmatch(rf"\s*({quoted}) -> ({quoted})(?: \[.*\])?;", line):
            edges.append((m[1], m[2]))
        elif m := re.fullmatch(rf"\s*({quoted}) \[label={quoted}.*\];", line):
            nodes.add(m[1])
        else:
            assert re.fullmatch(
                r"\s*(subgraph \"[^\"]+\" \{|\}|[a-z]+ ?\[.*\];|[a-z]+=.*;|label=.*;|digraph .*)", line
            ), line
        assert depth >= 0
    assert depth == 0
    return nodes, edges, clusters


def test_dot_structure(graph):
    nodes, edges, clusters = parse_dot(graph.to_dot())
    assert clusters == 8
    assert len(edges) == len(graph.edges)
    assert all(a in nodes and b in nodes for a, b in edges)
    assert ('"urn:dmb:cmp:marketing:churn_features:1:churn_features"', '"system:ml_platform"') in edges


def parse_mermaid(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    lines = text.strip().splitlines()
    assert lines[0] == "flowchart LR"
    depth, nodes, edges = 0, set(), []
    for line in lines[1:]:
        s = line.strip()
        if m := re.fullmatch(r'subgraph (\w+)\["([^"]*)"\]', s):
            depth += 1
            nodes.add(m[1])
        elif s == "end":
            depth -= 1
        elif m := re.fullmatch(r'(\w+) (?:-->|-\.->)(?:\|"[^"]*"\|)? (\w+)', s):
            edges.append((m[1], m[2]))
        elif m := re.fullmatch(r'(\w+)(\[/"|\[\("|\(\["|\{\{"|\[")([^"]*)("/\]|"\)\]|"\]\)|"\}\}|"\])', s):
            nodes.add(m[1])
        else:
            assert re.fullmatch(r"direction LR|classDef \w+ .+|class [\w,]+ \w+", s), s
        assert depth >= 0
    assert depth == 0
    return nodes, edges


def test_mermaid_structure(graph):
    nodes, edges = parse_mermaid(graph.to_mermaid())
    assert len(edges) == len(graph.edges)
    assert all(a in nodes and b in nodes for a, b in edges)
    assert all(re.fullmatch(r"[A-Za-z_]\w*", n) for n in nodes)


def test_text_trees(graph):
    upstream = graph.to_text("customer_360", "upstream")
    assert upstream.startswith("marketing/customer_360  (upstream of")
    assert "├── customers ◀ customer/customer_master.customers" in upstream
    assert "crm_customer ◀ legacy_crm (crm_customer)" in upstream
    assert "orders ◀ sales/orders.orders" in upstream and "… (shown above)" in upstream
    downstream = graph.to_text("customer_master", "downstream")
    assert "churn_features ⇒ ml_platform (external system)" in downstream
    assert "└── customer_addresses  (no consumers)" in downstream
    overview = graph.to_text()
    assert overview.startswith("mesh acme (dev): 8 data products, 6 external systems")
    assert "▶ orders                 to marketing/customer_360 (as orders), sales/daily_revenue (as orders)" in overview


def test_subgraph_keeps_only_the_lineage_of_one_product(graph):
    sub = graph.subgraph("daily_revenue", "upstream")
    assert {n.id for n in sub.data_products()} == {ORDERS, "urn:dmb:dp:sales:daily_revenue:1"}
    assert {n.label for n in sub.nodes.values() if n.kind is NodeKind.SYSTEM} == {"webshop"}
    assert all(e.source in sub.nodes and e.target in sub.nodes for e in sub.edges)


def test_run_events_add_versions(graph, demo_ws):
    started = datetime(2026, 3, 1, 4, tzinfo=UTC)
    c360 = demo_ws.find("customer_360")
    inputs = [InputSpec(port_dataset("acme", "dev", MASTER, "customers"), version=12, alias="customers")]
    out = OutputSpec(port_dataset("acme", "dev", C360, "customer_360"), version=7, row_count=480)
    event = run_event(event_type="COMPLETE", run_id=new_run_id(), mesh="acme", dataproduct=c360,
                      inputs=inputs, outputs=[out], started=started, finished=started)  # fmt: skip
    other_env = {**event, "job": {**event["job"], "namespace": "meshplane://acme/prod"}}
    assert graph.enrich([event, other_env]) == 1
    port = graph.nodes["urn:dmb:cmp:marketing:customer_360:1:customer_360"]
    assert (port.attrs["version"], port.attrs["rowCount"]) == ("7", 480)
    assert graph.nodes[C360].attrs["lastRun"]["state"] == "COMPLETE"
    read = graph.incoming("urn:dmb:cmp:marketing:customer_360:1:customers", EdgeKind.READS)[0]
    assert read.attrs["version"] == "12"
    assert "customer_360 @v7 ▶ marketing/churn_features" in graph.to_text("customer_master", "downstream")
    assert "customers ◀ customer/customer_master.customers (read v12)" in graph.to_text("customer_360", "upstream")
    assert '"customer_360 @v7<br/>480 rows"' in graph.to_mermaid()


def test_column_lineage_of_a_port(graph):
    found = graph.column_lineage("customer_360", "customer_360")
    assert found.lineage["cid"] == [("customers", "cid")]
    assert found.lineage.kind("revenue") is Subtype.AGGREGATION
    assert found.relations["customers"] == "customer/customer_master.customers"
    assert found.sql == "sql/customer_360.sql" and found.workload == "build"
    text = found.to_text()
    assert "cid                   ← customers.cid [identity]" in text
    assert "revenue               ← orders.amount [aggregation], orders.status [filter]" in text
    nodes, edges = parse_mermaid(found.to_mermaid())
    assert all(a in nodes and b in nodes for a, b in edges)
    dot_nodes, dot_edges = parse_dot(found.to_dot().replace("digraph columns {", 'digraph "columns" {'))[:2]
    assert all(a in dot_nodes and b in dot_nodes for a, b in dot_edges)
    with pytest.raises(NotFoundError, match="has no output port `customer360`") as caught:
        graph.column_lineage("customer_360", "customer360")
    assert caught.value.hint == "did you mean `customer_360`?"


def test_external_sources_without_schema(graph):
    # customer_keys reads only crm_customer: the single-relation queries trace without any schema
    found = graph.column_lineage("customer_master", "customer_keys")
    assert found.lineage.complete
    assert found.lineage["cid"] == [("crm_customer", "cust_no"), ("crm_customer", "email_addr")]


@pytest.fixture
def python_mesh(demo_root, tmp_path):
    """daily_revenue alone, its workload rewritten in Python; its upstream (orders) left out of the mesh."""
    root = tmp_path / "mesh"
    root.mkdir()
    shutil.copy(demo_root / "mesh.yaml", root / "mesh.yaml")
    shutil.copytree(demo_root / "sales" / "daily_revenue", root / "sales" / "daily_revenue")
    path = root / "sales" / "daily_revenue" / "dataproduct.yaml"
    data = yaml.safe_load(path.read_text())
    workload = next(c for c in data["components"] if c["kind"] == "workload")
    workload.update(language="python", function="transform.py:run")
    del workload["sql"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (path.parent / "transform.py").write_text("def run(orders):\n    return orders\n")
    return root


def test_python_workload_and_missing_upstream(python_mesh):
    graph = mesh_graph(open_workspace(python_mesh))
    found = graph.column_lineage("daily_revenue", "daily_revenue")
    assert dict(found.lineage) == {}
    assert found.lineage.problems == [
        "workload build is written in python (transform.py:run); column lineage is derived from SQL only"
    ]
    assert graph.problems == [
        "urn:dmb:dp:sales:daily_revenue:1 input orders reads urn:dmb:dp:sales:orders:1 port orders, "
        "which is not in this mesh"
    ]
    assert graph.nodes[ORDERS].attrs["missing"] is True
    assert graph.upstream("daily_revenue") == [ORDERS]


def test_unknown_environment(demo_ws):
    with pytest.raises(NotFoundError, match="no environment `staging`"):
        mesh_graph(demo_ws, environment="staging")
    assert (
        mesh_graph(demo_ws, environment="prod").nodes["urn:dmb:cmp:sales:orders:1:orders"].attrs["dataset"]["namespace"]
        == "meshplane://acme/prod"
    )
