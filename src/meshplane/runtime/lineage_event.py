"""The OpenLineage run event of a run, built with ``meshplane.lineage`` and stored in the run record.

Inputs carry the version or watermark read and the rows; outputs the Delta version written, the rows, the
contract's columns, the column lineage of SQL workloads and the contract check results as assertions. The
event is a COMPLETE, or a FAIL with the reason (a BLOCKED run is a FAIL whose reason is the failed checks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from meshplane.lineage import (
    Assertion,
    InputSpec,
    OutputSpec,
    column_lineage,
    port_dataset,
    run_event,
    schema_fields,
    source_dataset,
)
from meshplane.runtime.workload import sql_text
from meshplane.spec.model import DataContract, DataProduct, InputPort, Language


def build(
    *,
    dp: DataProduct,
    folder: Path,
    mesh: str,
    root: Path,
    environment: str,
    run_id: str,
    started: datetime,
    finished: datetime,
    inputs: Mapping[str, Mapping[str, Any]],
    input_columns: Mapping[str, Sequence[str]],
    outputs: Mapping[str, Mapping[str, Any]],
    contracts: Mapping[str, DataContract],
    checks: Mapping[str, Mapping[str, Any]],
    error: str | None = None,
) -> dict[str, Any]:
    ports = {p.name: p for p in dp.input_ports}
    input_specs = [_input(ports[name], pin, mesh, environment, root) for name, pin in inputs.items() if name in ports]
    sqls = _sql(dp, folder)
    output_specs = []
    for port, contract in contracts.items():
        written = outputs.get(port, {})
        lineage = None
        if port in sqls:
            lineage = column_lineage(sqls[port], {p: list(c) for p, c in input_columns.items()})
        output_specs.append(
            OutputSpec(
                dataset=port_dataset(mesh, environment, dp.id, port),
                fields=schema_fields(contract),
                version=written.get("version"),
                row_count=written.get("rows"),
                column_lineage=lineage,
                assertions=_assertions(checks.get(port, {})),
            )
        )
    workload = "+".join(w.name for w in dp.workloads) or "build"
    return run_event(
        event_type="FAIL" if error else "COMPLETE",
        run_id=run_id,
        mesh=mesh,
        dataproduct=dp,
        environment=environment,
        workload=workload,
        inputs=input_specs,
        outputs=output_specs,
        started=started,
        finished=finished,
        error=error,
        sql=sqls or None,
    )


def _input(port: InputPort, pin: Mapping[str, Any], mesh: str, environment: str, root: Path) -> InputSpec:
    mark = pin.get("watermark") or {}
    version = pin.get("version")
    if version is None and mark.get("to"):
        version = f"{mark['column']}<={mark['to'].get('value')}"
    return InputSpec(
        dataset=source_dataset(port.source, mesh=mesh, environment=environment, base=root),
        version=version,
        alias=port.name,
        row_count=pin.get("rows"),
    )


def _sql(dp: DataProduct, folder: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for wl in dp.workloads:
        if wl.language is Language.SQL:
            for port in wl.writes:
                try:
                    found[port] = sql_text(wl, port, folder)[0]
                except Exception:  # the run already reported an unreadable SQL file; lineage goes without it
                    continue
    return found


def _assertions(report: Mapping[str, Any]) -> list[Assertion]:
    found = []
    for check in report.get("checks", []):
        if check.get("status") == "skip":
            continue
        columns = check.get("columns") or []
        found.append(
            Assertion(
                assertion=str(check.get("kind")),
                success=check.get("status") in ("pass",),
                column=columns[0] if len(columns) == 1 else None,
                name=check.get("id"),
                severity=check.get("severity"),
                actual=str(check.get("failed")) if check.get("failed") is not None else None,
            )
        )
    return found
