"""The Tech Adapter server as any HTTP client sees it: the spec's paths, status codes and error bodies."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
import yaml
from remote_helpers import request, running

from meshplane.adapters.base import ProvisionStatus
from meshplane.adapters.remote import RemoteAdapter
from meshplane.web.tech_adapter import create_app

SPEC = Path("fixtures/witboost/witboost_tech_adapter_interface_spec.yml")
REQUEST = Path("fixtures/witboost/witboost_component_provisioning_request_outputport.yml")
HDFS_TEMPLATE = "urn:dmb:itm:cdp-private-hdfs-provisioner:0"
DPS_PORT = """\
dataProduct:
  id: urn:dmb:dp:sales:orders:1
  name: orders
  kind: dataproduct
  domain: sales
  version: 1.0.0
  dataProductOwner: user:bob
  components:
    - kind: outputport
      id: urn:dmb:cmp:sales:orders:1:orders
      name: orders
      outputPortType: SQL
      dataContract:
        schema:
          - {name: order_id, dataType: string}
componentIdToProvision: urn:dmb:cmp:sales:orders:1:orders
"""


def provisioning(descriptor: str, kind: str = "COMPONENT_DESCRIPTOR") -> dict[str, object]:
    return {"descriptorKind": kind, "descriptor": descriptor, "removeData": False}


def assert_request_error(response: httpx.Response, status: int = 400) -> dict[str, object]:
    """The spec's RequestValidationError: ``errors``, a user message, problems and solutions; no traceback."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"]
    assert body["userMessage"]
    assert body["moreInfo"]["problems"] and body["moreInfo"]["solutions"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def poll(client: httpx.Client, path: str, limit: float = 10) -> dict[str, object]:
    deadline = time.monotonic() + limit
    while True:
        body = client.get(path).json()
        if body["status"] != "RUNNING" or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


@pytest.fixture
def http(server: str):
    with httpx.Client(base_url=server, timeout=5) as client:
        yield client


# -- malformed requests ------------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_400_with_an_example(http):
    response = http.post("/v1/provision", content=b"{not json", headers={"Content-Type": "application/json"})
    body = assert_request_error(response)
    assert "COMPONENT_DESCRIPTOR" in body["moreInfo"]["solutions"][0]


def test_missing_fields_are_named(http):
    body = assert_request_error(http.post("/v1/provision", json={"removeData": True}))
    assert "descriptorKind: Field required" in body["errors"]
    assert "descriptor: Field required" in body["errors"]
    assert body["inputErrorField"] == "descriptorKind"


def test_an_unknown_descriptor_kind_is_refused(http):
    assert_request_error(http.post("/v1/provision", json=provisioning(DPS_PORT, kind="BOGUS")))
    body = assert_request_error(http.post("/v1/provision", json=provisioning(DPS_PORT, kind="DATAPRODUCT_DESCRIPTOR")))
    assert "send COMPONENT_DESCRIPTOR" in body["moreInfo"]["solutions"][0]


def test_a_descriptor_that_is_not_yaml_is_located(http):
    body = assert_request_error(http.post("/v1/provision", json=provisioning("dataProduct: [unclosed\n")))
    assert body["userMessage"].startswith("the descriptor is not valid YAML")
    assert body["input"] == "descriptor"
    problem = body["moreInfo"]["problems"][0]
    assert re.match(r"descriptor:\d+:\d+: error\[yaml-syntax\] invalid YAML", problem), problem  # located


def test_a_descriptor_without_a_product_or_a_component_id_is_refused(http):
    body = assert_request_error(http.post("/v1/provision", json=provisioning("componentIdToProvision: x\n")))
    assert "no `dataProduct` mapping" in body["userMessage"]
    no_id = DPS_PORT.replace("componentIdToProvision: urn:dmb:cmp:sales:orders:1:orders\n", "")
    body = assert_request_error(http.post("/v1/provision", json=provisioning(no_id)))
    assert "does not say which component" in body["userMessage"]


def test_a_product_that_cannot_be_read_names_the_field(http):
    broken = DPS_PORT.replace("  kind: dataproduct\n", "  kind: dataset\n")
    body = assert_request_error(http.post("/v1/provision", json=provisioning(broken)))
    assert body["inputErrorField"] == "dataProduct.kind"
    assert "descriptor:4:9: error[codec-invalid] dataProduct.kind:" in body["moreInfo"]["problems"][0]


def test_malformed_acl_and_reverse_requests_get_their_own_examples(http):
    body = assert_request_error(http.post("/v1/updateacl", json={"refs": ["user:alice"]}))
    assert "provisionInfo" in body["moreInfo"]["solutions"][0]
    body = assert_request_error(http.post("/v1/reverse-provisioning", json={"environment": "dev"}))
    assert "useCaseTemplateId" in body["errors"][0]


def test_unknown_tokens_and_paths_answer_in_the_spec_shape(http):
    body = assert_request_error(http.get("/v1/provision/nope/status"))
    assert "unknown token `nope`" in body["userMessage"]
    assert_request_error(http.get("/v1/reverse-provisioning/nope/status"))
    assert_request_error(http.get("/v3/nothing"), status=404)


def test_an_unexpected_error_is_a_500_with_a_correlation_id(http, remote, orders, mesh, mesh_root):
    body = remote._provisioning_request(request(orders, "orders", mesh, mesh_root, crash=True)).body()
    response = http.post("/v1/validate", json=body)
    assert response.status_code == 500
    assert "correlation id" in response.json()["error"]
    assert "passwd" not in response.text and "Traceback" not in response.text
    # Through the client that is an invalid result carrying the message, not an exception.
    validation = remote.validate(request(orders, "orders", mesh, mesh_root, crash=True))
    assert not validation.valid and "(500)" in validation.errors[0]


# -- what the server answers -------------------------------------------------------------------------------


def test_provision_answers_202_with_a_token_then_a_status(http, mesh_root):
    response = http.post("/v1/provision", json=provisioning(DPS_PORT))
    assert response.status_code == 202
    token = response.json()
    assert isinstance(token, str) and token

    status = poll(http, f"/v1/provision/{token}/status")
    assert status["status"] == "COMPLETED"
    assert status["result"].startswith("provision of urn:dmb:cmp:sales:orders:1:orders by `jsonfile` completed")
    assert status["info"]["publicInfo"]["path"] == {
        "type": "string",
        "label": "path",
        "value": status["info"]["privateInfo"]["path"],
    }
    assert Path(status["info"]["privateInfo"]["path"]).is_relative_to(mesh_root / "provisioned" / "dev")
    assert {"timestamp", "level", "message", "phase"} <= set(status["logs"][-1])


def test_validate_answers_200_even_for_an_unreadable_descriptor(http):
    response = http.post("/v1/validate", json=provisioning("dataProduct: [unclosed\n"))
    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert response.json()["error"]["errors"][0].startswith("the descriptor is not valid YAML")
    assert http.post("/v1/validate", json=provisioning(DPS_PORT)).json() == {"valid": True}


def test_asynchronous_validation(http):
    response = http.post("/v2/validate", json=provisioning(DPS_PORT))
    assert response.status_code == 202
    status = poll(http, f"/v2/validate/{response.json()}/status")
    assert status == {"status": "COMPLETED", "info": {"publicInfo": {"valid": True}}}


def test_tokens_belong_to_their_kind_of_operation(http):
    token = http.post("/v2/validate", json=provisioning(DPS_PORT)).json()
    assert_request_error(http.get(f"/v1/provision/{token}/status"))


def test_synchronous_mode_answers_200_when_the_work_is_quick(mesh, mesh_root, file_adapter, orders):
    app = create_app({"jsonfile": file_adapter}, mesh=mesh, mesh_root=mesh_root, sync_wait=5)
    with running(app) as url:
        response = httpx.post(f"{url}/v1/provision", json=provisioning(DPS_PORT), timeout=10)
        assert response.status_code == 200
        assert response.json()["status"] == "COMPLETED"
        with RemoteAdapter.named("sync", ["outputPort"])(url, max_wait=10) as remote:
            result = remote.provision(request(orders, "orders", mesh, mesh_root))
    assert result.ok, result.logs
    assert result.token is None  # no polling happened


def test_a_bearer_token_is_required_when_configured(mesh, mesh_root, file_adapter, orders):
    app = create_app({"jsonfile": file_adapter}, mesh=mesh, mesh_root=mesh_root, token="s3cret")
    with running(app) as url:
        cls = RemoteAdapter.named("guarded", ["outputPort"])
        with cls(url, poll_interval=0.02) as anonymous, cls(url, token="s3cret", poll_interval=0.02) as known:
            refused = anonymous.provision(request(orders, "orders", mesh, mesh_root))
            accepted = known.provision(request(orders, "orders", mesh, mesh_root))
        assert httpx.get(f"{url}/openapi.json").status_code == 200
    assert refused.status is ProvisionStatus.FAILED
    assert "refused POST /v1/provision (401)" in refused.logs[0]
    assert "missing or wrong bearer token" in refused.logs
    assert accepted.ok, accepted.logs


# -- the Witboost fixtures -------------------------------------------------------------------------------


@pytest.mark.shared
def test_openapi_mirrors_the_witboost_spec(shared_dir, http):
    spec = yaml.safe_load((shared_dir / SPEC).read_text())
    ours = http.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            mine = ours["paths"][path][method]
            assert mine["operationId"] == operation["operationId"]
            assert set(mine["responses"]) == {str(code) for code in operation["responses"]}, (path, method)
            if "requestBody" in operation:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                assert mine["requestBody"]["content"]["application/json"]["schema"] == schema
    for name, schema in spec["components"]["schemas"].items():
        if name in ours["components"]["schemas"] and "properties" in schema:
            assert set(schema["properties"]) <= set(ours["components"]["schemas"][name]["properties"]), name
    assert ours["paths"].keys() == spec["paths"].keys()


@pytest.mark.shared
def test_the_real_witboost_request_is_read_but_its_template_is_not_served_here(shared_dir, http):
    """The request asks for the CDP Private HDFS provisioner by ``infrastructureTemplateId``. This server
    has no adapter registered under that id, so it refuses with a 400 naming it, rather than quietly
    provisioning an HDFS port with whichever local adapter serves output ports."""
    descriptor = (shared_dir / REQUEST).read_text()

    body = assert_request_error(http.post("/v1/provision", json=provisioning(descriptor)))
    assert body["userMessage"].startswith(
        f"no tech adapter here serves infrastructureTemplateId `{HDFS_TEMPLATE}` (component `hdfs-output-port`)"
    )
    assert "`jsonfile` (outputPort, storageArea)" in body["moreInfo"]["solutions"][0]
    validation = http.post("/v1/validate", json=provisioning(descriptor)).json()
    assert validation["valid"] is False and HDFS_TEMPLATE in validation["error"]["errors"][0]
    # The file itself, posted as the body, is not a ProvisioningRequest.
    raw = http.post("/v1/provision", content=descriptor.encode(), headers={"Content-Type": "application/json"})
    assert "COMPONENT_DESCRIPTOR" in assert_request_error(raw)["moreInfo"]["solutions"][0]


@pytest.mark.shared
def test_the_real_witboost_request_provisions_once_its_template_is_mapped(shared_dir, mesh, mesh_root, file_adapter):
    descriptor = (shared_dir / REQUEST).read_text()
    # Registered without the template's `:0` version suffix: any version of the template is served.
    adapters = {"urn:dmb:itm:cdp-private-hdfs-provisioner": file_adapter}
    with running(create_app(adapters, mesh=mesh, mesh_root=mesh_root)) as url, httpx.Client(base_url=url) as client:
        token = client.post("/v1/provision", json=provisioning(descriptor)).json()
        status = poll(client, f"/v1/provision/{token}/status")

    assert status["status"] == "COMPLETED", status
    path = Path(status["info"]["privateInfo"]["path"])
    assert path.name == "urn_dmb_cmp_healthcare_vaccinations_0_hdfs-output-port.json" and path.is_file()
    warnings = [log["message"] for log in status["logs"] if log["level"] == "WARNING"]
    assert any("outputPortType `HDFS` has no native equivalent" in w for w in warnings)
    assert any("names environment `development`; this tech adapter serves `dev`" in w for w in warnings)
