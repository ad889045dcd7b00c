"""Helpers for the contract tests: contracts in a line, tables from Python rows, and running a plan on DuckDB."""

from __future__ import annotations

from typing import Any

import duckdb

from meshplane.contracts import CheckPlan, CheckResult, compile_contract, evaluate
from meshplane.spec.model import DataContract

NOW = "TIMESTAMPTZ '2025-01-01 00:00:00+00'"


def contract(columns: list[dict[str, Any]], quality: list[dict[str, Any]] | None = None) -> DataContract:
    return DataContract.model_validate({"columns": columns, "quality": quality or []})


def table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[tuple[Any, ...]]) -> None:
    """``CREATE TABLE name (columns)`` filled with ``rows`` (bound as parameters, so NULLs are real NULLs)."""
    con.execute(f'CREATE OR REPLACE TABLE "{name}" ({", ".join(f"{c} {t}" for c, t in columns.items())})')
    if rows:
        marks = ", ".join("?" for _ in columns)
        con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', [list(r) for r in rows])


def schema_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def run(
    con: duckdb.DuckDBPyConnection,
    data_contract: DataContract,
    relation: str = '"t"',
    *,
    now_sql: str = NOW,
    table_names: set[str] | None = None,
    with_schema: bool = True,
) -> tuple[CheckPlan, dict[str, CheckResult]]:
    """Compile, run the aggregate and the extra queries, evaluate; results by check id."""
    schema = schema_of(con, relation) if with_schema else None
    plan = compile_contract(data_contract, relation, now_sql=now_sql, schema=schema, table_names=table_names)
    cur = con.execute(plan.aggregate_sql)
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    assert row is not None
    total, counts, values = plan.read_aggregate(names, row)
    for check_id, sql in plan.confirm_sql.items():
        if counts.get(check_id):
            confirmed = con.execute(sql).fetchone()
            assert confirmed is not None
            assert confirmed[0] <= counts[check_id], "a hashed count is an upper bound"
            counts[check_id] = int(confirmed[0])
    errors: dict[str, str] = {}
    for check_id, sql in plan.extra_sql.items():
        try:
            got = con.execute(sql).fetchone()
        except duckdb.Error as exc:
            errors[check_id] = str(exc)
            continue
        values[check_id] = None if got is None or got[0] is None else float(got[0])
    results = evaluate(plan, counts, total, values, errors=errors)
    return plan, {r.check.id: r for r in results}
