"""The tech adapter protocol: what provisioning asks of every technology.

Modelled on the Witboost Tech Adapter interface (validate, provision, unprovision, update ACL,
reverse-provision) so our adapters can be served over it and theirs can plug in. Every operation must be
**idempotent**: provisioning is re-run after a crash, a retry or a concurrent deploy, and must converge.
Capabilities are class constants, not methods, so the coordinator can plan without calling anything. An
adapter whose operations are local and instant may also set ``quick = True``: its components are then
recorded in one batch instead of one registry write before and after each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from meshplane.spec.model import Component, DataProduct, Mesh


class Operation(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "noop"


class ProvisionStatus(StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    RUNNING = "RUNNING"


@dataclass(frozen=True)
class ProvisionRequest:
    """One component of one data product, in one environment of one mesh."""

    dataproduct: DataProduct
    component: Component
    environment: str
    mesh: Mesh
    #: The mesh folder; relative storage roots and SQL files resolve against it.
    mesh_root: Path
    #: The component as last deployed (``None`` on first deploy), for in-place updates.
    previous: Component | None = None
    remove_data: bool = False

    @property
    def component_id(self) -> str:
        return self.dataproduct.component_id(self.component)


@dataclass
class ProvisionResult:
    status: ProvisionStatus
    #: What consumers and later operations need: table location, version, connection string …
    info: dict[str, Any] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    #: For asynchronous (remote) operations still RUNNING: poll with this token.
    token: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is ProvisionStatus.COMPLETED


@dataclass
class Validation:
    valid: bool
    errors: list[str] = field(default_factory=list)


@runtime_checkable
class TechAdapter(Protocol):
    """A technology that provisions some component kinds.

    ``name`` is what ``infrastructureTemplateId`` (or ``platform``) names in a descriptor.
    """

    name: ClassVar[str]
    #: Component kinds this adapter provisions (``outputPort``, ``storageArea`` …).
    kinds: ClassVar[frozenset[str]]
    #: Whether the adapter can change a provisioned component in place (else: replace).
    supports_update: ClassVar[bool]
    supports_acl: ClassVar[bool]
    supports_reverse: ClassVar[bool]

    def validate(self, request: ProvisionRequest) -> Validation: ...

    def plan(self, request: ProvisionRequest) -> Operation:
        """What ``provision`` would do, given ``request.previous``; no side effects."""
        ...

    def provision(self, request: ProvisionRequest) -> ProvisionResult: ...

    def unprovision(self, request: ProvisionRequest) -> ProvisionResult: ...

    def update_acl(self, request: ProvisionRequest, principals: Sequence[str]) -> ProvisionResult: ...

    def reverse_provision(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Describe something that already exists as a descriptor fragment (e.g. a component with its
        data contract); raises ``UnsupportedError`` when ``supports_reverse`` is false."""
        ...
