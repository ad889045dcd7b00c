"""Find and load a mesh: ``mesh.yaml`` at the root and every ``dataproduct.yaml`` below it.

A path may name a mesh folder, a data product folder, or a descriptor file; a data product inside a mesh
is always read with its mesh so cross-references can be checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from meshplane.errors import NotFoundError
from meshplane.spec.diagnostics import Diagnostic
from meshplane.spec.loader import DESCRIPTOR_FILE, MESH_FILE, Loaded, load_dataproduct, load_mesh
from meshplane.spec.model import DataProduct, Mesh

_SKIP_DIRS = {".meshplane", ".git", ".venv", "node_modules", "__pycache__"}


@dataclass
class Workspace:
    """What was read: the mesh (if any), the data products, and what reading them found."""

    root: Path
    mesh: Loaded[Mesh] | None = None
    products: list[Loaded[DataProduct]] = field(default_factory=list)
    #: The descriptors the user asked about (all of them when a whole mesh was named).
    selected: list[Path] = field(default_factory=list)

    @property
    def mesh_model(self) -> Mesh | None:
        return self.mesh.model if self.mesh else None

    def models(self) -> Iterator[tuple[Loaded[DataProduct], DataProduct]]:
        for loaded in self.products:
            if loaded.model is not None:
                yield loaded, loaded.model

    def by_id(self) -> dict[str, tuple[Loaded[DataProduct], DataProduct]]:
        return {model.id: (loaded, model) for loaded, model in self.models()}

    def broken_ids(self) -> set[str]:
        """Ids declared by descriptors that failed to load (their own errors say why)."""
        return {
            str(loaded.document.data["id"])
            for loaded in self.products
            if loaded.model is None and isinstance(loaded.document.data, dict) and "id" in loaded.document.data
        }

    def find(self, ref: str) -> DataProduct | None:
        """A data product by id, by ``domain/name`` or by name."""
        for _, model in self.models():
            if ref in (model.id, f"{model.domain}/{model.name}", model.name):
                return model
        return None

    def diagnostics(self) -> list[Diagnostic]:
        found = list(self.mesh.diagnostics) if self.mesh else []
        for loaded in self.products:
            found.extend(loaded.diagnostics)
        return found

    def dp_dir(self, model: DataProduct) -> Path:
        for loaded, candidate in self.models():
            if candidate is model:
                return Path(loaded.document.file).parent
        raise NotFoundError(f"data product {model.id} is not part of this workspace")


def find_mesh_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds a ``mesh.yaml``."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / MESH_FILE).is_file():
            return folder
    return None


def discover(root: Path) -> list[Path]:
    """Every descriptor below ``root``, in a stable order, skipping tool folders."""
    found = []
    for path in sorted(root.rglob(DESCRIPTOR_FILE)):
        if not any(part in _SKIP_DIRS or part.startswith(".") for part in path.relative_to(root).parts[:-1]):
            found.append(path)
    return found


def open_workspace(path: Path) -> Workspace:
    """Load what ``path`` names, with its mesh. Raises ``NotFoundError`` only for a path that isn't there."""
    if not path.exists():
        raise NotFoundError(
            f"{path} does not exist", hint="pass a mesh folder, a data product folder or a dataproduct.yaml"
        )
    root = find_mesh_root(path)
    target = path.resolve()
    if root is None:
        files = [target] if target.is_file() else discover(target)
        if not files:
            raise NotFoundError(
                f"no {MESH_FILE} or {DESCRIPTOR_FILE} found in {path}",
                hint="run `meshplane init` to create a mesh, or name a descriptor file",
            )
        ws = Workspace(root=target if target.is_dir() else target.parent, selected=files)
        ws.products = [load_dataproduct(f) for f in files]
        return ws
    ws = Workspace(root=root, mesh=load_mesh(root / MESH_FILE))
    every = discover(root)
    if target.is_file() and target.name != MESH_FILE:
        if target not in every:
            every.append(target)
        ws.selected = [target]
    elif target.is_dir() and target != root:
        ws.selected = [f for f in every if target in f.parents] or every
    else:
        ws.selected = every
    ws.products = [load_dataproduct(f) for f in every]
    return ws
