"""Asynchronous operations of the Tech Adapter server: a token per operation, its status kept in memory.

Provisioning takes seconds to minutes, longer than a caller should hold an HTTP request open, so the server
answers 202 with a token and works in a thread pool. Operations on the same component run one after the
other (adapters are idempotent, but two concurrent writers to one table gain nothing). Status lives in this
process only: after a restart a token is unknown and the caller provisions again, which is safe because
provisioning is idempotent. Finished operations beyond ``keep`` are forgotten, oldest first.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from meshplane.adapters import remote_wire as wire


@dataclass
class Job:
    token: str
    #: ``provision`` (also unprovision and ACL updates, which share the status path), ``validate``, ``reverse``.
    family: str
    future: Future[wire.StatusBody]
    #: The body to answer while the work runs.
    running: wire.StatusBody

    def status(self) -> wire.StatusBody:
        return self.future.result() if self.future.done() else self.running

    def wait(self, seconds: float) -> bool:
        """Whether the work finished within ``seconds``."""
        try:
            self.future.result(timeout=seconds)
        except FutureTimeout:
            return False
        return True


class Jobs:
    def __init__(self, workers: int = 4, keep: int = 10_000) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tech-adapter")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()
        self._component_locks: dict[str, threading.Lock] = {}

    def submit(
        self, family: str, work: Callable[[], wire.StatusBody], running: wire.StatusBody, *, key: str | None = None
    ) -> Job:
        """Run ``work`` (which must not raise) in the pool; ``key`` serialises work on one component."""
        lock = self._key_lock(key) if key else None

        def run() -> wire.StatusBody:
            if lock is None:
                return work()
            with lock:
                return work()

        job = Job(uuid.uuid4().hex, family, self._pool.submit(run), running)
        with self._lock:
            self._jobs[job.token] = job
            self._forget_old()
        return job

    def get(self, token: str, family: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(token)
        return job if job is not None and job.family == family else None

    def shutdown(self) -> None:
        """Stop taking work; what runs finishes in its thread (an adapter cannot be interrupted safely)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._component_locks.setdefault(key, threading.Lock())

    def _forget_old(self) -> None:
        while len(self._jobs) > self._keep:
            token, job = next(iter(self._jobs.items()))
            if not job.future.done():
                break
            del self._jobs[token]
