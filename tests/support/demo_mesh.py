"""A small deployed and run demo mesh, for tests that need real data products behind the marketplace, the
access service or the query gateway.

``build_demo(directory)`` runs ``meshplane demo --no-serve`` at 500 customers (about 5 s): the mesh is written,
checked, deployed (SQLite registry, Delta tables under ``directory/.meshplane``) and every pipeline run. The registry
stores absolute paths, so a built mesh cannot be copied; build one per test module (``scope="module"``).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from meshplane.cli.app import main

#: The demo's default is 20,000 customers; 0.025 of that keeps a test build around five seconds.
SCALE = "0.025"


def build_demo(directory: Path) -> Path:
    """Write, deploy and run the demo mesh in ``directory`` (which must not exist or be empty)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["demo", str(directory), "--scale", SCALE, "--force", "--no-serve", "--format", "json"])
    assert code == 0, f"meshplane demo failed ({code}):\n{out.getvalue()[-2000:]}\n{err.getvalue()[-2000:]}"
    return directory
