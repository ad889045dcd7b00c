"""A real Tech Adapter server (uvicorn on 127.0.0.1, a free port), once per module, backed by
``JsonFileAdapter`` (see ``remote_helpers``), whose effects are files a test can look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_helpers import JsonFileAdapter, running

from meshplane.adapters.base import TechAdapter
from meshplane.adapters.remote import RemoteAdapter
from meshplane.spec.loader import load_dataproduct, load_mesh
from meshplane.spec.model import DataProduct, Mesh
from meshplane.web.tech_adapter import create_app

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"


@pytest.fixture(scope="module")
def mesh_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mesh") / "mini"
    shutil.copytree(MINI, root)
    return root


@pytest.fixture(scope="module")
def mesh(mesh_root: Path) -> Mesh:
    loaded = load_mesh(mesh_root / "mesh.yaml")
    assert loaded.model is not None
    return loaded.model


@pytest.fixture(scope="module")
def orders(mesh_root: Path) -> DataProduct:
    loaded = load_dataproduct(mesh_root / "sales" / "orders" / "dataproduct.yaml")
    assert loaded.model is not None
    return loaded.model


@pytest.fixture(scope="module")
def file_adapter() -> JsonFileAdapter:
    adapter = JsonFileAdapter()
    assert isinstance(adapter, TechAdapter)
    return adapter


@pytest.fixture(scope="module")
def server(mesh: Mesh, mesh_root: Path, file_adapter: JsonFileAdapter) -> Iterator[str]:
    """The server every test shares: answers 202 and works in the background."""
    app = create_app({"jsonfile": file_adapter}, mesh=mesh, mesh_root=mesh_root)
    with running(app) as url:
        yield url


@pytest.fixture
def remote(server: str) -> Iterator[RemoteAdapter]:
    """A client of ``server`` that polls fast and gives up after 10 s."""
    cls = RemoteAdapter.named("files-over-http", ["outputPort", "storage"], supports_reverse=True)
    with cls(server, poll_interval=0.02, max_wait=10, timeout=5) as adapter:
        yield adapter
