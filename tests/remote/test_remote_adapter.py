"""RemoteAdapter against Meshplane's own Tech Adapter server, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import pytest
from remote_helpers import JsonFileAdapter, request

from meshplane.adapters.base import Operation, ProvisionStatus, TechAdapter
from meshplane.adapters.remote import RemoteAdapter, RemoteConfig, RemoteError, remote_adapter
from meshplane.errors import InvalidInputError, NotFoundError, UnsupportedError
from meshplane.spec.model import OutputPort


def _written(result_info: dict[str, object]) -> dict[str, object]:
    path = Path(str(result_info["path"]))
    assert path.is_file(), f"provisioning reported {path} but it is not there"
    return json.loads(path.read_text())


def test_provision_is_asynchronous_and_creates_the_component(remote, orders, mesh, mesh_root):
    result = remote.provision(request(orders, "orders", mesh, mesh_root))

    assert result.status is ProvisionStatus.COMPLETED, result.logs
    assert result.token, "the server answers 202: the token used for polling is kept"
    record = _written(result.info)
    assert record["dataProduct"] == orders.id
    assert record["operation"] == "create"
    # The adapter's info comes back exactly (privateInfo), not just as display strings.
    assert result.info["rows"] == 0 and result.info["columns"] == ["a", "b"]
    assert any("wrote urn_dmb_cmp_sales_orders_1_orders.json" in line for line in result.logs)


def test_the_component_survives_the_dps_translation(remote, orders, mesh, mesh_root):
    """What the server's adapter receives is the component we sent, though it travelled as DPS."""
    result = remote.provision(request(orders, "orders", mesh, mesh_root))
    port = orders.component("orders")
    assert port is not None
    assert _written(result.info)["component"] == port.to_data()


def test_native_dialect_is_understood_too(server, orders, mesh, mesh_root):
    cls = RemoteAdapter.named("native", ["outputPort"])
    with cls(server, dialect="native", poll_interval=0.02, max_wait=10) as native:
        result = native.provision(request(orders, "orders", mesh, mesh_root))
    assert result.ok, result.logs
    port = orders.component("orders")
    assert port is not None
    assert _written(result.info)["component"] == port.to_data()


def test_previous_component_travels_as_latest_enriched_descriptor(remote, orders, mesh, mesh_root):
    before = orders.component("orders")
    assert isinstance(before, OutputPort)
    req = request(orders, "orders", mesh, mesh_root, previous=before.model_copy(update={"description": "old"}))
    assert remote.plan(req) is Operation.UPDATE

    result = remote.provision(req)

    record = _written(result.info)
    assert record["operation"] == "update"
    assert isinstance(record["previous"], dict) and record["previous"]["description"] == "old"


def test_unknown_component_fails_with_the_servers_message(remote, orders, mesh, mesh_root):
    stray = OutputPort.model_validate({"name": "ghost", "dataContract": {"columns": [{"name": "a", "type": "string"}]}})
    req = request(orders, "orders", mesh, mesh_root)
    req = dataclasses.replace(req, component=stray)

    result = remote.provision(req)

    assert result.status is ProvisionStatus.FAILED
    text = "\n".join(result.logs)
    assert "refused POST /v1/provision (400)" in text
    assert "component `urn:dmb:cmp:sales:orders:1:ghost` is not in data product `urn:dmb:dp:sales:orders:1`" in text
    assert "solution:" in text  # the server's moreInfo.solutions reach the logs


def test_a_failing_adapter_gives_a_failed_result_with_its_message(remote, orders, mesh, mesh_root):
    result = remote.provision(request(orders, "orders", mesh, mesh_root, fail="disk quota exceeded"))
    assert result.status is ProvisionStatus.FAILED
    assert "[provision] ERROR: disk quota exceeded" in result.logs


def test_a_crashing_adapter_gives_a_correlation_id_not_its_internals(remote, orders, mesh, mesh_root):
    result = remote.provision(request(orders, "orders", mesh, mesh_root, crash=True))
    text = "\n".join(result.logs)
    assert result.status is ProvisionStatus.FAILED
    assert "correlation id" in text
    assert "passwd" not in text and "Traceback" not in text


def test_validate_valid_and_invalid(remote, orders, mesh, mesh_root):
    assert remote.validate(request(orders, "orders", mesh, mesh_root)).valid

    invalid = remote.validate(request(orders, "orders", mesh, mesh_root, invalid="amount must be decimal(12,2)"))
    assert not invalid.valid
    assert invalid.errors == ["amount must be decimal(12,2)"]


def test_validate_of_a_component_nobody_serves_is_invalid_not_an_error(remote, orders, mesh, mesh_root):
    result = remote.validate(request(orders, "build", mesh, mesh_root))
    assert not result.valid
    assert "no tech adapter here serves workload components" in result.errors[0]


def test_unprovision_keeps_or_removes_data(remote, orders, mesh, mesh_root):
    provisioned = remote.provision(request(orders, "orders", mesh, mesh_root))
    path = Path(str(provisioned.info["path"]))

    kept = remote.unprovision(request(orders, "orders", mesh, mesh_root))
    assert kept.ok and path.exists()
    removed = remote.unprovision(request(orders, "orders", mesh, mesh_root, remove_data=True))
    assert removed.ok, removed.logs
    assert not path.exists()


