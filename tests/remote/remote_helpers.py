"""An adapter with visible effects, and requests for it.

``JsonFileAdapter`` implements the tech adapter protocol by writing one JSON file per component under the
mesh folder, so a test sees what provisioning did. A component's ``specific.test`` steers it: ``fail``
(a FAILED result with that message), ``crash`` (an exception), ``sleep`` (seconds), ``invalid`` (a
validation error). No Meshplane built-in with files on disk existed when this suite was written; swap one
in when ``meshplane.adapters.delta`` lands.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from meshplane.adapters.base import (
    Operation,
    ProvisionRequest,
    ProvisionResult,
    ProvisionStatus,
    Validation,
)
from meshplane.errors import InvalidInputError
from meshplane.spec.model import Component, DataProduct, Mesh
from support.servers import running  # noqa: F401  (re-exported for the remote tests)


def steered(dp: DataProduct, name: str, **steer: Any) -> DataProduct:
    """``dp`` with component ``name`` told how to behave (see ``JsonFileAdapter`` in conftest)."""
    components: list[Component] = []
    for comp in dp.components:
        if comp.name == name:
            comp = comp.model_copy(update={"specific": {**comp.specific, "test": steer}} if steer else {})
        components.append(comp)
    return dp.model_copy(update={"components": components})


def request(
    dp: DataProduct,
    name: str,
    mesh: Mesh,
    mesh_root: Path,
    *,
    previous: Component | None = None,
    remove_data: bool = False,
    **steer: Any,
) -> ProvisionRequest:
    product = steered(dp, name, **steer)
    component = product.component(name)
    assert component is not None
    return ProvisionRequest(
        dataproduct=product,
        component=component,
        environment="dev",
        mesh=mesh,
        mesh_root=mesh_root,
        previous=previous,
        remove_data=remove_data,
    )


class JsonFileAdapter:
    """Provisions output ports and storage areas as JSON files: ``<mesh>/provisioned/<env>/<component>.json``."""

    name: ClassVar[str] = "jsonfile"
    kinds: ClassVar[frozenset[str]] = frozenset({"outputPort", "storageArea"})
    supports_update: ClassVar[bool] = True
    supports_acl: ClassVar[bool] = True
    supports_reverse: ClassVar[bool] = True

    @staticmethod
    def path(request: ProvisionRequest) -> Path:
        safe = request.component_id.replace(":", "_")
        return request.mesh_root / "provisioned" / request.environment / f"{safe}.json"

    @staticmethod
    def _steer(request: ProvisionRequest) -> dict[str, Any]:
        return dict(request.component.specific.get("test") or {})

    def validate(self, request: ProvisionRequest) -> Validation:
        if self._steer(request).get("crash"):
            raise RuntimeError("secret internals: /etc/passwd")
        invalid = self._steer(request).get("invalid")
        return Validation(False, [str(invalid)]) if invalid else Validation(True)

    def plan(self, request: ProvisionRequest) -> Operation:
        if request.previous is None:
            return Operation.CREATE
        return Operation.NOOP if request.previous == request.component else Operation.UPDATE

    def provision(self, request: ProvisionRequest) -> ProvisionResult:
        steer = self._steer(request)
        time.sleep(float(steer.get("sleep", 0)))
        if steer.get("crash"):
            raise RuntimeError("secret internals: /etc/passwd")
        if steer.get("fail"):
            return ProvisionResult(ProvisionStatus.FAILED, logs=[str(steer["fail"])])
        path = self.path(request)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "dataProduct": request.dataproduct.id,
            "component": request.component.to_data(),
            "operation": self.plan(request).value,
            "previous": request.previous.to_data() if request.previous else None,
        }
        path.write_text(json.dumps(record, indent=2))
        return ProvisionResult(
            ProvisionStatus.COMPLETED,
            info={"path": str(path), "rows": 0, "columns": ["a", "b"]},
            logs=[f"wrote {path.name}"],
        )

    def unprovision(self, request: ProvisionRequest) -> ProvisionResult:
        path = self.path(request)
        if request.remove_data:
            path.unlink(missing_ok=True)
            return ProvisionResult(ProvisionStatus.COMPLETED, logs=[f"deleted {path.name}"])
        return ProvisionResult(ProvisionStatus.COMPLETED, logs=[f"kept {path.name} (removeData is false)"])

    def update_acl(self, request: ProvisionRequest, principals: Sequence[str]) -> ProvisionResult:
        acl = self.path(request).with_suffix(".acl.json")
        acl.parent.mkdir(parents=True, exist_ok=True)
        acl.write_text(json.dumps(sorted(principals)))
        return ProvisionResult(ProvisionStatus.COMPLETED, info={"acl": str(acl)}, logs=[f"{len(principals)} readers"])

    def reverse_provision(self, params: Mapping[str, Any]) -> dict[str, Any]:
        table = params.get("table")
        if not table:
            raise InvalidInputError("reverse provisioning needs `table`", hint="pass params.table")
        return {"spec.mesh.description": f"imported from {table}", "received": dict(params)}
