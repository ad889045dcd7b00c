"""Delta snapshots for the gateway, kept open between queries.

Opening a Delta table reads its log (~1–3 ms); an open table catches up with commits made since by reading
only the newer log entries (~0.3 ms), and a version never changes, so its pyarrow dataset is reused as is.
For a point lookup that costs ~60 ms in all, those milliseconds are the difference between a gateway that
costs 1.2× a direct query and one that costs 1.1×. Tables opened at a moment are not cached (rare, and the
moment decides the version).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

import pyarrow.dataset as pads
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from meshplane.errors import InvalidInputError, MeshplaneError, UnsupportedError
from meshplane.gateway.names import AsOf
from meshplane.runtime import timetravel

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Snapshots:
    """Thread-safe: one lock per open table, one for the dataset cache."""

    def __init__(self, *, datasets: int = 64) -> None:
        self._tables: dict[str, tuple[threading.Lock, DeltaTable]] = {}
        self._datasets: OrderedDict[tuple[str, int], pads.Dataset] = OrderedDict()
        self._size = datasets
        self._lock = threading.Lock()

    def read(self, uri: str, what: str, at: AsOf | None) -> tuple[int, pads.Dataset]:
        """``(version, dataset)`` of the table at ``uri``: the latest version, a version, or as of a moment.
        Errors do not show ``uri``: where a port is stored is the platform's business, not the consumer's."""
        try:
            return self._read(uri, what, at)
        except MeshplaneError as exc:
            if uri not in str(exc):
                raise
            message, hint = exc.message.replace(uri, "its storage"), (exc.hint or "").replace(uri, "its storage")
            raise type(exc)(message, hint=hint or None) from None

    def _read(self, uri: str, what: str, at: AsOf | None) -> tuple[int, pads.Dataset]:
        if at is None:
            return self._latest(uri, what)
        if at.version is not None:
            found = self._cached(uri, at.version)
            if found is not None:
                return at.version, found
            table = timetravel.snapshot(uri, what, version=at.version)
        else:
            assert at.timestamp is not None
            table = timetravel.snapshot(uri, what, as_of=at.timestamp)
            _require_existed(uri, what, table, at)
        return table.version(), self._dataset(uri, table, what)

    def _latest(self, uri: str, what: str) -> tuple[int, pads.Dataset]:
        with self._lock:
            entry = self._tables.get(uri)
        if entry is not None:
            lock, table = entry
            with lock:
                try:
                    table.update_incremental()
                except (DeltaError, OSError):
                    entry = None  # gone or rewritten: open it afresh below
                else:
                    return table.version(), self._dataset(uri, table, what)
        table = timetravel.snapshot(uri, what)
        with self._lock:
            self._tables[uri] = (threading.Lock(), table)
        return table.version(), self._dataset(uri, table, what)

    def _cached(self, uri: str, version: int) -> pads.Dataset | None:
        with self._lock:
            found = self._datasets.get((uri, version))
            if found is not None:
                self._datasets.move_to_end((uri, version))
            return found

    def _dataset(self, uri: str, table: DeltaTable, what: str) -> pads.Dataset:
        version = table.version()
        found = self._cached(uri, version)
        if found is not None:
            return found
        try:
            dataset = table.to_pyarrow_dataset()
        except DeltaError as exc:
            raise UnsupportedError(
                f"{what} cannot be scanned: {exc}", hint="ask its owners which reader it needs"
            ) from exc
        with self._lock:
            self._datasets[(uri, version)] = dataset
            while len(self._datasets) > self._size:
                self._datasets.popitem(last=False)
        return dataset


def _require_existed(uri: str, what: str, table: DeltaTable, at: AsOf) -> None:
    """delta-rs answers a moment before the first commit with version 0; the port had no data then.
    (The history comes from the *latest* table: a time-travelled one numbers its history wrongly.)"""
    assert at.timestamp is not None
    committed = {int(h["version"]): int(h["timestamp"]) for h in DeltaTable(uri).history()}
    first = committed.get(table.version())
    if first is not None and first > (at.timestamp - _EPOCH) // timedelta(milliseconds=1):
        since = datetime.fromtimestamp(first / 1000, tz=UTC).isoformat(timespec="seconds")
        raise InvalidInputError(
            f"{what} has no data as of {at.suffix}: its first version is from {since}",
            hint="pick a later moment, or a version (see `meshplane versions`)",
        )
