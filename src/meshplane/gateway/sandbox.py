"""The DuckDB sandbox consumer SQL runs in: locked databases, a fresh connection per request, a watchdog.

Each database is created with file and network access off, Python replacement scans off (DuckDB would
otherwise resolve an unknown table name to a *Python variable* of the calling code), no spilling to disk,
its memory and thread limits, UTC, and then ``lock_configuration`` — nothing a query does can change a
setting. A request takes a database from a small pool and opens a **fresh connection** on it: the
datasets it registers and everything it attaches exist for that request only, and are gone when the
connection closes. The pool exists because a new DuckDB database costs ~14 ms of CPU (its built-in
extensions load), too much to pay per point lookup. A database serves one request at a time; after each it
must hold no attached catalog (and, every ``FULL_CHECK``-th time or after a failed query, no table, view or
variable either); it is dropped after a time or memory limit, a refusal by the sandbox, or ``reuse`` requests.

A watchdog thread interrupts the connection when the time limit passes; rows are streamed and the result
stops at ``max_rows`` or ``max_bytes`` (marked truncated) instead of materialising everything first.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads

from meshplane.errors import InvalidInputError, MeshplaneError
from meshplane.gateway.names import TableName, always_quote

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
_UNITS["TIB"] = 2**40
_INTERNAL = re.compile(r"__mp_[0-9a-f]{16}_\d+")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: Nothing a request made may outlive it: no attached catalog (the one thing the gateway's own code makes
#: that connections share) and, every ``FULL_CHECK``-th time and after any failure, no table, view or
#: variable either — those need statements (CREATE, SET VARIABLE) that neither parser lets through.
_ATTACHED = "SELECT count(*) FROM duckdb_databases() WHERE database_name NOT IN ('memory', 'system', 'temp')"
_HEALTH = f"""SELECT ({_ATTACHED})
+ (SELECT count(*) FROM duckdb_tables()) + (SELECT count(*) FROM duckdb_views() WHERE NOT internal)
+ (SELECT count(*) FROM duckdb_variables())"""
FULL_CHECK = 20


class QueryLimitError(InvalidInputError):
    """The query hit a limit of the sandbox. ``limit`` says which: ``time`` or ``memory``."""

    limit = "time"


class QueryTimeoutError(QueryLimitError):
    """The query ran longer than its time limit and was interrupted (an HTTP API answers 408)."""

    limit = "time"


class QueryMemoryError(QueryLimitError):
    """The query needed more memory than its limit (an HTTP API answers 413)."""

    limit = "memory"


def parse_size(text: str) -> int:
    """``"512MB"`` → 512000000; DuckDB's own spelling of sizes."""
    match = _SIZE.match(text)
    if not match:
        raise InvalidInputError(f"`{text}` is not a memory size", hint="write e.g. 512MB or 2GB")
    return int(float(match[1]) * _UNITS[(match[2] or "B").upper()])


@dataclass(frozen=True)
class Limits:
    """What one query may use. The service caps what callers ask for at its own ceiling."""

    timeout: float = 30.0
    memory: str = "1GB"
    threads: int = 2
    max_rows: int = 10_000
    max_bytes: int = 256 * 2**20

    def within(self, ceiling: Limits) -> Limits:
        """These limits, refused if any is above ``ceiling`` or not positive."""
        checks = [
            ("timeout", self.timeout, ceiling.timeout, "s"),
            ("memory", parse_size(self.memory), parse_size(ceiling.memory), " bytes"),
            ("threads", self.threads, ceiling.threads, ""),
            ("row limit", self.max_rows, ceiling.max_rows, " rows"),
            ("result size", self.max_bytes, ceiling.max_bytes, " bytes"),
        ]
        for name, value, top, unit in checks:
            if not 0 < value <= top:
                raise InvalidInputError(f"the {name} must be above 0 and at most {top:g}{unit}; got {value:g}")
        return self


@dataclass
class Output:
    table: pa.Table
    #: None, or why the rows stop early: "rows" (max_rows reached) or "bytes" (max_bytes reached).
    truncated: str | None


