"""Property-based tests: for any descriptor that loads, every built-in policy answers pass or fail (never an
evaluation error), and the breaking-change rules never crash and find nothing between a version and itself."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from meshplane.governance.diff_dataproduct import diff_dataproducts
from meshplane.governance.engine import PolicyEngine, Status
from meshplane.governance.inputs import mesh_context, policy_input
from meshplane.governance.packs import builtin, compile_policies
from meshplane.spec.model import DataProduct, Mesh

DATA = Path(__file__).parents[1] / "data" / "mini"
BASE = yaml.safe_load((DATA / "sales/orders/dataproduct.yaml").read_text())
MESH = Mesh.model_validate(yaml.safe_load((DATA / "mesh.yaml").read_text()))
POLICIES, _ = compile_policies(builtin(), "builtin")
ENGINE = PolicyEngine(POLICIES, mesh_context(MESH, [DataProduct.model_validate(BASE)]))

words = st.sampled_from(
    [
        "",
        "x",
        "Orders",
        "email",
        "customer_id",
        "OrderId",
        "bob",
        "mallory",
        "pii",
        "1h",
        "sales-team",
        "urn:dmb:dp:customer:customers:1",
        "customers",
        "a" * 80,
    ]
)


@st.composite
def variants(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    contract = data["components"][2]["dataContract"]
    for _ in range(draw(st.integers(0, 6))):
        action = draw(
            st.sampled_from(
                [
                    "owner",
                    "description",
                    "kind",
                    "column",
                    "drop_column",
                    "classify",
                    "polyseme",
                    "sla",
                    "terms",
                    "drop_component",
                    "name",
                ]
            )
        )
        if action == "owner":
            data["owner"] = draw(words) or "nobody"
        elif action == "description":
            data["description"] = draw(words)
        elif action == "kind":
            data["kind"] = draw(st.sampled_from(["source-aligned", "aggregate", "consumer-aligned"]))
        elif action == "column":
            contract["columns"].append(
                {
                    "name": draw(words) or "c",
                    "type": draw(st.sampled_from(["string", "integer"])),
                    "required": draw(st.booleans()),
                }
            )
        elif action == "drop_column" and len(contract["columns"]) > 1:
            contract["columns"].pop(draw(st.integers(0, len(contract["columns"]) - 1)))
        elif action == "classify" and contract["columns"]:
            contract["columns"][0]["classification"] = draw(st.sampled_from(["pii", "public", "restricted"]))
        elif action == "polyseme" and contract["columns"]:
            contract["columns"][-1]["polyseme"] = draw(st.sampled_from(["customer", "product"]))
        elif action == "sla":
            contract.pop("sla", None) if draw(st.booleans()) else contract.update(sla={"timeliness": "5m"})
        elif action == "terms":
            contract.pop("terms", None)
        elif action == "drop_component" and len(data["components"]) > 3:
            data["components"].pop(draw(st.sampled_from([0, 1, 4])) if len(data["components"]) == 5 else 0)
        elif action == "name":
            data["components"][2]["name"] = draw(st.sampled_from(["orders", "Orders", "orders_v2"]))
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants())
def test_every_policy_answers_pass_or_fail(data):
    try:
        dp = DataProduct.model_validate(data)
    except ValidationError:
        return  # the loader reports these; policies only see descriptors that load
    results = ENGINE.evaluate(policy_input(dp))
    assert len(results) == len(POLICIES)
    assert all(r.status in (Status.PASS, Status.FAIL) for r in results), [r.error for r in results]
    for r in results:
        assert (r.status is Status.FAIL) == any(not f.warning for f in r.findings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants(), variants())
def test_breaking_change_rules_are_total_and_reflexive(a, b):
    try:
        old, new = DataProduct.model_validate(a), DataProduct.model_validate(b)
    except ValidationError:
        return
    assert diff_dataproducts(old, old.model_copy(deep=True)) == []
    changes = diff_dataproducts(old, new)
    assert all(c.path and c.message for c in changes)
    if old.to_data() == new.to_data():
        assert changes == []
