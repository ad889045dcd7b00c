"""A data product descriptor (``dataproduct.yaml``), after Agile Lab's Data Product Specification."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import Field, field_validator

from meshplane.spec.ids import NAME_PATTERN, ComponentId, DataProductId, SemVer
from meshplane.spec.model.base import SpecModel
from meshplane.spec.model.components import (
    BoundaryPort,
    Component,
    InputPort,
    Observability,
    OutputPort,
    Workload,
)

API_VERSION: Literal["meshplane/v1"] = "meshplane/v1"
C = TypeVar("C")


class Kind(StrEnum):
    SOURCE_ALIGNED = "source-aligned"
    AGGREGATE = "aggregate"
    CONSUMER_ALIGNED = "consumer-aligned"


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


class Maturity(StrEnum):
    EXPERIMENTAL = "experimental"
    TACTICAL = "tactical"
    STRATEGIC = "strategic"


class SupportSla(SpecModel):
    support_hours: str | None = None
    response_time: str | None = None
    resolution_time: str | None = None
    end_of_support: str | None = None


class DataProduct(SpecModel):
    api_version: Literal["meshplane/v1"] = API_VERSION
    id: str
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    fully_qualified_name: str | None = None
    description: str = ""
    domain: str = Field(pattern=f"^{NAME_PATTERN}$")
    kind: Kind
    version: str
    owner: str
    owner_display_name: str | None = None
    email: str | None = None
    owner_group: str | None = None
    dev_group: str | None = None
    support_sla: SupportSla | None = None
    status: Status = Status.DRAFT
    maturity: Maturity | None = None
    tags: list[str] = Field(default_factory=list)
    specific: dict[str, Any] = Field(default_factory=dict)
    components: list[Component] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        SemVer.parse(value)
        return value

    # -- derived views -------------------------------------------------------------------------------
    @property
    def semver(self) -> SemVer:
        return SemVer.parse(self.version)

    @property
    def parsed_id(self) -> DataProductId:
        return DataProductId.parse(self.id)

    def component_id(self, component: Component) -> str:
        """The component's declared id, or the one derived from this data product's id and its name."""
        if component.id:
            return component.id
        try:
            return str(self.parsed_id.component(component.name))
        except ValueError:
            return f"{self.id}:{component.name}"

    def _of(self, cls: type[C]) -> Iterator[C]:
        return (c for c in self.components if isinstance(c, cls))

    @property
    def input_ports(self) -> list[InputPort]:
        return list(self._of(InputPort))

    @property
    def output_ports(self) -> list[OutputPort]:
        return list(self._of(OutputPort))

    @property
    def boundary_ports(self) -> list[BoundaryPort]:
        return list(self._of(BoundaryPort))

    @property
    def workloads(self) -> list[Workload]:
        return list(self._of(Workload))

    @property
    def observability(self) -> list[Observability]:
        return list(self._of(Observability))

    def component(self, name_or_id: str) -> Component | None:
        for comp in self.components:
            if name_or_id in (comp.name, self.component_id(comp)):
                return comp
        return None

    def port(self, name: str) -> OutputPort | BoundaryPort | None:
        comp = self.component(name)
        return comp if isinstance(comp, OutputPort | BoundaryPort) else None


def component_ref(text: str) -> tuple[str | None, str]:
    """Split a ``dependsOn`` entry into (data product id or None, component name)."""
    try:
        cid = ComponentId.parse(text)
    except ValueError:
        return None, text
    return str(cid.data_product_id), cid.name
