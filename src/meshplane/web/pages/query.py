"""``/query``: run SQL over the ports you are granted, in the browser — the last step of "find it, trust it,
request access, query it".

The page is a shell over the same :class:`~meshplane.gateway.QueryService` as ``POST /api/v1/query`` (built
once per app by ``web.api.query.query_service``), called with the signed-in identity: grants, row filters,
masks, limits and the audit record are the gateway's, never re-implemented here. Beside the editor it lists
what the caller may query (``effective_grants``): each port's name, columns, masked columns and row filter.

- ``GET /query[?sql=…]``: the editor (prefilled from ``sql``, never run by a GET); signed out, a sign-in prompt;
- ``POST /query`` (form ``sql``): an htmx post gets the result fragment (always 200: htmx swaps no 4xx), with
  a refusal shown inline with its hint; a plain post gets the whole page, with the refusal's status code;
- ``POST /query/download`` (form ``sql``, ``format`` csv|json): the same query as a file, as the same identity.
  A POST, not a link: the sign-in cookie is ``SameSite=Lax``, so another site cannot make a browser run it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from meshplane.access import OWNER_GRANT, PortGrant
from meshplane.access.catalog import port_of, protected_columns
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError, PermissionDeniedError
from meshplane.gateway import DEFAULTS, Limits, PortRef, QueryResult, QueryService, ResultFormat, render, to_document
from meshplane.gateway.names import Names, quote
from meshplane.gateway.sqlcheck import check_query
from meshplane.identity import Identity
from meshplane.web.api.query import query_service
from meshplane.web.errors import status_of
from meshplane.web.pages.common import signed_in
from meshplane.web.pages.rendering import dp_url, identity_of, is_htmx
from meshplane.web.pages.rendering import render as render_page

router = APIRouter(include_in_schema=False)

#: Rows a query on the page returns at most (a browser table, not an export); downloads get the API's default.
PAGE_ROWS = 1_000
#: The limits of a query run on the page, and of a download: the API's defaults, fewer rows on the page.
PAGE_LIMITS = replace(DEFAULTS, max_rows=PAGE_ROWS)
DOWNLOAD_LIMITS = DEFAULTS
SQL_MAX = 100_000
_DOWNLOADS = (ResultFormat.CSV, ResultFormat.JSON)


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    #: ``hash``, ``redact`` or ``null`` when the caller's grant masks it.
    mask: str | None
    protected: bool


@dataclass(frozen=True)
class TableInfo:
    """One port the caller may query, as the tables list shows it."""

    name: str
    dp_id: str
    port: str
    description: str | None
    columns: list[ColumnInfo]
    row_filter: str | None
    owner: bool
    grant_id: str
    expires_at: datetime | None

    @property
    def masked(self) -> list[ColumnInfo]:
        return [c for c in self.columns if c.mask]


@dataclass
class Refusal:
    """A query the gateway refused or stopped, as the page shows it: what, why, and what to do."""

    status: int
    kind: str
    message: str
    hint: str | None
    #: ``(name, /dp/{id}/access)`` for each port the query names that the caller has no grant on.
    request_links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _TITLES.get(self.status, "Refused")


_TITLES = {
    401: "Sign in first",
    403: "No grant",
    404: "No such table",
    408: "Too slow",
    413: "Too much memory",
    422: "Refused",
    501: "Not readable here",
}


def tables(service: QueryService, identity: Identity) -> list[TableInfo]:
    """The ports ``identity`` may query now, with the names to write and what their grants hide."""
    grants = service.access.effective_grants(identity, service.environment)
    names = _names(grants)
    return [info for info in (_table(service, g, names) for g in grants) if info is not None]


def _names(grants: list[PortGrant]) -> dict[PortRef, str]:
    """The name each readable port is written as: ``domain.product.port`` for the highest major readable
    (that is what the plain name reads), ``domain.product_v1.port`` for the older ones."""
    refs = [PortRef(g.dp_id, g.port) for g in grants]

    def plain(ref: PortRef) -> tuple[str, str, str]:
        return ref.product.domain, ref.product.name, ref.port

    highest: dict[tuple[str, str, str], int] = {}
    for ref in refs:
        highest[plain(ref)] = max(highest.get(plain(ref), 0), ref.product.major)
    return {ref: ref.name if ref.product.major == highest[plain(ref)] else ref.major_name for ref in refs}


def _table(service: QueryService, grant: PortGrant, names: dict[PortRef, str]) -> TableInfo | None:
    dp = service.access.catalog(service.environment).get_deployed(grant.dp_id)
    if dp is None:
        return None
    try:
        port = port_of(dp, grant.port)
    except NotFoundError:
        return None
    protected = set(protected_columns(port))
    columns = [
        ColumnInfo(c.name, c.type.value, grant.masks.get(c.name), c.name in protected)
        for c in port.data_contract.columns
    ]
    return TableInfo(
        name=names[PortRef(grant.dp_id, grant.port)],
        dp_id=grant.dp_id,
        port=grant.port,
        description=port.description,
        columns=columns,
        row_filter=grant.row_filter,
        owner=grant.grant_id == OWNER_GRANT,
        grant_id=grant.grant_id,
        expires_at=grant.expires_at,
    )


def example_sql(listed: list[TableInfo]) -> str:
    """What the empty editor suggests: the first table's first columns."""
    if not listed:
        return ""
    first = listed[0]
    shown = ", ".join(quote(c.name) for c in first.columns[:6]) or "*"
    return f"SELECT {shown}\nFROM {first.name}\nLIMIT 100"


