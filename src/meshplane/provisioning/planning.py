"""Plans: per component, what a deploy would create, update, replace, delete or leave alone.

A component whose descriptor hash matches what is deployed, and whose last provisioning succeeded, is a
no-op; otherwise its adapter decides (additive changes update in place, others need a replace). Components
are ordered by ``dependsOn`` so a workload is provisioned after the ports it writes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from meshplane.adapters.base import Operation, ProvisionRequest, TechAdapter
from meshplane.adapters.catalog import adapter_for
from meshplane.errors import InvalidInputError
from meshplane.provisioning.context import Target
from meshplane.registry import ComponentState, Deployment
from meshplane.spec.model import Component, DataProduct, component_ref


def component_hash(component: Component) -> str:
    canonical = json.dumps(component.to_data(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class PlanItem:
    component_id: str
    name: str
    kind: str
    adapter: str
    operation: Operation
    reason: str = ""
    desired_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component_id,
            "name": self.name,
            "kind": self.kind,
            "adapter": self.adapter,
            "operation": self.operation.value,
            "reason": self.reason,
        }


@dataclass
class Plan:
    dp_id: str
    version: str
    environment: str
    previous_version: str | None
    items: list[PlanItem] = field(default_factory=list)

    @property
    def changes(self) -> list[PlanItem]:
        return [i for i in self.items if i.operation is not Operation.NOOP]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataProduct": self.dp_id,
            "version": self.version,
            "environment": self.environment,
            "previousVersion": self.previous_version,
            "items": [i.to_dict() for i in self.items],
        }


def ordered(dp: DataProduct) -> list[Component]:
    """Components in ``dependsOn`` order (dependencies first), stable by declaration order."""
    index = {c.name: i for i, c in enumerate(dp.components)}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for comp in dp.components:
        deps = []
        for ref in comp.depends_on:
            owner, name = component_ref(ref)
            if (owner is None or owner == dp.id) and name in index:
                deps.append(name)
        sorter.add(comp.name, *deps)
    try:
        sorter.prepare()
    except CycleError as exc:
        raise InvalidInputError(
            f"components of {dp.id} depend on each other in a cycle: {' → '.join(exc.args[1])}",
            hint="remove one of the dependsOn entries",
        ) from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: index[n])
        order.extend(ready)
        sorter.done(*ready)
    by_name = {c.name: c for c in dp.components}
    return [by_name[n] for n in order]


def previous_components(deployment: Deployment | None) -> dict[str, Component]:
    if deployment is None or not deployment.descriptor:
        return {}
    previous = DataProduct.model_validate(deployment.descriptor)
    return {previous.component_id(c): c for c in previous.components}


def request_for(
    target: Target, dp: DataProduct, component: Component, previous: Component | None, *, remove_data: bool = False
) -> ProvisionRequest:
    return ProvisionRequest(
        dataproduct=dp,
        component=component,
        environment=target.environment,
        mesh=target.mesh,
        mesh_root=target.root,
        previous=previous,
        remove_data=remove_data,
    )


def make_plan(target: Target, dp: DataProduct, deployment: Deployment | None, states: list[ComponentState]) -> Plan:
    before = previous_components(deployment)
    status = {s.component_id: s for s in states}
    plan = Plan(
        dp.id, dp.version, target.environment, deployment.version if deployment and deployment.descriptor else None
    )
    for comp in ordered(dp):
        cid = dp.component_id(comp)
        adapter: TechAdapter = adapter_for(comp, target.mesh)
        digest = component_hash(comp)
        state = status.get(cid)
        previous = before.get(cid)
        if state is not None and state.status == "DEPLOYED" and state.desired_hash == digest:
            op, reason = Operation.NOOP, "up to date"
        elif previous is None and (state is None or state.status in ("UNPROVISIONED", "PENDING")):
            op, reason = Operation.CREATE, "new component"
        else:
            op = adapter.plan(request_for(target, dp, comp, previous))
            if op is Operation.NOOP and (state is None or state.status != "DEPLOYED"):
                op = Operation.UPDATE
                reason = f"last provisioning {state.status.lower() if state else 'unknown'}; re-applying"
            else:
                reason = "changed" if op is not Operation.NOOP else "up to date"
        plan.items.append(PlanItem(cid, comp.name, comp.kind, adapter.name, op, reason, digest))
    for cid, comp in before.items():
        if all(item.component_id != cid for item in plan.items):
            plan.items.append(
                PlanItem(
                    cid,
                    comp.name,
                    comp.kind,
                    adapter_for(comp, target.mesh).name,
                    Operation.DELETE,
                    "removed from the descriptor",
                )
            )
    return plan
