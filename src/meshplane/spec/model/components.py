"""The parts of a data product, a union keyed on ``kind``.

Every component can name others it ``dependsOn`` (by local name or full component id), so provisioning can
order them; ``infrastructureTemplateId`` / ``platform`` choose the tech adapter that provisions it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from meshplane.spec.ids import NAME_PATTERN, is_dp_id
from meshplane.spec.model.base import SpecModel
from meshplane.spec.model.contract import DataContract


class Mode(StrEnum):
    PULL = "pull"
    PUSH = "push"


class _Source(SpecModel):
    pass


class OutputPortSource(_Source):
    """Another data product's output port, the latest version or a pinned one."""

    type: Literal["outputPort"] = "outputPort"
    data_product: str
    port: str
    #: ``latest`` or a table version number to pin.
    version: str | int = "latest"

    @field_validator("data_product")
    @classmethod
    def _dp_id(cls, value: str) -> str:
        if not is_dp_id(value):
            raise ValueError(f"`{value}` is not a data product id; expected urn:dmb:dp:<domain>:<name>:<major>")
        return value


class Incremental(SpecModel):
    watermark_column: str


class DatabaseSource(_Source):
    """A table in an operational or legacy database (SQLite, PostgreSQL …)."""

    type: Literal["database"] = "database"
    system: str
    url: str
    table: str
    mode: Mode = Mode.PULL
    incremental: Incremental | None = None


class FilesSource(_Source):
    type: Literal["files"] = "files"
    system: str
    path: str
    format: Literal["csv", "parquet", "json"] = "parquet"
    mode: Mode = Mode.PULL
    incremental: Incremental | None = None


class EventsSource(_Source):
    type: Literal["events"] = "events"
    system: str
    stream: str
    format: Literal["json", "avro"] = "json"
    mode: Mode = Mode.PUSH


Source = Annotated[OutputPortSource | DatabaseSource | FilesSource | EventsSource, Field(discriminator="type")]


class _Component(SpecModel):
    id: str | None = None
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""
    depends_on: list[str] = Field(default_factory=list)
    infrastructure_template_id: str | None = None
    platform: str | None = None
    technology: str | None = None
    tags: list[str] = Field(default_factory=list)
    specific: dict[str, Any] = Field(default_factory=dict)


class InputPort(_Component):
    kind: Literal["inputPort"] = "inputPort"
    source: Source


class OutputPortType(StrEnum):
    SQL = "sql"
    FILES = "files"
    EVENTS = "events"


class OutputPort(_Component):
    """A read-only, read-optimized interface with a data contract."""

    kind: Literal["outputPort"] = "outputPort"
    type: OutputPortType = OutputPortType.SQL
    version: str | None = None
    data_contract: DataContract


class BoundaryPort(_Component):
    """An output for systems outside the mesh only; no data product may consume it."""

    kind: Literal["boundaryPort"] = "boundaryPort"
    type: OutputPortType = OutputPortType.SQL
    version: str | None = None
    consumers: list[str] = Field(default_factory=list)
    data_contract: DataContract


class Language(StrEnum):
    SQL = "sql"
    PYTHON = "python"


class Workload(_Component):
    """The transformation from input ports to output ports.

    SQL: ``sql`` maps each written port to a file (relative to the descriptor) or an inline SELECT.
    Python: ``function`` is ``file.py:function``, called with the input relations.
    """

    kind: Literal["workload"] = "workload"
    language: Language = Language.SQL
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(min_length=1)
    sql: dict[str, str] = Field(default_factory=dict)
    function: str | None = None
    engine: Literal["duckdb", "spark"] = "duckdb"
    schedule: str | None = None


class StorageArea(_Component):
    kind: Literal["storageArea"] = "storageArea"
    owner: str | None = None


class Observability(_Component):
    kind: Literal["observability"] = "observability"
    endpoint: str


Component = Annotated[
    InputPort | OutputPort | BoundaryPort | Workload | StorageArea | Observability,
    Field(discriminator="kind"),
]

COMPONENT_KINDS = ("inputPort", "outputPort", "boundaryPort", "workload", "storageArea", "observability")
