"""The marketplace's REST API under ``/api/v1``: a thin shell over :class:`meshplane.marketplace.Marketplace`.

Reads are public (the marketplace is where people browse); writes — reviews, questions, answers, accepting
an answer — need an identity (``Authorization: Bearer <JWT>`` or the sign-in cookie) and are made in its
name. Errors are answered by ``web/errors.py``: 404 for unknown products, ports, domains and questions, 422
for bad input, 401 without an identity, 403 for someone who may not accept an answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from meshplane.identity import Identity
from meshplane.marketplace import Marketplace
from meshplane.marketplace.views import (
    ColumnView,
    ContractView,
    PortView,
    ProductPage,
    QualityRun,
    RunView,
    SampleRows,
    SearchResult,
    SortOrder,
    VersionView,
)
from meshplane.marketplace.views_mesh import (
    AnswerIn,
    AnswerView,
    DomainView,
    Faq,
    GovernanceView,
    LineageView,
    Overview,
    PolysemeView,
    QuestionIn,
    QuestionView,
    ReviewIn,
    Reviews,
    ReviewView,
)
from meshplane.web.auth import current_identity
from meshplane.web.errors import error_responses

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX)

_ID_MAX = 2**31 - 1
DpId = Annotated[
    str,
    Path(
        description="A data product id (`urn:dmb:dp:sales:orders:1`) or a name unique in the mesh (`orders`)",
        max_length=400,
    ),
]
PortName = Annotated[str, Path(description="An output port's name", max_length=200)]
QuestionId = Annotated[int, Path(ge=1, le=_ID_MAX)]
AnswerId = Annotated[int, Path(ge=1, le=_ID_MAX)]
Filter = Annotated[list[str], Query(max_length=20)]
Limit = Annotated[int, Query(ge=1, le=500, description="How many runs, newest first")]
Me = Annotated[Identity, Depends(current_identity)]

_READ = error_responses(404, 422)
_WRITE = error_responses(400, 401, 404, 422)


def market(request: Request) -> Marketplace:
    """The app's marketplace (``create_app`` puts it on ``app.state``)."""
    found: Marketplace = request.app.state.marketplace
    return found


Market = Annotated[Marketplace, Depends(market)]


# -- search and products ---------------------------------------------------------------------------------


@router.get(
    "/products",
    tags=["products"],
    summary="Search data products",
    response_model=SearchResult,
    responses=error_responses(422),
)
def search_products(
    m: Market,
    q: Annotated[str | None, Query(max_length=500, description="Words to find; the last one may be a prefix")] = None,
    domain: Filter = [],  # noqa: B006 - FastAPI copies defaults per request
    kind: Filter = [],  # noqa: B006
    maturity: Filter = [],  # noqa: B006
    status: Filter = [],  # noqa: B006
    quality: Filter = [],  # noqa: B006
    tag: Filter = [],  # noqa: B006
    polyseme: Filter = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    sort: SortOrder = "relevance",
) -> SearchResult:
    """Full text over names, descriptions, column names and descriptions, tags and polysemes (every word
    must match; the last may be the start of a word). Filters repeat (`domain=sales&domain=billing`): OR
    within a facet, AND across facets. Facet counts apply every filter but their own."""
    return m.search(
        q,
        domain=domain,
        kind=kind,
        maturity=maturity,
        status=status,
        quality=quality,
        tag=tag,
        polyseme=polyseme,
        page=page,
        per_page=per_page,
        sort=sort,
    )


@router.get(
    "/products/{dp_id}", tags=["products"], summary="A data product page", response_model=ProductPage, responses=_READ
)
def get_product(
    m: Market, dp_id: DpId, samples: Annotated[int, Query(ge=0, le=50, description="Sample rows per port")] = 5
) -> ProductPage:
    """Purpose, owners and contacts, SLA and its measured status, every output port (schema, contract,
    sample rows with protected columns masked, freshness, consumers, how to consume it), input ports,
    quality history, versions and changelog."""
    return m.product(dp_id, samples=samples)


@router.get(
    "/products/{dp_id}/ports",
    tags=["ports"],
    summary="Output ports of a data product",
    response_model=list[PortView],
    responses=_READ,
)
def list_ports(m: Market, dp_id: DpId) -> list[PortView]:
    return m.ports(dp_id)


@router.get(
    "/products/{dp_id}/ports/{port}",
    tags=["ports"],
    summary="One output port",
    response_model=PortView,
    responses=_READ,
)
def get_port(m: Market, dp_id: DpId, port: PortName) -> PortView:
    return m.port(dp_id, port, samples=5)


@router.get(
    "/products/{dp_id}/ports/{port}/schema",
    tags=["ports"],
    summary="An output port's columns",
    response_model=list[ColumnView],
    responses=_READ,
)
def get_port_schema(m: Market, dp_id: DpId, port: PortName) -> list[ColumnView]:
    return m.port(dp_id, port, samples=0).contract.columns


@router.get(
    "/products/{dp_id}/ports/{port}/contract",
    tags=["ports"],
    summary="An output port's data contract",
    response_model=ContractView,
    responses=_READ,
)
def get_port_contract(m: Market, dp_id: DpId, port: PortName) -> ContractView:
    """Columns, quality expectations (each also in words), SLA, terms and bi-temporality."""
    return m.port(dp_id, port, samples=0).contract


