"""The outbox relay: publish registry events to NATS JetStream, at least once, de-duplicated by the broker.

Each outbox row is published on its topic (``meshplane.access.approved`` …, optionally under a prefix) with
``Nats-Msg-Id`` set to the row's UUID, then stamped published. A relay killed between the broker's ack and
the stamp publishes the row again next time; JetStream drops the copy within its duplicate window (two
minutes by default) and consumers de-duplicate on the id beyond it. Rows are published in outbox order.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from typing import Any

from meshplane.errors import MeshplaneError, UnsupportedError
from meshplane.registry import Registry

NATS_ENV = "MESHPLANE_NATS_URL"
DEFAULT_NATS = "nats://127.0.0.1:4222"


@dataclass(frozen=True)
class RelayResult:
    published: int
    duplicates: int
    remaining: int

    def to_dict(self) -> dict[str, int]:
        return {"published": self.published, "duplicates": self.duplicates, "remaining": self.remaining}


def nats_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(NATS_ENV) or DEFAULT_NATS


def relay_once(
    registry: Registry,
    url: str | None = None,
    *,
    prefix: str = "",
    batch: int = 100,
    limit: int | None = None,
    timeout: float = 5.0,
) -> RelayResult:
    """Publish every unpublished event (or up to ``limit``) and stamp them; returns what happened."""
    return asyncio.run(_relay(registry, nats_url(url), prefix, batch, limit, timeout))


async def _relay(
    registry: Registry, url: str, prefix: str, batch: int, limit: int | None, timeout: float
) -> RelayResult:
    try:
        import nats
        from nats.errors import NoServersError
        from nats.js.errors import NoStreamResponseError
    except ImportError as exc:  # pragma: no cover - nats-py is a dependency; kept for slim installs
        raise UnsupportedError("publishing events needs nats-py", hint="pip install nats-py") from exc
    try:
        connecting = nats.connect(
            url,
            connect_timeout=timeout,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            error_cb=_quiet,
        )
        # nats-py retries a refused first connection on its own; bound the whole attempt
        nc = await asyncio.wait_for(connecting, timeout * 2)
    except (NoServersError, OSError, TimeoutError) as exc:
        raise MeshplaneError(
            f"cannot reach NATS at {url}: {exc or type(exc).__name__}",
            hint=f"start nats-server with JetStream (-js), or set {NATS_ENV}",
        ) from exc
    published = duplicates = 0
    try:
        js = nc.jetstream(timeout=timeout)
        while limit is None or published + duplicates < limit:
            size = batch if limit is None else min(batch, limit - published - duplicates)
            messages = registry.access.unpublished(size)
            if not messages:
                break
            done: list[str] = []
            for message in messages:
                subject = f"{prefix}{message.topic}"
                try:
                    ack = await js.publish(subject, _body(message.payload, message.id), headers=_headers(message.id))
                except NoStreamResponseError as exc:
                    registry.access.mark_published(done)
                    raise MeshplaneError(
                        f"no JetStream stream stores `{subject}`",
                        hint='create one, e.g. `nats stream add MESHPLANE --subjects "meshplane.>"`',
                    ) from exc
                duplicates += 1 if ack.duplicate else 0
                published += 0 if ack.duplicate else 1
                done.append(message.id)
            registry.access.mark_published(done)
    finally:
        await nc.close()
    return RelayResult(published, duplicates, registry.access.unpublished_count())


async def _quiet(exc: Exception) -> None:
    """nats-py reports connection errors through a callback that prints by default; the caller gets the error."""


def _headers(message_id: str) -> dict[str, Any]:
    return {"Nats-Msg-Id": message_id, "Content-Type": "application/json"}


def _body(payload: dict[str, Any], message_id: str) -> bytes:
    return json.dumps({"id": message_id, **payload}, sort_keys=True, separators=(",", ":")).encode()
