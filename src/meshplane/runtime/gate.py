"""The quality gate: staged output tested against its port's contract before anything is committed.

A thin seam over ``meshplane.quality``: one ``run_checks`` pass per port on a locked DuckDB connection that
sees only the staged tables (registered under the port names, so custom ``sql`` rules read them as written);
when an error-severity check fails, the failing rows with the ids of the checks they fail
(``_meshplane_reasons``) for the quarantine. A failure no row can be blamed for (too few rows, a custom
query, freshness) sets the whole batch aside with those checks as the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from meshplane.contracts import REASONS, Status, compile_contract, quote_ident
from meshplane.quality import DuckDBEngine, quarantine, run_checks
from meshplane.runtime.workload import sandbox
from meshplane.spec.model import DataContract


@dataclass
class PortVerdict:
    port: str
    blocking: bool
    report: dict[str, Any]
    #: Messages of the failed error-severity checks, and of the warnings.
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The rows to set aside (with ``_meshplane_reasons``) when ``blocking``.
    rejected: pa.Table | None = None


def check_ports(
    staged: Mapping[str, pa.Table], contracts: Mapping[str, DataContract], *, samples: int = 5
) -> dict[str, PortVerdict]:
    """Test every staged port against its contract (one connection, one scan per port)."""
    con = sandbox({port: _naive_utc(table) for port, table in staged.items()})
    try:
        return {port: _check(con, port, table, contracts[port], samples) for port, table in staged.items()}
    finally:
        con.close()


def _naive_utc(table: pa.Table) -> pa.Table:
    """UTC timestamps without their zone: DuckDB hands TIMESTAMPTZ samples to Python through ``pytz``, which
    is not a dependency; the wall-clock values are the same UTC instants."""
    fields = [
        f.with_type(pa.timestamp(f.type.unit)) if pa.types.is_timestamp(f.type) and f.type.tz else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table


def _check(con: Any, port: str, table: pa.Table, contract: DataContract, samples: int) -> PortVerdict:
    relation = quote_ident(port)
    report = run_checks(con, relation, contract, samples=samples, table_names={port}, label=port)
    failures = [f"{r.check.id}: {r.message}" for r in report.results if r.status is Status.FAIL]
    warnings = [f"{r.check.id}: {r.message}" for r in report.results if r.status is Status.WARN]
    verdict = PortVerdict(port, report.blocking, report.to_dict(), failures, warnings)
    if report.blocking:
        plan = report.plan or compile_contract(  # the plan that just ran: no second compilation
            contract, relation, schema=DuckDBEngine(con).schema(relation), table_names={port}
        )
        rows = quarantine(con, relation, plan)
        if rows.num_rows == 0:
            ids = [r.check.id for r in report.results if r.status is Status.FAIL]
            reasons = pa.array([ids] * table.num_rows, type=pa.list_(pa.string()))
            rows = table.append_column(REASONS, reasons)
        verdict.rejected = rows
    return verdict
