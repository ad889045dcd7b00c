"""Components that need nothing from a technology at deploy time: input ports, workloads, observability
— and storage areas, which are a folder.

Their state *is* the registry's record of the descriptor: an input port is read by the runtime when a
workload runs, a workload is scheduled by the platform, an observability endpoint is linked from the
marketplace. Provisioning them is therefore a no-op that succeeds, except for a storage area's folder
(``<root>/<env>/<domain>/<dp>/v<major>/_storage/<name>``, removed only with ``remove_data``). ``validate``
still refuses what would fail later for certain (an unsupported database URL, a non-HTTP endpoint); a
source file that does not exist yet is not an error, since sources fill up after deployment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

from meshplane.adapters.base import Operation, ProvisionRequest, ProvisionResult, ProvisionStatus, Validation
from meshplane.adapters.storage import remove_tree, root_location, storage_area_location
from meshplane.errors import MeshplaneError, UnsupportedError
from meshplane.spec.model import DatabaseSource, InputPort, Observability, StorageArea

#: Database URL schemes the runtime can read input ports from (a ``+driver`` suffix is allowed).
DATABASE_SCHEMES = frozenset({"sqlite", "postgresql", "postgres"})


class RegistryOnlyAdapter:
    """Input ports, workloads, observability and storage areas: recorded, not created."""

    name: ClassVar[str] = "meshplane"
    #: Local and instant: the coordinator records these components in one batch, without a progress record.
    quick: ClassVar[bool] = True
    kinds: ClassVar[frozenset[str]] = frozenset({"inputPort", "workload", "observability", "storageArea"})
    supports_update: ClassVar[bool] = True
    supports_acl: ClassVar[bool] = False
    supports_reverse: ClassVar[bool] = False

    def validate(self, request: ProvisionRequest) -> Validation:
        comp = request.component
        errors: list[str] = []
        if comp.kind not in self.kinds:
            errors.append(f"the {self.name} adapter does not provision {comp.kind} components")
        elif isinstance(comp, InputPort) and isinstance(comp.source, DatabaseSource):
            scheme = comp.source.url.partition("://")[0].split("+", 1)[0].lower()
            if "://" not in comp.source.url or scheme not in DATABASE_SCHEMES:
                errors.append(
                    f"input port `{comp.name}`: `{comp.source.url.partition('@')[-1]}` is not a database URL "
                    f"Meshplane can read; supported: " + ", ".join(f"{s}://" for s in sorted(DATABASE_SCHEMES))
                )
            if not comp.source.table.strip():
                errors.append(f"input port `{comp.name}` names no table")
        elif isinstance(comp, Observability) and urlsplit(comp.endpoint).scheme not in ("http", "https"):
            errors.append(f"observability `{comp.name}`: endpoint `{comp.endpoint}` is not an http(s) URL")
        elif isinstance(comp, StorageArea):
            try:
                storage_area_location(request)
            except MeshplaneError as exc:
                errors.append(str(exc))
        return Validation(not errors, errors)

    def plan(self, request: ProvisionRequest) -> Operation:
        if request.previous is None:
            return Operation.CREATE
        if request.previous.kind != request.component.kind:
            return Operation.REPLACE
        return Operation.NOOP if request.previous == request.component else Operation.UPDATE

    def provision(self, request: ProvisionRequest) -> ProvisionResult:
        comp = request.component
        if isinstance(comp, StorageArea):
            location = storage_area_location(request)
            if location.local is not None:
                location.local.mkdir(parents=True, exist_ok=True)
            return ProvisionResult(ProvisionStatus.COMPLETED, {"path": location.uri}, [f"storage area at {location}"])
        info: dict[str, Any] = {"kind": comp.kind}
        if isinstance(comp, InputPort):
            info["source"] = comp.source.type
        return ProvisionResult(
            ProvisionStatus.COMPLETED, info, [f"nothing to create for a {comp.kind}: the registry records it"]
        )

    def unprovision(self, request: ProvisionRequest) -> ProvisionResult:
        comp = request.component
        if not isinstance(comp, StorageArea):
            return ProvisionResult(ProvisionStatus.COMPLETED, {"kind": comp.kind}, ["nothing to remove"])
        location = storage_area_location(request)
        if not request.remove_data:
            return ProvisionResult(
                ProvisionStatus.COMPLETED, {"path": location.uri, "kept": True}, [f"kept {location}"]
            )
        root = root_location(request.mesh.storage.root, request.mesh_root)
        removed = remove_tree(location, stop_at=root)
        return ProvisionResult(
            ProvisionStatus.COMPLETED,
            {"path": location.uri, "removed": removed},
            [f"removed {location}" if removed else f"nothing at {location}"],
        )

    def update_acl(self, request: ProvisionRequest, principals: Sequence[str]) -> ProvisionResult:
        note = f"a {request.component.kind} has no data to grant access to"
        return ProvisionResult(ProvisionStatus.COMPLETED, {"note": note}, [note])

    def reverse_provision(self, params: Mapping[str, Any]) -> dict[str, Any]:
        raise UnsupportedError(
            "the meshplane adapter has nothing to import", hint="import tables with the delta or postgres adapter"
        )
