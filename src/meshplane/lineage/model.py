"""The lineage graph's vocabulary: node and edge kinds, nodes, edges, and one port's column lineage.

Kept apart from the graph (building, traversal) and the renderers so each stays small and the renderers can
be reused by the web layer on graphs it receives as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from meshplane.lineage.columns import ColumnLineage

__all__ = ["PORTS", "Direction", "Edge", "EdgeKind", "Node", "NodeKind", "PortColumns"]

Direction = Literal["upstream", "downstream", "both"]


class NodeKind(StrEnum):
    DATA_PRODUCT = "dataProduct"
    INPUT_PORT = "inputPort"
    OUTPUT_PORT = "outputPort"
    BOUNDARY_PORT = "boundaryPort"
    WORKLOAD = "workload"
    SYSTEM = "system"


class EdgeKind(StrEnum):
    READS = "reads"
    FEEDS = "feeds"
    WRITES = "writes"
    EXPORTS = "exports"


PORTS = (NodeKind.OUTPUT_PORT, NodeKind.BOUNDARY_PORT)


@dataclass
class Node:
    id: str
    kind: NodeKind
    label: str
    #: The data product a port or workload belongs to.
    dp: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind.value, "label": self.label}
        if self.dp:
            data["dataProduct"] = self.dp
        data.update(self.attrs)
        return data


@dataclass
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source, "target": self.target, "kind": self.kind.value}
        if self.label:
            data["label"] = self.label
        data.update(self.attrs)
        return data


@dataclass(frozen=True)
class PortColumns:
    """Column lineage of one port, with where each relation the SQL reads comes from."""

    dp: str
    dp_label: str
    port: str
    workload: str | None
    sql: str | None
    lineage: ColumnLineage
    #: input port -> what it reads (``domain/name.port`` or ``system: table``).
    relations: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataProduct": self.dp,
            "port": self.port,
            "workload": self.workload,
            "sql": self.sql,
            "relations": dict(self.relations),
            **self.lineage.to_dict(),
        }

    def to_text(self) -> str:
        from meshplane.lineage.render import columns_text

        return columns_text(self)

    def to_mermaid(self) -> str:
        """Input columns on the left, output columns on the right, one arrow per derivation."""
        from meshplane.lineage.render import columns_mermaid

        return columns_mermaid(self)

    def to_dot(self) -> str:
        from meshplane.lineage.render import columns_dot

        return columns_dot(self)
