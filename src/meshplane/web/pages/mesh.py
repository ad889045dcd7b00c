"""Pages across the mesh: lineage (whole mesh and one product), domains, governance and the overview.

The lineage picture is drawn on the server (:mod:`meshplane.lineage.svg`) from the marketplace's lineage view
of what is deployed; the page's script only zooms and pans it. Charts are inline SVG (:mod:`.charts`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from meshplane.lineage import Edge, EdgeKind, LineageGraph, Node, NodeKind
from meshplane.lineage.svg import product_graph, render_svg
from meshplane.marketplace.views_mesh import LineageView, PolicyOutcome
from meshplane.web.pages.charts import Bar, bar_chart
from meshplane.web.pages.common import colours, market
from meshplane.web.pages.rendering import dp_url, duration, render

router = APIRouter(include_in_schema=False)

SEVERITIES = ("error", "warning", "info")
#: Seconds the governance page waits for the policy check; a large mesh shows what is done so far.
GOVERNANCE_WAIT = 10.0
TOTALS = {
    "dataProducts": "data products",
    "domains": "domains",
    "outputPorts": "output ports",
    "consumedOutputPorts": "output ports with consumers",
    "consumerLinks": "consumer links",
    "crossDomainLinks": "cross-domain links",
    "polysemes": "polysemes",
    "reviews": "ratings",
}
QUALITY_COLOURS = {"passing": "#1a7f37", "warning": "#bf8700", "failing": "#cf222e", "unknown": "#8c959f"}


def _graph(view: LineageView) -> LineageGraph:
    """The marketplace's lineage view back as a graph, for the drawing."""
    graph = LineageGraph(view.mesh, view.environment, problems=list(view.problems))
    for n in view.nodes:
        graph.add_node(Node(n.id, NodeKind(n.kind), n.label, dp=n.data_product, attrs=dict(n.attrs)))
    graph.edges = [Edge(e.source, e.target, EdgeKind(e.kind), e.label, dict(e.attrs)) for e in view.edges]
    return graph


def _lineage(request: Request, view: LineageView, focus: str | None) -> HTMLResponse:
    graph = _graph(view)
    palette = colours(request)
    nodes, edges = product_graph(graph, dp_url)
    names = {n.id: n.label for n in graph.data_products()}
    title = f"Lineage of {names.get(focus, focus)}" if focus else f"Lineage of mesh {view.mesh}"
    svg = Markup(render_svg(nodes, edges, focus=focus, title=title, colours=palette))  # escaped by render_svg
    context = {
        "lineage": view,
        "svg": svg,
        "focus": focus,
        "focus_name": names.get(focus, focus) if focus else None,
        "names": names,
        "products": sum(1 for n in nodes if n.role == "product"),
        "systems": sum(1 for n in nodes if n.role == "system"),
        "legend": sorted({n.group for n in nodes if n.role == "product" and n.group}),
        "colours": palette,
    }
    return render(request, "lineage.html", context)


@router.get("/lineage", response_class=HTMLResponse)
def mesh_lineage(request: Request) -> HTMLResponse:
    return _lineage(request, market(request).lineage(), None)


@router.get("/dp/{dp_id}/lineage", response_class=HTMLResponse)
def product_lineage(request: Request, dp_id: str) -> HTMLResponse:
    view = market(request).lineage(dp_id)
    return _lineage(request, view, view.root)


@router.get("/domains", response_class=HTMLResponse)
def domains(request: Request) -> HTMLResponse:
    return render(request, "domains.html", {"domains": market(request).domains(), "colours": colours(request)})


@router.get("/domains/{name}", response_class=HTMLResponse)
def domain(request: Request, name: str) -> HTMLResponse:
    return render(request, "domain.html", {"domain": market(request).domain(name), "colours": colours(request)})


def _keep(result: PolicyOutcome, severity: str, policy: str, failing: bool) -> bool:
    return (
        (not severity or result.severity == severity)
        and (not policy or result.policy == policy)
        and (not failing or result.status != "pass")
    )


@router.get("/governance", response_class=HTMLResponse)
def governance(request: Request) -> HTMLResponse:
    """Policy results across the mesh, filtered by severity, policy and failing-only (all in the URL)."""
    params = request.query_params
    severity = params.get("severity", "")
    policy = params.get("policy", "")
    failing = params.get("failing", "") not in ("", "0")
    view = market(request).governance(wait=GOVERNANCE_WAIT)
    policies = [p for p in view.policies if (not severity or p.severity == severity) and (not policy or p.id == policy)]
    products = []
    for p in view.products:
        matching = [r for r in p.results if _keep(r, severity, policy, failing)]
        if failing and not matching:
            continue
        # Passing results are listed only for a chosen policy; otherwise they are a count, so what fails shows.
        shown = matching if policy else [r for r in matching if r.status != "pass"]
        passed = sum(1 for r in matching if r.status == "pass")
        products.append({"product": p, "results": shown, "passed": passed, "matching": len(matching)})
    context = {
        "gov": view,
        "policies": policies,
        "products": products,
        "severities": SEVERITIES,
        "severity": severity,
        "policy": policy,
        "failing": failing,
    }
    return render(request, "governance.html", context)


@router.get("/overview", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    ov = market(request).overview(limit=50)
    palette = colours(request)
    names = {p.data_product: f"{p.domain}/{p.name}" for p in ov.consumers_per_port}
    per_domain = [
        Bar(d.domain, d.products, href=f"/domains/{d.domain}", colour=palette.get(d.domain))
        for d in ov.products_per_domain
    ]
    per_port = [
        Bar(f"{p.name}.{p.port}", p.consumers, href=dp_url(p.data_product), colour=palette.get(p.domain))
        for p in ov.consumers_per_port[:15]
    ]
    leads = [
        Bar(t.name, t.seconds or 0, text=duration(t.seconds), href=dp_url(t.data_product))
        for t in ov.lead_times[:15]
        if t.seconds is not None
    ]
    quality = [Bar(k, v, colour=QUALITY_COLOURS.get(k)) for k, v in sorted(ov.quality.items(), key=lambda x: -x[1])]
    kinds = [Bar(k, v) for k, v in sorted(ov.kinds.items(), key=lambda x: -x[1])]
    context = {
        "ov": ov,
        "names": names,
        "totals_labels": TOTALS,
        "per_domain": bar_chart(per_domain, title="Data products per domain"),
        "per_port": bar_chart(per_port, title="Consumers per output port"),
        "lead_chart": bar_chart(leads, title="Time from first commit to first deploy"),
        "quality_chart": bar_chart(quality, title="Quality of the latest runs"),
        "kinds_chart": bar_chart(kinds, title="Kinds of data products"),
    }
    return render(request, "overview.html", context)
