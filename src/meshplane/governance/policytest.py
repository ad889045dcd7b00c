"""``meshplane policy test``: policy authors unit-test their rules.

Example descriptors: ``policies/examples/<policy-id>/pass/*.yaml`` must pass the policy and
``…/fail/*.yaml`` must fail it, evaluated exactly as ``meshplane check`` evaluates real descriptors (with the
mesh as context). OPA-style ``*_test.rego`` files are not run: rego-cpp 1.5.2, the in-process interpreter,
crashes on ``with input as`` over all but trivial rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshplane.governance.engine import PolicyEngine, Status
from meshplane.governance.inputs import mesh_context, policy_input
from meshplane.governance.packs import load_policies, pack_params
from meshplane.spec.diagnostics import has_errors
from meshplane.spec.loader import load_dataproduct
from meshplane.spec.workspace import Workspace


@dataclass
class PolicyTestResult:
    name: str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def run_policy_tests(ws: Workspace) -> list[PolicyTestResult]:
    folder = ws.root / (ws.mesh_model.policies if ws.mesh_model else "policies")
    return _examples(ws, folder / "examples")


def _examples(ws: Workspace, folder: Path) -> list[PolicyTestResult]:
    if not folder.is_dir():
        return []
    policies, _ = load_policies(ws.mesh_model, ws.root)
    by_id = {p.id: p for p in policies}
    results = []
    models = [m for _, m in ws.models()]
    params = pack_params(ws.mesh_model)
    for policy_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        policy = by_id.get(policy_dir.name)
        for expect in ("pass", "fail"):
            for example in sorted((policy_dir / expect).glob("*.y*ml")):
                name = f"{policy_dir.name}/{expect}/{example.name}"
                if policy is None:
                    results.append(PolicyTestResult(name, False, f"no policy `{policy_dir.name}` applies to this mesh"))
                    continue
                loaded = load_dataproduct(example)
                if loaded.model is None or has_errors(loaded.diagnostics):
                    detail = "; ".join(d.render() for d in loaded.diagnostics[:3])
                    results.append(PolicyTestResult(name, False, f"the example does not load: {detail}"))
                    continue
                others = [m for m in models if m.id != loaded.model.id]
                engine = PolicyEngine([policy], mesh_context(ws.mesh_model, [*others, loaded.model]))
                (result,) = engine.evaluate(policy_input(loaded.model, params=params), trigger=None)
                if result.status is Status.ERROR:
                    results.append(PolicyTestResult(name, False, f"the policy errored: {result.error}"))
                    continue
                failed = result.status is Status.FAIL
                ok = failed == (expect == "fail")
                detail = "; ".join(f.message for f in result.findings) or "no findings"
                results.append(PolicyTestResult(name, ok, "" if ok else f"expected to {expect}, got: {detail}"))
    return results
