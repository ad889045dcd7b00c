"""Run policies against a policy input and turn their answers into results.

Outcomes are data: a policy passes, fails (with findings located by field path) or errors (its Rego failed
at evaluation) — an error is a result of that policy, never a crash of the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from meshplane.governance.policy import Policy, Trigger
from meshplane.governance.rego import Interpreter, RegoEvalError
from meshplane.spec.diagnostics import Severity


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    message: str
    path: str = ""
    #: ``warn`` rules report warnings even in an error-severity policy.
    warning: bool = False


@dataclass
class PolicyResult:
    policy: Policy
    status: Status
    severity: Severity | None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.id,
            "title": self.policy.title,
            "pack": self.policy.pack,
            "status": self.status.value,
            "severity": self.severity.value if self.severity else None,
            "lifecycle": self.policy.lifecycle.value,
            "findings": [{"message": f.message, "path": f.path, "warning": f.warning} for f in self.findings],
            "error": self.error,
        }


class PolicyEngine:
    """Policies and the mesh context compiled once, evaluated for many data products.

    The mesh context (domains, users, groups, polysemes, systems, every data product) is Rego base data at
    ``data.mesh``, as OPA users expect, so a check costs the same in a 10-product and a 10,000-product mesh.
    """

    def __init__(self, policies: list[Policy], context: dict[str, Any], *, today: date | None = None) -> None:
        self.policies = policies
        self.today = today or date.today()
        self._setup(context)

    # -- the evaluator: in-process rego-cpp here; RemoteOpaEngine overrides these three ------------------
    def _setup(self, context: dict[str, Any]) -> None:
        self._interp = Interpreter(
            [(p.file, p.source) for p in self.policies], [p.package for p in self.policies], {"mesh": context}
        )

    def _answers(self, policy_input: dict[str, Any]) -> list[tuple[Any, Any]]:
        """``(deny, warn)`` of every policy, in order; ``RegoEvalError`` if any fails."""
        return self._interp.evaluate(policy_input)

    def _answer(self, policy_input: dict[str, Any], policy: Policy) -> tuple[Any, Any]:
        return self._interp.evaluate_one(policy_input, policy.package)

    def evaluate(self, policy_input: dict[str, Any], *, trigger: Trigger | None = Trigger.DEPLOY) -> list[PolicyResult]:
        try:
            answers: list[tuple[Any, Any]] | None = self._answers(policy_input)
        except RegoEvalError:
            answers = None  # some policy errors: isolate it by evaluating one by one
        results = []
        for index, policy in enumerate(self.policies):
            if trigger is not None and policy.trigger is not trigger:
                continue
            severity = policy.effective_severity(self.today)
            try:
                deny, warn = answers[index] if answers is not None else self._answer(policy_input, policy)
            except RegoEvalError as exc:
                results.append(PolicyResult(policy, Status.ERROR, Severity.ERROR, error=str(exc)))
                continue
            findings = [_finding(item) for item in _items(deny)] + [_finding(i, warning=True) for i in _items(warn)]
            failed = any(not f.warning for f in findings)
            results.append(
                PolicyResult(policy, Status.FAIL if failed else Status.PASS, severity, sorted(findings, key=_order))
            )
        return results


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _finding(item: Any, *, warning: bool = False) -> Finding:
    if isinstance(item, dict):
        return Finding(str(item.get("msg") or item.get("message") or item), str(item.get("path") or ""), warning)
    return Finding(str(item), "", warning)


def _order(finding: Finding) -> tuple[str, str]:
    return (finding.path, finding.message)
