"""The folder a demo goes into: refuse to mix it with someone's work, replace a previous demo on request.

A demo leaves a manifest (``.meshplane-demo.json``) listing every file it wrote. It is written *before*
the files, so even a demo interrupted half-way is recognised and can be replaced with ``force``. Replacing
deletes only the files a manifest lists (and folders left empty by that), never anything else - including
the platform state in ``.meshplane/``, which records what was deployed and run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from meshplane.errors import MeshplaneError

MANIFEST = ".meshplane-demo.json"
_FORMAT = 1


def prepare(target: Path, *, force: bool) -> None:
    """Make ``target`` ready to receive a demo, or raise :class:`MeshplaneError` saying what to do."""
    if target.exists() and not target.is_dir():
        raise MeshplaneError(f"{target} is a file, not a folder", hint="choose an empty folder for the demo")
    if not target.exists():
        target.mkdir(parents=True)
        return
    if not any(target.iterdir()):
        return
    manifest = target / MANIFEST
    if manifest.is_file():
        if not force:
            raise MeshplaneError(
                f"{target} already holds a Meshplane demo", hint="choose an empty folder or pass --force to replace it"
            )
        _remove_previous(target, manifest)
        return
    if not force:
        raise MeshplaneError(
            f"{target} is not empty and does not hold a Meshplane demo",
            hint="choose an empty folder or pass --force to write the demo into it anyway",
        )
    # force into a folder that is not a demo: files of the same name are overwritten, nothing is deleted.


def write_manifest(target: Path, files: Iterable[str], *, customers: int, seed: int) -> Path:
    path = target / MANIFEST
    data = {
        "generator": "meshplane demo",
        "format": _FORMAT,
        "customers": customers,
        "seed": seed,
        "files": sorted(files),
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def _remove_previous(target: Path, manifest: Path) -> None:
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError) as exc:
        raise MeshplaneError(
            f"cannot read the previous demo's manifest {manifest}: {exc}",
            hint="delete the folder yourself, or choose an empty one",
        ) from None
    root = target.resolve()
    folders: set[Path] = set()
    for relative in listed:
        path = (root / str(relative)).resolve()
        if root not in path.parents:  # a manifest cannot make us delete outside the demo
            continue
        if path.is_file() or path.is_symlink():
            path.unlink()
        folders.update(p for p in path.parents if root in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    manifest.unlink()
