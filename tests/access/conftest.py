from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from access_kit import open_registry

from meshplane.registry import Registry


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(tmp_path)
    yield reg
    reg.close()
