"""``meshplane check``: validation, then every applicable policy, then (with a previous version) the
breaking-change rules — all reported as located diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from meshplane.governance.changes import Change, Perspective
from meshplane.governance.diff_dataproduct import diff_dataproducts
from meshplane.governance.engine import PolicyEngine, PolicyResult, Status
from meshplane.governance.inputs import mesh_context, policy_input
from meshplane.governance.packs import load_policies, pack_params
from meshplane.governance.policy import Policy, Trigger
from meshplane.spec.checks import check_workspace
from meshplane.spec.diagnostics import Diagnostic, Severity, has_errors, parse_path
from meshplane.spec.loader import Loaded
from meshplane.spec.model import DataProduct
from meshplane.spec.workspace import Workspace

PreviousLookup = Callable[[DataProduct], DataProduct | None]


@dataclass
class ProductReport:
    id: str
    file: str
    results: list[PolicyResult] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    previous_version: str | None = None

    def to_dict(self, perspective: Perspective = Perspective.BOTH) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.file,
            "previousVersion": self.previous_version,
            "policies": [r.to_dict() for r in self.results],
            "changes": [c.to_dict(perspective) for c in self.changes],
        }


@dataclass
class CheckReport:
    files: list[str]
    diagnostics: list[Diagnostic]
    products: list[ProductReport]
    policies: list[Policy]

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def check(
    ws: Workspace,
    *,
    previous: PreviousLookup | None = None,
    today: date | None = None,
    trigger: Trigger | None = Trigger.DEPLOY,
) -> CheckReport:
    diagnostics = check_workspace(ws)
    policies, problems = load_policies(ws.mesh_model, ws.root)
    diagnostics += problems
    files = ([ws.mesh.document.file] if ws.mesh else []) + [str(p) for p in ws.selected]
    models = [m for _, m in ws.models()]
    context = mesh_context(ws.mesh_model, models)
    opa = ws.mesh_model.opa if ws.mesh_model is not None else None
    if opa is not None:
        from meshplane.governance.opa import RemoteOpaEngine

        engine: PolicyEngine = RemoteOpaEngine(policies, context, url=opa.url, today=today)
    else:
        engine = PolicyEngine(policies, context, today=today)
    params = pack_params(ws.mesh_model)
    selected = {p.resolve() for p in ws.selected}
    reports = []
    for loaded, dp in ws.models():
        if Path(loaded.document.file).resolve() not in selected:
            continue
        before = previous(dp) if previous is not None else None
        changes = diff_dataproducts(before, dp) if before is not None else []
        report = ProductReport(
            dp.id, loaded.document.file, previous_version=before.version if before else None, changes=changes
        )
        report.results = engine.evaluate(
            policy_input(dp, previous=before, changes=[c.to_dict() for c in changes], params=params), trigger=trigger
        )
        diagnostics += [d for r in report.results for d in _as_diagnostics(loaded, r)]
        reports.append(report)
    return CheckReport(files, diagnostics, reports, policies)


def _as_diagnostics(loaded: Loaded[DataProduct], result: PolicyResult) -> list[Diagnostic]:
    doc = loaded.document
    policy = result.policy
    if result.status is Status.ERROR:
        return [
            Diagnostic(
                Severity.ERROR,
                policy.id,
                f"policy `{policy.id}` failed to evaluate: {result.error}",
                file=policy.file,
                line=1,
                column=1,
                hint="fix the policy; the check went on without it",
                extra={"dataProduct": doc.file},
            )
        ]
    found = []
    for finding in result.findings:
        severity = Severity.WARNING if finding.warning and result.severity is Severity.ERROR else result.severity
        if severity is None:
            continue
        path = parse_path(finding.path)
        hint = policy.title + (f" (in grace until {policy.deadline})" if policy.lifecycle.value == "grace" else "")
        found.append(doc.diagnostic(path, finding.message, code=policy.id, severity=severity, hint=hint))
    return found
