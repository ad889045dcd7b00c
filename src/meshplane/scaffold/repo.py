"""The versioned template repository that Copier copies from and updates against.

Copier can only update a generated project if its template is a git repository whose versions are tags:
the update renders the old version and the new one and 3-way merges the difference into the user's files.
A wheel cannot ship a git repository, so Meshplane ships every template version as a plain directory
(``templates/dataproduct/<version>/``) and, on first use, materialises them into a git repository in the
user's cache: one commit per version in semantic-version order, each tagged ``v<version>``.

Two properties keep that repository usable by data products generated long ago:

* It is rebuilt *in place* (same path) when the shipped files change, keyed by a hash of their content,
  so the ``_src_path`` recorded in a data product's ``.copier-answers.yml`` keeps pointing at it after a
  Meshplane upgrade.
* Commits are deterministic (fixed author, dates and config), so a rebuild recreates identical commits
  and tags; a tag recorded as ``_commit`` always resolves to the same files.

When the repository lives under the home folder the recorded path is written as ``~/…`` so that a
colleague who clones the mesh resolves it to their own cache; any other mismatch is handled by
``update_dataproduct`` (it points Copier at this machine's repository).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs

from meshplane.errors import MeshplaneError
from meshplane.scaffold._git import run_git
from meshplane.spec.ids import SemVer

#: Bump when the way the repository is built changes, so existing caches are rebuilt.
_BUILD_FORMAT = "1"
#: Kept inside ``.git`` so the work tree stays exactly the template's files.
_HASH_FILE = "meshplane-template-hash"
_ENV_CACHE = "MESHPLANE_CACHE_DIR"
#: Fixed identity and dates make every rebuild produce the same commit ids; the user's git config is
#: ignored so hooks, signing or templates of theirs cannot change (or break) the build.
_BUILD_ENV = {
    "GIT_AUTHOR_NAME": "Meshplane",
    "GIT_AUTHOR_EMAIL": "templates@meshplane.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+0000",
    "GIT_COMMITTER_NAME": "Meshplane",
    "GIT_COMMITTER_EMAIL": "templates@meshplane.invalid",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+0000",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
_SKIP = {"__pycache__", ".DS_Store"}


def shipped_templates() -> Traversable:
    """The template versions inside the installed package (works from a wheel or a zip, too)."""
    return resources.files("meshplane.scaffold").joinpath("templates", "dataproduct")


def _version_key(version: str) -> tuple[int, int, int]:
    parsed = SemVer.parse(version)
    return (parsed.major, parsed.minor, parsed.patch)


def template_versions() -> list[str]:
    """Every shipped template version, oldest first, e.g. ``["1.0.0", "1.1.0"]``."""
    versions = []
    for entry in shipped_templates().iterdir():
        if not entry.is_dir():
            continue
        try:
            parsed = SemVer.parse(entry.name)
        except ValueError:
            continue
        if not parsed.pre:  # Copier skips pre-release tags; shipping one would be a trap
            versions.append(entry.name)
    return sorted(versions, key=_version_key)


def latest_version() -> str:
    return template_versions()[-1]


def cache_dir() -> Path:
    """``$MESHPLANE_CACHE_DIR``, else the platform's user cache folder for Meshplane."""
    override = os.environ.get(_ENV_CACHE)
    return Path(override) if override else Path(platformdirs.user_cache_dir("meshplane"))


def repo_path() -> Path:
    """Where the template repository lives; stable across Meshplane versions (see the module doc)."""
    return cache_dir() / "templates" / "dataproduct"


def portable_path(path: Path) -> str:
    """``path`` as recorded in answers files: ``~/…`` under the home folder, absolute otherwise."""
    absolute = path.expanduser().absolute()
    try:
        return "~/" + absolute.relative_to(Path.home()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _files(root: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in root.iterdir():
        if entry.name in _SKIP or entry.name.endswith((".pyc", ".pyo")):
            continue
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.extend(_files(entry, rel + "/"))
        else:
            found.append((rel, entry))
    return sorted(found, key=lambda item: item[0])


def content_hash() -> str:
    """A digest of every shipped template file; the repository is rebuilt when it changes."""
    digest = hashlib.sha256(f"format {_BUILD_FORMAT}\0".encode())
    root = shipped_templates()
    for version in template_versions():
        digest.update(f"version {version}\0".encode())
        for rel, entry in _files(root.joinpath(version)):
            digest.update(rel.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()


def _recorded_hash(repo: Path) -> str | None:
    try:
        return (repo / ".git" / _HASH_FILE).read_text().strip()
    except OSError:
        return None


def _build(dest: Path, digest: str) -> None:
    """Commit each version over the previous one and tag it, so ``git diff v1.0.0 v1.1.0`` is the change."""
    run_git(dest, "init", "--quiet", "--initial-branch=main", env=_BUILD_ENV)
    root = shipped_templates()
    for version in template_versions():
        for child in dest.iterdir():
            if child.name == ".git":
                continue
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        for rel, entry in _files(root.joinpath(version)):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(entry.read_bytes())
        run_git(dest, "add", "--all", env=_BUILD_ENV)
        run_git(
            dest,
            "commit",
            "--quiet",
            "--no-verify",
            "--allow-empty",
            "-m",
            f"Data product template {version}",
            env=_BUILD_ENV,
        )
        run_git(dest, "tag", f"v{version}", env=_BUILD_ENV)
    (dest / ".git" / _HASH_FILE).write_text(digest + "\n")


def ensure_template_repo() -> Path:
    """The template repository, built or rebuilt first if the shipped templates changed.

    The new repository is built beside the old one and swapped in by renames, so a crash leaves either
    the old or the new one, never half of one; concurrent builders produce identical repositories.
    """
    repo = repo_path()
    digest = content_hash()
    if repo.is_dir() and _recorded_hash(repo) == digest:
        return repo
    parent = repo.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".dataproduct-new-", dir=parent))
    except OSError as exc:
        raise MeshplaneError(
            f"cannot write the template cache in {parent}: {exc.strerror}",
            hint=f"set {_ENV_CACHE} to a writable folder",
        ) from exc
    try:
        _build(staging, digest)
        trash: Path | None = None
        if repo.exists():
            trash = parent / f".dataproduct-old-{uuid.uuid4().hex}"
            repo.rename(trash)
        try:
            staging.rename(repo)
        except OSError:
            if _recorded_hash(repo) != digest:  # not another builder's identical result
                raise
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return repo