@router.get(
    "/products/{dp_id}/ports/{port}/sample",
    tags=["ports"],
    summary="Sample rows of an output port",
    response_model=SampleRows,
    responses=_READ,
)
def get_port_sample(
    m: Market, dp_id: DpId, port: PortName, limit: Annotated[int, Query(ge=1, le=50)] = 10
) -> SampleRows:
    """The first rows of the port's table; PII and sensitive columns are masked."""
    return m.sample(dp_id, port, limit=limit)


@router.get(
    "/products/{dp_id}/versions",
    tags=["products"],
    summary="Deployed versions and what changed",
    response_model=list[VersionView],
    responses=_READ,
)
def list_versions(m: Market, dp_id: DpId) -> list[VersionView]:
    return m.versions(dp_id)


@router.get(
    "/products/{dp_id}/runs", tags=["quality"], summary="Pipeline runs", response_model=list[RunView], responses=_READ
)
def list_runs(m: Market, dp_id: DpId, limit: Limit = 20) -> list[RunView]:
    return m.runs(dp_id, limit=limit)


@router.get(
    "/products/{dp_id}/quality",
    tags=["quality"],
    summary="Quality history: checks passed, warned and failed per run",
    response_model=list[QualityRun],
    responses=_READ,
)
def quality_history(m: Market, dp_id: DpId, limit: Limit = 20) -> list[QualityRun]:
    return m.quality(dp_id, limit=limit)


@router.get(
    "/products/{dp_id}/lineage",
    tags=["lineage"],
    summary="Lineage of one data product",
    response_model=LineageView,
    responses=_READ,
)
def product_lineage(m: Market, dp_id: DpId) -> LineageView:
    """The product with everything upstream and downstream of it, with the runs' table versions."""
    return m.lineage(dp_id)


# -- across the mesh ------------------------------------------------------------------------------------


@router.get("/lineage", tags=["lineage"], summary="Lineage of the whole mesh", response_model=LineageView)
def mesh_lineage(m: Market) -> LineageView:
    return m.lineage()


@router.get("/domains", tags=["mesh"], summary="Domains", response_model=list[DomainView])
def list_domains(m: Market) -> list[DomainView]:
    return m.domains()


@router.get(
    "/domains/{name}", tags=["mesh"], summary="One domain and its products", response_model=DomainView, responses=_READ
)
def get_domain(m: Market, name: Annotated[str, Path(max_length=200)]) -> DomainView:
    return m.domain(name)


@router.get(
    "/governance",
    tags=["mesh"],
    summary="Policy results across the mesh",
    response_model=GovernanceView,
    responses=error_responses(422),
)
def get_governance(
    m: Market,
    wait: Annotated[float, Query(ge=0, le=60, description="Seconds to wait for a check still running")] = 10.0,
) -> GovernanceView:
    """Every deploy-time policy evaluated over every deployed descriptor. In a large mesh the check runs for
    minutes after a deployment: then `complete` is false and `evaluated` counts the products done so far."""
    return m.governance(wait=wait)


@router.get("/overview", tags=["mesh"], summary="Value metrics of the mesh", response_model=Overview, responses=_READ)
def get_overview(m: Market, limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> Overview:
    """Data products per domain, consumers per output port, cross-domain links, lead time from first
    commit to first deployment."""
    return m.overview(limit=limit)


@router.get(
    "/polysemes", tags=["mesh"], summary="Polysemes and the columns carrying them", response_model=list[PolysemeView]
)
def list_polysemes(m: Market) -> list[PolysemeView]:
    return m.polysemes()


# -- reviews and questions ------------------------------------------------------------------------------


@router.get(
    "/products/{dp_id}/reviews",
    tags=["reviews"],
    summary="Ratings and reviews",
    response_model=Reviews,
    responses=_READ,
)
def list_reviews(m: Market, dp_id: DpId) -> Reviews:
    return m.reviews(dp_id)


@router.post(
    "/products/{dp_id}/reviews",
    tags=["reviews"],
    summary="Rate and review a data product",
    response_model=ReviewView,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def post_review(m: Market, me: Me, dp_id: DpId, review: ReviewIn) -> ReviewView:
    """One review per person: posting again replaces yours."""
    return m.rate(dp_id, me.user, review.rating, review.title, review.body)


@router.get(
    "/products/{dp_id}/questions",
    tags=["reviews"],
    summary="Questions and answers (FAQ)",
    response_model=Faq,
    responses=_READ,
)
def list_questions(m: Market, dp_id: DpId) -> Faq:
    return m.faq(dp_id)


@router.post(
    "/products/{dp_id}/questions",
    tags=["reviews"],
    summary="Ask a question about a data product",
    response_model=QuestionView,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def post_question(m: Market, me: Me, dp_id: DpId, question: QuestionIn) -> QuestionView:
    return m.ask(dp_id, me.user, question.body)


@router.post(
    "/questions/{question_id}/answers",
    tags=["reviews"],
    summary="Answer a question",
    response_model=AnswerView,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def post_answer(m: Market, me: Me, question_id: QuestionId, answer: AnswerIn) -> AnswerView:
    return m.answer(question_id, me.user, answer.body)


@router.post(
    "/questions/{question_id}/answers/{answer_id}/accept",
    tags=["reviews"],
    summary="Accept an answer (the product's owners only)",
    response_model=QuestionView,
    responses=error_responses(400, 401, 403, 404, 422),
)
def accept_answer(m: Market, me: Me, question_id: QuestionId, answer_id: AnswerId) -> QuestionView:
    return m.accept(question_id, answer_id, me.user)
