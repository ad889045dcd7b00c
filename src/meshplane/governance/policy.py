"""A policy: a Rego module plus the metadata governance needs (severity, scope, lifecycle, trigger).

Metadata is written the way Open Policy Agent documents it, as a ``# METADATA`` YAML comment block at the
top of the module, with Meshplane's fields under ``custom``::

    # METADATA
    # title: Output ports declare an SLA
    # description: Consumers need to know how fresh the data is.
    # custom:
    #   id: output-port-sla
    #   severity: error          # error | warning
    #   resource: outputPort     # dataProduct | outputPort | inputPort | workload
    #   lifecycle: enabled       # draft | grace | enabled
    #   deadline: 2027-01-01     # for grace: becomes enabled on this date
    #   trigger: deploy          # deploy | runtime
    package meshplane.policies.output_port_sla

A policy's rules are ``deny`` (and optionally ``warn``): sets of messages, or of objects
``{"msg": …, "path": "components[2].dataContract.sla"}`` so results can be located in the descriptor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

import yaml

from meshplane.spec.diagnostics import Diagnostic, Severity, did_you_mean


class Lifecycle(StrEnum):
    DRAFT = "draft"
    GRACE = "grace"
    ENABLED = "enabled"


class Trigger(StrEnum):
    DEPLOY = "deploy"
    RUNTIME = "runtime"


class Resource(StrEnum):
    DATA_PRODUCT = "dataProduct"
    OUTPUT_PORT = "outputPort"
    INPUT_PORT = "inputPort"
    WORKLOAD = "workload"


_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)\s*$", re.M)


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    package: str
    source: str
    file: str
    pack: str
    description: str = ""
    severity: Severity = Severity.ERROR
    resource: Resource = Resource.DATA_PRODUCT
    lifecycle: Lifecycle = Lifecycle.ENABLED
    deadline: date | None = None
    trigger: Trigger = Trigger.DEPLOY
    #: Set by a ``severityOverrides`` entry of mesh.yaml, to explain ``policy list``.
    overridden: str | None = None
    examples: dict[str, Any] = field(default_factory=dict)

    def effective_severity(self, today: date) -> Severity | None:
        """What a failure means today: drafts only inform; grace policies warn until their deadline."""
        if self.lifecycle is Lifecycle.DRAFT:
            return Severity.INFO
        if self.lifecycle is Lifecycle.GRACE and (self.deadline is None or today < self.deadline):
            return Severity.WARNING
        return self.severity

    def with_override(self, value: str) -> Policy | None:
        """Apply mesh.yaml's override: ``off`` disables the policy."""
        if value == "off":
            return None
        return replace(self, severity=Severity(value), overridden=value)


def parse_policy(source: str, file: str, pack: str) -> tuple[Policy | None, list[Diagnostic]]:
    """Read a ``.rego`` module's package and metadata. Problems are located diagnostics, never exceptions."""
    problems: list[Diagnostic] = []

    def problem(message: str, line: int = 1, hint: str | None = None) -> None:
        problems.append(
            Diagnostic(Severity.ERROR, "policy-metadata", message, file=file, line=line, column=1, hint=hint)
        )

    match = _PACKAGE.search(source)
    if not match:
        problem("no `package` declaration", hint="start the module with `package meshplane.policies.<id>`")
        return None, problems
    package = match[1]
    meta, meta_line = _metadata_block(source)
    try:
        data = yaml.safe_load(meta) if meta else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem(
            f"the METADATA block is not valid YAML: {getattr(exc, 'problem', exc)}",
            line=meta_line + (mark.line if mark else 0),
        )
        return None, problems
    if not isinstance(data, dict):
        data = {}
    custom = data.get("custom") or {}
    if not isinstance(custom, dict):
        problem("`custom` in METADATA must be a mapping", line=meta_line)
        custom = {}
    values: dict[str, Any] = {}
    for key, enum, default in (
        ("severity", Severity, Severity.ERROR),
        ("resource", Resource, Resource.DATA_PRODUCT),
        ("lifecycle", Lifecycle, Lifecycle.ENABLED),
        ("trigger", Trigger, Trigger.DEPLOY),
    ):
        raw = custom.get(key, default.value)
        choices = [e.value for e in enum if e is not Severity.INFO]
        if str(raw) not in choices:
            problem(
                f"custom.{key} `{raw}` is not one of {', '.join(choices)}",
                line=meta_line,
                hint=did_you_mean(str(raw), choices),
            )
            continue
        values[key] = enum(str(raw))
    deadline = custom.get("deadline")
    if deadline is not None and not isinstance(deadline, date):
        try:
            deadline = date.fromisoformat(str(deadline))
        except ValueError:
            problem(f"custom.deadline `{deadline}` is not a date", line=meta_line, hint="write YYYY-MM-DD")
            deadline = None
    if values.get("lifecycle") is Lifecycle.GRACE and deadline is None:
        problem("a policy in grace needs custom.deadline", line=meta_line, hint="add `deadline: YYYY-MM-DD`")
    if problems:
        return None, problems
    policy_id = str(custom.get("id") or package.rsplit(".", 1)[-1])
    return (
        Policy(
            id=policy_id,
            title=str(data.get("title") or policy_id),
            package=package,
            source=source,
            file=file,
            pack=pack,
            description=str(data.get("description") or "").strip(),
            deadline=deadline,
            **values,
        ),
        [],
    )


def _metadata_block(source: str) -> tuple[str, int]:
    """The YAML inside the first ``# METADATA`` comment block, and the line it starts on."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "# METADATA":
            body = []
            for following in lines[i + 1 :]:
                if not following.startswith("#"):
                    break
                body.append(following[2:] if following.startswith("# ") else following[1:])
            return "\n".join(body), i + 2
    return "", 1
