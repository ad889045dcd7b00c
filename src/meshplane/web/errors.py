"""The web edge's one translation of errors into answers: JSON under ``/api``, the HTML error page elsewhere.

Services raise ``MeshplaneError`` subclasses and know nothing of HTTP; here each becomes its status code and
``{"error": {"type", "message", "hint"}}``. Request validation failures are 422 in the same shape (with the
offending fields in ``details``), unknown routes 404, and anything unexpected is a 500 that shows a
correlation id — the traceback goes to the server log, never to the client.
"""

from __future__ import annotations

import html
import importlib
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from meshplane.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    MeshplaneError,
    NotFoundError,
    PermissionDeniedError,
    UnsupportedError,
)
from meshplane.gateway.sandbox import QueryMemoryError, QueryTimeoutError
from meshplane.registry import ConcurrentDeployError, ConcurrentRunError, LockLostError, RegistryError

log = logging.getLogger("meshplane.web")

#: What FastAPI says when a request body cannot be decoded (it raises a bare 400 with this text).
BODY_PARSE_ERROR = "There was an error parsing the body"
BODY_HINT = "send a JSON object with `Content-Type: application/json`; see /docs for each operation's body"

#: Most specific first: the first class an error is an instance of decides its status and ``type``.
STATUS: tuple[tuple[type[MeshplaneError], int], ...] = (
    (QueryTimeoutError, 408),
    (QueryMemoryError, 413),
    (NotFoundError, 404),
    (InvalidInputError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (ConflictError, 409),
    (UnsupportedError, 501),
    (ConcurrentDeployError, 409),
    (ConcurrentRunError, 409),
    (LockLostError, 409),
    (RegistryError, 503),  # the registry database is unreachable or newer than this server
)
_TITLES = {
    400: "Bad request",
    401: "Sign in first",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    408: "The query took too long",
    409: "Conflict",
    413: "The query needs too much memory",
    422: "Invalid input",
    500: "Something went wrong",
    501: "Not available here",
    503: "The registry is not available",
}


class ErrorDetail(BaseModel):
    type: str
    message: str
    hint: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    """Every error the API answers with."""

    error: ErrorDetail


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error codes an endpoint can answer."""
    return {code: {"model": ErrorBody, "description": _TITLES.get(code, "Error")} for code in codes}


def status_of(exc: MeshplaneError) -> tuple[int, str]:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status, cls.__name__
    return 400, "MeshplaneError"


def wants_json(request: Request) -> bool:
    """API paths always get JSON; pages get HTML unless the client asks for JSON only."""
    if request.url.path.startswith("/api/") or request.url.path == "/api":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def respond(
    request: Request,
    status: int,
    kind: str,
    message: str,
    hint: str | None = None,
    *,
    details: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body = ErrorBody(
            error=ErrorDetail(type=kind, message=message, hint=hint, details=list(details) if details else None)
        )
        return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)
    page = _html(request, status, message, hint)
    if headers:
        page.headers.update(headers)
    return page


def _html(request: Request, status: int, message: str, hint: str | None) -> Response:
    """The marketplace's error page when the pages are installed, else a plain one."""
    title = _TITLES.get(status, "Error")
    try:
        rendering = importlib.import_module("meshplane.web.pages.rendering")
        response: Response = rendering.render_error(request, status, title, message, hint)
        return response
    except Exception:  # an error page must never fail: fall back to plain HTML
        log.debug("error page template unavailable", exc_info=True)
    hint_html = f"<p>{html.escape(hint)}</p>" if hint else ""
    body = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} {html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>{hint_html}<p><a href='/'>Search</a></p></html>"
    )
    return HTMLResponse(body, status_code=status)


async def _meshplane_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MeshplaneError)
    status, kind = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    details = None
    if isinstance(exc, InvalidInputError) and exc.diagnostics:
        details = [
            {"message": d.message, "path": d.path, "file": d.file, "line": d.line, "hint": d.hint}
            for d in exc.diagnostics[:50]
        ]
    return respond(request, status, kind, exc.message, exc.hint, details=details, headers=headers)


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in errors[:50]
    ]
    first = details[0] if details else {"loc": [], "message": "invalid request"}
    message = f"`{_location(first['loc'])}`: {first['message']}" if first["loc"] else str(first["message"])
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return respond(
        request,
        422,
        "InvalidInputError",
        message + more,
        "see the OpenAPI document at /docs for the fields this endpoint takes",
        details=details,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kinds = {404: "NotFoundError", 405: "MethodNotAllowed", 401: "AuthenticationError", 403: "PermissionDeniedError"}
    message = str(exc.detail) if exc.detail else _TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing at {request.url.path}"
    hint = "see /docs for the API's paths" if exc.status_code in (404, 405) and wants_json(request) else None
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 400 and message == BODY_PARSE_ERROR:
        # FastAPI's answer to a body that is not JSON: invalid input like any other, so 422 as documented
        return respond(request, 422, "InvalidInputError", "the request body is not valid JSON", BODY_HINT)
    return respond(request, exc.status_code, kinds.get(exc.status_code, "HTTPError"), message, hint, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    reference = uuid.uuid4().hex[:12]
    log.error("unexpected error %s on %s %s", reference, request.method, request.url.path, exc_info=exc)
    return respond(
        request,
        500,
        "InternalError",
        f"an unexpected error happened (reference {reference})",
        "retry; if it persists, report the reference to the platform team: the server log has the details",
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(MeshplaneError, _meshplane_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