def refusal(service: QueryService, identity: Identity, sql: str, exc: MeshplaneError) -> Refusal:
    """The error as the page shows it; a missing grant links to where access is requested."""
    status, kind = status_of(exc)
    found = Refusal(status, kind, exc.message, exc.hint)
    if isinstance(exc, PermissionDeniedError):
        found.request_links = _ungranted(service, identity, sql)
    return found


def _ungranted(service: QueryService, identity: Identity, sql: str) -> list[tuple[str, str]]:
    """The ports the query names that exist but that the caller has no grant on (read as the gateway reads
    names, so the links name exactly the ports it refused)."""
    try:
        names = check_query(sql).tables
    except InvalidInputError:
        return []
    granted = {PortRef(g.dp_id, g.port) for g in service.access.effective_grants(identity, service.environment)}
    deployed = Names(service.ports.deployed())
    links: dict[PortRef, str] = {}
    for name in names:
        hit = deployed.resolve(name)
        if hit is not None and hit[0] not in granted:
            links[hit[0]] = dp_url(hit[0].dp_id, "access")
    return [(ref.name, url) for ref, url in links.items()]


def run(service: QueryService, identity: Identity, sql: str, limits: Limits) -> QueryResult:
    """The query through the gateway as ``identity`` (audited there)."""
    if len(sql) > SQL_MAX:
        raise InvalidInputError(f"the query is {len(sql):,} characters long; at most {SQL_MAX:,}")
    return service.query(identity, sql, limits=limits)


def _grants_by_port(listed: list[TableInfo]) -> dict[tuple[str, str], TableInfo]:
    return {(t.dp_id, t.port): t for t in listed}


async def _sql(request: Request) -> str:
    form = await request.form()
    value = form.get("sql")
    return value if isinstance(value, str) else ""


def _context(service: QueryService | None, identity: Identity | None, sql: str) -> dict[str, Any]:
    listed = tables(service, identity) if service is not None and identity is not None else []
    return {
        "sql": sql,
        "tables": listed,
        "by_port": _grants_by_port(listed),
        "example": example_sql(listed),
        "result": None,
        "refusal": None,
        "page_rows": PAGE_LIMITS.max_rows,
        "download_rows": DOWNLOAD_LIMITS.max_rows,
    }


@router.get("/query", response_class=HTMLResponse)
def query_page(request: Request) -> HTMLResponse:
    identity = identity_of(request)
    sql = request.query_params.get("sql", "")[:SQL_MAX]
    service = query_service(request) if identity is not None else None
    return render_page(request, "query.html", _context(service, identity, sql))


@router.post("/query", response_class=HTMLResponse)
async def run_query(request: Request) -> Response:
    identity = identity_of(request)
    sql = await _sql(request)
    if identity is None:
        if is_htmx(request):  # the session ended while the page was open: say so where the result goes
            return render_page(request, "_query_result.html", _context(None, None, sql))
        signed_in(request)  # raises: the 401 page asking to sign in
    assert identity is not None
    service = query_service(request)
    context = _context(service, identity, sql)
    status = 200
    try:
        context["result"] = to_document(run(service, identity, sql, PAGE_LIMITS))
    except MeshplaneError as exc:
        found = refusal(service, identity, sql, exc)
        context["refusal"] = found
        status = found.status
    if not is_htmx(request):
        return render_page(request, "query.html", context, status=status)
    # The SQL is not put in the address bar: a query can hold values (an e-mail address looked up) that do not
    # belong in browser history and proxy logs. The gateway's audit record keeps it, for those who may see it.
    return render_page(request, "_query_result.html", context)


@router.post("/query/download")
async def download(request: Request) -> Response:
    """The query's rows as a CSV or JSON file (at most the API's default row limit), as the signed-in user."""
    identity = signed_in(request)
    form = await request.form()
    sql = await _sql(request)
    raw = form.get("format")
    fmt = ResultFormat.parse(raw if isinstance(raw, str) else "csv")
    if fmt not in _DOWNLOADS:
        raise InvalidInputError(f"download as {', '.join(f.value for f in _DOWNLOADS)}, not {fmt.value}")
    result = run(query_service(request), identity, sql, DOWNLOAD_LIMITS)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    headers = {
        "Content-Disposition": f'attachment; filename="query-{stamp}.{fmt.value}"',
        "X-Meshplane-Rows": str(result.rows),
        "X-Meshplane-Truncated": result.truncated or "",
        "Cache-Control": "no-store",
    }
    return Response(render(result, fmt), media_type=fmt.media_type, headers=headers)
