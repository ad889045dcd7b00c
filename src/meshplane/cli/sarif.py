"""SARIF 2.1.0, so code-scanning UIs (GitHub, GitLab, IDEs) show findings inline in the descriptor."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from meshplane import __version__
from meshplane.spec.diagnostics import Diagnostic, Severity

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif(diagnostics: Sequence[Diagnostic], *, base: Path | None = None) -> dict[str, Any]:
    rules = sorted({d.code for d in diagnostics})
    results = []
    for diag in diagnostics:
        uri = diag.file
        if base is not None and diag.file:
            try:
                uri = Path(diag.file).resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                uri = Path(diag.file).as_posix()
        text = diag.message + (f" (hint: {diag.hint})" if diag.hint else "")
        result: dict[str, Any] = {"ruleId": diag.code, "level": _LEVEL[diag.severity], "message": {"text": text}}
        if uri:
            region = {"startLine": max(diag.line, 1), "startColumn": max(diag.column, 1)}
            result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "meshplane",
                        "version": __version__,
                        "informationUri": "https://meshplane.dev",
                        "rules": [{"id": r} for r in rules],
                    }
                },
                "results": results,
            }
        ],
    }
