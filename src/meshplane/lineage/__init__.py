"""Lineage: where data comes from and goes to, across data products and down to columns.

- :mod:`~meshplane.lineage.columns`: column lineage of a SQL workload (sqlglot, DuckDB dialect);
- :mod:`~meshplane.lineage.events`: OpenLineage run events for workload runs (``openlineage-python``);
- :mod:`~meshplane.lineage.emit`: events to a JSON-lines file or a Marquez-compatible HTTP API;
- :mod:`~meshplane.lineage.graph`: the mesh-wide graph from the descriptors, enriched by run events, drawn
  as text, JSON, Graphviz DOT or Mermaid;
- :mod:`~meshplane.lineage.naming`: OpenLineage dataset names for ports and external sources.

A service-layer package: it reads descriptors (``spec``) and reports through return values and
``MeshplaneError``; the CLI and the web layer render and deliver.
"""

from meshplane.lineage.columns import ColumnLineage, InputField, Subtype, Transformation, column_lineage
from meshplane.lineage.emit import EmitError, Emitted, emit, post_events, read_jsonl, write_jsonl
from meshplane.lineage.events import (
    Assertion,
    InputSpec,
    OutputSpec,
    SchemaField,
    SourceLocation,
    new_run_id,
    run_event,
    schema_fields,
    source_location,
)
from meshplane.lineage.graph import Edge, EdgeKind, LineageGraph, Node, NodeKind, PortColumns, mesh_graph
from meshplane.lineage.naming import DatasetName, mesh_namespace, port_dataset, source_dataset

__all__ = [
    "Assertion",
    "ColumnLineage",
    "DatasetName",
    "Edge",
    "EdgeKind",
    "EmitError",
    "Emitted",
    "InputField",
    "InputSpec",
    "LineageGraph",
    "Node",
    "NodeKind",
    "OutputSpec",
    "PortColumns",
    "SchemaField",
    "SourceLocation",
    "Subtype",
    "Transformation",
    "column_lineage",
    "emit",
    "mesh_graph",
    "mesh_namespace",
    "new_run_id",
    "port_dataset",
    "post_events",
    "read_jsonl",
    "run_event",
    "schema_fields",
    "source_dataset",
    "source_location",
    "write_jsonl",
]
