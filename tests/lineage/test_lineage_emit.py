"""Delivering events: JSON lines on disk, and POSTs to a real HTTP server speaking Marquez's lineage API."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from meshplane.lineage.emit import EmitError, emit, lineage_endpoint, post_events, read_jsonl, write_jsonl
from meshplane.lineage.events import new_run_id, run_event

T0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def events(n: int = 3) -> list[dict]:
    run_id = new_run_id(T0)
    kinds = ["START", "RUNNING", "COMPLETE"]
    return [
        run_event(
            event_type=kinds[i % 3], run_id=run_id, mesh="acme", dataproduct="urn:dmb:dp:sales:orders:1", started=T0
        )
        for i in range(n)
    ]


def test_json_lines_append_and_read_back(tmp_path):
    target = tmp_path / "out" / "lineage.jsonl"
    first, second = events(2), events(1)
    assert write_jsonl(first, target).events == 2
    assert emit(second, target).events == 1  # a path: appended, earlier runs kept
    assert read_jsonl(target) == first + second
    target.write_text(target.read_text() + "{not json\n")
    with pytest.raises(EmitError, match=r"lineage.jsonl:4: not a JSON event"):
        read_jsonl(target)


def test_unwritable_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(EmitError, match="cannot write lineage events") as caught:
        write_jsonl(events(1), blocker / "lineage.jsonl")
    assert "http(s)://" in (caught.value.hint or "")


def test_endpoint():
    assert lineage_endpoint("http://marquez:5000") == "http://marquez:5000/api/v1/lineage"
    assert lineage_endpoint("http://marquez:5000/") == "http://marquez:5000/api/v1/lineage"
    assert lineage_endpoint("http://m/api/v1/lineage") == "http://m/api/v1/lineage"


def test_events_reach_a_real_server(lineage_server):
    sent = events(3)
    result = emit(sent, lineage_server.url)
    assert result.events == 3 and result.attempts == 3
    assert result.target == f"{lineage_server.url}/api/v1/lineage"
    assert lineage_server.received == sent  # in order, byte-for-byte the same JSON


def test_passing_errors_are_retried_a_bounded_number_of_times(lineage_server):
    lineage_server.script = [503, 502]
    result = post_events(events(1), lineage_server.url, retries=3, backoff=0.01)
    assert (result.events, result.attempts) == (1, 3)
    assert lineage_server.requests == 3 and len(lineage_server.received) == 1

    lineage_server.script = [503] * 10
    with pytest.raises(EmitError, match=r"answered 503 Service Unavailable: scripted 503 \(tried 3 times\)") as caught:
        post_events(events(1), lineage_server.url, retries=2, backoff=0.01)
    assert lineage_server.requests == 3 + 3  # bounded: 1 try + 2 retries
    assert lineage_server.url in (caught.value.hint or "")


def test_a_refused_event_is_not_retried(lineage_server):
    lineage_server.script = [400]
    with pytest.raises(EmitError, match="refused an event: answered 400 Bad Request: scripted 400"):
        post_events(events(2), lineage_server.url, retries=3, backoff=0.01)
    assert lineage_server.requests == 1 and lineage_server.received == []


def test_nobody_listening(free_url):
    url = free_url()
    started = time.monotonic()
    with pytest.raises(EmitError, match="could not connect") as caught:
        emit(events(1), url, retries=1, backoff=0.01)
    assert time.monotonic() - started < 5
    assert f"{url}/api/v1/lineage" in caught.value.message
    assert f"is a Marquez (or other OpenLineage) server running at {url}/api/v1/lineage" in (caught.value.hint or "")
    assert "tried 2 times" in caught.value.message


def test_a_slow_server_times_out(lineage_server):
    lineage_server.delay = 1.0
    with pytest.raises(EmitError, match=r"timed out \(tried once\)"):
        post_events(events(1), lineage_server.url, timeout=0.2, retries=0)
