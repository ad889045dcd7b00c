"""Fixtures: every registry test runs on SQLite (a fresh file) and on PostgreSQL (the local server).

One PostgreSQL database is created per test session (``meshplane_test_<uuid8>``, migrated once) and its tables
are emptied after each test; tests that need a brand-new database get one from ``fresh_url``. When the server
is unreachable the PostgreSQL variants are skipped, saying why.
"""

from __future__ import annotations

import multiprocessing
import shutil
import uuid
from collections.abc import Callable, Iterator
from multiprocessing.context import BaseContext
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from meshplane.registry import ENV_VAR, Registry

PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"
BACKENDS = ["sqlite", "postgresql"]
TABLES = "deployments, descriptor_versions, components, plans, audit_log, runs"


@pytest.fixture(autouse=True)
def _no_url_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """A MESHPLANE_REGISTRY_URL in the developer's shell must not redirect the tests (nor their children)."""
    monkeypatch.delenv(ENV_VAR, raising=False)


class PgServer:
    """Creates and drops throw-away databases on the local PostgreSQL server."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self, prefix: str = "meshplane_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def name(self, prefix: str = "meshplane_new") -> str:
        """A database name nobody created yet, dropped at the end of the session if something creates it."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.created.append(name)
        return name

    @staticmethod
    def url(name: str) -> str:
        return PG_URL.format(name=name)

    def exists(self, name: str) -> bool:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

    def drop_all(self) -> None:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        psycopg.connect(PG_DSN, autocommit=True).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (user postgres) is unreachable: {str(exc).strip().splitlines()[0]}")
    server = PgServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def pg_session_url(pg_server: PgServer) -> str:
    """The session's database, migrated once."""
    url = PG_URL.format(name=pg_server.create())
    Registry.open(url).close()
    return url


@pytest.fixture(scope="session")
def processes() -> BaseContext:
    """Child processes forked from a clean server process that has already imported the registry.

    Each child is a separate process with its own connections, like a second ``meshplane deploy``, but starts in
    milliseconds instead of paying a fresh interpreter's imports (which made the suite four times slower).
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["registry_workers"])
    return ctx


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite registry, copied for each test (migrating every test's file would double the time)."""
    path = tmp_path_factory.mktemp("template") / "registry.db"
    Registry.open(f"sqlite:///{path}").close()  # closing checkpoints the WAL into the one file
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def registry_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A registry URL with an empty, migrated schema (PostgreSQL tables are emptied after the test)."""
    if backend == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "registry.db")
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    url = request.getfixturevalue("pg_session_url")
    yield url
    with Registry.open(url) as reg, reg.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    reg = Registry.open(registry_url)
    yield reg
    reg.close()


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Makes URLs of registries that do not exist yet (no file; no PostgreSQL database)."""

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / uuid.uuid4().hex[:8] / 'registry.db'}"
        server: PgServer = request.getfixturevalue("pg_server")
        return server.url(server.name())

    return make
