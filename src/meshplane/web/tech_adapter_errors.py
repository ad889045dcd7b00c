"""The edges of the Tech Adapter app: errors in the spec's shapes, the bearer token, the OpenAPI document.

Every refusal answers with the spec's ``RequestValidationError`` (4xx) and every failure with its
``SystemError`` (5xx), whatever raised it — our own errors, FastAPI's body validation, Starlette's 404 —
so a Witboost coordinator can always show the user a message, the problems and their fixes. A 500 carries a
correlation id; the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from meshplane.adapters import remote_wire as wire
from meshplane.errors import MeshplaneError
from meshplane.spec.diagnostics import Severity

logger = logging.getLogger("meshplane.web.tech_adapter")

_EXAMPLES = {
    wire.UPDATE_ACL: '{"refs": ["user:alice"], "provisionInfo": {"request": "<descriptor>", "result": ""}}',
    wire.REVERSE: '{"useCaseTemplateId": "urn:dmb:utm:…", "environment": "dev", "params": {}}',
}
_PROVISIONING_EXAMPLE = (
    '{"descriptorKind": "COMPONENT_DESCRIPTOR", "descriptor": "<YAML: dataProduct + componentIdToProvision>", '
    '"removeData": false}'
)


def log_unexpected(exc: BaseException, what: str) -> str:
    """Log ``exc`` with its traceback under a new correlation id, and return the id: the caller sees only it."""
    cid = uuid.uuid4().hex[:12]
    logger.error("unexpected error in %s (correlation id %s)", what, cid, exc_info=exc)
    return cid


def spec_openapi(app: FastAPI) -> None:
    """OpenAPI as the spec has it: no 422 (malformed bodies are 400 here), and ``ValidationError`` the
    spec's schema rather than FastAPI's own, which has the same name."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.pop("HTTPValidationError", None)
            schemas["ValidationError"] = wire.ValidationError.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def handle_errors(app: FastAPI) -> None:
    """Every error answers in the spec's shapes: 4xx ``RequestValidationError``, 5xx ``SystemError``."""

    @app.exception_handler(MeshplaneError)
    async def refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, MeshplaneError)
        diagnostics = [d for d in getattr(exc, "diagnostics", []) if d.severity is Severity.ERROR]
        problems = [d.render() for d in diagnostics] or [exc.message]
        solutions = list(dict.fromkeys(h for h in [exc.hint, *(d.hint for d in diagnostics)] if h))
        first = diagnostics[0] if diagnostics else None
        body = wire.RequestValidationError(
            errors=[exc.message, *(p for p in problems if p != exc.message)],
            user_message=str(exc),
            input=first.file if first else None,
            input_error_field=first.path if first and first.path else None,
            more_info=wire.ErrorMoreInfo(problems=problems, solutions=solutions),
        )
        return JSONResponse(body.body(), status_code=400)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
        path = request.url.path
        example = _EXAMPLES.get(path, _PROVISIONING_EXAMPLE)
        first = exc.errors()[0] if exc.errors() else {}
        body = wire.RequestValidationError(
            errors=problems,
            user_message=f"the body of {request.method} {path} is not what the Tech Adapter interface expects",
            input="body",
            input_error_field=".".join(str(p) for p in first.get("loc", ()) if p != "body") or None,
            more_info=wire.ErrorMoreInfo(problems=problems, solutions=[f"send JSON like {example}"]),
        )
        return JSONResponse(body.body(), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = f"{request.method} {request.url.path}: {exc.detail}"
        body = wire.RequestValidationError(
            errors=[message],
            user_message=message,
            more_info=wire.ErrorMoreInfo(problems=[message], solutions=["see /docs for the paths this server has"]),
        )
        return JSONResponse(body.body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        cid = log_unexpected(exc, f"{request.method} {request.url.path}")
        body = wire.SystemError(
            error=f"internal error (correlation id {cid})",
            user_message=f"The tech adapter failed unexpectedly; its log has the details under correlation id {cid}.",
            more_info=wire.ErrorMoreInfo(
                problems=[type(exc).__name__], solutions=["retry; if it fails again, report the correlation id"]
            ),
        )
        return JSONResponse(body.body(), status_code=500)


def require_token(app: FastAPI, token: str) -> None:
    expected = f"Bearer {token}".encode()
    open_paths = {"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"}

    @app.middleware("http")
    async def bearer(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path in open_paths:
            return await call_next(request)
        sent = request.headers.get("authorization", "").encode()
        if secrets.compare_digest(sent, expected):
            return await call_next(request)
        message = "missing or wrong bearer token"
        body = wire.RequestValidationError(
            errors=[message],
            user_message=message,
            more_info=wire.ErrorMoreInfo(
                problems=[message], solutions=["send `Authorization: Bearer <token>` with the server's token"]
            ),
        )
        return JSONResponse(body.body(), status_code=401, headers={"WWW-Authenticate": "Bearer"})
