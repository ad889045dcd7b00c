from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def mesh(mini_mesh: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MESHPLANE_REGISTRY_URL", raising=False)
    monkeypatch.setenv("MESHPLANE_USER", "tester")
    monkeypatch.setenv("MESHPLANE_DEPLOY_GATING", "off")  # the mini mesh predates deploy gating (tests/access)
    return mini_mesh


@pytest.fixture
def edit() -> Callable[[Path, Callable[[dict[str, Any]], object]], None]:
    def apply(path: Path, fn: Callable[[dict[str, Any]], object]) -> None:
        data = yaml.safe_load(path.read_text())
        fn(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    return apply


@pytest.fixture
def status(cli):  # type: ignore[no-untyped-def]
    def read(mesh: Path) -> dict[str, dict[str, Any]]:
        result = cli("status", "--mesh", mesh, "-f", "json")
        assert result.code == 0, result.err
        return {row["dataProduct"]: row for row in json.loads(result.out)["dataProducts"]}

    return read
