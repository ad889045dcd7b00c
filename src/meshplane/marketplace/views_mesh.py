"""Views across the mesh (lineage, domains, governance, value metrics, polysemes) and the social ones
(reviews, questions and answers). See :mod:`meshplane.marketplace.views` for the conventions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from meshplane.marketplace.views import Contact, ProductSummary, Rating, View

# -- lineage ---------------------------------------------------------------------------------------------


class LineageNode(View):
    id: str
    kind: str = Field(description="dataProduct, inputPort, outputPort, boundaryPort, workload or system")
    label: str
    data_product: str | None = None
    attrs: dict[str, Any] = Field(default_factory=dict)


class LineageEdge(View):
    source: str
    target: str
    kind: str = Field(description="reads, feeds, writes or exports")
    label: str = ""
    attrs: dict[str, Any] = Field(default_factory=dict)


class LineageView(View):
    mesh: str
    environment: str
    root: str | None = Field(None, description="The data product the graph is centred on, if any")
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    upstream: list[str] = Field(default_factory=list)
    downstream: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


# -- domains and polysemes -------------------------------------------------------------------------------


class DomainView(View):
    name: str
    description: str = ""
    owner_group: str | None = None
    owners: list[Contact] = Field(default_factory=list)
    product_count: int = 0
    products: list[ProductSummary] = Field([], description="Filled by the domain's own page, empty in the list")
    quality: dict[str, int] = Field({}, description="Products per quality status")
    consumes_from: list[str] = Field([], description="Other domains this domain's products read")
    consumed_by: list[str] = Field([], description="Other domains reading this domain's products")


class Carrier(View):
    data_product: str
    name: str
    domain: str
    port: str
    column: str


class PolysemeView(View):
    name: str
    description: str = ""
    key_type: str = "string"
    issued_by: str
    declared: bool = Field(True, description="False for a polyseme columns name but mesh.yaml does not declare")
    carriers: list[Carrier] = Field(default_factory=list)
    products: int = 0
    domains: list[str] = Field(default_factory=list)


# -- governance -----------------------------------------------------------------------------------------


class Finding(View):
    message: str
    path: str = ""
    warning: bool = False


class PolicyOutcome(View):
    policy: str
    title: str
    status: str = Field(description="pass, fail or error")
    severity: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = None


class ProductCompliance(View):
    id: str
    name: str
    domain: str
    errors: int = Field(description="Failed policies of error severity")
    warnings: int
    results: list[PolicyOutcome]


class PolicySummary(View):
    id: str
    title: str
    pack: str
    severity: str | None = None
    lifecycle: str
    trigger: str
    passing: int = 0
    failing: int = 0
    errors: int = 0


class GovernanceView(View):
    environment: str
    policies: list[PolicySummary]
    products: list[ProductCompliance]
    compliant: int = Field(description="Products with no failed error-severity policy (of those evaluated)")
    total: int = Field(description="Deployed products to evaluate")
    evaluated: int = Field(0, description="Products evaluated so far")
    complete: bool = Field(True, description="False while the check still runs (large meshes take minutes)")
    problems: list[str] = Field([], description="Policies that did not load")
    checked_at: datetime


# -- value metrics -------------------------------------------------------------------------------------


class DomainCount(View):
    domain: str
    products: int


class PortConsumers(View):
    data_product: str
    name: str
    domain: str
    port: str
    consumers: int
    consumer_ids: list[str] = Field(default_factory=list)


class CrossDomainLink(View):
    source: str
    source_domain: str
    target: str
    target_domain: str
    port: str


class LeadTime(View):
    """From the first commit of a descriptor (or, without git, its first plan) to its first deployment."""

    data_product: str
    name: str
    first_commit_at: datetime | None = None
    first_deploy_at: datetime | None = None
    seconds: float | None = None
    source: str = Field(description="git or registry")


class Overview(View):
    mesh: str
    environment: str
    totals: dict[str, int]
    products_per_domain: list[DomainCount]
    consumers_per_port: list[PortConsumers]
    cross_domain_links: list[CrossDomainLink]
    lead_times: list[LeadTime]
    median_lead_time_seconds: float | None = None
    quality: dict[str, int] = Field(default_factory=dict)
    kinds: dict[str, int] = Field(default_factory=dict)


# -- reviews and FAQ -----------------------------------------------------------------------------------


class ReviewView(View):
    id: int
    data_product: str
    author: str
    author_name: str | None = None
    rating: int
    title: str = ""
    body: str = ""
    created_at: datetime
    updated_at: datetime


class Reviews(View):
    data_product: str
    rating: Rating
    distribution: dict[str, int] = Field(description="Reviews per number of stars, '1' to '5'")
    reviews: list[ReviewView]


class AnswerView(View):
    id: int
    question_id: int
    author: str
    author_name: str | None = None
    body: str
    accepted: bool
    by_owner: bool = Field(False, description="Written by one of the data product's owners")
    created_at: datetime


class QuestionView(View):
    id: int
    data_product: str
    author: str
    author_name: str | None = None
    body: str
    created_at: datetime
    answers: list[AnswerView] = Field(default_factory=list)
    accepted_answer_id: int | None = None


class Faq(View):
    data_product: str
    questions: list[QuestionView]


class ReviewIn(View):
    rating: int = Field(ge=1, le=5, description="Stars, 1 to 5")
    title: str = Field("", max_length=200)
    body: str = Field("", max_length=5000)


class QuestionIn(View):
    body: str = Field(min_length=1, max_length=5000)


class AnswerIn(View):
    body: str = Field(min_length=1, max_length=5000)
