"""A built-in adapter chosen by the catalog (Delta Lake for output ports), driven over HTTP by RemoteAdapter.

This is the whole loop a Witboost coordinator, or another Meshplane, would run against ``meshplane adapter
serve``: nothing in-test stands between the HTTP call and the real Delta table it creates.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_helpers import request, running

from meshplane.adapters.base import ProvisionStatus
from meshplane.adapters.remote import RemoteAdapter
from meshplane.web.tech_adapter import create_app

deltalake = pytest.importorskip("deltalake")
pytest.importorskip("meshplane.adapters.catalog")


@pytest.fixture(scope="module")
def delta_server(mesh, mesh_root) -> Iterator[str]:
    with running(create_app(mesh=mesh, mesh_root=mesh_root)) as url:  # no mapping: the catalog chooses
        yield url


@pytest.fixture
def delta(delta_server: str) -> Iterator[RemoteAdapter]:
    cls = RemoteAdapter.named("meshplane-delta", ["outputPort"], supports_reverse=True)
    with cls(delta_server, poll_interval=0.02, max_wait=20) as adapter:
        yield adapter


def test_an_output_port_becomes_a_delta_table(delta, orders, mesh, mesh_root):
    assert delta.validate(request(orders, "orders", mesh, mesh_root)).valid

    result = delta.provision(request(orders, "orders", mesh, mesh_root))

    assert result.status is ProvisionStatus.COMPLETED, result.logs
    table = deltalake.DeltaTable(str(result.info["path"]))
    assert [f.name for f in table.schema().fields] == ["order_id", "customer_id", "amount", "status"]
    assert Path(str(result.info["path"])).is_relative_to(mesh_root)
    again = delta.provision(request(orders, "orders", mesh, mesh_root))
    assert again.ok and again.info["version"] == result.info["version"], "provisioning again changes nothing"


def test_reverse_provisioning_describes_the_table(delta, orders, mesh, mesh_root):
    path = delta.provision(request(orders, "orders", mesh, mesh_root)).info["path"]
    component = delta.reverse_provision(
        {"useCaseTemplateId": "urn:dmb:utm:delta:0", "environment": "dev", "path": path}
    )
    assert component["kind"] == "outputPort"
    assert [c["name"] for c in component["dataContract"]["columns"]][:2] == ["order_id", "customer_id"]


def test_access_goes_through_the_adapter_even_without_grants_of_its_own(delta, orders, mesh, mesh_root):
    result = delta.update_acl(request(orders, "orders", mesh, mesh_root), ["sales-team"])
    assert result.ok
    assert "the query gateway enforces access" in result.info["note"]
