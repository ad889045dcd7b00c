"""``meshplane new dataproduct`` and ``meshplane template update``: data products from a versioned template.

Generation and update both go through Copier so that a data product generated today can take the
template's improvements tomorrow without losing its owner's edits: Copier renders the old and the new
template version with the recorded answers and 3-way merges the difference into the folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier
import yaml
from copier.errors import CopierError
from plumbum import local
from plumbum.commands.processes import ProcessExecutionError
from pydantic import ValidationError

from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.scaffold import _git
from meshplane.scaffold.mesh import MESH_FILE, check_name
from meshplane.scaffold.repo import (
    ensure_template_repo,
    portable_path,
    template_versions,
)
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.ids import SemVer, is_dp_id
from meshplane.spec.model import DataProduct

#: The kinds of data product the template can generate; the template's ``kind`` question.
TEMPLATES = ("source-aligned", "aggregate", "consumer-aligned")
ANSWERS_FILE = ".copier-answers.yml"
DESCRIPTOR = "dataproduct.yaml"
_SOURCE_TYPES = ("database", "files")
#: Copier commits in throw-away repositories while updating; where git has no identity configured and
#: cannot guess one, it refuses to. Used only when the environment does not set them.
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Meshplane",
    "GIT_AUTHOR_EMAIL": "templates@meshplane.invalid",
    "GIT_COMMITTER_NAME": "Meshplane",
    "GIT_COMMITTER_EMAIL": "templates@meshplane.invalid",
}
_CONFLICT_MARKERS = (b"<<<<<<< before updating", b">>>>>>> after updating")


@dataclass(frozen=True)
class UpdateResult:
    """What ``update_dataproduct`` did, for the CLI to show and the user to review before committing."""

    path: Path
    from_version: str
    to_version: str
    #: Files (relative to ``path``) the update changed, added or removed; uncommitted for review.
    changed: list[str] = field(default_factory=list)
    #: Files holding inline conflict markers (``<<<<<<< before updating``) or ``.rej`` rejects.
    conflicts: list[str] = field(default_factory=list)

    @property
    def updated(self) -> bool:
        return self.from_version != self.to_version

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicts)


# -- helpers ------------------------------------------------------------------------------------------------
def _resolve_version(version: str | None) -> str:
    """A shipped template version; ``None`` is the latest, a leading ``v`` is accepted."""
    versions = template_versions()
    if version is None:
        return versions[-1]
    wanted = version.strip().removeprefix("v")
    if wanted in versions:
        return wanted
    suggestion = did_you_mean(wanted, versions)
    raise NotFoundError(
        f"template version `{version}` does not exist",
        hint=(f"{suggestion} " if suggestion else "") + f"available: {', '.join(versions)}",
    )


def _declared_domains(mesh_dir: Path) -> tuple[Path, list[dict[str, Any]]]:
    mesh_file = mesh_dir / MESH_FILE
    if not mesh_file.is_file():
        raise NotFoundError(
            f"{mesh_file} does not exist",
            hint="run `meshplane init` to create a mesh, or pass the folder that holds mesh.yaml",
        )
    try:
        data = yaml.safe_load(mesh_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInputError(
            f"{mesh_file} is not valid YAML: {exc}", hint="fix the YAML at the position shown"
        ) from exc
    domains = data.get("domains") if isinstance(data, dict) else None
    return mesh_file, [d for d in domains or [] if isinstance(d, dict)]


@contextmanager
def _copier_errors(action: str, hint: str | None = None) -> Iterator[None]:
    """Copier's and git's failures as ``MeshplaneError``; a git identity for Copier's scratch commits."""
    identity = {key: value for key, value in _GIT_IDENTITY.items() if key not in os.environ}
    try:
        with local.env(**identity):
            yield
    except (CopierError, ProcessExecutionError) as exc:
        detail = str(exc).strip().splitlines()
        raise MeshplaneError(f"{action} failed: {detail[0] if detail else type(exc).__name__}", hint=hint) from exc


