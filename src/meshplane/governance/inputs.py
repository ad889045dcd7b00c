"""What a policy sees.

``input``: the normalized descriptor, the previously deployed version, the classified changes between them
and the pack parameters. ``data.mesh``: the mesh context — domains, users and groups, polysemes, systems and
every data product with its kind, domain and ports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from meshplane.spec.model import BoundaryPort, DataProduct, Mesh, OutputPort


def normalized(dp: DataProduct) -> dict[str, Any]:
    """Every field, defaults included, so policies never guess what an absent key means."""
    return dp.model_dump(mode="json", by_alias=True, exclude_none=True)


def mesh_context(mesh: Mesh | None, products: Iterable[DataProduct]) -> dict[str, Any]:
    context: dict[str, Any] = (
        mesh.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            include={"name", "domains", "users", "groups", "polysemes", "systems"},
        )
        if mesh is not None
        else {"users": [], "groups": [], "polysemes": [], "systems": [], "domains": []}
    )
    context["dataProducts"] = {
        dp.id: {
            "kind": dp.kind.value,
            "domain": dp.domain,
            "ports": {c.name: c.kind for c in dp.components if isinstance(c, OutputPort | BoundaryPort)},
        }
        for dp in products
    }
    return context


def policy_input(
    dp: DataProduct,
    *,
    previous: DataProduct | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "dataProduct": normalized(dp),
        "previous": normalized(previous) if previous is not None else None,
        "changes": list(changes),
        "params": dict(params or {}),
    }
