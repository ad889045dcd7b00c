"""The spec layer's facade: what the CLI, the REST API and other services call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshplane.spec.checks import check_workspace
from meshplane.spec.diagnostics import Diagnostic
from meshplane.spec.model import DataProduct, Mesh
from meshplane.spec.workspace import Workspace, open_workspace


@dataclass
class ValidationResult:
    workspace: Workspace
    files: list[str]
    diagnostics: list[Diagnostic]


def validate_path(path: Path) -> ValidationResult:
    """Validate what ``path`` names (a mesh, a data product folder or a file), cross-references included."""
    ws = open_workspace(path)
    diagnostics = check_workspace(ws)
    files = [str(p) for p in ws.selected]
    if ws.mesh is not None and (not path.is_file() or path.name == "mesh.yaml"):
        files.insert(0, ws.mesh.document.file)
    return ValidationResult(ws, files, diagnostics)


def descriptor_schema(*, mesh: bool = False) -> dict[str, Any]:
    model = Mesh if mesh else DataProduct
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://meshplane.dev/schema/{'mesh' if mesh else 'dataproduct'}.json"
    return schema
