"""The deploy lock: one holder at a time across threads and processes, stale and dead holders broken."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import threading
import time
from multiprocessing.context import BaseContext
from pathlib import Path

import pytest
from registry_workers import DP, deploy, hold_forever

from meshplane.registry import ConcurrentDeployError, LockLostError, Registry, new_owner
from meshplane.registry.locking import actor_of, dead_holder, pid_alive, qualify


def assert_serialized(log: Path, workers: int) -> None:
    """Each holder's enter is followed by its own exit before anyone else enters, and times do not overlap."""
    events = [line.split() for line in log.read_text().splitlines()]
    assert len(events) == 2 * workers, events
    for enter, leave in zip(events[::2], events[1::2], strict=True):
        assert (enter[0], leave[0], enter[1]) == ("enter", "exit", leave[1]), events
    spans = [(float(enter[2]), float(leave[2])) for enter, leave in zip(events[::2], events[1::2], strict=True)]
    for (_, previous_exit), (next_enter, _) in itertools.pairwise(spans):
        assert next_enter >= previous_exit, spans
    assert len({e[1] for e in events}) == workers


def test_threads_racing_for_the_lock_take_turns(registry: Registry, tmp_path: Path):
    log = tmp_path / "events.log"
    barrier = threading.Barrier(4)
    threads = [threading.Thread(target=_deploy_in_thread, args=(registry, log, f"t{i}", barrier)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert_serialized(log, 4)
    deployment = registry.deployment(DP, "dev")
    assert deployment is not None and deployment.lock_owner is None
    assert deployment.revision == 8  # every acquire and every release bumped it once; no lost update


def _deploy_in_thread(registry: Registry, log: Path, who: str, barrier: threading.Barrier) -> None:
    barrier.wait()
    lease = registry.acquire(DP, "dev", new_owner(who), wait=30)
    with log.open("a") as out:
        out.write(f"enter {who} {time.time():.6f}\n")
    time.sleep(0.05)
    registry.heartbeat(lease)
    with log.open("a") as out:
        out.write(f"exit {who} {time.time():.6f}\n")
    registry.release(lease)


def test_processes_racing_for_the_lock_take_turns(
    registry: Registry, registry_url: str, tmp_path: Path, processes: BaseContext
):
    log = tmp_path / "events.log"
    barrier = processes.Barrier(3)
    procs = [processes.Process(target=deploy, args=(registry_url, log, f"p{i}", 0.15, barrier)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert_serialized(log, 3)
    assert os.getpid() not in {p.pid for p in procs}


def test_a_lock_held_by_a_killed_process_is_broken_at_once(
    registry: Registry, registry_url: str, processes: BaseContext
):
    ready = processes.Event()
    holder = processes.Process(target=hold_forever, args=(registry_url, ready))
    holder.start()
    try:
        assert ready.wait(timeout=30), "the child never took the lock"
        taken = registry.deployment(DP, "dev")
        assert taken is not None and taken.lock_owner and f":{holder.pid}:" in taken.lock_owner
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGKILL)
    finally:
        holder.join(timeout=30)
    started = time.monotonic()
    lease = registry.acquire(DP, "dev", new_owner("rescuer"), wait=0)  # default stale_after: 600 s
    assert time.monotonic() - started < 2
    assert lease.owner.startswith("rescuer@")
    [record] = registry.audit_log(target=DP)
    assert record.action == "lock.broken" and record.actor == "rescuer"
    assert f"process {holder.pid} on this host is gone" in record.details["reason"]
    assert record.details["previousHolder"] == taken.lock_owner


def test_a_live_holder_makes_others_give_up_after_wait(registry: Registry, registry_url: str):
    lease = registry.acquire(DP, "dev", new_owner("alice"))
    with Registry.open(registry_url) as other:
        started = time.monotonic()
        with pytest.raises(ConcurrentDeployError) as caught:
            other.acquire(DP, "dev", new_owner("bob"), wait=0.2)
        waited = time.monotonic() - started
    assert 0.2 <= waited < 2
    assert caught.value.holder == lease.owner
    assert lease.owner in str(caught.value) and "gave up after 0.2 s" in str(caught.value)
    assert caught.value.hint and "stale after 600 s" in caught.value.hint
    assert caught.value.locked_at == lease.acquired_at
    still = registry.deployment(DP, "dev")
    assert still is not None and still.lock_owner == lease.owner


def test_the_lock_is_not_reentrant(registry: Registry):
    owner = new_owner("alice")
    registry.acquire(DP, "dev", owner)
    with pytest.raises(ConcurrentDeployError):
        registry.acquire(DP, "dev", owner, wait=0)


def test_a_waiting_deploy_gets_the_lock_once_released(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    releaser = threading.Timer(0.15, registry.release, args=(lease,))
    releaser.start()
    started = time.monotonic()
    second = registry.acquire(DP, "dev", "bob", wait=10)
    assert 0.1 <= time.monotonic() - started < 3
    assert second.owner.startswith("bob@")
    releaser.join()


def test_a_stale_lock_is_broken_and_heartbeat_notices(registry: Registry, registry_url: str):
    first = registry.acquire(DP, "dev", "alice")
    time.sleep(0.05)
    with Registry.open(registry_url) as other:
        second = other.acquire(DP, "dev", "bob", wait=0, stale_after=0.01)
    with pytest.raises(LockLostError, match=f"now held by {second.owner}") as caught:
        registry.heartbeat(first)
    assert caught.value.hint and "re-run" in caught.value.hint
    with pytest.raises(LockLostError):
        registry.set_component(first, "a", kind="workload", adapter="duckdb", status="DEPLOYED")
    registry.release(first)  # no longer the holder: leaves bob's lock alone
    current = registry.deployment(DP, "dev")
    assert current is not None and current.lock_owner == second.owner
    registry.heartbeat(second)
    [record] = registry.audit_log(target=DP)
    assert record.action == "lock.broken" and "not refreshed" in record.details["reason"]


def test_heartbeat_keeps_a_lock_from_going_stale(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    time.sleep(0.2)
    registry.heartbeat(lease)
    with pytest.raises(ConcurrentDeployError):
        registry.acquire(DP, "dev", "bob", wait=0, stale_after=0.15)
    time.sleep(0.2)
    assert registry.acquire(DP, "dev", "bob", wait=0, stale_after=0.15).owner.startswith("bob@")


def test_owner_strings():
    plain = qualify("alice")
    assert plain.startswith("alice@") and actor_of(plain) == "alice"
    host, pid, _token = plain.split("@", 1)[1].split(":")
    assert int(pid) == os.getpid() and host
    coordinator_style = f"{host}:{os.getpid()}:abcd1234"  # what provisioning.lock_owner() makes
    assert qualify(coordinator_style) == coordinator_style
    assert actor_of(coordinator_style) == coordinator_style
    assert qualify(plain) == plain
    assert new_owner() != new_owner()


def test_dead_and_zombie_processes_are_recognised():
    assert pid_alive(os.getpid())
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child.pid}/stat").read_text().split(")")[-1].split()[0] != "Z":  # exited, not reaped
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid)
    host = new_owner().split(":")[0]
    assert dead_holder(f"{host}:{child.pid}:x") == child.pid
    assert dead_holder(f"{host}:{os.getpid()}:x") is None
    assert dead_holder(f"elsewhere.example:{child.pid}:x") is None  # another host's pid means nothing here
    assert dead_holder("alice") is None
