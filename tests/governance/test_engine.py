"""Policy metadata, compilation errors, evaluation errors, lifecycle and overrides."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from meshplane.errors import NotFoundError
from meshplane.governance.engine import PolicyEngine, Status
from meshplane.governance.inputs import mesh_context, policy_input
from meshplane.governance.packs import compile_policies, load_policies
from meshplane.governance.policy import Lifecycle, parse_policy
from meshplane.spec.diagnostics import Severity
from meshplane.spec.workspace import open_workspace

GOOD = """\
# METADATA
# title: Tagged
# custom:
#   id: tagged
#   severity: warning
#   lifecycle: grace
#   deadline: 2027-01-01
package meshplane.policies.tagged

import rego.v1

deny contains "add at least one tag" if count(input.dataProduct.tags) == 0
"""


def test_metadata_is_read_from_the_opa_annotation_block():
    policy, problems = parse_policy(GOOD, "tagged.rego", "mesh")
    assert problems == [] and policy is not None
    assert (policy.id, policy.severity, policy.lifecycle) == ("tagged", Severity.WARNING, Lifecycle.GRACE)
    assert policy.deadline == date(2027, 1, 1)
    assert policy.effective_severity(date(2026, 6, 1)) is Severity.WARNING
    draft = parse_policy(GOOD.replace("lifecycle: grace", "lifecycle: draft"), "t.rego", "mesh")[0]
    assert draft is not None and draft.effective_severity(date(2026, 6, 1)) is Severity.INFO


def test_grace_policies_become_enabled_after_their_deadline():
    policy = parse_policy(GOOD.replace("severity: warning", "severity: error"), "t.rego", "mesh")[0]
    assert policy is not None
    assert policy.effective_severity(date(2026, 12, 31)) is Severity.WARNING
    assert policy.effective_severity(date(2027, 1, 1)) is Severity.ERROR


@pytest.mark.parametrize(
    ("edit", "message", "hint"),
    [
        (("severity: warning", "severity: fatal"), "custom.severity `fatal`", None),
        (("lifecycle: grace", "lifecycle: enabld"), "custom.lifecycle", "did you mean `enabled`?"),
        (("#   deadline: 2027-01-01\n", ""), "needs custom.deadline", "add `deadline: YYYY-MM-DD`"),
        (("package meshplane.policies.tagged", "pkg x"), "no `package` declaration", None),
    ],
)
def test_bad_metadata_is_located(edit, message, hint):
    policy, problems = parse_policy(GOOD.replace(*edit), "bad.rego", "mesh")
    assert policy is None
    assert problems[0].file == "bad.rego" and message in problems[0].message
    if hint:
        assert problems[0].hint == hint


def test_a_rego_syntax_error_names_the_file_and_line():
    broken = GOOD.replace('deny contains "add at least one tag" if', "deny contains msg if {\n  x := \n}\n#")
    policies, problems = compile_policies([("policies/tagged.rego", broken)], "mesh")
    assert policies == []
    (problem,) = problems
    assert problem.code == "rego-syntax" and problem.file == "policies/tagged.rego"
    assert problem.line == 13 and "tagged" in problem.message


def test_a_policy_failing_at_evaluation_is_an_error_result_not_a_crash(mini_mesh):
    ws = open_workspace(mini_mesh)
    crashing = GOOD.replace("tagged", "crashing").replace(
        'deny contains "add at least one tag" if count(input.dataProduct.tags) == 0',
        'deny contains sprintf("%d", [1 / count(input.dataProduct.tags)]) if true',
    )
    policies, problems = compile_policies([("good.rego", GOOD), ("crash.rego", crashing)], "mesh")
    assert problems == []
    dp = ws.find("customers")
    assert dp is not None and dp.tags == []
    results = {r.policy.id: r for r in PolicyEngine(policies, mesh_context(None, [dp])).evaluate(policy_input(dp))}
    assert results["crashing"].status is Status.ERROR and results["crashing"].error
    assert results["tagged"].status is Status.FAIL  # the other policy still ran


def test_overrides_and_mesh_policies(mini_mesh):
    mesh_file = mini_mesh / "mesh.yaml"
    data = yaml.safe_load(mesh_file.read_text())
    data["policyPacks"] = [
        {"name": "builtin", "severityOverrides": {"naming-conventions": "error", "observability-endpoint": "off"}}
    ]
    mesh_file.write_text(yaml.safe_dump(data))
    (mini_mesh / "policies").mkdir()
    (mini_mesh / "policies" / "tagged.rego").write_text(GOOD)
    ws = open_workspace(mini_mesh)
    policies, problems = load_policies(ws.mesh_model, ws.root)
    by_id = {p.id: p for p in policies}
    assert problems == []
    assert "observability-endpoint" not in by_id
    assert by_id["naming-conventions"].severity is Severity.ERROR and by_id["naming-conventions"].overridden
    assert by_id["tagged"].pack == "mesh"


def test_unknown_pack_and_override_are_named(mini_mesh):
    mesh_file = mini_mesh / "mesh.yaml"
    data = yaml.safe_load(mesh_file.read_text())
    data["policyPacks"] = [{"name": "builtn"}]
    mesh_file.write_text(yaml.safe_dump(data))
    with pytest.raises(NotFoundError) as info:
        load_policies(open_workspace(mini_mesh).mesh_model, mini_mesh)
    assert info.value.hint == "did you mean `builtin`?"
    data["policyPacks"] = [{"name": "builtin", "severityOverrides": {"owner-knwn": "warning"}}]
    mesh_file.write_text(yaml.safe_dump(data))
    with pytest.raises(NotFoundError) as info:
        load_policies(open_workspace(mini_mesh).mesh_model, mini_mesh)
    assert info.value.hint == "did you mean `owner-known`?"
