"""The search home: a search box with live results (htmx), facets with counts, sorting and paging.

``/`` renders the whole page; ``/search/results`` renders only the facets and results, which htmx swaps in
while a person types or ticks a facet, and tells htmx (``HX-Push-Url``) the page URL to put in the address
bar, so every state of a search is a shareable link and the back button walks through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from meshplane.marketplace.views import FACETS, SearchResult
from meshplane.web.pages.common import colours, market
from meshplane.web.pages.rendering import query_url, render

router = APIRouter(include_in_schema=False)

FACET_LABELS = {"domain": "Domain", "kind": "Kind", "maturity": "Maturity", "status": "Status", "quality": "Quality"}
SORTS = (
    ("relevance", "relevance"),
    ("name", "name"),
    ("rating", "rating"),
    ("recent", "recently updated"),
    ("quality", "quality"),
)
PER_PAGE = 20
#: Filters that narrow without a facet box (a tag or polyseme link on a product page leads here).
LABELS = ("tag", "polyseme")


def _page_number(value: str | None) -> int:
    """A page number from the URL; anything that is not a positive whole number means the first page."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return number if number >= 1 else 1


def _search(request: Request) -> SearchResult:
    params = request.query_params
    filters = {name: params.getlist(name) for name in (*FACETS, *LABELS)}
    sort = params.get("sort") or "relevance"
    return market(request).search(
        params.get("q"), **filters, page=_page_number(params.get("page")), per_page=PER_PAGE, sort=sort
    )


def _params(result: SearchResult) -> dict[str, Any]:
    """The query string that reproduces ``result`` (page left out: callers add it)."""
    params: dict[str, Any] = {"q": result.query}
    params.update(result.filters)
    if result.sort != "relevance":
        params["sort"] = result.sort
    return params


def _chips(result: SearchResult) -> list[dict[str, str]]:
    """The tag and polyseme filters (no facet box shows them), each with the URL that drops it."""
    found = []
    for key in LABELS:
        for value in result.filters.get(key, []):
            params = _params(result)
            params[key] = [v for v in result.filters[key] if v != value]
            found.append({"name": key, "value": value, "without": query_url("/", params)})
    return found


def _context(result: SearchResult, request: Request) -> Mapping[str, Any]:
    return {
        "chips": _chips(result),
        "result": result,
        "facet_order": FACETS,
        "facet_labels": FACET_LABELS,
        "sorts": SORTS,
        "colours": colours(request),
        "base_params": _params(result),
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    result = _search(request)
    return render(request, "home.html", _context(result, request))


@router.get("/search/results", response_class=HTMLResponse)
def results(request: Request) -> HTMLResponse:
    """The facets and results only, for htmx; a browser that lands here directly gets the whole page."""
    result = _search(request)
    params = _params(result)
    if result.page > 1:
        params["page"] = result.page
    page_url = query_url("/", params)
    if request.headers.get("hx-request") != "true":
        return render(request, "home.html", _context(result, request))
    response = render(request, "_search_body.html", _context(result, request))
    response.headers["HX-Push-Url"] = page_url
    return response
