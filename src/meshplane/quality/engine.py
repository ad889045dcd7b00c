"""Run a compiled contract: one aggregate scan, the custom queries, and samples of what failed.

The same loop serves every engine through a two-method :class:`Engine` (one row, some rows as dicts):
DuckDB runs the compiled SQL as it is; PostgreSQL gets it transpiled (``meshplane.quality.postgres``), so
its data never leaves the database.

Custom ``sql`` rules run with the rights of the connection they are given. Callers running contracts they
do not trust (the runtime, over registered Arrow datasets) lock the connection first
(``enable_external_access=false``, ``lock_configuration=true``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from meshplane.contracts import CheckPlan, CheckResult, Status, compile_contract, evaluate
from meshplane.errors import MeshplaneError
from meshplane.quality.report import ContractReport
from meshplane.spec.model import DataContract

if TYPE_CHECKING:
    import pyarrow as pa


class Engine(Protocol):
    """What the loop needs from a database. ``errors`` is the exception type its queries raise."""

    name: str
    errors: type[Exception] | tuple[type[Exception], ...]

    def one(self, sql: str, *, numeric: bool = False) -> tuple[list[str], tuple[Any, ...]]:
        """The first row; ``numeric`` says every value is a number (the compiled aggregate), so no
        conversion can fail and the engine may take its fastest path."""
        ...

    def rows(self, sql: str) -> list[dict[str, Any]]: ...

    def schema(self, relation: str) -> list[tuple[str, str]]: ...


class DuckDBEngine:
    name = "duckdb"
    errors: type[Exception] | tuple[type[Exception], ...] = duckdb.Error

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    # Results come through Arrow: DuckDB's own Python conversion needs ``pytz`` for TIMESTAMPTZ values (not
    # a dependency), and a failed conversion would leave the connection holding an unfinished result.

    def one(self, sql: str, *, numeric: bool = False) -> tuple[list[str], tuple[Any, ...]]:
        if numeric:  # the compiled aggregate: numbers only, no Arrow round trip (nor pyarrow import) needed
            cur = self.con.execute(sql)
            names = [d[0] for d in cur.description or []]
            got = cur.fetchall()  # all of it: a half-read result would block the connection's next query
            return names, tuple(got[0]) if got else tuple(None for _ in names)
        rows, names = self._fetch(sql, limit=1)
        return names, tuple(rows[0].values()) if rows else tuple(None for _ in names)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self._fetch(sql)[0]

    def _fetch(self, sql: str, limit: int | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        relation = self.con.sql(sql)
        if relation is None:  # a statement that returns nothing
            return [], []
        table = relation.to_arrow_table() if limit is None else relation.limit(limit).to_arrow_table()
        return table.to_pylist(), list(table.column_names)

    def schema(self, relation: str) -> list[tuple[str, str]]:
        return [(str(r[0]), str(r[1])) for r in self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


Compile = Callable[[bool], CheckPlan]


def measure(engine: Engine, compile_plan: Compile, *, samples: int = 5) -> tuple[CheckPlan, list[CheckResult], int]:
    """Compile (with custom queries folded into the scan), run, evaluate, and sample failing rows.

    A folded custom condition that the engine rejects would take the whole scan down with it, so the scan is
    then retried with every custom query on its own, where a broken one fails alone.
    """
    plan = compile_plan(True)
    try:
        try:
            names, row = engine.one(plan.aggregate_sql, numeric=True)
        except engine.errors:
            if not any("folded" in c.params for c in plan.checks):
                raise
            plan = compile_plan(False)
            names, row = engine.one(plan.aggregate_sql, numeric=True)
    except engine.errors as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MeshplaneError(
            f"the contract's checks could not run on {plan.relation}: {first}",
            hint="check that the data is readable and that the contract's column names match it",
        ) from exc
    total, counts, values = plan.read_aggregate(names, row)
    for check_id, sql in plan.confirm_sql.items():
        if counts.get(check_id):
            _, exact = engine.one(sql, numeric=True)
            counts[check_id] = int(exact[0] or 0)
    errors: dict[str, str] = {}
    for check_id, sql in plan.extra_sql.items():
        try:
            _, got = engine.one(sql)
        except engine.errors as exc:
            errors[check_id] = str(exc).strip().splitlines()[0]
            continue
        values[check_id] = _number(got[0] if got else None, check_id, errors)
    results = evaluate(plan, counts, total, values, errors=errors)
    if samples > 0:
        for i, result in enumerate(results):
            query = plan.sample_sql(result.check.id, samples) if result.failed else None
            if query is not None:
                results[i] = replace(result, samples=engine.rows(query))
    return plan, results, total


def _number(value: Any, check_id: str, errors: dict[str, str]) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        errors[check_id] = f"the query returned {value!r}, not a number"
        return None


def run_checks(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    contract: DataContract,
    *,
    samples: int = 5,
    now_sql: str = "now()",
    table_names: set[str] | None = None,
    label: str = "contract",
    null_counts: dict[str, int] | None = None,
) -> ContractReport:
    """Test the data ``relation`` names (SQL after FROM: a quoted view or table name, ``read_parquet(…)``)
    on ``con`` against ``contract``; one scan for every data check, plus one statement per custom query that
    could not join it, plus a sample query per failing check.

    ``table_names`` are the names custom queries use for the table (default: any table they read);
    ``null_counts`` NULL counts known without a scan (see :func:`parquet_null_counts`).
    """
    started = time.perf_counter()
    engine = DuckDBEngine(con)
    schema = engine.schema(relation)

    def compile_plan(fold: bool) -> CheckPlan:
        return compile_contract(
            contract,
            relation,
            now_sql=now_sql,
            schema=schema,
            table_names=table_names,
            fold_sql=fold,
            null_counts=null_counts,
        )

    plan, results, total = measure(engine, compile_plan, samples=samples)
    report = ContractReport(label, relation, engine.name, total, results, time.perf_counter() - started)
    report.plan = plan
    return report


def parquet_null_counts(con: duckdb.DuckDBPyConnection, path: str) -> dict[str, int]:
    """NULL counts of a Parquet file's top-level columns from its footer statistics; a column with a row
    group lacking them is left out (and measured by the scan)."""
    rows = con.execute(
        "SELECT path_in_schema, sum(stats_null_count), count(*) FILTER (WHERE stats_null_count IS NULL) "
        "FROM parquet_metadata(?) GROUP BY path_in_schema",
        [path],
    ).fetchall()
    return {
        str(name): int(nulls) for name, nulls, unknown in rows if not unknown and nulls is not None and "." not in name
    }


def quarantine(
    con: duckdb.DuckDBPyConnection, relation: str, plan: CheckPlan, *, blocking_only: bool = True
) -> pa.Table:
    """The rows of ``relation`` that fail ``plan``'s row-level and key checks, with ``_meshplane_reasons``
    (the ids of the checks each row fails). ``plan`` must be compiled for ``relation``."""
    if plan.relation != relation:
        raise MeshplaneError(
            f"the plan was compiled for {plan.relation}, not {relation}",
            hint="compile the contract for the relation being quarantined",
        )
    return con.sql(plan.quarantine_sql(blocking_only)).to_arrow_table()


def failed(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.status in (Status.FAIL, Status.WARN)]
