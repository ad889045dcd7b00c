"""Code run in child processes by the registry tests (spawned, like two separate `meshplane deploy` runs).

Each worker opens its own Registry, as a separate process would, and appends lines to a shared log file;
O_APPEND writes of one short line are atomic, so the file shows the true order of events across processes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from meshplane.registry import Registry, new_owner

DP = "urn:dmb:dp:sales:orders:1"


def note(log: Path, line: str) -> None:
    with log.open("a") as out:
        out.write(f"{line} {time.time():.6f}\n")


def deploy(url: str, log: Path, who: str, hold: float, barrier: Any = None) -> None:
    """Take the lock, hold it for ``hold`` seconds between an ``enter`` and an ``exit`` line, release it."""
    registry = Registry.open(url)
    try:
        if barrier is not None:
            barrier.wait()
        lease = registry.acquire(DP, "dev", new_owner(who), wait=30)
        note(log, f"enter {who}")
        time.sleep(hold)
        registry.heartbeat(lease)
        note(log, f"exit {who}")
        registry.release(lease)
    finally:
        registry.close()


def hold_forever(url: str, ready: Any) -> None:
    """Take the lock and never give it back: the parent kills this process with SIGKILL."""
    registry = Registry.open(url)
    registry.acquire(DP, "dev", new_owner("doomed"), wait=10)
    ready.set()
    time.sleep(60)


def open_registry(url: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    registry = Registry.open(url)
    results.put((os.getpid(), registry.migrated))
    registry.close()
