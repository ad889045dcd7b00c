"""PostgreSQL plumbing shared by the PostgreSQL adapter and reverse provisioning: URLs, connections,
and reading a live table's columns and keys from the catalog.

Kept apart from the adapter so importing a descriptor from a PostgreSQL table does not need the
adapter's provisioning logic, and the adapter module stays about what it provisions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql

from meshplane.adapters.schema import column_from_pg
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
URL_ENV = "MESHPLANE_POSTGRES_URL"
#: PostgreSQL truncates longer identifiers silently, which would make two names one.
MAX_IDENTIFIER = 63
SCHEMES = ("postgresql", "postgres")


def url_for(explicit: str | None = None, environment: str | None = None) -> str:
    """The server to use: the explicit URL, else ``MESHPLANE_POSTGRES_URL_<ENV>`` (one server per
    environment), else ``MESHPLANE_POSTGRES_URL``, else the local default."""
    if explicit:
        return normalize_url(explicit)
    if environment:
        per_env = os.environ.get(f"{URL_ENV}_{re.sub(r'[^A-Za-z0-9]', '_', environment).upper()}")
        if per_env:
            return normalize_url(per_env)
    return normalize_url(os.environ.get(URL_ENV) or DEFAULT_URL)


def normalize_url(url: str) -> str:
    """Accept SQLAlchemy spellings (``postgresql+psycopg://``) and refuse other schemes."""
    scheme, sep, rest = url.partition("://")
    base = scheme.split("+", 1)[0].lower()
    if not sep or base not in SCHEMES:
        raise InvalidInputError(
            f"`{redact(url)}` is not a PostgreSQL URL", hint="write postgresql://user@host:5432/database"
        )
    return f"postgresql://{rest}"


def redact(url: str) -> str:
    """The URL without its password, for logs, results and descriptors (the password belongs in the
    environment or ``~/.pgpass``, which libpq reads by itself).

    >>> redact("postgresql://app:s3cret@db:5432/shop")
    'postgresql://app@db:5432/shop'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}@{host}"))


def check_identifier(name: str, what: str) -> None:
    if not name or len(name.encode()) > MAX_IDENTIFIER:
        raise InvalidInputError(
            f"{what} `{name}` is {len(name.encode())} bytes; PostgreSQL names hold 1–{MAX_IDENTIFIER}",
            hint="set a shorter name under `specific` (`schema`, `table`)",
        )


@contextmanager
def connect(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection that commits on success and rolls back on error; unreachable servers say so."""
    try:
        conn = psycopg.connect(url, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise MeshplaneError(
            f"cannot connect to PostgreSQL at {redact(url)}: {str(exc).strip()}",
            hint=f"start the server, or point {URL_ENV} (or the port's `specific.url`) at one",
        ) from exc
    with conn:
        yield conn


def lock(cur: psycopg.Cursor[Any], key: str) -> None:
    """Serialize Meshplane's DDL on one schema until the transaction ends (``CREATE … IF NOT EXISTS``
    alone still races on the catalog's unique indexes)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"meshplane:{key}",))


def ensure_role(cur: psycopg.Cursor[Any], role: str) -> bool:
    """Create the role (NOLOGIN: people log in as themselves and are members) unless it exists; True when
    created. Shared by the adapter (table grants) and access enforcement (grant roles)."""
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    if cur.fetchone() is not None:
        return False
    try:
        with cur.connection.transaction():  # a savepoint: another sync or database may create the role first
            cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    except (errors.DuplicateObject, errors.UniqueViolation):
        return False
    except errors.InsufficientPrivilege as exc:
        raise MeshplaneError(
            f"cannot create role `{role}`: the provisioning user lacks CREATEROLE",
            hint="grant CREATEROLE to the provisioning user, or create the role beforehand",
        ) from exc
    return True


def table_oid(cur: psycopg.Cursor[Any], schema: str, table: str) -> int | None:
    cur.execute(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
        (schema, table),
    )
    row = cur.fetchone()
    return int(row[0]) if row else None


def live_columns(cur: psycopg.Cursor[Any], oid: int) -> list[tuple[str, str, bool, str]]:
    """``(name, format_type, nullable, description)`` in table order."""
    cur.execute(
        "SELECT attname, format_type(atttypid, atttypmod), NOT attnotnull, coalesce(col_description(%s, attnum), '') "
        "FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (oid, oid),
    )
    return [(str(r[0]), str(r[1]), bool(r[2]), str(r[3])) for r in cur.fetchall()]


def key_columns(cur: psycopg.Cursor[Any], oid: int) -> tuple[list[str], list[list[str]]]:
    """(primary key columns, each unique constraint's columns), in key order."""
    cur.execute(
        "SELECT con.contype, array_agg(a.attname ORDER BY k.ord) FROM pg_constraint con "
        "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
        "WHERE con.conrelid = %s AND con.contype IN ('p', 'u') GROUP BY con.oid, con.contype ORDER BY con.conname",
        (oid,),
    )
    primary: list[str] = []
    unique: list[list[str]] = []
    for contype, columns in cur.fetchall():
        if contype == "p":
            primary = list(columns)
        else:
            unique.append(list(columns))
    return primary, unique


@dataclass
class DescribedTable:
    schema: str
    table: str
    comment: str
    columns: list[dict[str, Any]]
    quality: list[dict[str, Any]] = field(default_factory=list)


def describe(url: str, schema: str, table: str) -> DescribedTable:
    """A live table as contract columns: NOT NULL → required, the primary key, single-column UNIQUE →
    ``unique``, multi-column UNIQUE → a ``unique`` expectation."""
    with connect(url) as conn, conn.cursor() as cur:
        oid = table_oid(cur, schema, table)
        if oid is None:
            raise NotFoundError(
                f"no table {schema}.{table} in {redact(url)}", hint="check the schema and table names (case matters)"
            )
        cur.execute("SELECT coalesce(obj_description(%s, 'pg_class'), '')", (oid,))
        row = cur.fetchone()
        comment = str(row[0]) if row else ""
        primary, unique = key_columns(cur, oid)
        columns = []
        for name, type_name, nullable, description in live_columns(cur, oid):
            col = column_from_pg(name, type_name, required=not nullable, description=description)
            if name in primary:
                col["primaryKey"] = True
            if [name] in unique or primary == [name]:
                col["unique"] = True
            columns.append(col)
    quality = [{"type": "unique", "columns": cols} for cols in unique if len(cols) > 1]
    return DescribedTable(schema, table, comment, columns, quality)


def qualified(schema: str, table: str) -> sql.Identifier:
    return sql.Identifier(schema, table)
