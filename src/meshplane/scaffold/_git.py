"""The few git commands the scaffolder needs, run as subprocesses.

Copier's update is a 3-way merge built on git, so git must be installed; a missing git becomes a
``MeshplaneError`` that says so instead of a ``FileNotFoundError`` from deep inside copier.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from meshplane.errors import MeshplaneError, UnsupportedError


def git_executable() -> str:
    found = shutil.which("git")
    if found is None:
        raise UnsupportedError("git is not installed", hint="templates are versioned with git; install it and retry")
    return found


def run_git(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``git ARGS`` in ``cwd``; a failure becomes a ``MeshplaneError`` carrying git's own message."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([git_executable(), *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise MeshplaneError(f"`git {' '.join(args)}` failed in {cwd}: {detail}")
    return proc


def toplevel(path: Path) -> Path | None:
    """The root of the git work tree holding ``path``, or None when it is not in one."""
    proc = run_git(path, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.strip())


def status(path: Path) -> list[str]:
    """Paths under ``path`` that differ from HEAD (modified, staged or untracked), relative to ``path``."""
    root = toplevel(path)
    if root is None:
        return []
    proc = run_git(path, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    entries = proc.stdout.split("\0")
    changed: list[str] = []
    base = path.resolve()
    skip_next = False
    for entry in entries:
        if skip_next:  # the source path of a rename
            skip_next = False
            continue
        if len(entry) < 4:
            continue
        code, rel = entry[:2], entry[3:]
        skip_next = "R" in code or "C" in code
        try:
            changed.append((root / rel).resolve().relative_to(base).as_posix())
        except ValueError:
            changed.append(rel)
    return sorted(set(changed))
