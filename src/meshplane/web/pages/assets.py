"""The marketplace's static files (CSS, script, vendored htmx) served from the package.

A route rather than a ``StaticFiles`` mount: routers included into the app cannot carry mounts, and this keeps
the pages self-contained. Paths are resolved and must stay inside the static folder.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from meshplane.errors import NotFoundError
from meshplane.web.pages.rendering import STATIC_DIR

router = APIRouter(include_in_schema=False)

#: Assets change only with a new release; an hour keeps page loads quick without stale files for long.
CACHE = "public, max-age=3600"


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise NotFoundError(f"no static file `{path}`")
    return FileResponse(target, headers={"Cache-Control": CACHE})
