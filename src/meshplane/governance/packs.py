"""Policy packs: the built-in one, third-party ones (entry points), and the mesh's own ``policies/``.

Built-ins use the same extension point as plugins: the built-in pack is registered under the
``meshplane.policy_packs`` entry-point group in our own ``pyproject.toml``. A pack is a callable returning
``(file name, Rego source)`` pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import metadata, resources
from pathlib import Path

from meshplane.errors import NotFoundError
from meshplane.governance.policy import Policy, parse_policy
from meshplane.governance.rego import RegoCompileError, check_syntax
from meshplane.spec.diagnostics import Diagnostic, Severity, did_you_mean
from meshplane.spec.model import Mesh

ENTRY_POINT_GROUP = "meshplane.policy_packs"
MESH_PACK = "mesh"

PackSource = Callable[[], Iterable[tuple[str, str]]]


def builtin() -> list[tuple[str, str]]:
    """The built-in pack: the seeds' governance examples as policies."""
    folder = resources.files("meshplane.governance") / "packs" / "builtin"
    return sorted(
        (f"builtin/{f.name}", f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".rego") and not f.name.endswith("_test.rego")
    )


def available_packs() -> dict[str, PackSource]:
    packs: dict[str, PackSource] = {"builtin": builtin}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        packs[entry.name] = entry.load()
    return packs


def mesh_policy_files(root: Path, folder: str) -> list[tuple[str, str]]:
    base = root / folder
    if not base.is_dir():
        return []
    return [
        (str(p), p.read_text(encoding="utf-8"))
        for p in sorted(base.rglob("*.rego"))
        if not p.name.endswith("_test.rego")
    ]


def compile_policies(files: Iterable[tuple[str, str]], pack: str) -> tuple[list[Policy], list[Diagnostic]]:
    """Parse metadata and check syntax; a broken policy is a located error, the others still load."""
    policies: list[Policy] = []
    problems: list[Diagnostic] = []
    for name, source in files:
        policy, found = parse_policy(source, name, pack)
        problems.extend(found)
        if policy is None:
            continue
        try:
            check_syntax(name, source)
        except RegoCompileError as exc:
            problems.append(
                Diagnostic(
                    Severity.ERROR,
                    "rego-syntax",
                    f"policy `{policy.id}` does not compile: {exc.message}",
                    file=name,
                    line=exc.line,
                    column=exc.column,
                    hint="fix the Rego; `meshplane policy test` runs it against examples",
                )
            )
            continue
        policies.append(policy)
    return policies, problems


def load_policies(mesh: Mesh | None, root: Path | None) -> tuple[list[Policy], list[Diagnostic]]:
    """Every policy that applies to the mesh: selected packs (with severity overrides) and ``policies/``."""
    packs = available_packs()
    selected = mesh.policy_packs if mesh is not None else []
    names = [p.name for p in selected] if mesh is not None else ["builtin"]
    policies: list[Policy] = []
    problems: list[Diagnostic] = []
    for name in names:
        if name not in packs:
            raise NotFoundError(
                f"policy pack `{name}` named in mesh.yaml is not installed",
                hint=did_you_mean(name, packs) or f"installed packs: {', '.join(sorted(packs))}",
            )
        found, errors = compile_policies(packs[name](), name)
        policies.extend(found)
        problems.extend(errors)
    if mesh is not None and root is not None:
        found, errors = compile_policies(mesh_policy_files(root, mesh.policies), MESH_PACK)
        policies.extend(found)
        problems.extend(errors)
    overrides = {k: v for p in selected for k, v in p.severity_overrides.items()}
    known = {p.id for p in policies}
    for policy_id in overrides:
        if policy_id not in known:
            raise NotFoundError(
                f"mesh.yaml overrides the severity of unknown policy `{policy_id}`",
                hint=did_you_mean(policy_id, known) or "see `meshplane policy list`",
            )
    result = []
    for policy in policies:
        if policy.id in overrides:
            changed = policy.with_override(overrides[policy.id])
            if changed is None:
                continue
            policy = changed
        result.append(policy)
    seen: dict[str, Policy] = {}
    for policy in result:
        if policy.id in seen:
            problems.append(
                Diagnostic(
                    Severity.ERROR,
                    "duplicate-policy",
                    f"policy id `{policy.id}` is also defined in {seen[policy.id].file}",
                    file=policy.file,
                    line=1,
                    column=1,
                    hint="give one of them another custom.id",
                )
            )
        seen.setdefault(policy.id, policy)
    return list(seen.values()), problems


def pack_params(mesh: Mesh | None) -> dict[str, object]:
    params: dict[str, object] = {}
    for pack in mesh.policy_packs if mesh is not None else []:
        params.update(pack.params)
    return params
