"""Opening a registry: URLs, the environment override, SQLite settings, concurrent first opens, clear errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from multiprocessing.context import BaseContext
from pathlib import Path

import pytest
from registry_workers import open_registry
from sqlalchemy import text

from meshplane.errors import MeshplaneError
from meshplane.registry import ENV_VAR, Registry, RegistryError
from meshplane.registry.migrate import revision_chain


def test_the_environment_variable_overrides_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    given, chosen = tmp_path / "given.db", tmp_path / "chosen" / "registry.db"
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{chosen}")
    with Registry.open(f"sqlite:///{given}") as registry:
        registry.audit("alice", "test", "x")
        assert registry.url.database == str(chosen)
    assert chosen.exists() and not given.exists()


def test_the_environment_variable_can_point_at_postgresql(
    pg_session_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(ENV_VAR, pg_session_url)
    with Registry.open(f"sqlite:///{tmp_path / 'unused.db'}") as registry:
        assert registry.engine.dialect.name == "postgresql"
    assert not (tmp_path / "unused.db").exists()


def test_relative_sqlite_paths_resolve_against_base(tmp_path: Path):
    with Registry.open("sqlite:///.meshplane/registry.db", base=tmp_path) as registry:
        assert registry.url.database == str(tmp_path / ".meshplane" / "registry.db")
    assert (tmp_path / ".meshplane" / "registry.db").is_file()


def test_a_home_relative_sqlite_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with Registry.open("sqlite:///~/mesh/registry.db") as registry:
        assert registry.url.database == str(tmp_path / "mesh" / "registry.db")
    assert (tmp_path / "mesh" / "registry.db").is_file()


def test_sqlite_is_set_up_for_several_processes(tmp_path: Path):
    with Registry.open(f"sqlite:///{tmp_path / 'r.db'}") as registry, registry.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000


def test_an_in_memory_registry_works_for_one_thread():
    with Registry.open("sqlite://") as registry:
        registry.audit("alice", "test", "x")
        assert [r.action for r in registry.audit_log()] == ["test"]


def test_postgresql_urls_use_psycopg_3(pg_session_url: str):
    assert pg_session_url.startswith("postgresql://")
    with Registry.open(pg_session_url) as registry:
        assert registry.url.drivername == "postgresql+psycopg"


def test_a_missing_postgresql_database_is_created(pg_server):
    name = pg_server.name()
    url = pg_server.url(name)
    assert not pg_server.exists(name)
    with Registry.open(url) as registry:
        assert registry.migrated == revision_chain()
    assert pg_server.exists(name)


def test_concurrent_first_opens_migrate_once(backend: str, fresh_url: Callable[[], str], processes: BaseContext):
    """Two `meshplane` commands started together on a brand-new registry: one migrates, the other waits."""
    url = fresh_url()
    barrier, results = processes.Barrier(2), processes.Queue()
    procs = [processes.Process(target=open_registry, args=(url, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0, 0]
    migrated = sorted((m for _, m in outcomes), key=len)
    assert migrated == [(), revision_chain()]
    with Registry.open(url) as registry, registry.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql://root@localhost/meshplane", "mysql is not a supported database"),
        ("sqlite+aiosqlite:///x.db", "driver sqlite+aiosqlite is not supported"),
        ("postgresql+asyncpg://u@localhost/db", "driver postgresql+asyncpg is not supported"),
        ("postgresql://u@localhost", "the URL names no database"),
    ],
)
def test_bad_urls_are_explained(url: str, message: str):
    with pytest.raises(RegistryError, match=re.escape(message)) as caught:
        Registry.open(url)
    assert caught.value.hint
    assert isinstance(caught.value, MeshplaneError)


def test_an_unreachable_postgresql_is_explained_without_the_password():
    with pytest.raises(RegistryError) as caught:
        Registry.open("postgresql://postgres:s3cret@127.0.0.1:1/meshplane")
    error = caught.value
    assert error.message.startswith("cannot connect to the registry database at postgresql+psycopg://postgres:***@")
    assert "Connection refused" in error.message or "connection" in error.message.lower()
    assert "s3cret" not in str(error)
    assert error.hint and "PostgreSQL is running" in error.hint
    assert "\n" not in error.message  # one line, not a driver traceback


def test_a_sqlite_path_under_a_file_is_explained(tmp_path: Path):
    (tmp_path / "plain-file").write_text("not a folder")
    with pytest.raises(RegistryError, match="cannot create the folder") as caught:
        Registry.open(f"sqlite:///{tmp_path / 'plain-file' / 'sub' / 'registry.db'}")
    assert caught.value.hint and ENV_VAR in caught.value.hint


def test_a_read_only_folder_is_explained(tmp_path: Path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("running as root: a read-only folder is still writable")
        with pytest.raises(RegistryError, match="cannot open registry") as caught:
            Registry.open(f"sqlite:///{folder / 'registry.db'}")
        assert caught.value.hint and "writable" in caught.value.hint
    finally:
        folder.chmod(0o700)


def test_a_file_that_is_not_a_database_is_explained(tmp_path: Path):
    junk = tmp_path / "registry.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RegistryError, match="not a database") as caught:
        Registry.open(f"sqlite:///{junk}")
    assert caught.value.hint and "not a SQLite database" in caught.value.hint
