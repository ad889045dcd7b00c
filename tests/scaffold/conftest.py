"""Fixtures of the scaffolding tests: a private template cache, a fresh mesh, and git with a fixed identity."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from meshplane.scaffold import init_mesh


@pytest.fixture(autouse=True)
def template_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test builds the template repository in its own cache, never the user's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MESHPLANE_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def mesh(tmp_path: Path) -> Path:
    """A new mesh with the `sales` and `customer` domains."""
    root = tmp_path / "mesh"
    init_mesh(root, "demo", domains=["sales", "customer"])
    return root


def run_git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-C",
            str(repo),
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def commit_all(repo: Path, message: str) -> None:
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def git() -> Callable[..., str]:
    """``git(repo, *args)``: run git with a test identity, return its output."""
    return run_git


@pytest.fixture
def commit() -> Callable[[Path, str], None]:
    """``commit(repo, message)``: stage everything and commit it."""
    return commit_all


@pytest.fixture
def mesh_repo(mesh: Path) -> Path:
    """The mesh as a git repository with everything committed."""
    run_git(mesh, "init", "-q")
    commit_all(mesh, "Create the mesh")
    return mesh
