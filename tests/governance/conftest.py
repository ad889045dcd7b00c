from __future__ import annotations

from pathlib import Path

import pytest

from meshplane.spec.model import DataProduct
from meshplane.spec.workspace import Workspace, open_workspace


@pytest.fixture
def workspace(mini_mesh: Path) -> Workspace:
    return open_workspace(mini_mesh)


@pytest.fixture
def orders(workspace: Workspace) -> DataProduct:
    dp = workspace.find("orders")
    assert dp is not None
    return dp.model_copy(deep=True)


@pytest.fixture
def customers(workspace: Workspace) -> DataProduct:
    dp = workspace.find("customers")
    assert dp is not None
    return dp.model_copy(deep=True)
