"""The provisioning facade the CLI and REST API call: open a mesh's control plane, check, plan, deploy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.governance.check import CheckReport, check
from meshplane.provisioning.context import Target, actor, environment, registry_url
from meshplane.provisioning.coordinator import Coordinator
from meshplane.registry import ComponentState, Registry
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.graph import dependency_order
from meshplane.spec.model import DataProduct
from meshplane.spec.workspace import Workspace, open_workspace


@dataclass
class Session:
    workspace: Workspace
    coordinator: Coordinator

    @property
    def registry(self) -> Registry:
        return self.coordinator.registry

    def select(self, refs: list[str] | None) -> list[DataProduct]:
        """The named data products (all when ``refs`` is empty), upstream first."""
        models = [m for _, m in self.workspace.models()]
        if refs:
            chosen = []
            for ref in refs:
                found = self.workspace.find(ref)
                if found is None:
                    names = [m.id for m in models] + [m.name for m in models]
                    raise NotFoundError(
                        f"no data product `{ref}` in the mesh at {self.workspace.root}",
                        hint=did_you_mean(ref, names) or "see `meshplane status`",
                    )
                chosen.append(found)
        else:
            chosen = models
        order = dependency_order(models)
        return sorted(chosen, key=lambda dp: order.index(dp.id))

    def check(self) -> CheckReport:
        """Validation and policies, with the deployed version as ``previous`` for breaking-change rules."""
        return check(self.workspace, previous=lambda dp: self.coordinator.deployed(dp.id))


@contextmanager
def open_session(path: Path, env: str | None = None) -> Iterator[Session]:
    ws = open_workspace(path)
    if ws.mesh_model is None:
        raise NotFoundError(f"no mesh.yaml at or above {path}", hint="deployments need a mesh: run `meshplane init`")
    mesh = ws.mesh_model
    target = Target(mesh, ws.root, environment(mesh, env), actor())
    registry = Registry.open(registry_url(mesh, ws.root))
    try:
        yield Session(ws, Coordinator(target, registry))
    finally:
        registry.close()


def require_clean(report: CheckReport) -> None:
    if not report.ok:
        errors = [d for d in report.diagnostics if d.severity.value == "error"]
        raise InvalidInputError(
            f"{len(errors)} error(s) block the deployment",
            errors,
            hint="fix them (see `meshplane check`); policy warnings do not block",
        )


def set_retirement(session: Session, dp_id: str, *, deprecated_on: date | None, retire_on: date | None) -> None:
    env = session.coordinator.target.environment
    if session.registry.deployment(dp_id, env) is None:
        raise NotFoundError(f"{dp_id} is not deployed in {env}", hint="see `meshplane status`")
    if deprecated_on and retire_on and retire_on < deprecated_on:
        raise InvalidInputError(
            "the retirement date is before the deprecation date", hint="retire on or after the day it is deprecated"
        )
    session.registry.set_lifecycle(dp_id, env, deprecated_on=deprecated_on, retire_on=retire_on)
    session.registry.audit(
        session.coordinator.target.actor,
        "lifecycle",
        dp_id,
        {
            "deprecatedOn": str(deprecated_on) if deprecated_on else None,
            "retireOn": str(retire_on) if retire_on else None,
            "environment": env,
        },
    )


@dataclass
class StatusRow:
    dp_id: str
    status: str
    version: str | None
    deprecated_on: date | None
    retire_on: date | None
    components: list[ComponentState]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataProduct": self.dp_id,
            "status": self.status,
            "version": self.version,
            "deprecatedOn": str(self.deprecated_on) if self.deprecated_on else None,
            "retireOn": str(self.retire_on) if self.retire_on else None,
            "components": [
                {
                    "id": c.component_id,
                    "kind": c.kind,
                    "adapter": c.adapter,
                    "status": str(c.status),
                    "info": c.info,
                    "log": list(c.log[-10:]),
                }
                for c in self.components
            ],
        }


def status_rows(session: Session, refs: list[str] | None) -> list[StatusRow]:
    """Every data product of the mesh and every deployed one (old majors included), or the named ones."""
    env = session.coordinator.target.environment
    deployments = {d.dp_id: d for d in session.registry.deployments(env)}
    if refs:
        ids = [dp.id for dp in session.select(refs)]
    else:
        ids = sorted({*deployments, *(m.id for _, m in session.workspace.models())})
    rows = []
    for dp_id in ids:
        dep = deployments.get(dp_id)
        rows.append(
            StatusRow(
                dp_id,
                str(dep.status) if dep else "NOT_DEPLOYED",
                dep.version if dep else None,
                dep.deprecated_on if dep else None,
                dep.retire_on if dep else None,
                session.registry.components(dp_id, env),
            )
        )
    return rows
