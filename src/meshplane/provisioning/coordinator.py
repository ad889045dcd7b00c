"""Apply plans: deploy, undeploy and report status, serialized per data product by the registry.

A deploy takes the data product's lease, plans *under the lease* (so a second, concurrent deploy plans
after the first has finished and finds nothing to do), then provisions component by component in
``dependsOn`` order, recording each step before and after it runs. A deploy killed at any point leaves
components PROVISIONING or FAILED and the previous descriptor recorded; re-running it plans again from that
state and converges, because every adapter operation is idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from meshplane.adapters.base import Operation, ProvisionRequest, ProvisionResult, ProvisionStatus
from meshplane.adapters.catalog import adapter_for
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.provisioning.context import Target, actor
from meshplane.provisioning.gating import require_input_grants
from meshplane.provisioning.planning import Plan, make_plan, previous_components, request_for
from meshplane.registry import ComponentState, ComponentUpdate, Deployment, Lease, Registry, new_owner
from meshplane.spec.model import DataProduct

Progress = Callable[[str, int, int], None]
#: Seconds between lease heartbeats during a long deploy (the lease goes stale after ten minutes).
_HEARTBEAT_EVERY = 30.0


def lock_owner() -> str:
    return new_owner(actor())


@dataclass
class Outcome:
    dp_id: str
    status: str
    plan: Plan
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataProduct": self.dp_id,
            "status": self.status,
            "plan": self.plan.to_dict(),
            "failures": [{"component": c, "error": e} for c, e in self.failures],
        }


class Coordinator:
    """One mesh environment's deployments, over one registry."""

    def __init__(self, target: Target, registry: Registry) -> None:
        self.target = target
        self.registry = registry

    # -- reading -------------------------------------------------------------------------------------
    def plan(self, dp: DataProduct) -> Plan:
        env = self.target.environment
        return make_plan(self.target, dp, self.registry.deployment(dp.id, env), self.registry.components(dp.id, env))

    def deployed(self, dp_id: str) -> DataProduct | None:
        deployment = self.registry.deployment(dp_id, self.target.environment)
        if deployment is None or not deployment.descriptor:
            return None
        return DataProduct.model_validate(deployment.descriptor)

    # -- writing -------------------------------------------------------------------------------------
    def deploy(self, dp: DataProduct, *, progress: Progress | None = None) -> Outcome:
        """Transactions: take the lease, read state, store the plan, mark each component with side effects
        PROVISIONING before it runs, then record every result with the deployment and the plan's end in one
        transaction, and release. A crash anywhere leaves a state the next deploy plans from and converges."""
        env = self.target.environment
        require_input_grants(self.registry, dp, env, self.target.mesh)
        lease = self.registry.acquire(dp.id, env, lock_owner())
        try:
            deployment, states = self.registry.snapshot(dp.id, env)
            _refuse_retired(dp.id, deployment)
            plan = make_plan(self.target, dp, deployment, states)
            replace = [i for i in plan.items if i.operation is Operation.REPLACE]
            if replace:
                names = ", ".join(f"`{i.name}`" for i in replace)
                raise InvalidInputError(
                    f"{dp.id}: {names} cannot change in place (the change would rewrite existing data)",
                    hint=f"bump the major version: {dp.parsed_id.major + 1}.0.0 deploys as a new data product beside "
                    "this one, and consumers migrate on their own schedule",
                )
            descriptor = dp.to_data()
            if (
                not plan.changes
                and deployment is not None
                and deployment.descriptor == descriptor
                and deployment.status == "DEPLOYED"
            ):
                return Outcome(dp.id, "DEPLOYED", plan)  # nothing to do, nothing to record
            plan_id = self.registry.save_plan(dp.id, env, plan.to_dict(), actor=self.target.actor)
            updates, failures = self._apply(lease, dp, plan, previous_components(deployment), progress)
            status = _overall(plan, states, updates, failures)
            self.registry.record_deployment(
                lease,
                version=dp.version,
                descriptor=descriptor,
                status=status,
                deployed_by=self.target.actor,
                components=updates,
                plan=(
                    plan_id,
                    "FAILED" if failures else "APPLIED",
                    {"status": status, "failures": dict(failures), "changes": [i.to_dict() for i in plan.changes]},
                ),
            )
            return Outcome(dp.id, status, plan, failures)
        finally:
            self.registry.release(lease)

    def _apply(
        self, lease: Lease, dp: DataProduct, plan: Plan, before: dict[str, Any], progress: Progress | None
    ) -> tuple[list[ComponentUpdate], list[tuple[str, str]]]:
        """Provision in plan order and return the components' new states for the caller to record.

        Components of adapters with side effects get a PROVISIONING record before they run, so a crash
        mid-way shows in ``status`` and the next deploy re-applies them; those of ``quick`` adapters (local
        and instant) do not need one.
        """
        todo = plan.changes
        failures: list[tuple[str, str]] = []
        updates: list[ComponentUpdate] = []
        beat = time.monotonic()
        for done, item in enumerate(todo):
            if progress:
                progress(f"{dp.name}: {item.operation.value} {item.name}", done, len(todo))
            if failures:
                break  # later components may depend on the failed one; the next run resumes here
            comp = dp.component(item.name) if item.operation is not Operation.DELETE else before[item.component_id]
            assert comp is not None
            adapter = adapter_for(comp, self.target.mesh)
            note = f"{item.operation.value}: {item.reason}"
            if not getattr(adapter, "quick", False):
                self.registry.set_component(
                    lease,
                    item.component_id,
                    kind=item.kind,
                    adapter=adapter.name,
                    status="PROVISIONING",
                    desired_hash=item.desired_hash,
                    log=[note],
                )
            request = request_for(self.target, dp, comp, before.get(item.component_id))
            operation = adapter.unprovision if item.operation is Operation.DELETE else adapter.provision
            result = _safely(operation, request)
            if result.ok and item.operation is Operation.DELETE:
                self.registry.remove_component(lease, item.component_id)
            else:
                updates.append(
                    ComponentUpdate(
                        item.component_id,
                        item.kind,
                        adapter.name,
                        "DEPLOYED" if result.ok else "FAILED",
                        item.desired_hash,
                        result.info,
                        [note, *result.logs],
                    )
                )
            if not result.ok:
                failures.append((item.component_id, "; ".join(result.logs[-3:]) or "failed"))
            if time.monotonic() - beat > _HEARTBEAT_EVERY:
                self.registry.heartbeat(lease)
                beat = time.monotonic()
        if progress:
            progress(f"{dp.name}: done", len(todo), len(todo))
        return updates, failures

    def undeploy(self, dp_id: str, *, remove_data: bool = False, progress: Progress | None = None) -> Outcome:
        env = self.target.environment
        deployed = self.deployed(dp_id)
        if deployed is None:
            raise NotFoundError(f"{dp_id} is not deployed in {env}", hint="see `meshplane status`")
        lease = self.registry.acquire(dp_id, env, lock_owner())
        try:
            plan = Plan(dp_id, deployed.version, env, deployed.version)
            failures: list[tuple[str, str]] = []
            comps = list(reversed(deployed.components))
            for done, comp in enumerate(comps):
                if progress:
                    progress(f"{deployed.name}: remove {comp.name}", done, len(comps))
                cid = deployed.component_id(comp)
                adapter = adapter_for(comp, self.target.mesh)
                result = _safely(
                    adapter.unprovision, request_for(self.target, deployed, comp, comp, remove_data=remove_data)
                )
                self.registry.set_component(
                    lease,
                    cid,
                    kind=comp.kind,
                    adapter=adapter.name,
                    status="UNPROVISIONED" if result.ok else "FAILED",
                    log=result.logs,
                )
                if not result.ok:
                    failures.append((cid, "; ".join(result.logs[-3:]) or "failed"))
            status = "NOT_DEPLOYED" if not failures else "PARTIALLY_DEPLOYED"
            self.registry.record_deployment(
                lease, version=deployed.version, descriptor={} if not failures else deployed.to_data(), status=status
            )
            self.registry.audit(
                self.target.actor, "undeploy", dp_id, {"environment": env, "removeData": remove_data, "status": status}
            )
            return Outcome(dp_id, status, plan, failures)
        finally:
            self.registry.release(lease)


