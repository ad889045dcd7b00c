"""A descriptor's history in git: every committed version, oldest first, for changelogs and for checking a
change against what is on a branch (``meshplane check --against origin/main``)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from meshplane.errors import MeshplaneError, NotFoundError
from meshplane.spec import yamlio
from meshplane.spec.loader import load_model
from meshplane.spec.model import DataProduct


@dataclass(frozen=True)
class Version:
    commit: str
    date: str
    author: str
    subject: str
    dataproduct: DataProduct | None


def _git(cwd: Path, *args: str) -> str:
    exe = shutil.which("git")
    if exe is None:
        raise MeshplaneError("git is not installed", hint="install git to read a descriptor's history")
    result = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise MeshplaneError(f"git {' '.join(args[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def _repo_path(file: Path) -> tuple[Path, str]:
    folder = file.resolve().parent
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    except MeshplaneError:
        raise NotFoundError(
            f"{file} is not in a git repository",
            hint="commit the mesh to git to keep its history (git init && git add -A && git commit)",
        ) from None
    return top, file.resolve().relative_to(top).as_posix()


def _parse(text: str, label: str) -> DataProduct | None:
    return load_model(yamlio.parse(text, label), DataProduct).model


def at_revision(file: Path, rev: str) -> DataProduct | None:
    """The descriptor as committed at ``rev``; ``None`` if it did not exist there or does not load."""
    top, rel = _repo_path(file)
    exe = shutil.which("git") or "git"
    shown = subprocess.run([exe, "show", f"{rev}:{rel}"], cwd=top, capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        if "unknown revision" in shown.stderr or "bad revision" in shown.stderr or "invalid object" in shown.stderr:
            raise NotFoundError(f"git revision `{rev}` does not exist", hint="name a branch, tag or commit")
        return None
    return _parse(shown.stdout, f"{rev}:{rel}")


def versions(file: Path) -> list[Version]:
    """Every commit that changed the descriptor, oldest first."""
    top, rel = _repo_path(file)
    log = _git(top, "log", "--follow", "--format=%H%x1f%aI%x1f%an%x1f%s", "--", rel)
    found = []
    for line in reversed(log.strip().splitlines()):
        commit, date, author, subject = line.split("\x1f", 3)
        shown = subprocess.run(
            [shutil.which("git") or "git", "show", f"{commit}:{rel}"],
            cwd=top,
            capture_output=True,
            text=True,
            check=False,
        )
        dp = _parse(shown.stdout, f"{commit[:8]}:{rel}") if shown.returncode == 0 else None
        found.append(Version(commit, date, author, subject, dp))
    return found
