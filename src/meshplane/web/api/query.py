"""``POST /api/v1/query``: consumer SQL through the query gateway, as the signed-in identity.

The result format is the body's ``format`` or, without one, what ``Accept`` prefers: ``application/json``
(default), ``text/csv`` or ``application/vnd.apache.arrow.stream`` (an Arrow IPC stream). Errors come from
``web/errors.py``: 401 without an identity, 403 for a port the caller has no grant on (the hint says how to
request access), 404 for an unknown table (the hint lists the tables the caller can query), 422 for a refused
construct or bad SQL, and the gateway's limit errors (``QueryTimeoutError``, ``QueryMemoryError``).
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from meshplane.access import AccessService
from meshplane.gateway import CEILING, DEFAULTS, Limits, QueryService, ResultFormat, render, to_document
from meshplane.identity import Identity
from meshplane.web.auth import current_identity, tokens
from meshplane.web.errors import error_responses

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, tags=["query"])
_LOCK = threading.Lock()


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(
        min_length=1,
        max_length=100_000,
        description="One SELECT over ports named `domain.product.port`; a past version as "
        '`sales.orders."orders@v3"` or `"orders@2026-01-01T00:00:00Z"`',
        examples=["SELECT status, count(*) FROM sales.orders.orders GROUP BY status"],
    )
    format: ResultFormat | None = Field(default=None, description="json, csv or arrow; default: from `Accept`")
    limit: int | None = Field(default=None, ge=1, le=CEILING.max_rows, description="At most this many rows")
    timeout_ms: int | None = Field(default=None, ge=1, le=int(CEILING.timeout * 1000))
    memory: str | None = Field(default=None, max_length=20, pattern=r"^\d+(\.\d+)?\s*[A-Za-z]{0,3}$")
    as_of: str | None = Field(default=None, max_length=64, description="Read every port as of this date/time")


class ColumnOut(BaseModel):
    name: str
    type: str


class PortReadOut(BaseModel):
    name: str
    dataProduct: str
    port: str
    version: int
    grants: list[str]


class QueryOut(BaseModel):
    """A JSON result: rows are arrays in column order; decimals, big integers and times are strings."""

    columns: list[ColumnOut]
    rows: list[list[Any]]
    rowCount: int
    truncated: bool
    truncatedBy: str | None
    ports: list[PortReadOut]
    durationMs: float


def query_service(request: Request) -> QueryService:
    """The app's query service, built on first use from what ``create_app`` put on ``app.state``. Who owns
    what follows mesh.yaml as ``web.auth`` reads it (again when it changes): someone who left a domain's owner
    group, or a domain that changed hands, reads as a consumer from the next query on, not after a restart."""
    state = request.app.state
    mesh = tokens(request).directory.mesh
    with _LOCK:
        found: QueryService | None = getattr(state, "query_service", None)
        if found is None:
            found = QueryService.open(state.registry, mesh, state.mesh_root, state.environment)
            state.query_service = found
        elif found.access.mesh is not mesh:
            found.access = AccessService(state.registry, mesh, environment=state.environment)
    return found


_OTHER_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The rows, as JSON, CSV or an Arrow IPC stream",
        "content": {"text/csv": {"schema": {"type": "string"}}, ResultFormat.ARROW.media_type: {"schema": {}}},
    }
}


@router.post(
    "/query",
    response_model=QueryOut,
    summary="Run SQL over the ports you are granted",
    responses=_OTHER_FORMATS | error_responses(400, 401, 403, 404, 408, 413, 422, 501),
)
def run_query(
    body: QueryIn,
    request: Request,
    identity: Annotated[Identity, Depends(current_identity)],
) -> Response:
    """Row filters and column masks of your grants apply; every query is audited."""
    fmt = body.format or ResultFormat.negotiate(request.headers.get("accept"))
    limits = Limits(
        timeout=body.timeout_ms / 1000 if body.timeout_ms else DEFAULTS.timeout,
        memory=body.memory or DEFAULTS.memory,
        threads=DEFAULTS.threads,
        max_rows=body.limit or DEFAULTS.max_rows,
    )
    result = query_service(request).query(identity, body.sql, as_of=body.as_of, limits=limits)
    if fmt is ResultFormat.JSON:
        return JSONResponse(to_document(result))
    headers = {"X-Meshplane-Rows": str(result.rows), "X-Meshplane-Truncated": result.truncated or ""}
    return Response(render(result, fmt), media_type=fmt.media_type, headers=headers)
