"""Contract checks on a PostgreSQL table, run by PostgreSQL itself.

The compiled DuckDB SQL is transpiled with sqlglot (``count_if`` becomes ``SUM(CASE …)``,
``regexp_matches`` the ``~`` operator, ``epoch`` ``DATE_PART``), so the scan happens where the data is and
only counts and samples cross the wire — no DuckDB extension is needed, and none could be downloaded here.
The session is read-only: a contract's custom query cannot change the table it tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from meshplane.adapters.pg_common import connect, live_columns, redact, table_oid
from meshplane.contracts import CheckPlan, compile_contract, quote_ident
from meshplane.errors import NotFoundError
from meshplane.quality.engine import measure
from meshplane.quality.report import ContractReport
from meshplane.spec.model import DataContract


def transpile(sql: str) -> str:
    """DuckDB SQL as PostgreSQL runs it."""
    import sqlglot  # only the PostgreSQL path pays for the parser

    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write="postgres"))


class PostgresEngine:
    name = "postgresql"
    errors: type[Exception] | tuple[type[Exception], ...] = psycopg.Error

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def one(self, sql: str, *, numeric: bool = False) -> tuple[list[str], tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(transpile(sql).encode())
            names = [d.name for d in cur.description or []]
            row = cur.fetchone()
        return names, tuple(row) if row is not None else tuple(None for _ in names)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with self.conn.cursor() as cur:
            cur.execute(transpile(sql).encode())
            names = [d.name for d in cur.description or []]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def schema(self, relation: str) -> list[tuple[str, str]]:
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT * FROM {relation} LIMIT 0".encode())
            return [(d.name, str(d.type_display)) for d in cur.description or []]


@contextmanager
def _read_only(url: str) -> Iterator[psycopg.Connection[Any]]:
    with connect(url) as conn:
        conn.autocommit = True  # one failing custom query must not abort the others
        conn.execute("SET default_transaction_read_only = on")
        yield conn


def split_table(table: str) -> tuple[str, str]:
    """``schema.table`` or ``table`` (in ``public``); quoted parts keep dots and case."""
    if table.startswith('"') or '"' in table:
        parts = [p.strip('"') for p in table.split('"."')] if '"."' in table else [table.strip('"')]
    else:
        parts = table.split(".", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[0])


def run_postgres(
    url: str,
    table: str,
    contract: DataContract,
    *,
    samples: int = 5,
    now_sql: str = "now()",
    table_names: set[str] | None = None,
    label: str = "contract",
) -> ContractReport:
    """Test ``table`` (``schema.table``) in the database at ``url`` against ``contract``."""
    started = time.perf_counter()
    schema_name, name = split_table(table)
    relation = f"{quote_ident(schema_name)}.{quote_ident(name)}"
    with _read_only(url) as conn:
        with conn.cursor() as cur:
            oid = table_oid(cur, schema_name, name)
            if oid is None:
                raise NotFoundError(
                    f"no table {schema_name}.{name} in {redact(url)}", hint="check the schema and table names"
                )
            schema = [(n, t) for n, t, _, _ in live_columns(cur, oid)]
        names = {*(table_names or set()), name, f"{schema_name}.{name}"}

        def compile_plan(fold: bool) -> CheckPlan:
            # Text columns are not cast row by row here: PostgreSQL has no TRY_CAST.
            return compile_contract(
                contract,
                relation,
                now_sql=now_sql,
                schema=schema,
                table_names=names,
                try_cast=False,
                fold_sql=fold,
                hash_keys=False,
            )

        _, results, total = measure(PostgresEngine(conn), compile_plan, samples=samples)
    return ContractReport(
        label, f"{redact(url)} {schema_name}.{name}", "postgresql", total, results, time.perf_counter() - started
    )
