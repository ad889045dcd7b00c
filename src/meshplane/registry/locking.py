"""Who holds a deploy lock, and when a lock may be broken.

A lock owner is ``<hostname>:<pid>:<token>``, optionally prefixed by ``<actor>@``. The host and pid let
another deploy on the same machine see at once that the holder was killed (``kill -9``, a crash, a closed
laptop lid) instead of waiting for the lock to go stale; the token makes every acquisition distinct, so a
lease is never mistaken for another one taken by the same process.

Limits of the dead-pid check: a recycled pid looks alive (the lock then waits for ``stale_after``), and two
machines or containers reporting the same hostname but with separate pid spaces (e.g. containers on the host
network) would judge each other's holders dead — give such deployers distinct hostnames.
"""

from __future__ import annotations

import os
import random
import re
import socket
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

OWNER = re.compile(r"^(?:(?P<actor>.+)@)?(?P<host>[^:@\s]+):(?P<pid>\d+):(?P<token>[^:@\s]+)$")


def new_owner(actor: str | None = None) -> str:
    """A fresh owner for this process: ``[actor@]host:pid:token``."""
    core = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    return f"{actor}@{core}" if actor else core


def qualify(owner: str) -> str:
    """``owner`` as given when it already names host and pid; otherwise ``owner@host:pid:token``."""
    return owner if OWNER.match(owner) else new_owner(owner)


def actor_of(owner: str) -> str:
    """The person or service in an owner string, or the whole string when it names none."""
    match = OWNER.match(owner)
    return match["actor"] if match and match["actor"] else owner


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process on this host. Unknown means alive: never break a
    lock on a guess."""
    if pid <= 0 or sys.platform == "win32":  # os.kill(pid, 0) on Windows terminates the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists and belongs to someone else
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # A killed child not yet reaped by its parent is a zombie: it holds nothing any more.
    fields = stat.rsplit(")", 1)[-1].split()
    return not (fields and fields[0] == "Z")


def dead_holder(owner: str) -> int | None:
    """The holder's pid when it ran on this host and is gone; else None."""
    match = OWNER.match(owner)
    if not match or match["host"] != socket.gethostname():
        return None
    pid = int(match["pid"])
    return None if pid_alive(pid) else pid


def stale_reason(owner: str, locked_at: datetime | None, stale_after: float, now: datetime) -> str | None:
    """Why a held lock may be broken now, or None when it must be respected."""
    pid = dead_holder(owner)
    if pid is not None:
        return f"its process {pid} on this host is gone"
    if locked_at is None:
        return "it records no time"
    age = now - locked_at
    if age > timedelta(seconds=stale_after):
        return f"it was not refreshed for {age.total_seconds():.0f} s (stale after {stale_after:g} s)"
    return None


def backoff(first: float = 0.01, cap: float = 0.5) -> Iterator[float]:
    """Exponential delays with jitter, so waiting deploys do not retry in lock-step."""
    delay = first
    while True:
        yield delay * random.uniform(0.5, 1.5)
        delay = min(delay * 2, cap)
