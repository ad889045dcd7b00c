"""Rendering the marketplace's pages: one Jinja2 environment (autoescaped), its filters, and the helpers every
page uses — the signed-in user in every template, fragments for htmx, the HTML error page.

The environment is built once per process: templates are read from the package, so the installed wheel and
the source tree behave the same. ``render_error`` is what the web edge (``web/errors.py``) calls for requests
that want HTML, so a 404 looks like the rest of the marketplace.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from meshplane.errors import MeshplaneError
from meshplane.identity import Identity

HERE = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

NAV = (
    ("/", "Search"),
    ("/lineage", "Lineage"),
    ("/domains", "Domains"),
    ("/governance", "Governance"),
    ("/overview", "Overview"),
    ("/access", "Access"),
    ("/query", "Query"),
)


def identity_of(request: Request) -> Identity | None:
    """The signed-in user for a page, or None: a stale or bad cookie shows the page signed out."""
    from meshplane.web.auth import optional_identity

    try:
        return optional_identity(request)
    except MeshplaneError:  # a bad bearer header or an unreadable secret: the page still renders, signed out
        return None


def _context(request: Request) -> dict[str, Any]:
    identity = identity_of(request)
    mesh = getattr(request.app.state, "mesh", None)
    name = None
    if identity is not None and mesh is not None:
        user = next((u for u in getattr(mesh, "users", []) if u.id == identity.user), None)
        name = user.name if user is not None and user.name else None
    return {
        "identity": identity,
        "user_name": name or (identity.user if identity else None),
        "nav": NAV,
        "path": request.url.path,
        #: Where "Sign in" should come back to: this page with its query string.
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "mesh_name": getattr(mesh, "name", None),
        "environment": getattr(request.app.state, "environment", None),
    }


# -- filters ---------------------------------------------------------------------------------------------


def ago(value: datetime | date | None, now: datetime | None = None) -> str:
    """``3 minutes ago``, ``2 days ago``: how people read recency."""
    if value is None:
        return "never"
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = (now - value).total_seconds()
    future = seconds < 0
    text = duration(int(abs(seconds)))
    if text == "0 s":
        return "just now"
    return f"in {text}" if future else f"{text} ago"


def duration(seconds: float | int | None) -> str:
    """A length of time with one or two units: ``45 s``, ``12 min``, ``3 h 5 min``, ``4 days``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    if seconds < 10 and not float(seconds).is_integer():
        return f"{seconds:.1f} s"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        hours, minutes = divmod(s // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days = s // 86400
    return f"{days} day{'s' if days != 1 else ''}"


def when(value: datetime | date | None) -> str:
    """An absolute time, to the minute, in UTC."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def stars(average: float | None, count: int | None = None) -> Markup:
    """Five stars, the average filled (rounded to the nearest half-star down), with an accessible label."""
    if average is None:
        return Markup('<span class="stars muted" title="not rated yet">☆☆☆☆☆</span>')
    full = round(average)
    label = f"{average:.1f} out of 5" + (f" from {count} rating{'s' if count != 1 else ''}" if count else "")
    filled = "★" * full
    empty = "★" * (5 - full)
    return Markup(
        '<span class="stars" role="img" aria-label="{0}" title="{0}">{1}<span class="off">{2}</span></span>'
    ).format(label, filled, empty)


QUALITY_BADGE = {"passing": "ok", "warning": "warn", "failing": "bad", "unknown": ""}
STATUS_BADGE = {
    "published": "ok",
    "draft": "info",
    "deprecated": "warn",
    "retired": "bad",
    "SUCCEEDED": "ok",
    "FAILED": "bad",
    "BLOCKED": "warn",
    "RUNNING": "info",
    "on-time": "ok",
    "late": "bad",
    "DEPLOYED": "ok",
    "pass": "ok",
    "fail": "bad",
    "error": "bad",
    "warning": "warn",
}


def badge_class(value: str | None) -> str:
    return STATUS_BADGE.get(str(value), QUALITY_BADGE.get(str(value), ""))


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def cell(value: Any) -> str:
    """A sample-row value as text: None as an empty marker, long values cut."""
    if value is None:
        return "∅"
    text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def dp_url(dp_id: str, *rest: str) -> str:
    """The page of a data product: ids are URNs with colons, which are fine in a path segment."""
    from urllib.parse import quote

    return "/dp/" + quote(dp_id, safe=":") + "".join("/" + quote(p, safe="") for p in rest)


def query_url(base: str, params: Mapping[str, Any]) -> str:
    """``base?params`` with lists repeated and empty values dropped (stable order, for shareable URLs)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, str(v)) for v in values if v not in (None, "", []))
    return f"{base}?{urlencode(pairs)}" if pairs else base


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        ago=ago,
        duration=duration,
        when=when,
        stars=stars,
        badge_class=badge_class,
        number=number,
        cell=cell,
        dp_url=dp_url,
    )
    env.globals.update(dp_url=dp_url, query_url=query_url)
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_context])


def render(request: Request, name: str, context: Mapping[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    """A page or fragment from the templates, with the signed-in user and the navigation in its context."""
    return templates.TemplateResponse(request, name, dict(context or {}), status_code=status)


def render_error(request: Request, status: int, title: str, message: str, hint: str | None = None) -> HTMLResponse:
    """The HTML error page (404 for unknown ids, 401 asking to sign in, …) in the marketplace's layout."""
    context = {"status": status, "title": title, "message": message, "hint": hint}
    return render(request, "error.html", context, status=status)


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment (not a history restore, which needs the whole page)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"
