"""Fixtures for the runtime: the test mesh (``runtime_kit``) built and deployed once per session, and copied
fresh into every test (the registry and the Delta tables live inside the mesh folder, relative paths only).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_kit import Rt, build


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("rt-template") / "rt"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MESHPLANE_REGISTRY_URL", raising=False)
        patch.setenv("MESHPLANE_USER", "tester")
        patch.setenv("MESHPLANE_DEPLOY_GATING", "off")  # these meshes predate deploy gating (tests/access)
        build(root)
    yield root


@pytest.fixture
def rt(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Rt:
    monkeypatch.delenv("MESHPLANE_REGISTRY_URL", raising=False)
    monkeypatch.setenv("MESHPLANE_USER", "tester")
    monkeypatch.setenv("MESHPLANE_DEPLOY_GATING", "off")
    root = tmp_path / "rt"
    shutil.copytree(built, root)
    return Rt(root)
