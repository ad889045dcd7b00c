"""Round trips of every registry method, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest

from meshplane.registry import (
    LOG_LIMIT,
    ComponentStatus,
    DeploymentStatus,
    LockLostError,
    PlanStatus,
    Registry,
    RegistryError,
    RegistryNotFoundError,
    new_owner,
)
from meshplane.spec.loader import load_dataproduct
from meshplane.spec.model import DataProduct

DATA = Path(__file__).resolve().parents[1] / "data" / "mini"
DP = "urn:dmb:dp:customer:customers:1"


@pytest.fixture
def dp() -> DataProduct:
    loaded = load_dataproduct(DATA / "customer" / "customers" / "dataproduct.yaml")
    assert loaded.model is not None
    return loaded.model


def test_an_unknown_deployment_is_none(registry: Registry):
    assert registry.deployment(DP, "dev") is None
    assert registry.deployments() == []
    assert registry.components(DP, "dev") == []
    assert registry.descriptor_versions(DP, "dev") == []


def test_acquire_creates_a_not_deployed_row_holding_the_lock(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    assert lease.owner.startswith("alice@") and lease.dp_id == DP and lease.environment == "dev"
    row = registry.deployment(DP, "dev")
    assert row is not None
    assert row.status is DeploymentStatus.NOT_DEPLOYED
    assert (row.version, row.descriptor, row.lock_owner) == (None, {}, lease.owner)
    assert row.revision == lease.revision == 1
    assert row.locked_at is not None and row.locked_at.tzinfo is UTC
    assert row.data_product() is None
    registry.release(lease)
    released = registry.deployment(DP, "dev")
    assert released is not None and released.lock_owner is None and released.locked_at is None
    assert released.revision == 2


def test_record_deployment_round_trips_the_descriptor(registry: Registry, dp: DataProduct):
    lease = registry.acquire(DP, "dev", new_owner("alice"))
    registry.record_deployment(lease, version=dp.version, descriptor=dp.to_data(), status="DEPLOYED")
    registry.release(lease)

    deployment = registry.deployment(DP, "dev")
    assert deployment is not None
    assert deployment.status == "DEPLOYED" and deployment.version == "1.0.0"
    assert deployment.descriptor == dp.to_data()
    assert deployment.data_product() == DataProduct.model_validate(dp.to_data())
    assert deployment.updated_at.tzinfo is UTC
    assert deployment.deprecated_on is None and deployment.retire_on is None


def test_every_descriptor_version_is_kept_oldest_first(registry: Registry, dp: DataProduct):
    first = dp.to_data()
    second = {**first, "version": "1.1.0", "description": "now with emails"}
    lease = registry.acquire(DP, "dev", "alice")
    registry.record_deployment(lease, version="1.0.0", descriptor=first, status="DEPLOYED")
    registry.record_deployment(lease, version="1.1.0", descriptor=second, status="PARTIALLY_DEPLOYED")
    registry.release(lease)
    other_env = registry.acquire(DP, "prod", "bob")
    registry.record_deployment(other_env, version="1.0.0", descriptor=first, status="DEPLOYED", deployed_by="ci")
    registry.release(other_env)

    versions = registry.descriptor_versions(DP, "dev")
    assert [(v.version, v.status) for v in versions] == [("1.0.0", "DEPLOYED"), ("1.1.0", "PARTIALLY_DEPLOYED")]
    assert [v.descriptor for v in versions] == [first, second]
    canonical = json.dumps(second, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert versions[1].sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert versions[0].sha256 != versions[1].sha256
    assert {v.deployed_by for v in versions} == {"alice"}
    assert versions[0].deployed_at <= versions[1].deployed_at and versions[0].deployed_at.tzinfo is UTC
    assert [(v.environment, v.deployed_by) for v in registry.descriptor_versions(DP, "prod")] == [("prod", "ci")]
    deployment = registry.deployment(DP, "dev")
    assert deployment is not None and deployment.version == "1.1.0" and deployment.status == "PARTIALLY_DEPLOYED"


def test_record_deployment_is_audited_in_the_same_write(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    registry.record_deployment(lease, version="1.0.0", descriptor={"id": DP}, status="DEPLOYED")
    [record] = registry.audit_log(target=DP)
    assert (record.actor, record.action) == ("alice", "deployment.recorded")
    assert record.details["environment"] == "dev" and record.details["status"] == "DEPLOYED"
    assert record.details["sha256"] == registry.descriptor_versions(DP, "dev")[0].sha256


def test_record_deployment_refuses_bad_input(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    with pytest.raises(RegistryError, match="unknown deployment status 'DONE'") as caught:
        registry.record_deployment(lease, version="1.0.0", descriptor={}, status="DONE")
    assert caught.value.hint and "DEPLOYED" in caught.value.hint
    with pytest.raises(RegistryError, match="lease of"):
        registry.record_deployment(lease, version="1", descriptor={"id": "urn:dmb:dp:x:y:1"}, status="DEPLOYED")
    with pytest.raises(RegistryError, match="cannot be stored as JSON"):
        registry.record_deployment(lease, version="1", descriptor={"when": date(2026, 1, 1)}, status="DEPLOYED")
    assert registry.descriptor_versions(DP, "dev") == []  # nothing half-written


def test_deployments_lists_by_environment(registry: Registry):
    for dp_id, env in [("urn:dmb:dp:b:b:1", "dev"), ("urn:dmb:dp:a:a:1", "prod"), ("urn:dmb:dp:a:a:1", "dev")]:
        registry.release(registry.acquire(dp_id, env, "alice"))
    assert [(d.environment, d.dp_id) for d in registry.deployments()] == [
        ("dev", "urn:dmb:dp:a:a:1"),
        ("dev", "urn:dmb:dp:b:b:1"),
        ("prod", "urn:dmb:dp:a:a:1"),
    ]
    assert [d.dp_id for d in registry.deployments("prod")] == ["urn:dmb:dp:a:a:1"]


def test_components_are_upserted_and_keep_what_is_not_given(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    registry.set_component(
        lease,
        f"{DP}:orders",
        kind="outputPort",
        adapter="delta",
        status="PROVISIONING",
        desired_hash="h1",
        log=["create: new component"],
    )
    registry.set_component(lease, f"{DP}:load", kind="workload", adapter="duckdb", status="PENDING")
    registry.set_component(
        lease,
        f"{DP}:orders",
        kind="outputPort",
        adapter="delta",
        status="DEPLOYED",
        info={"table": "s3://x/orders"},
        log=["created table"],
    )

    orders, load = registry.components(DP, "dev")
    assert (orders.component_id, orders.status, orders.desired_hash) == (f"{DP}:orders", "DEPLOYED", "h1")
    assert orders.status is ComponentStatus.DEPLOYED
    assert orders.info == {"table": "s3://x/orders"}
    assert [line.split(" ", 1)[1] for line in orders.log] == ["create: new component", "created table"]
    assert all(line[:4].isdigit() and line.split(" ", 1)[0].endswith("Z") for line in orders.log)
    assert (load.kind, load.adapter, load.status, load.info, load.log) == ("workload", "duckdb", "PENDING", {}, ())
    assert orders.updated_at.tzinfo is UTC and orders.environment == "dev" and orders.dp_id == DP


def test_component_logs_keep_the_last_lines_only(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    for batch in range(3):
        lines = [f"line {batch * 100 + i}" for i in range(100)]
        registry.set_component(lease, "c", kind="workload", adapter="duckdb", status="PROVISIONING", log=lines)
    [state] = registry.components(DP, "dev")
    assert len(state.log) == LOG_LIMIT
    assert state.log[0].endswith("line 100") and state.log[-1].endswith("line 299")


def test_remove_component_forgets_it_and_audits(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    registry.set_component(lease, "a", kind="workload", adapter="duckdb", status="DEPLOYED")
    registry.set_component(lease, "b", kind="outputPort", adapter="delta", status="UNPROVISIONED")
    registry.remove_component(lease, "b")
    registry.remove_component(lease, "b")  # idempotent: a re-run of an interrupted undeploy
    assert [c.component_id for c in registry.components(DP, "dev")] == ["a"]
    [record] = registry.audit_log(target=DP)
    assert record.action == "component.removed" and record.details["component"] == "b"
    assert record.details["lastStatus"] == "UNPROVISIONED"


def test_component_status_is_checked(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    with pytest.raises(RegistryError, match="unknown component status 'RUNNING'"):
        registry.set_component(lease, "a", kind="workload", adapter="duckdb", status="RUNNING")


def test_writes_under_a_released_lease_are_refused(registry: Registry):
    lease = registry.acquire(DP, "dev", "alice")
    registry.release(lease)
    with pytest.raises(LockLostError, match="nobody holds it now"):
        registry.set_component(lease, "a", kind="workload", adapter="duckdb", status="DEPLOYED")
    with pytest.raises(LockLostError):
        registry.remove_component(lease, "a")
    with pytest.raises(LockLostError):
        registry.record_deployment(lease, version="1.0.0", descriptor={}, status="DEPLOYED")
    assert registry.components(DP, "dev") == []


def test_plans_round_trip(registry: Registry):
    plan = {"dataProduct": DP, "items": [{"component": "a", "operation": "create"}]}
    first = registry.save_plan(DP, "dev", plan, actor="alice")
    second = registry.save_plan(DP, "dev", {"items": []}, actor="bob")
    registry.save_plan(DP, "prod", {"items": []}, actor="bob")
    registry.finish_plan(first, status="APPLIED", result={"status": "DEPLOYED"})

    one, two = registry.plans(DP, "dev")
    assert (one.id, one.plan, one.actor, one.status, one.result) == (
        first,
        plan,
        "alice",
        "APPLIED",
        {"status": "DEPLOYED"},
    )
    assert one.status is PlanStatus.APPLIED
    assert one.finished_at is not None and one.finished_at >= one.created_at and one.created_at.tzinfo is UTC
    assert (two.id, two.status, two.result, two.finished_at) == (second, "PLANNED", None, None)
    assert registry.deployment(DP, "dev") is None  # planning alone deploys nothing


def test_finishing_a_plan_is_checked(registry: Registry):
    plan_id = registry.save_plan(DP, "dev", {}, actor="alice")
    with pytest.raises(RegistryError, match="APPLIED or FAILED"):
        registry.finish_plan(plan_id, status="PLANNED", result={})
    registry.finish_plan(plan_id, status="FAILED", result={"failures": {"a": "boom"}})
    with pytest.raises(RegistryError, match="already FAILED"):
        registry.finish_plan(plan_id, status="APPLIED", result={})
    with pytest.raises(RegistryNotFoundError, match="no plan 999"):
        registry.finish_plan(999, status="APPLIED", result={})


def test_lifecycle_dates_round_trip_and_are_audited(registry: Registry):
    registry.release(registry.acquire(DP, "dev", "alice"))
    before = registry.deployment(DP, "dev")
    assert before is not None
    today = date(2026, 11, 22)
    registry.set_lifecycle(DP, "dev", deprecated_on=today, retire_on=today + timedelta(days=90), actor="alice")
    after = registry.deployment(DP, "dev")
    assert after is not None
    assert (after.deprecated_on, after.retire_on) == (today, date(2027, 2, 20))
    assert after.revision == before.revision + 1
    [record] = registry.audit_log(target=DP, actor="alice")
    assert record.action == "lifecycle.set" and record.details["retireOn"] == "2027-02-20"
    registry.set_lifecycle(DP, "dev", deprecated_on=None, retire_on=None)
    cleared = registry.deployment(DP, "dev")
    assert cleared is not None and cleared.deprecated_on is None and cleared.retire_on is None


def test_lifecycle_is_checked(registry: Registry):
    with pytest.raises(RegistryNotFoundError, match="never been deployed"):
        registry.set_lifecycle(DP, "dev", deprecated_on=date(2026, 1, 1), retire_on=None)
    registry.release(registry.acquire(DP, "dev", "alice"))
    with pytest.raises(RegistryError, match="before deprecated_on"):
        registry.set_lifecycle(DP, "dev", deprecated_on=date(2026, 2, 1), retire_on=date(2026, 1, 1))


def test_records_are_frozen_values(registry: Registry):
    registry.release(registry.acquire(DP, "dev", "alice"))
    deployment = registry.deployment(DP, "dev")
    assert deployment is not None
    with pytest.raises(AttributeError):
        deployment.status = DeploymentStatus.DEPLOYED  # type: ignore[misc]
    deployment.descriptor["id"] = "changed"  # a caller's copy: the store is untouched
    again = registry.deployment(DP, "dev")
    assert again is not None and again.descriptor == {}
