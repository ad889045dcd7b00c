"""Policies evaluated before any data is checked, in one process: rego-cpp's native library loaded before
DuckDB's made DuckDB abort the process later ("double free or corruption"). The governance layer now loads
DuckDB first; this runs the order that crashed, in a fresh interpreter so nothing is imported beforehand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from meshplane.cli.app import main
assert "duckdb" not in sys.modules
assert main(["check", sys.argv[1]]) == 0
sys.exit(main(["demo", sys.argv[2], "--scale", "0.025", "--no-serve", "--format", "json"]))
"""


def test_checking_policies_then_running_pipelines_in_one_process(mini_mesh: Path, tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(mini_mesh), str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"runs"' in done.stdout and '"FAILED"' not in done.stdout
