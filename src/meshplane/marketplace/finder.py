"""Search requests: checking the parameters, then filtering, sorting and paging the hits and counting facets
(the index itself is :mod:`meshplane.marketplace.search`)."""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Mapping, Sequence
from typing import TypedDict, Unpack, cast, get_args

from meshplane.errors import InvalidInputError
from meshplane.marketplace.live import summary
from meshplane.marketplace.search import parse_query
from meshplane.marketplace.state import QUALITY_ORDER, CatalogState, LiveState, utcnow
from meshplane.marketplace.views import FACETS, FacetValue, SearchHit, SearchResult, SortOrder
from meshplane.spec.model import Mesh

QUERY_MAX = 500
PER_PAGE_MAX = 100
#: The filters a search takes: the facets, then labels (a tag or polyseme link on a product page).
FILTERS = (*FACETS, "tag", "polyseme")


def _choice(values: Sequence[str], field_name: str, allowed: Sequence[str] | None = None) -> list[str]:
    found = []
    for v in values:
        text = v.strip()
        if not text:
            continue
        if len(text) > 200:
            raise InvalidInputError(f"`{field_name}` value is too long ({len(text)} characters)")
        if allowed is not None and text not in allowed:
            raise InvalidInputError(f"`{field_name}` cannot be `{text}`", hint=f"use one of: {', '.join(allowed)}")
        found.append(text)
    return found


class SearchOptions(TypedDict, total=False):
    """What narrows, orders and pages a search, besides the words: facet and label filters (OR within one,
    AND across them), ``page`` (from 1), ``per_page`` (1 to 100) and ``sort``. The facade and this module
    take them as keywords (``market.search("cust", domain=["sales"], sort="rating")``)."""

    domain: Sequence[str]
    kind: Sequence[str]
    maturity: Sequence[str]
    status: Sequence[str]
    quality: Sequence[str]
    tag: Sequence[str]
    polyseme: Sequence[str]
    page: int
    per_page: int
    sort: str


def search(
    cat_state: CatalogState, live_state: LiveState, mesh: Mesh, q: str | None = None, **options: Unpack[SearchOptions]
) -> SearchResult:
    """Full text over names, descriptions, columns, tags and polysemes, with facets; see ``search.py``."""
    started = time.perf_counter()
    unknown = sorted(set(options) - SearchOptions.__optional_keys__)
    if unknown:  # keywords are checked by mypy, not at run time: a typo must not silently widen a search
        raise InvalidInputError(
            f"unknown search option `{unknown[0]}`", hint=f"use: {', '.join(SearchOptions.__annotations__)}"
        )
    page, per_page, sort = options.get("page", 1), options.get("per_page", 20), options.get("sort", "relevance")
    text = (q or "").strip()
    if len(text) > QUERY_MAX:
        raise InvalidInputError(f"`q` is {len(text)} characters long; at most {QUERY_MAX}", hint="search shorter")
    if not isinstance(page, int) or page < 1:
        raise InvalidInputError(f"`page` must be 1 or more, got {page!r}")
    if not isinstance(per_page, int) or not 1 <= per_page <= PER_PAGE_MAX:
        raise InvalidInputError(f"`per_page` must be from 1 to {PER_PAGE_MAX}, got {per_page!r}")
    orders = get_args(SortOrder)
    if sort not in orders:
        raise InvalidInputError(f"`sort` cannot be `{sort}`", hint=f"use one of: {', '.join(orders)}")
    allowed: dict[str, Sequence[str] | None] = {"quality": list(QUALITY_ORDER)}
    given = cast(Mapping[str, Sequence[str]], options)  # every key in FILTERS is a list of text
    filters = {name: _choice(given.get(name, ()), name, allowed.get(name)) for name in FILTERS}
    cat, live = cat_state.catalog, live_state.live
    query = parse_query(q if text else None)  # unstripped: a trailing space ends the last word
    found = cat.index.search(query, filters, facets={"quality": live_state.quality_sets})
    start = (page - 1) * per_page
    wanted = start + per_page
    if sort == "relevance" and not query.empty:
        order = found.ranked(limit=wanted)
    else:
        ranks = {
            "relevance": cat.name_rank,
            "name": cat.name_rank,
            "recent": cat.recent_rank,
            "rating": live_state.rating_rank,
            "quality": live_state.quality_rank,
        }[sort]
        order = heapq.nsmallest(wanted, found.docs, key=ranks.__getitem__)
    now = utcnow()
    hits = []
    for n in order[start:wanted]:
        base = summary(cat.entries[n], live, mesh, now)
        hits.append(SearchHit(**dict(base), score=round(found.score(n), 3), matched=list(found.fields(n))))
    total = found.total
    facets = {name: _facet_values(found.facets.get(name, {}), filters.get(name, [])) for name in FACETS}
    return SearchResult(
        query=text,
        total=total,
        page=page,
        per_page=per_page,
        pages=max(1, math.ceil(total / per_page)),
        sort=cast(SortOrder, sort),
        filters={k: v for k, v in filters.items() if v},
        facets=facets,
        hits=hits,
        took_ms=round((time.perf_counter() - started) * 1000, 3),
    )


def _facet_values(counted: dict[str, int], selected: Sequence[str]) -> list[FacetValue]:
    values = dict(counted)
    for s in selected:  # a chosen value stays visible (at 0) so it can be un-chosen
        values.setdefault(s, 0)
    return [FacetValue(value=v, count=n) for v, n in sorted(values.items(), key=lambda x: (-x[1], x[0]))]
