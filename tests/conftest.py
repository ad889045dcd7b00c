"""Shared fixtures: example meshes, the shared fixtures folder, and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def mini_mesh(tmp_path: Path) -> Path:
    """A writable copy of tests/data/mini, a valid two-domain mesh."""
    target = tmp_path / "mini"
    shutil.copytree(DATA / "mini", target)
    return target


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (it sits beside the project in CI); these tests read its fixtures")
    return SHARED


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``meshplane ARGS`` in-process through the same entry point users call."""
    from meshplane.cli import console
    from meshplane.cli.app import main

    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str | Path) -> CliResult:
        console.out.file = None  # type: ignore[assignment]  # re-bind Rich to the captured streams
        console.err.file = None  # type: ignore[assignment]
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
