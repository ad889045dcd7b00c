"""The spec layer's facade: what the CLI, the REST API and other services call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.spec.checks import check_workspace
from meshplane.spec.diagnostics import Diagnostic, did_you_mean
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


def resolve_dataproduct_file(ref: str, mesh: Path) -> Path:
    """The descriptor file of a data product named by path, id, ``domain/name`` or name."""
    candidate = Path(ref)
    if candidate.is_file():
        return candidate
    if candidate.is_dir() and (candidate / "dataproduct.yaml").is_file():
        return candidate / "dataproduct.yaml"
    dp = resolve_dataproduct(ref, mesh)
    ws = open_workspace(mesh)
    return ws.dp_dir(next(m for _, m in ws.models() if m.id == dp.id)) / "dataproduct.yaml"


def resolve_dataproduct(ref: str, mesh: Path) -> DataProduct:
    """A data product named by a descriptor path, a folder, an id, ``domain/name`` or a name in ``mesh``.

    Raises ``InvalidInputError`` (with the diagnostics) when the descriptor does not load.
    """
    candidate = Path(ref)
    if candidate.exists():
        ws = open_workspace(candidate)
        loaded = next(
            (p for p in ws.products if Path(p.document.file).resolve() in {s.resolve() for s in ws.selected}), None
        )
        if loaded is None:
            raise NotFoundError(f"no dataproduct.yaml in {ref}")
        if loaded.model is None:
            raise InvalidInputError(
                f"{loaded.document.file} has errors", loaded.diagnostics, hint=f"run `meshplane validate {ref}`"
            )
        return loaded.model
    ws = open_workspace(mesh)
    found = ws.find(ref)
    if found is None:
        names = [m.id for _, m in ws.models()] + [m.name for _, m in ws.models()]
        raise NotFoundError(
            f"no data product `{ref}` in the mesh at {ws.root}",
            hint=did_you_mean(ref, names) or "pass a descriptor path, an id or a name",
        )
    return found
