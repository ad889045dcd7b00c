"""The descriptors' lineage as OpenLineage events, for Marquez or any other OpenLineage consumer.

Before anything has run — or for products that run elsewhere — the descriptors already say which datasets
each workload reads and writes and, through its SQL, how each column is made. OpenLineage carries that
"design-time" lineage in a ``JobEvent`` (a job with inputs and outputs, no run): one per workload, so a
Marquez pointed at the mesh shows the whole graph at once, and the run events of real runs then attach
versions and statistics to the same jobs and datasets (same namespaces and names).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from meshplane.lineage.columns import ColumnLineage
from meshplane.lineage.events import FieldLike, InputSpec, OutputSpec, SchemaField, job_event, source_location
from meshplane.lineage.graph import LineageGraph
from meshplane.lineage.naming import port_dataset, source_dataset
from meshplane.lineage.sources import external_schemas
from meshplane.spec.model import DataProduct, Language, OutputPortSource, Workload

__all__ = ["static_events"]


def static_events(
    graph: LineageGraph, *, describe_sources: bool = True, event_time: datetime | None = None
) -> list[dict[str, Any]]:
    """One ``JobEvent`` per workload of every data product in the graph's workspace, in dependency order.

    ``describe_sources`` reads external sources' headers (see :mod:`meshplane.lineage.sources`) so joins of
    external tables get column lineage too; turn it off to use the descriptors only.
    """
    ws = graph.workspace
    if ws is None:
        return []
    by_id = ws.by_id()
    events: list[dict[str, Any]] = []
    for node in graph.data_products():
        if node.id not in by_id:
            continue
        loaded, dp = by_id[node.id]
        described = external_schemas(dp, ws.root) if describe_sources else {}
        for workload in dp.workloads:
            events.append(
                _workload_event(graph, dp, workload, Path(loaded.document.file), described, by_id, event_time)
            )
    return events


def _workload_event(
    graph: LineageGraph,
    dp: DataProduct,
    workload: Workload,
    descriptor: Path,
    described: dict[str, list[str]],
    by_id: Mapping[str, tuple[Any, DataProduct]],
    event_time: datetime | None,
) -> dict[str, Any]:
    reads = [p for p in dp.input_ports if not workload.reads or p.name in workload.reads]
    inputs = []
    for inp in reads:
        src = inp.source
        fields: list[FieldLike] = [SchemaField(c) for c in described.get(inp.name, [])]
        system = None
        if isinstance(src, OutputPortSource):
            upstream = by_id.get(src.data_product)
            contract_port = upstream[1].port(src.port) if upstream else None
            if contract_port is not None:
                fields = list(contract_port.data_contract.columns)
        else:
            system = src.system
        name = source_dataset(src, mesh=graph.mesh, environment=graph.environment, base=graph.workspace_root)
        inputs.append(InputSpec(name, fields, alias=inp.name, source=system))
    outputs = []
    sql: dict[str, str] = {}
    for port_name in workload.writes:
        port = dp.port(port_name)
        if port is None:
            continue
        lineage: ColumnLineage | None = None
        if workload.language is Language.SQL:
            found = graph.column_lineage(dp.id, port_name, schemas=described)
            lineage = found.lineage.restricted(p.name for p in reads)
            if found.sql == "inline":
                sql[port_name] = workload.sql.get(port_name, "")
            elif found.sql:
                text = _read(descriptor.parent / found.sql)
                if text is not None:
                    sql[port_name] = text
        outputs.append(
            OutputSpec(
                port_dataset(graph.mesh, graph.environment, dp.id, port_name),
                list(port.data_contract.columns),
                column_lineage=lineage,
            )
        )
    return job_event(
        mesh=graph.mesh,
        dataproduct=dp,
        environment=graph.environment,
        workload=workload.name,
        inputs=inputs,
        outputs=outputs,
        sql=sql or None,
        location=source_location(descriptor),
        event_time=event_time,
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
