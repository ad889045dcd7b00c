"""Where a data product's data lives: ``<root>/<environment>/<domain>/<dp>/v<major>/…``.

The root is ``mesh.storage.root``: a local path, relative paths resolving against the mesh folder, or an
object-store URI passed through unchanged (delta-rs reads the store's credentials from the environment).
The major is part of the path because a new major is a new data product that runs beside the old one.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from meshplane.adapters.base import ProvisionRequest
from meshplane.errors import InvalidInputError, UnsupportedError
from meshplane.spec.ids import is_name
from meshplane.spec.model import DataProduct

#: URI schemes delta-rs can open (local files aside).
OBJECT_STORE_SCHEMES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "azure", "memory"})
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+://")


@dataclass(frozen=True)
class Location:
    """A storage location: ``uri`` is what storage libraries are given; ``local`` is set on local disk."""

    uri: str
    local: Path | None

    def child(self, *parts: str) -> Location:
        if self.local is not None:
            path = self.local.joinpath(*parts)
            return Location(str(path), path)
        return Location("/".join([self.uri.rstrip("/"), *parts]), None)

    def __str__(self) -> str:
        return self.uri


def root_location(root: str, mesh_root: Path) -> Location:
    """The storage root: ``file://`` and plain paths are local (relative to the mesh), other URIs pass."""
    text = root.strip()
    if _URI.match(text):
        parsed = urlparse(text)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path))
            return Location(str(path), path)
        if parsed.scheme.lower() not in OBJECT_STORE_SCHEMES:
            raise UnsupportedError(
                f"storage root `{root}`: the `{parsed.scheme}` scheme is not a store Meshplane can write to",
                hint="use a local path or one of " + ", ".join(sorted(f"{s}://" for s in OBJECT_STORE_SCHEMES)),
            )
        return Location(text.rstrip("/"), None)
    path = Path(text).expanduser()
    path = (path if path.is_absolute() else mesh_root / path).resolve()
    return Location(str(path), path)


def major_of(dp: DataProduct) -> int:
    try:
        return dp.parsed_id.major
    except ValueError:
        return dp.semver.major


def product_location(request: ProvisionRequest) -> Location:
    """``<root>/<environment>/<domain>/<dp>/v<major>``: everything one data product stores."""
    if not is_name(request.environment):
        raise InvalidInputError(
            f"environment `{request.environment}` is not a valid name",
            hint="environment names are letters, digits, `_`, `.` and `-`, starting with a letter or digit",
        )
    dp = request.dataproduct
    root = root_location(request.mesh.storage.root, request.mesh_root)
    return root.child(request.environment, dp.domain, dp.name, f"v{major_of(dp)}")


def port_location(request: ProvisionRequest) -> Location:
    return product_location(request).child(request.component.name)


def storage_area_location(request: ProvisionRequest) -> Location:
    return product_location(request).child("_storage", request.component.name)


def remove_tree(location: Location, stop_at: Location | None = None) -> bool:
    """Delete a folder and everything in it; on local disk also the parents it leaves empty, up to (not
    including) ``stop_at``. Returns whether there was anything to delete."""
    if location.local is None:
        return _remove_remote(location.uri)
    if not location.local.exists():
        return False
    shutil.rmtree(location.local)
    parent = location.local.parent
    stop = stop_at.local if stop_at is not None else None
    while stop is not None and parent != stop and stop in parent.parents:
        try:
            parent.rmdir()  # only succeeds when empty: siblings keep their parents
        except OSError:
            break
        parent = parent.parent
    return True


def _remove_remote(uri: str) -> bool:
    try:
        from pyarrow import fs
    except ImportError as exc:  # pragma: no cover - pyarrow is a core dependency
        raise UnsupportedError("removing object-store data needs pyarrow") from exc
    try:
        filesystem, path = fs.FileSystem.from_uri(uri)
    except Exception as exc:  # pyarrow raises ArrowInvalid/ArrowNotImplementedError for unknown schemes
        raise UnsupportedError(f"cannot open {uri} to remove it: {exc}") from exc
    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.NotFound:
        return False
    filesystem.delete_dir(path)
    return True
