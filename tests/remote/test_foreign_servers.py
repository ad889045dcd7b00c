"""RemoteAdapter against tech adapters that are not Meshplane's: other answer styles, errors and misbehaviour.

A stub server plays a third-party specific provisioner; ``MODE`` says how it answers the next call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from remote_helpers import request, running

from meshplane.adapters.base import ProvisionStatus
from meshplane.adapters.remote import RemoteAdapter
from meshplane.errors import NotFoundError
from meshplane.spec.model import Mesh
from meshplane.web.tech_adapter import create_app, serve

MODE: dict[str, Any] = {}
SEEN: list[dict[str, Any]] = []
SYSTEM_ERROR = {
    "error": "deprecated text",
    "userMessage": "Impala is unreachable",
    "input": "urn:dmb:cmp:sales:orders:1:orders",
    "moreInfo": {"problems": ["connect timed out to impala:21050"], "solutions": ["check the Impala host"]},
}


def _stub() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/provision")
    async def provision(req: Request) -> Response:
        SEEN.append(await req.json())
        mode = MODE.get("mode")
        if mode == "system-error":
            return JSONResponse(SYSTEM_ERROR, status_code=500)
        if mode == "off-spec":
            return JSONResponse({"state": "done"})
        if mode == "slow":
            await asyncio.sleep(0.5)
        return PlainTextResponse("tok-1", status_code=202)  # a token as bare text, not a JSON string

    @app.get("/v1/provision/{token}/status")
    async def status(token: str) -> Response:
        return JSONResponse(
            {
                "status": "COMPLETED",
                "result": "done by the stub",
                "info": {
                    "publicInfo": {"jdbc": {"type": "string", "label": "JDBC", "value": "jdbc:impala://x/db"}},
                    "privateInfo": {},
                },
                "logs": [{"timestamp": "2024-05-01T10:00:00Z", "level": "info", "message": f"token {token}"}],
            }
        )

    return app


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    with running(_stub()) as url:
        yield url


@pytest.fixture
def client(stub: str) -> Iterator[RemoteAdapter]:
    MODE.clear()
    SEEN.clear()
    with RemoteAdapter.named("impala", ["outputPort"])(stub, poll_interval=0.02, max_wait=5, timeout=2) as adapter:
        yield adapter


def test_the_request_is_a_dps_component_descriptor(client, orders, mesh, mesh_root):
    client.provision(request(orders, "orders", mesh, mesh_root))
    sent = SEEN[-1]
    assert sent["descriptorKind"] == "COMPONENT_DESCRIPTOR" and sent["removeData"] is False
    descriptor = yaml.safe_load(sent["descriptor"])
    assert descriptor["componentIdToProvision"] == "urn:dmb:cmp:sales:orders:1:orders"
    product = descriptor["dataProduct"]
    assert product["kind"] == "dataproduct" and product["environment"] == "dev"
    assert list(product)[:7] == ["id", "name", "description", "kind", "domain", "version", "environment"]
    ports = [c for c in product["components"] if c["kind"] == "outputport"]
    assert ports[0]["dataContract"]["schema"][0]["name"] == "order_id"


def test_other_answer_styles_are_understood(client, orders, mesh, mesh_root):
    result = client.provision(request(orders, "orders", mesh, mesh_root))
    assert result.status is ProvisionStatus.COMPLETED
    assert result.token == "tok-1"
    assert result.info == {"jdbc": "jdbc:impala://x/db"}  # {type, label, value} unwrapped
    assert result.logs == ["token tok-1", "done by the stub"]


def test_a_system_error_body_reaches_the_logs(client, orders, mesh, mesh_root):
    MODE["mode"] = "system-error"
    result = client.provision(request(orders, "orders", mesh, mesh_root))
    assert result.status is ProvisionStatus.FAILED
    assert result.logs[0].endswith("failed on POST /v1/provision (500)")
    assert result.logs[1:] == [
        "Impala is unreachable",
        "deprecated text",
        "at urn:dmb:cmp:sales:orders:1:orders",
        "problem: connect timed out to impala:21050",
        "solution: check the Impala host",
    ]


def test_an_answer_off_the_spec_is_a_failure_that_says_so(client, orders, mesh, mesh_root):
    MODE["mode"] = "off-spec"
    result = client.provision(request(orders, "orders", mesh, mesh_root))
    assert result.status is ProvisionStatus.FAILED
    assert "does not follow the Witboost interface: status: Field required" in result.logs[0]


def test_a_timeout_names_the_url_and_the_limit(stub, orders, mesh, mesh_root):
    MODE["mode"] = "slow"
    with RemoteAdapter.named("impala", ["outputPort"])(stub, timeout=0.1) as hasty:
        result = hasty.provision(request(orders, "orders", mesh, mesh_root))
    assert result.status is ProvisionStatus.FAILED
    assert result.logs[0] == f"tech adapter `impala` at {stub} did not answer POST /v1/provision within 0.1s"
    assert "raise `timeout`" in result.logs[1]


def test_validation_falls_back_to_v2_where_v1_is_missing(mesh, mesh_root, file_adapter, orders):
    app = create_app({"jsonfile": file_adapter}, mesh=mesh, mesh_root=mesh_root)
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") != "/v1/validate"]
    with running(app) as url, RemoteAdapter.named("v2", ["outputPort"])(url, poll_interval=0.02) as v2:
        assert v2.validate(request(orders, "orders", mesh, mesh_root)).valid
        invalid = v2.validate(request(orders, "orders", mesh, mesh_root, invalid="no"))
    assert invalid.errors == ["no"]


def test_serving_needs_a_mesh_and_a_declared_environment(tmp_path: Path, mesh_root: Path):
    with pytest.raises(NotFoundError, match=r"mesh\.yaml does not exist"):
        serve(mesh_root=tmp_path)
    with pytest.raises(NotFoundError, match="environment `prod` is not declared in mesh `mini`") as caught:
        create_app({}, mesh=Mesh(name="mini"), mesh_root=mesh_root, environment="prod")
    assert caught.value.hint == "use one of dev"