# -- generation ---------------------------------------------------------------------------------------------
def new_dataproduct(
    mesh_dir: Path,
    domain: str,
    name: str,
    *,
    owner: str,
    template: str = "source-aligned",
    description: str = "",
    version: str | None = None,
    dp_version: str = "1.0.0",
    owner_group: str | None = None,
    output_port: str | None = None,
    source_dp: str | None = None,
    source_port: str | None = None,
    source_system: str | None = None,
    source_type: str = "database",
) -> Path:
    """Generate ``<mesh_dir>/<domain>/<name>/`` from the data product template and return its path.

    ``template`` is the kind (one of ``TEMPLATES``); ``version`` the template version (default: the
    latest), ``dp_version`` the data product's own version, whose major goes into its id. Aggregate and
    consumer-aligned data products read ``source_port`` of ``source_dp`` (placeholders marked TODO when
    not given); source-aligned ones read ``source_system``, a ``database`` or ``files`` source.
    The folder gets ``dataproduct.yaml``, ``sql/<port>.sql``, ``tests/test_<name>.py``, ``README.md`` and
    Copier's ``.copier-answers.yml``, which ``update_dataproduct`` needs later.
    """
    if template not in TEMPLATES:
        suggestion = did_you_mean(template, TEMPLATES)
        raise NotFoundError(
            f"unknown template `{template}`",
            hint=(f"{suggestion} " if suggestion else "") + f"templates: {', '.join(TEMPLATES)}",
        )
    check_name("domain", domain)
    check_name("data product", name)
    if output_port is not None:
        check_name("output port", output_port)
    if not owner.strip():
        raise InvalidInputError("a data product needs an owner", hint="pass the user id of its owner")
    try:
        SemVer.parse(dp_version)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    template_version = _resolve_version(version)

    data: dict[str, Any] = {
        "domain": domain,
        "name": name,
        "kind": template,
        "owner": owner.strip(),
        "description": description,
        "dp_version": dp_version,
    }
    if output_port is not None:
        data["output_port"] = output_port
    if template == "source-aligned":
        if source_dp is not None or source_port is not None:
            raise InvalidInputError(
                "a source-aligned data product reads an external system, not another data product",
                hint="pass source_system instead, or choose the `aggregate` or `consumer-aligned` template",
            )
        if source_type not in _SOURCE_TYPES:
            raise InvalidInputError(
                f"unknown source type `{source_type}`", hint=f"choose one of {', '.join(_SOURCE_TYPES)}"
            )
        data["source_type"] = source_type
        if source_system is not None:
            check_name("system", source_system)
            data["source_system"] = source_system
    else:
        if source_system is not None:
            raise InvalidInputError(
                f"an {template} data product reads another data product's output port, not a system",
                hint="pass source_dp and source_port, or choose the `source-aligned` template",
            )
        if source_dp is not None:
            if not is_dp_id(source_dp):
                raise InvalidInputError(
                    f"`{source_dp}` is not a data product id",
                    hint="expected urn:dmb:dp:<domain>:<name>:<major>, e.g. urn:dmb:dp:sales:orders:1",
                )
            data["source_dp"] = source_dp
        if source_port is not None:
            check_name("output port", source_port)
            data["source_port"] = source_port

    mesh_file, domains = _declared_domains(mesh_dir)
    declared = {str(d.get("name")): d for d in domains}
    if domain not in declared:
        suggestion = did_you_mean(domain, declared)
        raise MeshplaneError(
            f"domain `{domain}` is not declared in {mesh_file}",
            hint=(f"{suggestion} Or declare" if suggestion else "declare")
            + f" it in mesh.yaml under `domains:` as `- name: {domain}` (with `ownerGroup: {domain}-team`)",
        )
    group = owner_group if owner_group is not None else declared[domain].get("ownerGroup")
    if group:
        data["owner_group"] = str(group)

    target = mesh_dir / domain / name
    if target.exists():
        raise MeshplaneError(
            f"{target} already exists",
            hint="choose another name, or use `meshplane template update` to refresh an existing one",
        )

    repo = ensure_template_repo()
    with _copier_errors(f"generating {domain}/{name}"):
        copier.run_copy(
            portable_path(repo),
            target,
            data=data,
            vcs_ref=f"v{template_version}",
            defaults=True,
            unsafe=False,
            quiet=True,
            overwrite=False,
        )
    try:
        DataProduct.model_validate(yaml.safe_load((target / DESCRIPTOR).read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        shutil.rmtree(target, ignore_errors=True)  # only what we just created
        raise InvalidInputError(
            f"the generated {DESCRIPTOR} is not valid: {exc}",
            hint="check the values given (description, owner); this may be a template bug",
        ) from exc
    return target


# -- update -------------------------------------------------------------------------------------------------
def _answers(dp_dir: Path) -> dict[str, Any]:
    answers_file = dp_dir / ANSWERS_FILE
    if not answers_file.is_file():
        raise NotFoundError(
            f"{dp_dir} was not generated from a Meshplane template (no {ANSWERS_FILE})",
            hint="only folders made by `meshplane new dataproduct` can be updated",
        )
    data = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("_commit"), str):
        raise InvalidInputError(
            f"{answers_file} does not record the template version (`_commit`)",
            hint=f"restore it from git history: git -C {dp_dir} checkout HEAD -- {ANSWERS_FILE}",
        )
    return data


def dataproduct_template_version(dp_dir: Path) -> str:
    """The template version a generated data product is at, from its answers file, e.g. ``1.0.0``."""
    commit = str(_answers(dp_dir)["_commit"])
    return commit.removeprefix("v").split("-")[0]


def _conflicts(dp_dir: Path, changed: list[str]) -> list[str]:
    found = []
    for rel in changed:
        path = dp_dir / rel
        if rel.endswith(".rej"):
            found.append(rel)
            continue
        try:
            lines = path.read_bytes().splitlines()
        except OSError:  # deleted by the update
            continue
        if any(line.rstrip() in _CONFLICT_MARKERS for line in lines):
            found.append(rel)
    return found


def _run_update(dp_dir: Path, src: str, ref: str, recorded_src: str, recorded_commit: str) -> None:
    options: dict[str, Any] = {
        "vcs_ref": ref,
        "defaults": True,
        "overwrite": True,
        "quiet": True,
        "unsafe": False,
        "conflict": "inline",
    }
    if Path(recorded_src).expanduser().absolute() == Path(src).expanduser().absolute():
        copier.run_update(dp_dir, **options)
        return
    # The answers file names a template repository that is not this machine's (the mesh was generated by
    # a colleague or the cache moved). Copier reads the old version's location only from that file, and
    # editing it would make the folder dirty, which Copier refuses; so point its view of the old template
    # at our repository, where the same tag holds the same files (deterministic build, see repo.py).
    from copier._main import Worker  # internal API, needed only here
    from copier._template import Template

    with Worker(src_path=src, dst_path=dp_dir, **options) as worker:
        old = Template(url=src, ref=recorded_commit)
        worker.subproject._cleanup_hooks.append(old._cleanup)
        worker.subproject.__dict__["template"] = old
        worker.run_update()


def update_dataproduct(dp_dir: Path, *, to_version: str | None = None) -> UpdateResult:
    """Bring a generated data product to a newer template version (default: the latest), keeping edits.

    The folder must be inside a git repository with nothing uncommitted under it: the update is a 3-way
    merge whose result is left uncommitted for review, and conflicts are marked inline like a git merge
    and listed in ``UpdateResult.conflicts``. Downgrades are refused.
    """
    dp_dir = dp_dir.resolve()
    if not dp_dir.is_dir():
        raise NotFoundError(f"{dp_dir} does not exist", hint="pass the folder holding dataproduct.yaml")
    answers = _answers(dp_dir)
    current = dataproduct_template_version(dp_dir)
    target = _resolve_version(to_version)

    if current not in template_versions():
        raise MeshplaneError(
            f"{dp_dir} is at template version {current}, which this Meshplane does not ship",
            hint=f"upgrade Meshplane; it knows versions {', '.join(template_versions())}",
        )
    cur_key, target_key = SemVer.parse(current), SemVer.parse(target)
    if (target_key.major, target_key.minor, target_key.patch) < (cur_key.major, cur_key.minor, cur_key.patch):
        raise MeshplaneError(
            f"{dp_dir} is at template version {current}; going back to {target} is not supported",
            hint=f"restore an older state from git history instead: git -C {dp_dir} log -- {ANSWERS_FILE}",
        )
    if current == target:
        return UpdateResult(dp_dir, current, target)

    if _git.toplevel(dp_dir) is None:
        mesh = dp_dir.parent.parent if (dp_dir.parent.parent / MESH_FILE).is_file() else dp_dir
        raise MeshplaneError(
            f"{dp_dir} is not inside a git repository; the update merges through git",
            hint=f"put the mesh under git first: git -C {mesh} init && git -C {mesh} add -A "
            f"&& git -C {mesh} commit -m 'Mesh as generated'",
        )
    dirty = _git.status(dp_dir)
    if dirty:
        shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
        raise MeshplaneError(
            f"{dp_dir} has uncommitted changes ({shown}); the update needs them committed to merge safely",
            hint=f"commit your changes first: git -C {dp_dir} add -A . && git -C {dp_dir} commit -m '…'",
        )

    repo = ensure_template_repo()
    with _copier_errors(
        f"updating {dp_dir} to template {target}",
        hint=f"your last commit holds your work; drop the partial update with "
        f"git -C {dp_dir} checkout -- . && git -C {dp_dir} clean -fd .",
    ):
        _run_update(
            dp_dir, portable_path(repo), f"v{target}", str(answers.get("_src_path", "")), str(answers["_commit"])
        )
    changed = _git.status(dp_dir)
    return UpdateResult(dp_dir, current, target, changed=changed, conflicts=_conflicts(dp_dir, changed))
