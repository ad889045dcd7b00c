"""The query gateway's core: consumer SQL + the caller's grants → rows, in a sandbox, filters and masks applied.

``Gateway.run`` takes the grants as a parameter (the service wires it to the access service and the
registry), so it can be exercised alone:

1. the SQL is checked by sqlglot: one read-only query; the three-part names it reads;
2. each name resolves to a port the caller is granted (else: unknown table → the names that can be used;
   a real port without a grant → PermissionDeniedError saying how to ask) and to a snapshot: the latest
   version, ``--as-of`` or a per-table ``"port@v3"`` (a past version shows only the columns the port has
   now: grants and PII masks are written against today's columns, so a column dropped or renamed since —
   perhaps because it was PII — must not come back through time travel; owners see the history as it was);
3. in a fresh connection of a locked database, DuckDB's own parser checks the same SQL against exactly the
   views about to exist; each snapshot is registered under an unguessable name, filtered in the scan, and a
   view with the consumer's name masks its columns;
4. the query runs under a watchdog with memory and thread limits, and at most ``max_rows`` rows come back.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.dataset as pads

from meshplane.access.model import OWNER_GRANT, PortGrant
from meshplane.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from meshplane.gateway import policy
from meshplane.gateway.names import AsOf, Names, PortRef, TableName, display
from meshplane.gateway.sandbox import Limits, Sandbox, SandboxPool
from meshplane.gateway.snapshots import Snapshots
from meshplane.gateway.sqlcheck import check_query, verify_with_duckdb
from meshplane.spec.diagnostics import did_you_mean

#: What a service may allow at most, and what a caller gets by default.
CEILING = Limits(timeout=300.0, memory="4GB", threads=4, max_rows=1_000_000, max_bytes=1024 * 2**20)
DEFAULTS = Limits()


def _describe(ref: PortRef) -> str:
    return f"{ref.dp_id} port `{ref.port}`"


class PortDirectory(Protocol):
    """Where ports live: the registry in the service, a dict in tests."""

    def location(self, ref: PortRef) -> str:
        """The Delta table URI of a deployed port; NotFoundError (or UnsupportedError) otherwise."""
        ...

    def deployed(self) -> Iterable[PortRef]:
        """Every deployed port (for telling "not granted" from "does not exist")."""
        ...

    def columns(self, ref: PortRef) -> frozenset[str] | None:
        """The columns the port's contract declares, or None when it declares no schema."""
        ...


def _contract_only(dataset: pads.Dataset, directory: PortDirectory, ref: PortRef) -> pads.Dataset:
    """Consumers see the columns the port's contract declares, nothing else: masks name contract columns, so a
    stored column the contract does not (or no longer does) declare would otherwise show in clear. A contract
    without a schema leaves the snapshot as it is."""
    declared = directory.columns(ref)
    if declared is None:
        return dataset
    kept = [f for f in dataset.schema if f.name in declared]
    if len(kept) == len(dataset.schema):
        return dataset
    if not kept:
        raise InvalidInputError(
            f"{ref.name} stores none of the columns its contract declares",
            hint="the producer should redeploy the port; ask its owners",
        )
    return dataset.replace_schema(pa.schema(kept))


@dataclass(frozen=True)
class PortRead:
    """One table a query read: the name as written, the port, the table version, the grants applied."""

    name: str
    dp_id: str
    port: str
    version: int
    grants: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dataProduct": self.dp_id,
            "port": self.port,
            "version": self.version,
            "grants": list(self.grants),
        }


@dataclass
class Trace:
    """What a query got to before it finished or was refused (the audit record reads it)."""

    tables: list[str] = field(default_factory=list)
    reads: list[PortRead] = field(default_factory=list)
    #: Milliseconds per phase: check, sandbox, verify, snapshots, views, run (for profiling).
    phases: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + (time.perf_counter() - started) * 1000


@dataclass
class QueryResult:
    table: pa.Table
    #: None, or "rows" / "bytes" when the result stopped at a limit.
    truncated: str | None
    reads: list[PortRead]
    duration_ms: float
    limits: Limits

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


