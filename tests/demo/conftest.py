"""Fixtures for the demo tests: one small demo per session, its descriptors, and its workloads really run."""

from __future__ import annotations

import pyarrow as pa
import pytest
import yaml
from demo_runner import CUSTOMERS, SEED, Product, run_mesh

from meshplane.demo import DemoSummary, write_demo
from meshplane.spec.model import DataProduct, Mesh


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return write_demo(tmp_path_factory.mktemp("demo") / "acme", customers=CUSTOMERS, seed=SEED)


@pytest.fixture(scope="session")
def mesh(demo: DemoSummary) -> Mesh:
    return Mesh.model_validate(yaml.safe_load(demo.mesh_file.read_text()))


@pytest.fixture(scope="session")
def products(demo: DemoSummary) -> dict[str, Product]:
    found = {}
    for path in demo.descriptors:
        model = DataProduct.model_validate(yaml.safe_load(path.read_text()))
        found[model.id] = Product(model, path.parent)
    return found


@pytest.fixture(scope="session")
def outputs(demo: DemoSummary, products: dict[str, Product]) -> dict[tuple[str, str], pa.Table]:
    """(data product name, port) -> the result of its SQL on the demo's source data."""
    return run_mesh(demo.root, products)
