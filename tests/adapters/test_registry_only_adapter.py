"""The registry-only adapter: storage-area folders, and validation of what needs nothing created."""

from __future__ import annotations

from typing import Any

import pytest

from meshplane.adapters.base import Operation
from meshplane.adapters.registry_only import RegistryOnlyAdapter
from meshplane.errors import UnsupportedError
from meshplane.spec.model import DataProduct

ADAPTER = RegistryOnlyAdapter()


def with_components(*components: dict[str, Any]) -> DataProduct:
    return DataProduct.model_validate(
        {
            "id": "urn:dmb:dp:sales:orders:2",
            "name": "orders",
            "domain": "sales",
            "kind": "source-aligned",
            "version": "2.1.0",
            "owner": "bob",
            "components": list(components),
        }
    )


def db_port(url: str) -> dict[str, Any]:
    return {
        "kind": "inputPort",
        "name": "raw",
        "source": {"type": "database", "system": "shop", "url": url, "table": "t"},
    }


def test_a_storage_area_is_a_folder_kept_unless_data_is_removed(make_request, mesh_root):
    dp = with_components({"kind": "storageArea", "name": "scratch"})
    folder = mesh_root / "storage" / "dev" / "sales" / "orders" / "v2" / "_storage" / "scratch"

    first = ADAPTER.provision(make_request(dp))
    assert first.ok and first.info["path"] == str(folder) and folder.is_dir()
    (folder / "part.parquet").write_bytes(b"x")
    assert ADAPTER.provision(make_request(dp)).ok, "idempotent, and existing files survive"
    assert (folder / "part.parquet").exists()

    assert ADAPTER.unprovision(make_request(dp)).info["kept"] is True
    assert folder.is_dir()
    assert ADAPTER.unprovision(make_request(dp, remove_data=True)).info["removed"] is True
    assert not (mesh_root / "storage" / "dev").exists()
    assert (mesh_root / "storage").is_dir()


def test_other_kinds_need_nothing_created(make_request):
    dp = with_components(
        db_port("sqlite:///shop.db"),
        {"kind": "workload", "name": "build", "reads": ["raw"], "writes": ["x"], "sql": {"x": "SELECT 1"}},
        {"kind": "observability", "name": "health", "endpoint": "https://status.example.com"},
    )
    for component in dp.components:
        result = ADAPTER.provision(make_request(dp, component=component))
        assert result.ok and result.info["kind"] == component.kind
        assert ADAPTER.unprovision(make_request(dp, component=component, remove_data=True)).ok


@pytest.mark.parametrize(
    ("component", "error"),
    [
        (db_port("sqlite:///shop.db"), None),
        (db_port("postgresql+psycopg://app@db/shop"), None),
        (db_port("mysql://app:secret@db/shop"), "not a database URL Meshplane can read"),
        (db_port("shop.db"), "not a database URL"),
        (
            {"kind": "inputPort", "name": "raw", "source": {"type": "files", "system": "s", "path": "later/x.csv"}},
            None,  # a source file that does not exist yet is not an error
        ),
        ({"kind": "observability", "name": "health", "endpoint": "ftp://example.com"}, "not an http(s) URL"),
        ({"kind": "outputPort", "name": "p", "dataContract": {"columns": []}}, "does not provision outputPort"),
    ],
)
def test_validate_refuses_only_what_would_surely_fail(make_request, component, error):
    dp = with_components(component)
    result = ADAPTER.validate(make_request(dp))
    assert result.valid is (error is None)
    if error:
        assert error in result.errors[0]
        assert "secret" not in result.errors[0]


def test_plan(make_request):
    dp = with_components({"kind": "storageArea", "name": "scratch"})
    changed = with_components({"kind": "storageArea", "name": "scratch", "description": "tmp"})
    assert ADAPTER.plan(make_request(dp)) is Operation.CREATE
    assert ADAPTER.plan(make_request(dp, previous=dp)) is Operation.NOOP
    assert ADAPTER.plan(make_request(changed, previous=dp)) is Operation.UPDATE


def test_nothing_to_reverse_provision():
    with pytest.raises(UnsupportedError):
        ADAPTER.reverse_provision({})
