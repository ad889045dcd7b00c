"""What the registry hands out: frozen plain values, never ORM objects.

Callers (the provisioning coordinator, the CLI, the web pages) must not be able to change stored state by
mutating what they read, nor trip over a detached ORM instance after the session has closed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from meshplane.registry.errors import RegistryError

if TYPE_CHECKING:
    from meshplane.spec.model import DataProduct

E = TypeVar("E", bound=StrEnum)


class DeploymentStatus(StrEnum):
    DEPLOYED = "DEPLOYED"
    PARTIALLY_DEPLOYED = "PARTIALLY_DEPLOYED"
    FAILED = "FAILED"
    NOT_DEPLOYED = "NOT_DEPLOYED"


class ComponentStatus(StrEnum):
    PENDING = "PENDING"
    PROVISIONING = "PROVISIONING"
    DEPLOYED = "DEPLOYED"
    FAILED = "FAILED"
    UNPROVISIONED = "UNPROVISIONED"


class PlanStatus(StrEnum):
    PLANNED = "PLANNED"
    APPLIED = "APPLIED"
    FAILED = "FAILED"


def status_of(enum: type[E], value: str, what: str) -> E:
    """``value`` as a member of ``enum``, or a RegistryError naming the accepted values."""
    try:
        return enum(value)
    except ValueError:
        raise RegistryError(
            f"unknown {what} status {value!r}", hint="use one of: " + ", ".join(m.value for m in enum)
        ) from None


def utcnow() -> datetime:
    return datetime.now(UTC)


def canonical_json(value: Any, what: str) -> str:
    """Sorted keys, no whitespace: the same data always gives the same text, hence the same sha256."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise RegistryError(
            f"{what} cannot be stored as JSON: {exc}", hint="pass plain dicts, lists, strings and numbers"
        ) from None


def sha256_of(value: Any, what: str = "descriptor") -> str:
    return hashlib.sha256(canonical_json(value, what).encode()).hexdigest()


@dataclass(frozen=True)
class Lease:
    """Proof of holding a data product's deploy lock; pass it to every write made under the lock."""

    dp_id: str
    environment: str
    #: ``[actor@]host:pid:token`` as stored in ``lock_owner``; writes check it is still the holder.
    owner: str
    #: The deployment row's revision right after the lock was taken (later writes bump the row's revision).
    revision: int
    acquired_at: datetime


@dataclass(frozen=True)
class Deployment:
    """One data product in one environment: what is deployed there and who holds its lock."""

    dp_id: str
    environment: str
    version: str | None
    descriptor: dict[str, Any]
    status: DeploymentStatus
    revision: int
    lock_owner: str | None
    deprecated_on: date | None
    retire_on: date | None
    updated_at: datetime
    locked_at: datetime | None = None

    def data_product(self) -> DataProduct | None:
        """The deployed descriptor as a model, or None when nothing is deployed."""
        if not self.descriptor:
            return None
        from meshplane.spec.model import DataProduct

        return DataProduct.model_validate(self.descriptor)


@dataclass(frozen=True)
class DescriptorVersion:
    """One recorded deployment of a descriptor: kept forever, so any past version can be diffed or restored."""

    dp_id: str
    environment: str
    version: str
    descriptor: dict[str, Any]
    sha256: str
    status: DeploymentStatus
    deployed_at: datetime
    deployed_by: str


@dataclass(frozen=True)
class ComponentState:
    dp_id: str
    environment: str
    component_id: str
    kind: str
    adapter: str
    status: ComponentStatus
    desired_hash: str | None
    info: dict[str, Any]
    #: ``"<ISO-8601 UTC timestamp> <line>"``, oldest first, the last few hundred only.
    log: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True)
class PlanRecord:
    id: int
    dp_id: str
    environment: str
    plan: dict[str, Any]
    actor: str
    status: PlanStatus
    result: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True)
class ComponentUpdate:
    """One component's new state, for :meth:`Registry.set_components`."""

    component_id: str
    kind: str
    adapter: str
    status: str
    desired_hash: str | None = None
    info: dict[str, Any] | None = None
    log: list[str] | None = None
