"""A deploy through the Witboost Tech Adapter interface: mesh.yaml declares a remote adapter, a component
names it, and `meshplane adapter serve`'s app provisions it on the other side."""

from __future__ import annotations

import json

import pytest
from deltalake import DeltaTable

from meshplane.adapters.catalog import get_adapter
from meshplane.spec.workspace import open_workspace
from meshplane.web.tech_adapter import create_app
from support.servers import running


@pytest.fixture
def remote_mesh(mesh, edit):
    ws = open_workspace(mesh)
    assert ws.mesh_model is not None
    # the serving side answers for the template id the platform registered it under
    adapters = {"remote-delta": get_adapter("delta"), "meshplane": get_adapter("meshplane")}
    app = create_app(adapters, mesh=ws.mesh_model, mesh_root=mesh, environment="dev")
    with running(app) as url:
        edit(
            mesh / "mesh.yaml",
            lambda d: d.update(
                techAdapters=[
                    {"name": "remote-delta", "url": url, "kinds": ["outputPort"], "pollInterval": 0.05, "maxWait": 30}
                ]
            ),
        )
        edit(
            mesh / "sales/orders/dataproduct.yaml",
            lambda d: d["components"][2].update(infrastructureTemplateId="remote-delta"),
        )
        yield mesh


def test_deploy_through_a_remote_adapter(cli, remote_mesh, status):
    plan = json.loads(cli("plan", "orders", "--mesh", remote_mesh, "-f", "json").out)["plans"][0]
    assert {i["name"]: i["adapter"] for i in plan["items"]}["orders"] == "remote-delta"
    result = cli("deploy", "--mesh", remote_mesh, "-f", "json")
    assert result.code == 0, result.out + result.err
    table = remote_mesh / ".meshplane/storage/dev/sales/orders/v1/orders"
    assert [f.name for f in DeltaTable(str(table)).schema().fields][:2] == ["order_id", "customer_id"]
    (port,) = [c for c in status(remote_mesh)["urn:dmb:dp:sales:orders:1"]["components"] if c["id"].endswith(":orders")]
    assert port["adapter"] == "remote-delta" and port["status"] == "DEPLOYED"


def test_an_unreachable_remote_adapter_fails_the_component_with_a_hint(cli, mesh, edit, status):
    edit(
        mesh / "mesh.yaml",
        lambda d: d.update(
            techAdapters=[{"name": "remote-delta", "url": "http://127.0.0.1:9", "kinds": ["outputPort"], "timeout": 2}]
        ),
    )
    edit(
        mesh / "sales/orders/dataproduct.yaml",
        lambda d: d["components"][2].update(infrastructureTemplateId="remote-delta"),
    )
    result = cli("deploy", "--mesh", mesh, "-f", "json")
    assert result.code == 1
    report = {d["dataProduct"]: d for d in json.loads(result.out)["deployments"]}
    orders = report["urn:dmb:dp:sales:orders:1"]
    assert orders["status"] == "PARTIALLY_DEPLOYED" and "127.0.0.1:9" in orders["failures"][0]["error"]
    assert status(mesh)["urn:dmb:dp:customer:customers:1"]["status"] == "DEPLOYED"
