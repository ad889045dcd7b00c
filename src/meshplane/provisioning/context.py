"""Where a mesh's control plane lives: registry URL, environment, actor."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from meshplane.errors import NotFoundError
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.model import Mesh


def registry_url(mesh: Mesh, root: Path) -> str:
    """``MESHPLANE_REGISTRY_URL``, else mesh.yaml's URL; relative SQLite paths resolve against the mesh."""
    url = os.environ.get("MESHPLANE_REGISTRY_URL") or mesh.registry.url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and not url.startswith(prefix + ":memory:"):
        return prefix + str((root / url[len(prefix) :]).resolve())
    return url


def environment(mesh: Mesh, requested: str | None) -> str:
    names = [e.name for e in mesh.environments]
    if requested is None:
        return names[0] if names else "dev"
    if requested not in names:
        raise NotFoundError(
            f"environment `{requested}` is not declared in mesh.yaml",
            hint=did_you_mean(requested, names) or f"declared: {', '.join(names)}",
        )
    return requested


def actor() -> str:
    return os.environ.get("MESHPLANE_USER") or getpass.getuser()


@dataclass(frozen=True)
class Target:
    mesh: Mesh
    root: Path
    environment: str
    actor: str