class Gateway:
    """Runs consumer SQL against granted ports. One per process; thread-safe."""

    def __init__(
        self, *, pool: SandboxPool | None = None, salt: str = "", ceiling: Limits = CEILING, defaults: Limits = DEFAULTS
    ) -> None:
        self.pool = pool or SandboxPool()
        self.snapshots = Snapshots()
        self.salt = salt
        self.ceiling = ceiling
        self.defaults = defaults

    def close(self) -> None:
        self.pool.close()

    def run(
        self,
        sql: str,
        grants: Sequence[PortGrant],
        directory: PortDirectory,
        *,
        environment: str,
        as_of: AsOf | None = None,
        limits: Limits | None = None,
        now: datetime | None = None,
        trace: Trace | None = None,
    ) -> QueryResult:
        started = time.perf_counter()
        trace = trace if trace is not None else Trace()
        limits = (limits or self.defaults).within(self.ceiling)
        with trace.phase("check"):
            checked = check_query(sql)
        trace.tables = [display(name) for name in checked.tables]
        moment = now or datetime.now(UTC)
        by_port: dict[PortRef, list[PortGrant]] = {}
        for grant in grants:
            if policy.live(grant, environment, moment):
                by_port.setdefault(PortRef(grant.dp_id, grant.port), []).append(grant)
        targets = self._resolve(checked.tables, Names(by_port), directory, environment, as_of)
        with trace.phase("sandbox"):
            box = self.pool.acquire(limits)
            if self.salt:  # as written in the view's SQL, too (quotes doubled)
                for form in (self.salt, self.salt.replace("'", "''")):
                    box.redact[form] = "<secret>"
        try:
            with trace.phase("verify"):
                verify_with_duckdb(box.con, checked.sql, set(targets))
            views: dict[tuple[PortRef, AsOf | None], str] = {}
            for name, (ref, at) in targets.items():
                key = (ref, at)
                if key not in views:
                    with trace.phase("snapshots"):
                        uri = directory.location(ref)
                        for form in (uri, uri.lstrip("/")):  # object stores drop the leading slash
                            box.redact[form] = f"<storage of {ref.name}>"
                        version, dataset = self.snapshots.read(uri, _describe(ref), at)
                    port_grants = by_port[ref]
                    if any(g.grant_id != OWNER_GRANT for g in port_grants):
                        if at is not None:
                            with trace.phase("snapshots"):
                                dataset = self._as_current(dataset, uri, ref)
                        dataset = _contract_only(dataset, directory, ref)
                    with trace.phase("views"):
                        views[key] = self._view(box, dataset, port_grants, str(ref))
                    ids = tuple(str(g.grant_id) for g in port_grants)
                    trace.reads.append(PortRead(display(name), ref.dp_id, ref.port, version, ids))
                with trace.phase("views"):
                    box.create_view(name, views[key])
            with trace.phase("run"):
                output = box.run(checked.sql)
        finally:
            with trace.phase("release"):
                self.pool.release(box)
        elapsed = (time.perf_counter() - started) * 1000
        return QueryResult(output.table, output.truncated, list(trace.reads), elapsed, limits)

    # -- resolution ------------------------------------------------------------------------------
    def _resolve(
        self,
        tables: Sequence[TableName],
        granted: Names,
        directory: PortDirectory,
        environment: str,
        as_of: AsOf | None,
    ) -> dict[TableName, tuple[PortRef, AsOf | None]]:
        """Each name the query reads → a granted port and the point in its history to read."""
        targets: dict[TableName, tuple[PortRef, AsOf | None]] = {}
        for name in tables:
            hit = granted.resolve(name)
            if hit is None:
                raise self._unknown(name, granted, directory, environment)
            targets[name] = (hit[0], hit[1] or as_of)
        return targets

    def _unknown(self, name: TableName, granted: Names, directory: PortDirectory, environment: str) -> Exception:
        shown = display(name)
        usable = granted.names()
        listing = ", ".join(usable[:20]) + (" …" if len(usable) > 20 else "") if usable else "none yet"
        if not name[0] or not name[1]:
            return NotFoundError(
                f"no table `{shown}`: name ports as domain.product.port, e.g. sales.orders.orders",
                hint=f"tables you can query: {listing}",
            )
        found = Names(directory.deployed()).resolve(name)
        if found is not None:
            ref = found[0]
            return PermissionDeniedError(
                f"you have no grant on {ref.name} ({ref.dp_id} port `{ref.port}`) in {environment}",
                hint=f'request access with `meshplane access request {ref.name} --purpose "…"`',
            )
        close = did_you_mean(shown, usable)
        return NotFoundError(
            f"no table `{shown}` among the ports you can query",
            hint=close or f"tables you can query: {listing}",
        )

    def _as_current(self, dataset: pads.Dataset, uri: str, ref: PortRef) -> pads.Dataset:
        """A past snapshot with only the columns the port has now (see ``policy.current_columns``)."""
        _, latest = self.snapshots.read(uri, _describe(ref), None)
        kept = policy.current_columns(dataset.schema, latest.schema)
        if len(kept) == len(dataset.schema):
            return dataset
        if not len(kept):
            raise InvalidInputError(
                f"{ref.name} had none of its current columns at that point in its history",
                hint="time travel shows the columns the port has now; pick a later version",
            )
        return dataset.replace_schema(kept)

    def _view(self, box: Sandbox, dataset: pads.Dataset, grants: Sequence[PortGrant], what: str) -> str:
        """Register the snapshot's branches and return the SELECT of the consumer's view."""
        branches = policy.branches(grants, what)
        needs_types = any(kind == "null" for b in branches for kind in b.masks.values())
        types: Mapping[str, str] = policy.duckdb_types(box.con, dataset.schema) if needs_types else {}
        selects = []
        for data in policy.prepare(dataset, branches, types=types, salt=self.salt):
            if data.data is not None:
                source = box.register(data.data)
            else:
                assert data.fallback is not None
                columns, where = data.fallback
                raw = box.register(dataset)
                source = box.register(box.scratch(f"SELECT {columns} FROM {raw} WHERE {where}", what))
                box.con.unregister(raw)
            selects.append(f"SELECT {data.select_list} FROM {source}")
        return " UNION ALL ".join(selects)
