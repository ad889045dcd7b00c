"""From a URL to a ready SQLAlchemy engine, and from driver exceptions to sentences a person can act on.

SQLite is the default (one file beside the mesh) and PostgreSQL the production backend. SQLite is set up so
that several processes can share the file: WAL (readers never block the writer), a busy timeout (a writer
waits for another instead of failing at once), foreign keys on, and ``BEGIN IMMEDIATE`` for write
transactions — a deferred transaction that reads and then writes can fail with "database is locked" without
waiting, which is exactly the read-check-update shape of taking a lock.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import NullPool, StaticPool

from meshplane.registry.errors import RegistryError

ENV_VAR = "MESHPLANE_REGISTRY_URL"
#: Execution option asking for a write transaction (``BEGIN IMMEDIATE`` on SQLite).
WRITE = "meshplane_write"
BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 5
URL_HINT = (
    "use sqlite:///path/to/registry.db or postgresql://user:password@host:5432/database "
    f"(in mesh.yaml's registry.url, or in {ENV_VAR})"
)


def resolve_url(url: str, base: Path | None = None) -> URL:
    """Parse ``url`` (``MESHPLANE_REGISTRY_URL`` wins when set) into a URL with a driver we ship.

    ``postgresql://`` and ``postgres://`` mean psycopg 3; a relative SQLite path is taken relative to
    ``base`` when given (the mesh folder), else to the working directory.
    """
    raw = os.environ.get(ENV_VAR) or url
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise RegistryError(f"cannot open registry at {raw!r}: not a database URL", hint=URL_HINT) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise RegistryError(
                f"cannot open registry at {raw!r}: driver {parsed.drivername} is not supported",
                hint="use sqlite:///path/to/registry.db",
            )
        path = parsed.database
        if path and path != ":memory:" and not parsed.query.get("uri"):
            file = Path(path).expanduser()
            parsed = parsed.set(database=str(base / file if base and not file.is_absolute() else file))
        return parsed
    if backend in ("postgresql", "postgres"):
        if parsed.drivername not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise RegistryError(
                f"cannot open registry at {display(parsed)}: driver {parsed.drivername} is not supported",
                hint="use postgresql://… or postgresql+psycopg://… (psycopg 3)",
            )
        if not parsed.database:
            raise RegistryError(
                f"cannot open registry at {display(parsed)}: the URL names no database",
                hint="add it at the end: postgresql://user@host:5432/meshplane",
            )
        return parsed.set(drivername="postgresql+psycopg")
    raise RegistryError(
        f"cannot open registry at {display(parsed)}: {backend} is not a supported database", hint=URL_HINT
    )


def display(url: URL) -> str:
    """The URL without its password: it goes into messages and logs."""
    return url.render_as_string(hide_password=True)


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and (url.database or ":memory:") == ":memory:"


def make_engine(url: URL) -> Engine:
    """An engine for ``url``; SQLite's folder is created here, so a missing one is reported plainly."""
    if url.get_backend_name() == "postgresql":
        try:
            return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        except ImportError:
            raise RegistryError(
                f"cannot open registry at {display(url)}: the PostgreSQL driver is not installed",
                hint="pip install 'psycopg[binary]>=3.2'",
            ) from None
    if is_memory(url):
        # One connection shared by every session: a second connection would see a different, empty database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        _make_parent(url)
        engine = create_engine(url)
    _configure_sqlite(engine, wal=not is_memory(url))
    return engine


def _make_parent(url: URL) -> None:
    if url.query.get("uri") or not url.database:
        return
    parent = Path(url.database).expanduser().resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(
            f"cannot open registry at {url.database}: cannot create the folder {parent} ({exc.strerror or exc})",
            hint=f"choose a writable location in mesh.yaml's registry.url or set {ENV_VAR}",
        ) from None
    if not parent.is_dir():
        raise RegistryError(
            f"cannot open registry at {url.database}: {parent} is not a folder",
            hint=f"choose another location in mesh.yaml's registry.url or set {ENV_VAR}",
        )


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL, waiting out other processes. SQLite does not call its busy handler for a journal
    mode change, so a brand-new registry opened by two processes at once (one of them already migrating it)
    would fail at once with "database is locked"; retry for as long as ``busy_timeout`` would have waited."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver must not BEGIN on its own; _on_begin does
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if wal:
            _enable_wal(cursor)
            # In WAL mode NORMAL never corrupts and loses nothing when a process dies (kill -9); only a power
            # cut may drop the last commits. FULL would fsync on every one of a deploy's many small commits.
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def ensure_database(engine: Engine) -> None:
    """Connect once; create a missing PostgreSQL database through the ``postgres`` maintenance database."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return
    except DBAPIError as exc:
        # libpq reports a missing database at connect time without a SQLSTATE; match its message too.
        missing = _sqlstate(exc) == "3D000" or f'database "{engine.url.database}" does not exist' in str(exc.orig)
        if engine.dialect.name != "postgresql" or not missing:
            raise
    _create_pg_database(engine.url)


def _create_pg_database(url: URL) -> None:
    name = url.database
    assert name
    admin = create_engine(
        url.set(database="postgres"),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {admin.dialect.identifier_preparer.quote(name)}")
    except DBAPIError as exc:
        # 42P04 duplicate_database / 23505 unique_violation: another process created it first — fine.
        if _sqlstate(exc) not in ("42P04", "23505"):
            raise RegistryError(
                f"registry database {name!r} does not exist at {display(url)} and cannot be created: "
                + _first_line(exc),
                hint=f"create it (createdb -h {url.host or 'localhost'} -U {url.username or 'postgres'} {name}) "
                "or give a user allowed to CREATE DATABASE",
            ) from exc
    finally:
        admin.dispose()


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


@contextmanager
def translated(url: URL, *, opening: bool = False) -> Iterator[None]:
    """Turn driver errors into RegistryError with a hint. IntegrityError passes through: callers that expect
    one (a concurrent insert of the same row) handle it, and any other is a bug worth its traceback."""
    try:
        yield
    except IntegrityError:
        raise
    except DBAPIError as exc:
        raise _explain(url, exc, opening) from exc


def _explain(url: URL, exc: DBAPIError, opening: bool) -> RegistryError:
    reason = _first_line(exc)
    where = display(url)
    if url.get_backend_name() == "sqlite":
        where = url.database or ":memory:"
        folder = Path(url.database or ".").expanduser().resolve().parent
        if "unable to open" in reason or "readonly" in reason:
            return RegistryError(
                f"cannot open registry at {where}: {reason}",
                hint=f"the folder {folder} and the file must be writable (SQLite also writes "
                f"{Path(where).name}-wal and -shm beside it); or set {ENV_VAR}",
            )
        if "locked" in reason or "busy" in reason:
            return RegistryError(
                f"the registry at {where} is busy: {reason}",
                hint=f"another process held a write transaction for over {BUSY_TIMEOUT_MS // 1000} s; retry",
            )
        if "not a database" in reason:
            return RegistryError(
                f"cannot open registry at {where}: {reason}",
                hint="the file is not a SQLite database; point registry.url elsewhere",
            )
    elif isinstance(exc, OperationalError):  # psycopg raises this for refused, timed-out and lost connections
        return RegistryError(
            f"cannot connect to the registry database at {where}: {reason}",
            hint="check that PostgreSQL is running and reachable, and the URL's host, port, "
            f"user, password and database; or set {ENV_VAR}",
        )
    verb = "cannot open registry at" if opening else "registry operation failed at"
    return RegistryError(
        f"{verb} {where}: {reason}",
        hint="check that the registry database is reachable and at the schema this meshplane expects",
    )
