"""Alembic, run from code: the migrations ship inside the package and no alembic.ini is needed.

``upgrade`` is safe when several processes open the same fresh registry at once: it takes a database-wide
write lock first (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL), reads
the current revision under that lock, and runs the missing migrations in the same transaction. The second
process waits, then finds the schema at head and does nothing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from meshplane.registry.engine import WRITE
from meshplane.registry.errors import RegistryError

if TYPE_CHECKING:  # Alembic is imported only when a migration is due (it costs a quarter second at start-up)
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
#: Migration files are named by date (``2026_11_22_0300-<rev>_<slug>.py``), so they list in order.
FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
#: The newest migration's revision: lets ``upgrade`` skip loading Alembic when there is nothing to do.
#: A test checks it against the migration scripts; bump it with every new migration.
HEAD = "17a11fe4c25b"
#: Key of the PostgreSQL advisory lock serializing migrations ("meshplan" as a big-endian int64).
PG_LOCK_KEY = int.from_bytes(b"meshplan", "big")


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration, built in code; env.py runs on ``connection`` when one is given."""
    from alembic.config import Config

    config = Config(stdout=io.StringIO())  # the core never prints; Alembic's "Generating …" goes nowhere
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    config.attributes["connection"] = connection
    return config


def head_revisions() -> tuple[str, ...]:
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def revision_chain() -> tuple[str, ...]:
    """Every revision from the first to the head, oldest first (what a fresh registry applies)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return tuple(reversed([rev.revision for rev in script.walk_revisions("base", "heads")]))


def upgrade(engine: Engine) -> tuple[str, ...]:
    """Migrate to head; returns the revisions this call applied, oldest first.

    A registry already at ``HEAD`` is recognised with one query and no lock, so opening it stays cheap and
    concurrent opens do not queue behind each other; otherwise the migration runs under a database-wide lock.
    """
    with engine.connect() as conn:
        if current_revisions(conn) == {HEAD}:
            return ()
    return _upgrade_locked(engine)


def current_revisions(conn: Connection) -> set[str]:
    if not inspect(conn).has_table("alembic_version"):
        return set()
    return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _upgrade_locked(engine: Engine) -> tuple[str, ...]:
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
            current = current_revisions(conn)
            if current == heads:
                return ()
            if current - known:
                raise RegistryError(
                    f"the registry schema is at revision {', '.join(sorted(current - known))}, which this version "
                    "of meshplane does not know",
                    hint="a newer meshplane migrated it; upgrade meshplane (pip install -U meshplane)",
                )
            lower = tuple(current) if current else "base"
            pending = [rev.revision for rev in script.iterate_revisions("heads", lower)]
            command.upgrade(alembic_config(conn), "heads")
    return tuple(reversed(pending))


def new_revision(message: str, *, autogenerate: bool = True) -> list[Path]:
    """Write a new migration for a change to ``models.py`` (a developer's tool; returns the new files).

    It builds a scratch SQLite registry at head and lets Alembic compare it with the models. Review the
    result: autogenerate cannot see renames, and PostgreSQL-only details (triggers) are written by hand.

    >>> new_revision("add runs table")  # doctest: +SKIP
    """
    import tempfile

    from alembic import command

    from meshplane.registry.engine import make_engine, resolve_url

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(resolve_url(f"sqlite:///{Path(tmp) / 'scratch.db'}"))
        try:
            upgrade(engine)
            with engine.begin() as conn:
                scripts = command.revision(alembic_config(conn), message=message, autogenerate=autogenerate)
        finally:
            engine.dispose()
    items = scripts if isinstance(scripts, list) else [scripts]
    return [Path(s.path) for s in items if s is not None]
