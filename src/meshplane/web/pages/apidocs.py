"""``/docs``: the REST API's reference, drawn from the app's own OpenAPI document.

FastAPI's default ``/docs`` loads Swagger UI from a CDN; the marketplace serves every asset itself, so the
reference is a plain server-rendered page instead: one section per tag, each operation with its parameters,
request body and answers, and the machine-readable document at ``/openapi.json`` for tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from meshplane.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[dict[str, Any]]
    body: str | None
    responses: list[tuple[str, str]]
    auth: bool


@dataclass
class Section:
    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)


def _schema_name(content: dict[str, Any]) -> str | None:
    for media in content.values():
        schema = media.get("schema", {})
        ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
        if ref:
            return str(ref).rsplit("/", 1)[-1]
        if "type" in schema:
            return str(schema["type"])
    return None


def sections(document: dict[str, Any]) -> list[Section]:
    """The operations of an OpenAPI document grouped by their first tag, in the document's tag order."""
    described = {t["name"]: t.get("description", "") for t in document.get("tags", [])}
    found: dict[str, Section] = {name: Section(name, text) for name, text in described.items()}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            section = found.setdefault(tag, Section(tag, described.get(tag, "")))
            body = op.get("requestBody", {}).get("content")
            section.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    parameters=[
                        {
                            "name": p.get("name", ""),
                            "in": p.get("in", ""),
                            "required": bool(p.get("required")),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    body=_schema_name(body) if body else None,
                    responses=[(code, r.get("description", "")) for code, r in op.get("responses", {}).items()],
                    auth=bool(op.get("security")) or any(str(c) == "401" for c in op.get("responses", {})),
                )
            )
    return [s for s in found.values() if s.operations]


@router.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> HTMLResponse:
    document = request.app.openapi()
    return render(
        request,
        "apidocs.html",
        {"info": document.get("info", {}), "sections": sections(document)},
    )
