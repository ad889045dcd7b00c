"""The schema: migrations build it, agree with the models, go down and up again, and refuse a newer schema."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from meshplane.registry import Registry, RegistryError
from meshplane.registry.migrate import HEAD, MIGRATIONS, alembic_config, head_revisions, revision_chain
from meshplane.registry.models import Base

TABLES = {
    *("alembic_version", "deployments", "descriptor_versions", "components", "plans", "audit_log", "runs"),
    *("reviews", "questions", "answers"),
    *("access_requests", "grants", "outbox"),
}


def test_migrations_create_the_schema(registry: Registry):
    insp = inspect(registry.engine)
    assert set(insp.get_table_names()) == TABLES
    columns = {c["name"] for c in insp.get_columns("deployments")}
    assert {"dp_id", "environment", "revision", "lock_owner", "locked_at", "descriptor", "retire_on"} <= columns
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("deployments")}
    assert ("dp_id", "environment") in uniques
    with registry.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == head_revisions()


def test_models_and_migrations_agree(registry: Registry):
    """An empty autogenerate diff: nobody changed models.py without writing the migration (or the reverse)."""
    with registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migration_files_are_named_by_date():
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py") if p.name != "__init__.py")
    assert names
    for name in names:
        assert re.fullmatch(r"\d{4}_\d{2}_\d{2}_\d{4}-[0-9a-f]{12}_\w+\.py", name), name


def test_the_head_constant_names_the_newest_migration():
    """``migrate.HEAD`` lets Registry.open skip Alembic; it must move with every new migration."""
    assert head_revisions() == (HEAD,)


def test_downgrade_to_base_and_upgrade_again(backend: str, fresh_url: Callable[[], str]):
    registry = Registry.open(fresh_url())
    try:
        with registry.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(registry.engine).get_table_names()) <= {"alembic_version"}
        with registry.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert set(inspect(registry.engine).get_table_names()) == TABLES
    finally:
        registry.close()


def test_the_first_open_migrates_and_the_next_does_not(backend: str, fresh_url: Callable[[], str]):
    url = fresh_url()
    with Registry.open(url) as first:
        assert first.migrated == revision_chain()
    with Registry.open(url) as again:
        assert again.migrated == ()


def test_a_schema_newer_than_this_code_is_refused(backend: str, fresh_url: Callable[[], str]):
    url = fresh_url()
    with Registry.open(url) as registry, registry.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    with pytest.raises(RegistryError, match="ffffffffffff") as caught:
        Registry.open(url)
    assert caught.value.hint and "upgrade meshplane" in caught.value.hint
