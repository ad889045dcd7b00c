"""Scaffolding: new meshes, and data products generated from (and kept up to date with) a versioned template.

The CLI's ``meshplane init``, ``meshplane new dataproduct`` and ``meshplane template update`` are thin
shells over these functions; they raise ``MeshplaneError`` subclasses and never print.
"""

from meshplane.scaffold.dataproduct import (
    ANSWERS_FILE,
    TEMPLATES,
    UpdateResult,
    dataproduct_template_version,
    new_dataproduct,
    update_dataproduct,
)
from meshplane.scaffold.mesh import init_mesh, mesh_yaml
from meshplane.scaffold.repo import (
    cache_dir,
    ensure_template_repo,
    latest_version,
    repo_path,
    template_versions,
)

__all__ = [
    "ANSWERS_FILE",
    "TEMPLATES",
    "UpdateResult",
    "cache_dir",
    "dataproduct_template_version",
    "ensure_template_repo",
    "init_mesh",
    "latest_version",
    "mesh_yaml",
    "new_dataproduct",
    "repo_path",
    "template_versions",
    "update_dataproduct",
]
