"""The outbox relay against the real NATS JetStream server: published once, stamped, duplicates dropped."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
from access_kit import service, who

from meshplane.access.relay import relay_once
from meshplane.errors import MeshplaneError
from meshplane.registry import Registry

NATS = "nats://127.0.0.1:4222"


async def _stream(name: str, subjects: list[str], delete: bool = False) -> None:
    import nats

    nc = await nats.connect(NATS)
    try:
        js = nc.jetstream()
        if delete:
            await js.delete_stream(name)
        else:
            await js.add_stream(name=name, subjects=subjects)
    finally:
        await nc.close()


async def _messages(name: str, subject: str) -> list[tuple[str, dict]]:
    import nats

    nc = await nats.connect(NATS)
    try:
        js = nc.jetstream()
        info = await js.stream_info(name)
        sub = await js.pull_subscribe(subject, durable=None, stream=name)
        got = await sub.fetch(info.state.messages, timeout=5) if info.state.messages else []
        return [((m.headers or {}).get("Nats-Msg-Id", ""), json.loads(m.data)) for m in got]
    finally:
        await nc.close()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A stream of its own per test: unique name and subjects under a unique prefix."""
    token = uuid.uuid4().hex[:10]
    name, pfx = f"T{token}", f"t{token}."
    try:
        asyncio.run(_stream(name, [f"{pfx}>"]))
    except Exception as exc:  # pragma: no cover - the CI machine runs NATS; say so clearly elsewhere
        pytest.fail(f"NATS JetStream at {NATS} is not usable: {exc}")
    yield pfx
    asyncio.run(_stream(name, [], delete=True))


def test_events_are_published_once_with_their_outbox_id(registry: Registry, prefix: str):
    svc = service(registry)
    req = svc.request(who("tom"), "orders.orders", purpose="weekly revenue report for finance")
    svc.approve(who("jonas"), req.id)
    queued = registry.access.unpublished()
    result = relay_once(registry, NATS, prefix=prefix)
    assert (result.published, result.duplicates, result.remaining) == (2, 0, 0)
    assert all(m.published_at is not None for m in registry.access.outbox())
    got = asyncio.run(_messages(f"T{prefix[1:-1]}", f"{prefix}>"))
    assert [mid for mid, _ in got] == [m.id for m in queued]
    assert [body["event"] for _, body in got] == ["requested", "approved"]
    assert relay_once(registry, NATS, prefix=prefix).published == 0  # nothing left: idempotent


def test_a_relay_killed_before_stamping_does_not_duplicate(registry: Registry, prefix: str):
    svc = service(registry)
    svc.request(who("tom"), "orders.orders", purpose="weekly revenue report for finance")
    relay_once(registry, NATS, prefix=prefix)
    with registry.engine.begin() as conn:  # as if the process died between the ack and the stamp
        from sqlalchemy import update

        from meshplane.registry.access_models import OutboxRow

        conn.execute(update(OutboxRow).values(published_at=None))
    again = relay_once(registry, NATS, prefix=prefix)
    assert (again.published, again.duplicates, again.remaining) == (0, 1, 0)
    assert len(asyncio.run(_messages(f"T{prefix[1:-1]}", f"{prefix}>"))) == 1


def test_without_a_stream_the_relay_says_how_to_make_one(registry: Registry):
    service(registry).request(who("tom"), "orders.orders", purpose="weekly revenue report for finance")
    with pytest.raises(MeshplaneError, match="no JetStream stream") as err:
        relay_once(registry, NATS, prefix=f"nostream{uuid.uuid4().hex[:8]}.")
    assert "nats stream add" in (err.value.hint or "")
    assert registry.access.unpublished_count() == 1


def test_an_unreachable_server_is_a_clear_error(registry: Registry):
    service(registry).request(who("tom"), "orders.orders", purpose="weekly revenue report for finance")
    with pytest.raises(MeshplaneError, match="cannot reach NATS"):
        relay_once(registry, "nats://127.0.0.1:9", timeout=1)
