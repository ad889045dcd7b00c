"""Fixtures of the marketplace tests: a deployed and run demo mesh per test module, its marketplace, its app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meshplane.marketplace import Marketplace
from meshplane.registry import ENV_VAR
from support.demo_mesh import build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo mesh, deployed and run on a SQLite registry (about five seconds; once per module)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        return build_demo(tmp_path_factory.mktemp("market") / "acme")


@pytest.fixture(scope="module")
def market(demo: Path) -> Iterator[Marketplace]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_VAR, raising=False)
        with Marketplace.open(demo, "dev") as opened:
            yield opened
