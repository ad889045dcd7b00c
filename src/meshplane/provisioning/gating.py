"""Deploy gating: a data product whose input port reads another data product's output port deploys only with
an approved, live grant for it (the consuming product is the grantee).

Which reads are gated is the mode: ``all`` (the default) gates every read of another data product;
``cross-domain`` only reads across a domain boundary (a domain's own products then read each other freely,
for meshes where one team owns a whole domain); ``off`` none. The mode comes from
``MESHPLANE_DEPLOY_GATING``, else from mesh.yaml's ``access.deployGating``. Checked against the registry's grant records
(provisioning does not depend on the access service), before the deploy takes its lock.
"""

from __future__ import annotations

import os
from enum import StrEnum

from meshplane.errors import InvalidInputError, PermissionDeniedError
from meshplane.registry import Registry
from meshplane.spec.ids import DataProductId
from meshplane.spec.model import DataProduct, InputPort, Mesh, OutputPortSource

GATING_ENV = "MESHPLANE_DEPLOY_GATING"


class GatingMode(StrEnum):
    OFF = "off"
    CROSS_DOMAIN = "cross-domain"
    ALL = "all"


def gating_mode(mesh: Mesh | None) -> GatingMode:
    raw = os.environ.get(GATING_ENV)
    if not raw and mesh is not None:
        raw = mesh.access.deploy_gating
    if not raw:
        return GatingMode.ALL
    try:
        return GatingMode(str(raw).strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in GatingMode)
        raise InvalidInputError(f"deploy gating `{raw}` is not a mode", hint=f"use one of: {choices}") from None


def gated_reads(dp: DataProduct, mode: GatingMode) -> list[tuple[InputPort, OutputPortSource]]:
    """The input ports of ``dp`` that need a grant under ``mode``."""
    if mode is GatingMode.OFF:
        return []
    found = []
    for port in dp.input_ports:
        source = port.source
        if not isinstance(source, OutputPortSource) or source.data_product == dp.id:
            continue
        if mode is GatingMode.CROSS_DOMAIN and DataProductId.parse(source.data_product).domain == dp.domain:
            continue
        found.append((port, source))
    return found


def missing_grants(
    registry: Registry, dp: DataProduct, environment: str, mode: GatingMode
) -> list[tuple[InputPort, OutputPortSource]]:
    return [
        (port, source)
        for port, source in gated_reads(dp, mode)
        if not registry.access.has_live_grant(dp.id, source.data_product, source.port, environment)
    ]


def port_name(source: OutputPortSource) -> str:
    """``domain.product.port`` (``product_vN`` past major 1): how people and the query gateway name a port."""
    parts = source.data_product.split(":")
    if len(parts) != 6:  # not a data product id: show it as written
        return f"{source.data_product}.{source.port}"
    domain, name, major = parts[3], parts[4], parts[5]
    return f"{domain}.{name}{'' if major == '1' else f'_v{major}'}.{source.port}"


def require_input_grants(registry: Registry, dp: DataProduct, environment: str, mesh: Mesh | None) -> None:
    """PermissionDeniedError naming every ungranted input port of ``dp`` and the command that asks for it."""
    mode = gating_mode(mesh)
    missing = missing_grants(registry, dp, environment, mode)
    if not missing:
        return
    listed = ", ".join(f"`{p.name}` ({port_name(s)})" for p, s in missing)
    first = missing[0][1]
    raise PermissionDeniedError(
        f"{dp.id} cannot deploy in {environment}: no approved grant for its input port(s) {listed}",
        hint=f"an owner of {dp.name} asks: `meshplane access request {port_name(first)} "
        f'--for-product {dp.id} --purpose "…"` and the producing team approves it; '
        f"or turn gating off with {GATING_ENV}=off",
    )
