"""Each built-in policy with a passing and a failing example."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from meshplane.governance.diff_dataproduct import diff_dataproducts
from meshplane.governance.engine import PolicyEngine, Status
from meshplane.governance.inputs import mesh_context, policy_input
from meshplane.governance.packs import load_policies
from meshplane.spec.model import Column, DataProduct, Kind, LogicalType, Observability
from meshplane.spec.workspace import Workspace


def engine_for(ws: Workspace, products: list[DataProduct]) -> PolicyEngine:
    policies, problems = load_policies(ws.mesh_model, ws.root)
    assert problems == []
    return PolicyEngine(policies, mesh_context(ws.mesh_model, products))


def _port(dp: DataProduct, name: str = "orders"):
    port = dp.port(name)
    assert port is not None
    return port


def _short_description(dp, others):
    dp.description = "Orders."


def _unknown_owner(dp, others):
    dp.owner = "mallory"


def _no_observability(dp, others):
    dp.components = [c for c in dp.components if not isinstance(c, Observability)]


def _no_sla(dp, others):
    _port(dp).data_contract.sla = None


def _unclassified_email(dp, others):
    _port(dp).data_contract.columns.append(Column(name="customer_email", type=LogicalType.STRING))


def _reads_boundary_port(dp, others):
    customers = others[0]
    port = customers.port("customers")
    customers.components = [c for c in customers.components if c is not port]
    from meshplane.spec.model import BoundaryPort

    customers.components.append(BoundaryPort(name="customers", consumers=["crm"], data_contract=port.data_contract))


def _source_aligned_reading_a_dp(dp, others):
    dp.kind = Kind.SOURCE_ALIGNED


def _consumer_aligned_reading_a_system(dp, others):
    dp.kind = Kind.CONSUMER_ALIGNED


def _polyseme_wrong_type(dp, others):
    _port(dp).data_contract.columns[1].type = LogicalType.INTEGER


def _bad_port_name(dp, others):
    _port(dp).data_contract.columns[0].name = "OrderId"


CASES: dict[str, Callable[[DataProduct, list[DataProduct]], None]] = {
    "description-length": _short_description,
    "owner-known": _unknown_owner,
    "observability-endpoint": _no_observability,
    "output-port-contract": _no_sla,
    "pii-classified": _unclassified_email,
    "no-boundary-consumption": _reads_boundary_port,
    "source-aligned-inputs": _source_aligned_reading_a_dp,
    "consumer-aligned-inputs": _consumer_aligned_reading_a_system,
    "polyseme-key-type": _polyseme_wrong_type,
    "naming-conventions": _bad_port_name,
}


def _result(workspace, dp, others, policy_id, **kwargs):
    engine = engine_for(workspace, [dp, *others])
    (result,) = [r for r in engine.evaluate(policy_input(dp, **kwargs)) if r.policy.id == policy_id]
    return result


@pytest.mark.parametrize("policy_id", sorted(CASES))
def test_policy_passes_on_the_compliant_example(workspace, orders, customers, policy_id):
    result = _result(workspace, orders, [customers], policy_id)
    assert result.status is Status.PASS, result.findings


@pytest.mark.parametrize("policy_id", sorted(CASES))
def test_policy_fails_on_the_violating_example(workspace, orders, customers, policy_id):
    CASES[policy_id](orders, [customers])
    result = _result(workspace, orders, [customers], policy_id)
    assert result.status is Status.FAIL
    assert result.findings and all(f.message for f in result.findings)


def test_findings_are_located_by_path(workspace, orders, customers):
    _no_sla(orders, [customers])
    result = _result(workspace, orders, [customers], "output-port-contract")
    assert [f.path for f in result.findings] == ["components[2].dataContract"]


def test_breaking_change_needs_a_major(workspace, orders, customers):
    before = orders.model_copy(deep=True)
    _port(orders).data_contract.columns.pop()  # removes `status`
    orders.version = "1.3.0"
    changes = [c.to_dict() for c in diff_dataproducts(before, orders)]
    result = _result(workspace, orders, [customers], "breaking-change-major", previous=before, changes=changes)
    assert result.status is Status.FAIL and "bump to 2.0.0" in result.findings[0].message
    orders.version, orders.id = "2.0.0", "urn:dmb:dp:sales:orders:2"
    result = _result(workspace, orders, [customers], "breaking-change-major", previous=before, changes=changes)
    assert result.status is Status.PASS


def test_every_builtin_policy_has_examples(workspace):
    from meshplane.governance.packs import load_policies

    policies, _ = load_policies(workspace.mesh_model, workspace.root)
    assert {p.id for p in policies} == set(CASES) | {"breaking-change-major"}


def test_pack_params_change_thresholds(workspace, orders, customers):
    workspace.mesh_model.policy_packs[0].params["minDescriptionLength"] = 500
    from meshplane.governance.packs import pack_params

    result = _result(workspace, orders, [customers], "description-length", params=pack_params(workspace.mesh_model))
    assert result.status is Status.FAIL and "at least 500" in result.findings[0].message


def test_pii_policy_ignores_keys_and_counts_about_personal_data(workspace, orders, customers):
    columns = _port(orders).data_contract.columns
    columns += [
        Column(name="address_id", type=LogicalType.STRING),
        Column(name="email_count", type=LogicalType.INTEGER),
    ]
    assert _result(workspace, orders, [customers], "pii-classified").status is Status.PASS
    columns.append(Column(name="billing_address", type=LogicalType.STRING))
    result = _result(workspace, orders, [customers], "pii-classified")
    assert [f.message.split("`")[1] for f in result.findings] == ["billing_address"]
