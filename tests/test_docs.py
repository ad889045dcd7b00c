"""Docs that cannot drift: the README's CLI reference is what `--help` says, and every policy is listed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_cli_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_cli_reference_in_readme_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _generator().render(readme) == readme, "run `make docs` to regenerate the CLI reference"


def test_every_command_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in _generator().command_paths()[1:]:
        assert f"### `meshplane {' '.join(path)}`" in readme


def test_every_builtin_policy_is_in_the_readme():
    from meshplane.governance.packs import builtin, compile_policies

    policies, _ = compile_policies(builtin(), "builtin")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p.id for p in policies if f"`{p.id}`" not in readme]
    assert not missing, f"document these built-in policies in README.md: {missing}"