def _refuse_retired(dp_id: str, deployment: Deployment | None) -> None:
    if deployment is not None and deployment.retire_on is not None and deployment.retire_on <= date.today():
        raise MeshplaneError(
            f"{dp_id} was retired on {deployment.retire_on}", hint="deploy the newer major version instead"
        )


def _safely(operation: Callable[[ProvisionRequest], ProvisionResult], request: ProvisionRequest) -> ProvisionResult:
    """An adapter that raises is a failed component with the message in its log, not a crashed deploy."""
    try:
        return operation(request)
    except MeshplaneError as exc:
        return ProvisionResult(ProvisionStatus.FAILED, logs=[str(exc)])
    except Exception as exc:  # an adapter bug must not leave the lease held or the state unrecorded
        return ProvisionResult(ProvisionStatus.FAILED, logs=[f"{type(exc).__name__}: {exc}"])


def _overall(
    plan: Plan, before: list[ComponentState], updates: list[ComponentUpdate], failures: list[tuple[str, str]]
) -> str:
    if not failures:
        return "DEPLOYED"
    deployed = {s.component_id for s in before if s.status == "DEPLOYED"}
    deployed |= {u.component_id for u in updates if u.status == "DEPLOYED"}
    deployed -= {u.component_id for u in updates if u.status == "FAILED"}
    wanted = {i.component_id for i in plan.items if i.operation is not Operation.DELETE}
    return "PARTIALLY_DEPLOYED" if deployed & wanted else "FAILED"
