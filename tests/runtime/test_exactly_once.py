"""Exactly once: a retried, recovered or concurrent commit never writes a port twice; kill -9 is survivable."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from meshplane.registry import ConcurrentRunError, new_owner
from meshplane.runtime.commit import PortWrite, WriteMode, app_id, commit

HERE = Path(__file__).parent
CUSTOMERS = "urn:dmb:dp:shop:customers:1"


def _commits_of(table, run_id):
    return [h for h in table.history() if h.get("meshplane.runId") == run_id]


def _clicks(rt, ids):
    return PortWrite(
        "clicks",
        str(rt.root / ".meshplane/storage/dev/shop/clicks/v1/clicks"),
        pa.table({"id": pa.array(ids, pa.int64()), "page": [f"/{i}" for i in ids]}),
        WriteMode.APPEND,
    )


def test_the_same_run_committed_twice_is_one_commit(rt):
    write = _clicks(rt, [1, 2])
    app = app_id("urn:dmb:dp:shop:clicks:1", "clicks")
    first = commit(write, app=app, seq=7, run_id="run-7", metadata={})
    again = commit(write, app=app, seq=7, run_id="run-7", metadata={})
    table = rt.table("clicks")
    assert first.skipped is None and again.skipped == "already committed by this run"
    assert again.version == first.version == table.version()
    assert table.to_pyarrow_table().num_rows == 2 and len(_commits_of(table, "run-7")) == 1
    older = commit(_clicks(rt, [3]), app=app, seq=6, run_id="run-6", metadata={})
    assert older.skipped == "superseded by run #7" and rt.table("clicks").to_pyarrow_table().num_rows == 2


def test_concurrent_commits_of_one_run_write_once(rt):
    app = app_id("urn:dmb:dp:shop:clicks:1", "clicks")
    results = []
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        results.append(commit(_clicks(rt, [1, 2, 3]), app=app, seq=1, run_id="run-1", metadata={}))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.skipped is None for r in results) == 1
    table = rt.table("clicks")
    assert table.to_pyarrow_table().num_rows == 3 and len(_commits_of(table, "run-1")) == 1


def test_a_run_killed_after_its_first_commit_is_completed_by_recover(rt):
    assert rt.run("customers").status.value == "SUCCEEDED"
    rt.sql("INSERT INTO customers VALUES (3, 'cy@example.com', '2024-03-01 09:00:00')")
    before_emails = rt.table("customers", "emails").version()
    proc = subprocess.run(
        [sys.executable, str(HERE / "crashing_run.py"), str(rt.root), "customers"],
        env={**os.environ, "KILL_AFTER": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # each port is at one version or the other, never in between: customers committed, emails not yet
    assert [r["cid"] for r in rt.rows("customers")] == ["C1", "C2", "C3"]
    assert rt.table("customers", "emails").version() == before_emails
    assert [r["cid"] for r in rt.rows("customers", "emails")] == ["C1", "C2"]
    with rt.session() as session:
        killed = session.registry.runs.latest(CUSTOMERS, "dev")
    assert killed is not None and killed.status.value == "RUNNING" and killed.interrupted()
    assert killed.inputs["crm"]["rows"] == 3  # the inputs were pinned before the first commit

    with pytest.raises(Exception, match="--recover") as info:
        rt.run("customers")
    assert "after committing customers" in str(info.value)

    recovered = rt.run("customers", recover=True)
    assert recovered.status.value == "SUCCEEDED", recovered.error
    assert (recovered.run_id, recovered.seq) == (killed.run_id, 2)
    assert recovered.outputs["customers"]["skipped"] == "already committed by this run"
    assert recovered.outputs["emails"]["skipped"] is None
    assert [r["cid"] for r in rt.rows("customers", "emails")] == ["C1", "C2", "C3"]
    for port in ("customers", "emails"):
        assert len(_commits_of(rt.table("customers", port), killed.run_id)) == 1  # no duplicate commit
    assert rt.run("customers").seq == 3  # and runs go on as usual


def test_an_interrupted_run_that_committed_nothing_is_closed_by_the_next_run(rt):
    gone = f"x@{socket.gethostname()}:999999:abc"  # a process of this host that does not exist
    with rt.session() as session:
        dead = session.registry.runs.start(CUSTOMERS, "dev", actor="x", owner=gone)
    assert dead.interrupted() == "its process 999999 on this host is gone"
    record = rt.run("customers")
    assert record.status.value == "SUCCEEDED" and record.seq == 2
    with rt.session() as session:
        closed = session.registry.runs.get(dead.run_id)
    assert closed.status.value == "FAILED" and "nothing was committed" in (closed.error or "")


def test_a_second_live_run_is_refused(rt):
    with rt.session() as session:
        session.registry.runs.start(CUSTOMERS, "dev", actor="x", owner=new_owner("x"))  # this process: alive
    with pytest.raises(ConcurrentRunError, match="already running"):
        rt.run("customers")


def test_recover_with_nothing_to_recover_says_so(rt):
    rt.run("orders")
    with pytest.raises(Exception, match="nothing to recover"):
        rt.run("orders", recover=True)
