"""What the marketplace answers: pydantic models, so the REST API documents them in OpenAPI and the pages
render the very same objects.

Field names are snake_case in Python (templates use ``page.output_ports``) and camelCase on the wire
(``outputPorts``), like every other JSON Meshplane writes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

QualityStatus = Literal["passing", "warning", "failing", "unknown"]
FreshnessStatus = Literal["on-time", "late", "unknown"]
SortOrder = Literal["relevance", "name", "rating", "recent", "quality"]
#: The facets a search counts (``quality`` from the latest run, the others from the descriptor).
FACETS = ("domain", "kind", "maturity", "status", "quality")


class View(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


# -- search ----------------------------------------------------------------------------------------------


class Rating(View):
    average: float | None = Field(None, description="Average stars (1 to 5); null when nobody rated it")
    count: int = 0


class RunBrief(View):
    run_id: str
    seq: int
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int | None = None


class Freshness(View):
    """How old the data is against what the SLA declares (interval of change plus timeliness)."""

    status: FreshnessStatus = "unknown"
    last_success_at: datetime | None = None
    age_seconds: float | None = None
    expected_within_seconds: float | None = Field(None, description="Declared interval of change + timeliness")
    message: str = ""


class ProductSummary(View):
    """One data product as a search result or a card: enough to choose, not to consume."""

    id: str
    name: str
    domain: str
    kind: str
    version: str | None = None
    description: str = ""
    owner: str = ""
    owner_name: str | None = None
    status: str = Field(description="draft, published, deprecated or retired (lifecycle dates applied)")
    maturity: str | None = None
    tags: list[str] = []
    polysemes: list[str] = []
    output_ports: list[str] = []
    deployment_status: str = ""
    updated_at: datetime | None = None
    rating: Rating = Rating()
    quality: QualityStatus = "unknown"
    last_run: RunBrief | None = None
    freshness: Freshness = Freshness()


class SearchHit(ProductSummary):
    score: float = Field(0.0, description="Relevance; 0 when nothing was typed")
    matched: list[str] = Field([], description="Fields the query matched in: name, tags, description, columns …")


class FacetValue(View):
    value: str
    count: int


class SearchResult(View):
    query: str
    total: int
    page: int
    per_page: int
    pages: int
    sort: SortOrder
    filters: dict[str, list[str]]
    facets: dict[str, list[FacetValue]] = Field(description="Per facet, counts with every other filter applied")
    hits: list[SearchHit]
    took_ms: float


# -- the data product page -------------------------------------------------------------------------------


class Contact(View):
    id: str
    name: str | None = None
    email: str | None = None
    role: str = Field(description="owner, owner group or domain owners")


class Sla(View):
    interval_of_change: str | None = None
    timeliness: str | None = None
    uptime: str | None = None


class Support(View):
    support_hours: str | None = None
    response_time: str | None = None
    resolution_time: str | None = None
    end_of_support: str | None = None


class SlaStatus(View):
    """What the SLA promises, and whether the latest runs keep the promise."""

    declared: Sla | None = None
    support: Support | None = None
    freshness: Freshness = Freshness()
    last_run_status: str | None = None
    met: bool | None = Field(None, description="null when there is nothing to measure yet")
    message: str = ""


class ColumnView(View):
    name: str
    type: str
    physical_type: str | None = None
    required: bool = False
    unique: bool = False
    primary_key: bool = False
    description: str = ""
    classification: str | None = None
    polyseme: str | None = None
    tags: list[str] = []
    protected: bool = Field(False, description="PII or sensitive: masked in samples and unless a grant says otherwise")


class ExpectationView(View):
    type: str
    name: str | None = None
    description: str = ""
    severity: str = "error"
    columns: list[str] = []
    summary: str = Field("", description="The expectation in words, e.g. `amount` ≥ 0")
    details: dict[str, Any] = {}


class ContractView(View):
    columns: list[ColumnView] = []
    quality: list[ExpectationView] = []
    sla: Sla | None = None
    terms: dict[str, str] = {}
    bitemporal: dict[str, str] | None = None


class SampleRows(View):
    """The first rows of an output port's table, protected columns masked."""

    available: bool
    reason: str | None = None
    version: int | None = None
    columns: list[str] = []
    masked: list[str] = []
    rows: list[dict[str, Any]] = []


class PortFreshness(View):
    version: int | None = None
    rows: int | None = None
    updated_at: datetime | None = None
    run_id: str | None = None
    age_seconds: float | None = None


class Snippets(View):
    sql: str = Field(description="`meshplane query` with a first SELECT over the port")
    query: str = Field(description="That SELECT alone: for `POST /api/v1/query` or the marketplace's /query page")
    python: str
    cli: str


class ConsumerRef(View):
    data_product: str
    name: str
    domain: str
    input_port: str


class PortView(View):
    id: str
    name: str
    kind: Literal["outputPort", "boundaryPort"]
    type: str
    description: str = ""
    version: str | None = None
    status: str | None = Field(None, description="The component's provisioning status")
    adapter: str | None = None
    location: str | None = None
    contract: ContractView
    freshness: PortFreshness = PortFreshness()
    sample: SampleRows | None = None
    consumers: list[ConsumerRef] = []
    grants: int = Field(0, description="Live access grants on this port (users, groups and data products)")
    how_to_consume: Snippets


class InputPortView(View):
    name: str
    description: str = ""
    source_type: str
    data_product: str | None = None
    port: str | None = None
    system: str | None = None
    detail: str = ""


class CheckCounts(View):
    passed: int = 0
    warned: int = 0
    failed: int = 0
    skipped: int = 0


class QualityRun(View):
    run_id: str
    seq: int
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    counts: CheckCounts = CheckCounts()
    ports: dict[str, CheckCounts] = {}
    failures: list[str] = Field([], description="Failed and warned checks, as `port: check: message`")


class ChangeView(View):
    type: str
    path: str
    message: str
    breaking: bool


class VersionView(View):
    version: str
    status: str
    deployed_at: datetime
    deployed_by: str
    sha256: str
    changes: list[ChangeView] = Field([], description="What changed since the version before")


class GitEntry(View):
    version: str
    commit: str
    date: str
    author: str
    subject: str
    changes: list[ChangeView] = []


class Lifecycle(View):
    status: str
    declared_status: str
    maturity: str | None = None
    deprecated_on: date | None = None
    retire_on: date | None = None


class DomainBrief(View):
    name: str
    description: str = ""
    owner_group: str | None = None


class ProductPage(View):
    """Everything a consumer needs to decide and to start, without asking the owner."""

    summary: ProductSummary
    purpose: str | None = None
    description: str = ""
    domain: DomainBrief
    contacts: list[Contact] = []
    lifecycle: Lifecycle
    sla: SlaStatus
    output_ports: list[PortView] = []
    input_ports: list[InputPortView] = []
    quality_history: list[QualityRun] = []
    versions: list[VersionView] = []
    changelog: list[GitEntry] = Field([], description="From git, when the mesh is a git repository")
    consumers: list[ConsumerRef] = Field([], description="Data products whose input ports read this one")
    grants: int = Field(0, description="Live access grants on its output ports")
    questions: int = 0
    environment: str


class RunView(View):
    run_id: str
    seq: int
    status: str
    mode: str
    actor: str
    dp_version: str | None = None
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int | None = None
    rows: dict[str, int] = {}
    outputs: dict[str, Any] = {}
    counts: CheckCounts = CheckCounts()
    error: str | None = None
