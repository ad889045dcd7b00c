"""Policy results across the mesh: every deploy-time policy evaluated over every *deployed* descriptor.

``meshplane check`` judges the descriptors in the folder; the marketplace judges what consumers actually get.
The engine is the same (``PolicyEngine`` or a remote OPA, with the mesh context as ``data.mesh``), so both
agree on what passes; policies tightened after a deployment show up here as findings on deployed products.

Evaluating costs about 16 ms per product (``benchmarks/bench_policies.py``): minutes at 10,000 products. So
the check runs as a background job in a child process (:mod:`~meshplane.marketplace.governance_worker` says
why), once per deployment state, and a view can be taken at any time — with ``complete`` false and
``evaluated`` counting the products done while it runs. Callers choose how long to wait for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from meshplane.governance.engine import PolicyEngine, PolicyResult, Status
from meshplane.governance.inputs import mesh_context
from meshplane.governance.packs import load_policies
from meshplane.marketplace.views_mesh import (
    Finding,
    GovernanceView,
    PolicyOutcome,
    PolicySummary,
    ProductCompliance,
)
from meshplane.spec.diagnostics import Severity
from meshplane.spec.model import DataProduct, Mesh


def engine_for(mesh: Mesh, root: Path, products: Sequence[DataProduct], today: date) -> tuple[PolicyEngine, list[str]]:
    """The engine ``meshplane check`` would use, with every deployed product as the mesh context."""
    policies, problems = load_policies(mesh, root)
    context = mesh_context(mesh, products)
    notes = [f"{p.file}:{p.line}: {p.message}" for p in problems]
    if mesh.opa is not None:
        from meshplane.governance.opa import RemoteOpaEngine

        return RemoteOpaEngine(policies, context, url=mesh.opa.url, today=today), notes
    return PolicyEngine(policies, context, today=today), notes


def _outcome(r: PolicyResult) -> PolicyOutcome:
    return PolicyOutcome(
        policy=r.policy.id,
        title=r.policy.title,
        status=r.status.value,
        severity=r.severity.value if r.severity else None,
        findings=[Finding(message=f.message, path=f.path, warning=f.warning) for f in r.findings],
        error=r.error,
    )


def _severity(severity: Severity | None) -> str | None:
    return severity.value if severity else None


def _blocks(r: PolicyResult) -> bool:
    return r.status is Status.ERROR or (r.status is Status.FAIL and r.severity is Severity.ERROR)


def _warns(r: PolicyResult) -> bool:
    if _blocks(r):
        return False
    return (r.status is Status.FAIL and r.severity is Severity.WARNING) or any(f.warning for f in r.findings)


def compliance(dp: DataProduct, results: Sequence[PolicyResult]) -> ProductCompliance:
    return ProductCompliance(
        id=dp.id,
        name=dp.name,
        domain=dp.domain,
        errors=sum(_blocks(r) for r in results),
        warnings=sum(_warns(r) for r in results),
        results=[_outcome(r) for r in results],
    )


class GovernanceJob:
    """One evaluation of the mesh's policies over every deployed descriptor, in a child process
    (:mod:`~meshplane.marketplace.governance_worker`) fed and read by a thread of this one."""

    def __init__(
        self,
        mesh_root: Path,
        registry_url: str,
        *,
        environment: str,
        total: int,
        today: date,
        now: Callable[[], datetime],
    ) -> None:
        self.mesh_root, self.registry_url, self.environment, self.today = mesh_root, registry_url, environment, today
        self._now = now
        self._lock = threading.Lock()
        self.done = threading.Event()
        self._cancelled = threading.Event()
        self._child: subprocess.Popen[str] | None = None
        self.total = total
        self.reports: list[ProductCompliance] = []
        self.summaries: dict[str, PolicySummary] = {}
        self.problems: list[str] = []

    def start(self) -> GovernanceJob:
        threading.Thread(target=self._run, name="marketplace-governance", daemon=True).start()
        return self

    def _run(self) -> None:
        try:
            self._evaluate()
        except Exception as exc:  # a broken registry or policy pack: say so on the page instead of hanging
            with self._lock:
                self.problems.append(f"the policy check stopped: {type(exc).__name__}: {exc}")
        finally:
            self.done.set()

    def _evaluate(self) -> None:
        request = {
            "meshRoot": str(self.mesh_root),
            "environment": self.environment,
            "registryUrl": self.registry_url,
            "today": self.today.isoformat(),
        }
        with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
            command = [sys.executable, "-m", "meshplane.marketplace.governance_worker"]
            child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True)
            self._child = child
            try:
                assert child.stdin is not None and child.stdout is not None
                child.stdin.write(json.dumps(request))
                child.stdin.close()
                for line in child.stdout:
                    self._receive(json.loads(line))
            finally:
                if child.poll() is None:
                    child.kill()
                child.wait()
            if child.returncode != 0 and not self._cancelled.is_set() and not self.problems:
                errors.seek(0)
                tail = errors.read()[-500:].strip()
                self.problems.append(f"the policy check exited with {child.returncode}: {tail or 'no message'}")

    def _receive(self, message: dict[str, Any]) -> None:
        with self._lock:
            if "plan" in message:
                plan = message["plan"]
                self.total = len(plan["ids"])
                self.problems.extend(plan["problems"])
                self.summaries = {p["id"]: PolicySummary.model_validate(p) for p in plan["policies"]}
            for data in message.get("reports", []):
                report = ProductCompliance.model_validate(data)
                self._count(report)
                self.reports.append(report)
            if "error" in message:
                self.problems.append(f"the policy check stopped: {message['error']}")

    def cancel(self) -> None:
        """Stop the check now (a server shutting down must not wait minutes for it)."""
        self._cancelled.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.kill()

    def _count(self, report: ProductCompliance) -> None:
        for r in report.results:
            s = self.summaries.get(r.policy)
            if s is None:
                continue
            if r.status == Status.ERROR.value:
                s.errors += 1
            elif r.status == Status.FAIL.value:
                s.failing += 1
            else:
                s.passing += 1

    def view(self) -> GovernanceView:
        """What is known now: everything once ``done`` is set, the products evaluated so far before."""
        with self._lock:
            reports = sorted(self.reports, key=lambda p: (-p.errors, -p.warnings, p.domain, p.name))
            policies = sorted(
                (s.model_copy() for s in self.summaries.values()), key=lambda s: (-s.failing - s.errors, s.id)
            )
            return GovernanceView(
                environment=self.environment,
                policies=policies,
                products=reports,
                compliant=sum(1 for r in reports if r.errors == 0),
                total=self.total,
                evaluated=len(reports),
                complete=self.done.is_set(),
                problems=list(self.problems),
                checked_at=self._now(),
            )
