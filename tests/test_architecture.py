"""Architecture rules: inner layers never import outer ones (enforced by import-linter), small modules."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def test_layers_contract_is_kept():
    result = subprocess.run([str(LINT)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Meshplane layers KEPT" in result.stdout


def test_the_contract_catches_an_inner_layer_importing_an_outer_one(tmp_path):
    """Copy the layer configuration onto a tiny package where `spec` imports `cli`: it must break."""
    pkg = tmp_path / "src" / "meshplane"
    for sub in ("spec", "cli"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "spec" / "bad.py").write_text("import meshplane.cli\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env_path = textwrap.dedent(str(tmp_path / "src"))
    result = subprocess.run(
        [str(LINT)], cwd=tmp_path, capture_output=True, text=True, check=False, env={"PYTHONPATH": env_path}
    )
    assert result.returncode == 1
    assert "meshplane.spec.bad -> meshplane.cli" in result.stdout


def test_source_modules_stay_small():
    too_big = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "src").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert not too_big, f"split these by responsibility: {too_big}"


def test_test_modules_have_unique_names():
    """pytest's default import mode needs unique basenames across test folders (a clash only shows in a
    full run, so CI would be the first to see it)."""
    names: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    clashes = {name: paths for name, paths in names.items() if len(paths) > 1}
    assert not clashes, f"rename one of each: {clashes}"
