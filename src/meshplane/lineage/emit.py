"""Send OpenLineage events where people read them: a JSON-lines file, or a Marquez-compatible HTTP API.

Marquez (and every OpenLineage HTTP consumer) takes one event per ``POST <url>/api/v1/lineage``. A
collector being restarted or briefly overloaded should not lose a run's lineage, so connection errors,
timeouts, 429 and 5xx are retried a bounded number of times with backoff; a 4xx other than 429 means the
event is wrong and retrying cannot help. Errors name the URL and what to do, never a traceback.

``httpx`` rather than ``openlineage-python``'s own transport: the platform already speaks HTTP with it, and
this keeps timeouts, retries and error messages in one place we test against a real server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from meshplane.errors import MeshplaneError

__all__ = [
    "LINEAGE_PATH",
    "EmitError",
    "Emitted",
    "emit",
    "is_url",
    "lineage_endpoint",
    "post_events",
    "read_jsonl",
    "write_jsonl",
]

LINEAGE_PATH = "/api/v1/lineage"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class EmitError(MeshplaneError):
    """Events could not be delivered (the file or the server said no)."""


@dataclass(frozen=True)
class Emitted:
    """What was delivered where."""

    target: str
    events: int
    attempts: int = 0


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.lower().startswith(("http://", "https://"))


def lineage_endpoint(url: str) -> str:
    """``http://host:5000`` -> ``http://host:5000/api/v1/lineage``; a URL already ending in it is kept."""
    base = url.rstrip("/")
    return base if base.endswith(LINEAGE_PATH) else base + LINEAGE_PATH


def emit(events: Iterable[Mapping[str, Any]], target: str | Path, **http: Any) -> Emitted:
    """Deliver ``events`` to ``target``: an ``http(s)://`` URL (see :func:`post_events`) or a file path."""
    if is_url(target):
        return post_events(events, str(target), **http)
    return write_jsonl(events, Path(target))


def write_jsonl(events: Iterable[Mapping[str, Any]], path: Path, *, append: bool = True) -> Emitted:
    """Append (or write) one JSON event per line — the format ``openlineage-python``'s file transport and
    Marquez's seed loader read. Appending keeps earlier runs' lineage: a lineage file is a log."""
    count = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if append else "w", encoding="utf-8") as handle:
            for event in events:
                handle.write(json.dumps(event, sort_keys=True, default=str) + "\n")
                count += 1
    except OSError as exc:
        raise EmitError(
            f"cannot write lineage events to {path}: {exc.strerror or exc}",
            hint="pass a writable file path, or an http(s):// URL of a Marquez server",
        ) from None
    return Emitted(str(path), count)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Events from a JSON-lines file; a bad line is reported with its number."""
    return list(_iter_jsonl(path))


def _iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EmitError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EmitError(f"{path}:{number}: not a JSON event ({exc.msg})") from None
        if not isinstance(event, dict):
            raise EmitError(f"{path}:{number}: not a JSON object")
        yield event


def post_events(
    events: Iterable[Mapping[str, Any]],
    url: str,
    *,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
    api_key: str | None = None,
    client: httpx.Client | None = None,
) -> Emitted:
    """POST each event to ``<url>/api/v1/lineage``; at most ``retries`` extra attempts per event for errors
    that may pass (connection refused, timeout, 429, 5xx), waiting ``backoff``·2ⁿ seconds (honouring
    ``Retry-After`` up to 30 s). Raises :class:`EmitError` naming the URL once an event cannot be delivered;
    the events before it were delivered (lineage consumers de-duplicate by run id and event type)."""
    endpoint = lineage_endpoint(url)
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    owned = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True)
    count = attempts = 0
    try:
        for event in events:
            attempts += _post_one(http, endpoint, event, headers, retries=max(0, retries), backoff=backoff)
            count += 1
    finally:
        if owned:
            http.close()
    return Emitted(endpoint, count, attempts)


def _post_one(
    http: httpx.Client,
    endpoint: str,
    event: Mapping[str, Any],
    headers: dict[str, str],
    *,
    retries: int,
    backoff: float,
) -> int:
    body = json.dumps(event, default=str)
    hint = f"is a Marquez (or other OpenLineage) server running at {endpoint}? or pass --to FILE to write them"
    problem = ""
    for attempt in range(retries + 1):
        wait = backoff * (2**attempt)
        try:
            response = http.post(endpoint, content=body, headers=headers)
        except httpx.TimeoutException:
            problem = "timed out"
        except httpx.TransportError as exc:
            problem = f"could not connect ({exc})"
        else:
            if response.is_success:
                return attempt + 1
            problem = f"answered {response.status_code} {response.reason_phrase}: {_snippet(response)}"
            if response.status_code not in _RETRY_STATUS:
                raise EmitError(
                    f"the lineage server at {endpoint} refused an event: {problem}",
                    hint="the event does not match what the server accepts; check the server's log",
                )
            wait = max(wait, min(_retry_after(response), 30.0))
        if attempt < retries:
            time.sleep(wait)
    tries = "once" if retries == 0 else f"{retries + 1} times"
    raise EmitError(f"cannot send lineage events to {endpoint}: {problem} (tried {tries})", hint=hint)


def _retry_after(response: httpx.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "0"))
    except ValueError:
        return 0.0


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return (text[:200] + "…") if len(text) > 200 else (text or "(no body)")