class SandboxPool:
    """Locked DuckDB databases, reused one request at a time; at most ``idle`` kept between requests (whatever
    their limits), each for at most ``reuse`` requests. Thread-safe."""

    def __init__(self, *, idle: int = 4, reuse: int = 500) -> None:
        self._idle_max, self._reuse = idle, reuse
        #: (memory in bytes as DuckDB spells it, threads) → idle databases and how often each was used
        self._idle: dict[tuple[str, int], list[tuple[duckdb.DuckDBPyConnection, int]]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def sandbox(self, limits: Limits) -> Iterator[Sandbox]:
        """A fresh connection on a pooled database, given back (or dropped) afterwards."""
        box = self.acquire(limits)
        try:
            yield box
        finally:
            self.release(box)

    def acquire(self, limits: Limits) -> Sandbox:
        key = _key(limits)
        with self._lock:
            spare = self._idle.get(key, [])
            db, uses = spare.pop() if spare else (None, 0)
        if db is None:
            db = _locked_database(key[0], limits.threads)
        return Sandbox(db.cursor(), limits, db=db, uses=uses + 1)

    def release(self, box: Sandbox) -> None:
        """Close the request's connection; keep its database for the next request if it is clean."""
        healthy = box.close() and not box.spoiled
        assert box.db is not None
        full = box.failed or box.uses % FULL_CHECK == 0
        self._give_back(_key(box.limits), box.db, box.uses, healthy, full=full)

    def _give_back(
        self, key: tuple[str, int], db: duckdb.DuckDBPyConnection, uses: int, healthy: bool, *, full: bool = True
    ) -> None:
        if healthy and uses < self._reuse:
            try:
                check = db.cursor()
                rows = check.execute(_HEALTH if full else _ATTACHED).fetchall()
                check.close()
                healthy = bool(rows) and rows[0][0] == 0
            except duckdb.Error:
                healthy = False
        with self._lock:
            spare = self._idle.setdefault(key, [])
            # one cap over all limit combinations: callers choosing odd memory sizes cannot pile databases up
            kept = sum(len(dbs) for dbs in self._idle.values())
            if healthy and uses < self._reuse and kept < self._idle_max:
                spare.append((db, uses))
                return
        db.close()

    def close(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for spare in pools.values():
            for db, _ in spare:
                db.close()


def _key(limits: Limits) -> tuple[str, int]:
    """Databases are pooled by their settings; "1GB" and "1000 MB" are the same setting."""
    return f"{parse_size(limits.memory)}B", limits.threads


def _locked_database(memory: str, threads: int) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": threads,
        "memory_limit": memory,
        "enable_external_access": False,
        "python_enable_replacements": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "temp_directory": "",
    }
    db = duckdb.connect(":memory:", config=config)
    db.execute("SET TimeZone = 'UTC'")
    db.execute("SET lock_configuration = true")
    return db


class Sandbox:
    """One request's connection: register data, build views, verify and run one query."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        limits: Limits,
        *,
        db: duckdb.DuckDBPyConnection | None = None,
        uses: int = 1,
    ) -> None:
        self.con = con
        self.limits = limits
        self.db, self.uses = db, uses
        self._token = secrets.token_hex(8)
        self._count = 0
        self._catalogs: list[str] = []
        self._schemas: set[tuple[str, str]] = set()
        #: Set when something went wrong enough that the database should not serve another request.
        self.spoiled = False
        #: Set when the query failed (the database then gets the full check before it is reused).
        self.failed = False
        #: Text no message may show, and what it shows instead: the salt of hash masks (it is in the view
        #: definitions), the storage paths of the ports read (a scan error names its file).
        self.redact: dict[str, str] = {}

    def register(self, data: pads.Dataset | pa.Table) -> str:
        """Register Arrow data under a fresh, unguessable name; only views the gateway writes name it."""
        self._count += 1
        name = f"__mp_{self._token}_{self._count}"
        self.con.register(name, data)
        return name

    def scratch(self, sql: str, what: str) -> pa.Table:
        """Run the gateway's own SQL (never a consumer's) and keep the rows. DuckDB's message is not passed
        on: it could quote a value from a row the consumer may not see."""
        try:
            with _Watchdog(self.con, self.limits.timeout):
                return self.con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            self.spoiled = self.failed = True
            if isinstance(exc, duckdb.OutOfMemoryException | duckdb.InterruptException):
                raise self._translate(exc, isinstance(exc, duckdb.InterruptException), self.limits) from None
            raise MeshplaneError(
                f"{what}: the grant's row filter could not be applied to the data ({type(exc).__name__})",
                hint="ask the port's owners to check the grant's row filter against the port's columns",
            ) from None

    def create_view(self, name: TableName, select_sql: str) -> None:
        """``CREATE VIEW catalog.schema.table AS …``, attaching the catalog and schema first if needed."""
        catalog, schema, _ = name
        if catalog not in self._catalogs:
            if catalog in ("memory", "system", "temp", "main"):
                raise InvalidInputError(f"a domain named `{catalog}` cannot be queried through the gateway")
            self.con.execute(f"ATTACH ':memory:' AS {always_quote(catalog)}")
            self._catalogs.append(catalog)
        if (catalog, schema) not in self._schemas:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {always_quote(catalog)}.{always_quote(schema)}")
            self._schemas.add((catalog, schema))
        target = ".".join(always_quote(p) for p in name)
        self.con.execute(f"CREATE OR REPLACE VIEW {target} AS {select_sql}")

    def run(self, sql: str) -> Output:
        """Run a verified query under the time limit, keeping at most ``max_rows`` rows and ``max_bytes``."""
        limits = self.limits
        with _Watchdog(self.con, limits.timeout) as dog:
            try:
                return self._stream(sql, limits)
            except (duckdb.Error, OSError, pa.ArrowException) as exc:
                self.failed = True
                error = self._translate(exc, dog.fired, limits)
                # after a limit or a refusal by the sandbox itself, start the next request on a new database
                self.spoiled = isinstance(error, QueryLimitError) or isinstance(exc, duckdb.PermissionException)
                raise error from None

    def _stream(self, sql: str, limits: Limits) -> Output:
        reader = self.con.sql(sql).to_arrow_reader(min(limits.max_rows + 1, 1_000_000))
        batches: list[pa.RecordBatch] = []
        rows = size = 0
        truncated: str | None = None
        try:
            for batch in reader:
                if rows + batch.num_rows > limits.max_rows:
                    batch = batch.slice(0, limits.max_rows - rows)
                    truncated = "rows"
                size += batch.nbytes
                if size > limits.max_bytes:
                    truncated = "bytes"
                    break
                batches.append(batch)
                rows += batch.num_rows
                if truncated:
                    break
        finally:
            reader.close()
        return Output(pa.Table.from_batches(batches, schema=reader.schema), truncated)

    def _translate(self, exc: BaseException, fired: bool, limits: Limits) -> Exception:
        message = self.sanitize(str(exc))
        if fired or isinstance(exc, duckdb.InterruptException) or message.startswith("INTERRUPT"):
            return QueryTimeoutError(
                f"the query ran longer than its time limit of {limits.timeout:g} s and was stopped",
                hint="narrow it (filters, fewer joins) or ask for a longer timeout within the gateway's ceiling",
            )
        if isinstance(exc, duckdb.OutOfMemoryException) or message.startswith("Out of Memory"):
            return QueryMemoryError(
                f"the query needed more than its memory limit of {limits.memory}",
                hint="aggregate before joining, select fewer columns, or ask for more memory within the ceiling",
            )
        if isinstance(exc, duckdb.PermissionException):
            return InvalidInputError(f"the sandbox refused the query: {message}")
        return InvalidInputError(f"the query failed: {message}")

    def sanitize(self, message: str) -> str:
        """A DuckDB message without internal names or secrets, and short."""
        text = _INTERNAL.sub("<internal>", _ANSI.sub("", message.strip()))
        for secret, shown in sorted(self.redact.items(), key=lambda item: -len(item[0])):
            text = text.replace(secret, shown)
        return text if len(text) < 2000 else text[:2000] + " …"

    def close(self) -> bool:
        """Drop what this request made; False if the database should not be reused."""
        ok = True
        for catalog in self._catalogs:
            try:
                self.con.execute(f"DETACH {always_quote(catalog)}")
            except duckdb.Error:
                ok = False
        try:
            self.con.close()
        except duckdb.Error:
            ok = False
        return ok


class _Watchdog:
    """Interrupts ``con`` once ``seconds`` have passed, and keeps interrupting until the query is done
    (an interrupt that lands between two DuckDB calls would otherwise be lost)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self._con, self._seconds = con, seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="meshplane-query-watchdog", daemon=True)
        self.fired = False

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self._seconds):
            return
        self.fired = True
        while True:
            self._con.interrupt()
            if self._done.wait(0.05):
                return