def test_update_acl_sends_refs_and_the_server_grants_meshplane_principals(remote, orders, mesh, mesh_root):
    remote.provision(request(orders, "orders", mesh, mesh_root))
    result = remote.update_acl(request(orders, "orders", mesh, mesh_root), ["sales-team", "alice", "user:carol"])

    assert result.ok, result.logs
    acl = Path(str(result.info["acl"]))
    # sales-team is a mesh group → group:sales-team on the wire → sales-team again on the server.
    assert json.loads(acl.read_text()) == ["alice", "carol", "sales-team"]


def test_reverse_provisioning_round_trip(remote):
    updates = remote.reverse_provision({"useCaseTemplateId": "jsonfile", "environment": "dev", "table": "t1"})
    assert updates["spec.mesh.description"] == "imported from t1"
    assert updates["received"] == {"table": "t1", "useCaseTemplateId": "jsonfile", "environment": "dev"}


def test_reverse_provisioning_failure_raises_with_the_servers_logs(remote):
    with pytest.raises(RemoteError) as caught:
        remote.reverse_provision({"useCaseTemplateId": "jsonfile", "environment": "dev"})
    assert any("needs `table`" in line for line in caught.value.logs)


def test_slow_operation_past_max_wait_fails_but_keeps_the_token(server, orders, mesh, mesh_root):
    cls = RemoteAdapter.named("impatient", ["outputPort"])
    with cls(server, poll_interval=0.02, max_wait=0.3) as impatient:
        result = impatient.provision(request(orders, "orders", mesh, mesh_root, sleep=1.0))

        assert result.status is ProvisionStatus.FAILED
        assert result.token
        assert "gave up after waiting 0.3s" in result.logs[0]
        assert f"RemoteAdapter.wait('{result.token}')" in result.logs[1]
        later = impatient.wait(result.token, max_wait=10)
    assert later.status is ProvisionStatus.COMPLETED, later.logs


def test_unknown_token_fails_cleanly(remote):
    result = remote.wait("no-such-token", max_wait=1)
    assert result.status is ProvisionStatus.FAILED
    assert "unknown token `no-such-token`" in "\n".join(result.logs)


def test_server_down_fails_with_a_hint_naming_the_url(orders, mesh, mesh_root):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    adapter = remote_adapter("down", url, ["outputPort"], timeout=2)
    result = adapter.provision(request(orders, "orders", mesh, mesh_root))
    validation = adapter.validate(request(orders, "orders", mesh, mesh_root))

    assert result.status is ProvisionStatus.FAILED
    assert result.logs[0] == f"cannot reach tech adapter `down` at {url}: connection refused"
    assert url in result.logs[1] and "running" in result.logs[1]
    assert not validation.valid and url in validation.errors[0]


# -- the adapter as a protocol implementation --------------------------------------------------------------


def test_named_subclasses_carry_the_protocol_class_variables():
    cls = RemoteAdapter.named("pg", ["outputport", "storage"], supports_acl=False)
    adapter = cls("http://localhost:1")
    assert isinstance(adapter, TechAdapter)
    assert adapter.name == "pg" and cls.name == "pg"
    assert cls.kinds == frozenset({"outputPort", "storageArea"})
    assert cls.supports_acl is False and cls.supports_update is True and cls.supports_reverse is False
    assert RemoteAdapter.named("pg", ["storageArea", "outputPort"], supports_acl=False) is cls
    assert RemoteAdapter.name == "remote" and RemoteAdapter.kinds == frozenset()  # the base is untouched
    assert isinstance(JsonFileAdapter(), TechAdapter)


def test_wrong_kinds_urls_and_missing_capabilities_say_what_to_do():
    with pytest.raises(InvalidInputError, match="unknown component kind `outputPorts`") as caught:
        RemoteAdapter.named("x", ["outputPorts"])
    assert caught.value.hint == "did you mean `outputPort`?"
    with pytest.raises(InvalidInputError, match="not an HTTP URL"):
        remote_adapter("x", "localhost:8093", ["outputPort"])
    with pytest.raises(UnsupportedError, match="not configured for reverse provisioning"):
        remote_adapter("x", "http://localhost:1", ["outputPort"]).reverse_provision({})


def test_config_builds_the_adapter_with_the_token_from_the_environment(monkeypatch):
    config = RemoteConfig.model_validate(
        {"name": "pg", "url": "http://pg:8888/", "kinds": ["outputPort"], "tokenEnv": "PG_TOKEN", "maxWait": 5}
    )
    with pytest.raises(NotFoundError, match="`PG_TOKEN` is not set"):
        config.adapter()
    monkeypatch.setenv("PG_TOKEN", "s3cret")
    adapter = config.adapter()
    assert adapter.name == "pg" and adapter.base_url == "http://pg:8888" and adapter.max_wait == 5
    assert adapter._http.headers["Authorization"] == "Bearer s3cret"


def test_plan_needs_no_call(orders, mesh, mesh_root):
    adapter = remote_adapter("offline", "http://127.0.0.1:9", ["outputPort"])
    port = orders.component("orders")
    assert adapter.plan(request(orders, "orders", mesh, mesh_root)) is Operation.CREATE
    assert adapter.plan(request(orders, "orders", mesh, mesh_root, previous=port)) is Operation.NOOP
