"""Open Data Mesh DPDS: multi-file descriptors joined by $ref, read without touching the network."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from meshplane.spec.codecs import import_file
from meshplane.spec.diagnostics import Severity
from meshplane.spec.model import Kind, LogicalType, OutputPortType, StorageArea

TRIP = "dpds/tripexecution/data-product-descriptor.json"
TRIP_STATUS_COLUMNS = ["id", "status", "position", "last_status_update", "last_position_update", "planning_date"]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to open a connection (a remote $ref must never be fetched)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the DPDS reader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _errors(result):
    return [d.render() for d in result.diagnostics if d.severity is Severity.ERROR]


def test_trip_execution_has_two_output_ports_and_the_trip_status_columns(shared_fixtures, no_network):
    result = import_file(shared_fixtures / TRIP, "dpds")
    assert _errors(result) == []
    (dp,) = result.data_products
    assert dp.id == "urn:dmb:dp:transport_management:tripexecution:1"
    assert (dp.name, dp.domain, dp.version, dp.kind) == (
        "tripexecution",
        "transport_management",
        "1.2.3",
        Kind.SOURCE_ALIGNED,
    )
    assert (dp.owner, dp.owner_display_name) == ("john.doe@company-xyz.com", "John Doe")
    assert dp.specific["source"]["id"] == "urn:dpds:com.company-xyz:dataproducts:tripExecution:1"
    assert dp.specific["source"]["domain"] == "Transport Management"
    assert [p.name for p in dp.output_ports] == ["tripStatus", "tripEvents"]
    status, events = dp.output_ports
    assert (status.type, events.type) == (OutputPortType.SQL, OutputPortType.EVENTS)
    assert status.platform == "westeurope.azure::postgres" and status.version == "1.2.0"
    columns = status.data_contract.columns
    assert [c.name for c in columns] == TRIP_STATUS_COLUMNS
    assert status.data_contract.primary_key == ["id"]
    assert [c.type for c in columns] == [
        LogicalType.INTEGER,
        LogicalType.STRING,
        LogicalType.STRING,
        LogicalType.TIMESTAMP,
        LogicalType.TIMESTAMP,
        LogicalType.DATE,
    ]
    assert columns[1].physical_type == "VARCHAR(50)"  # dataType VARCHAR + dataLength 50
    assert all(c.required for c in columns)  # PRIMARY_KEY / NOT_NULL
    assert status.data_contract.sla is not None
    assert (status.data_contract.sla.uptime, status.data_contract.sla.timeliness) == ("99.9%", "10m")  # the SLA
    assert events.data_contract.sla is not None and events.data_contract.sla.uptime == "99.999%"  # the SLO
    terms = status.data_contract.terms
    assert terms is not None and terms.usage == "This port is designed to operational access not for analysis"
    assert terms.billing == "This port is billed by number of monthly queries"
    assert events.data_contract.columns == []  # Avro messages are not tables
    stores = [c for c in dp.components if isinstance(c, StorageArea)]
    assert [s.name for s in stores] == ["eventStore", "stateStore"]
    kept = dp.specific["dpds"]
    assert kept["interfaceComponents"]["inputPorts"][0]["name"] == "tmsInput"
    assert [a["name"] for a in kept["internalComponents"]["applicationComponents"]] == [
        "cdcIngestion", "eventProcessor", "dbSinkConnector",
    ]  # fmt: skip


def test_trip_execution_quirks_are_warnings_in_the_file_that_has_them(shared_fixtures, no_network):
    result = import_file(shared_fixtures / TRIP, "dpds")
    by_file: dict[str, list] = {}
    for diag in result.diagnostics:
        by_file.setdefault(Path(diag.file).name, []).append(diag)
    typo = [d for d in by_file["trip-status-oport.json"] if "expectatctions" in d.message]
    assert [(d.severity, d.line) for d in typo] == [(Severity.WARNING, 50)]
    service = [d for d in by_file["trip-status-oport.json"] if "serviceType" in d.message]
    assert [(d.severity, d.line) for d in service] == [(Severity.WARNING, 9)]
    remote = [d for d in result.diagnostics if d.code == "ref-remote"]
    assert {Path(d.file).name for d in remote} == {
        "trip-status-oport-api.json",
        "trip-events-oport-api.json",
        "health-obport-api.yaml",
    }
    assert all("raw.githubusercontent.com" in d.message and "not fetched" in d.message for d in remote)
    proto = [d for d in remote if Path(d.file).name == "trip-status-oport-api.json"]
    assert proto[0].line == 37 and proto[0].path == "schema.tables[0].definition.$ref"
    whole = [d for d in by_file["trip-events-oport.json"] if "whole descriptor" in d.message]
    assert len(whole) == 1 and whole[0].severity is Severity.WARNING


def test_minimal_descriptor_takes_its_name_from_the_fully_qualified_name(shared_fixtures):
    result = import_file(shared_fixtures / "dpds/odm_dpds_minimal.dpd.json", "dpds")
    (dp,) = result.data_products
    assert dp.id == "urn:dmb:dp:transport_management:tripexecution:1" and dp.components == []
    (warning,) = [d for d in result.diagnostics if "info.name is missing" in d.message]
    assert warning.severity is Severity.WARNING and warning.line == 3


def test_inline_example_keeps_its_extensions(shared_fixtures):
    result = import_file(shared_fixtures / "dpds/odm_dpds_inline_core_example.json", "dpds")
    assert _errors(result) == []
    (dp,) = result.data_products
    assert (dp.id, dp.fully_qualified_name) == ("urn:dmb:dp:testdomain:dpdcore:1", "Test Product")
    assert any("fullyQualifiedName is missing" in d.message for d in result.diagnostics)
    (port,) = dp.output_ports
    assert (port.name, port.type, port.platform) == ("outputPortA", OutputPortType.SQL, "platformX")
    assert port.specific["dpds"]["x-prop"] == "x-prop-value"
    assert port.specific["dpds"]["promises"]["api"]["definition"] == {"prop1": "valueA", "prop2": "valueB"}
    assert dp.specific["dpds"]["x-prop"] == "x-prop-value" and dp.specific["dpds"]["info"] == {"x-prop": "x-prop-value"}
    assert [c.name for c in dp.components if isinstance(c, StorageArea)] == ["infraA"]


def _write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def _descriptor(ports: list[object]) -> dict[str, object]:
    return {
        "dataProductDescriptor": "1.0.0",
        "info": {"name": "p", "fullyQualifiedName": "urn:x:p:1", "version": "1.0.0", "domain": "d",
                 "owner": {"id": "o"}},
        "interfaceComponents": {"outputPorts": ports},
    }  # fmt: skip


def test_a_missing_ref_file_names_the_referencing_file_and_field(tmp_path):
    root = _write(tmp_path, "dp.json", _descriptor([{"$ref": "ports/gone.json"}]))
    result = import_file(root, "dpds")
    (error,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert (error.code, error.file, error.path) == ("ref-missing", str(root), "interfaceComponents.outputPorts[0].$ref")
    ref_line = next(i for i, line in enumerate(root.read_text().splitlines(), 1) if "ports/gone.json" in line)
    assert error.line == ref_line and "ports/gone.json" in error.message
    assert result.data_products[0].output_ports == []


def test_refs_resolve_relative_to_the_referencing_file(tmp_path):
    root = _write(tmp_path, "dp.json", _descriptor([{"$ref": "ports/p.json", "description": "from the root"}]))
    _write(
        tmp_path,
        "ports/p.json",
        {
            "name": "p",
            "version": "1.0.0",
            "promises": {
                "servicesType": "datastore-services",
                "api": {"specification": "datastoreapi", "definition": {"$ref": "api/api.json"}},
            },
        },
    )
    _write(tmp_path, "ports/api/api.json", {"schema": {"tables": [{"definition": {"$ref": "t.json"}}]}})
    _write(
        tmp_path,
        "ports/api/t.json",
        {"columns": [{"name": "k", "dataType": "BIGINT", "columnConstraint": "PRIMARY_KEY"}]},
    )
    result = import_file(root, "dpds")
    assert _errors(result) == []
    (port,) = result.data_products[0].output_ports
    assert port.description == "from the root"  # what sits beside $ref wins
    (column,) = port.data_contract.columns
    assert (column.name, column.physical_type, column.primary_key) == ("k", "BIGINT", True)


def test_a_ref_cycle_ends_with_an_error(tmp_path):
    root = _write(tmp_path, "dp.json", _descriptor([{"$ref": "a.json"}]))
    _write(tmp_path, "a.json", {"name": "a", "promises": {"$ref": "b.json"}})
    _write(tmp_path, "b.json", {"servicesType": "datastore-services", "api": {"$ref": "a.json"}})
    result = import_file(root, "dpds")
    (cycle,) = [d for d in result.diagnostics if d.code == "ref-cycle"]
    assert cycle.severity is Severity.ERROR and Path(cycle.file).name == "b.json" and cycle.path == "api.$ref"
    assert "a.json → b.json → a.json" in cycle.message
    assert [p.name for p in result.data_products[0].output_ports] == ["a"]


def test_a_remote_ref_without_a_local_copy_is_left_alone(tmp_path, no_network):
    root = _write(tmp_path, "dp.json", _descriptor([{"$ref": "https://example.com/ports/remote.json"}]))
    result = import_file(root, "dpds")
    (remote,) = [d for d in result.diagnostics if d.code == "ref-remote"]
    assert remote.severity is Severity.WARNING and "left unresolved" in remote.message
    assert result.data_products[0].output_ports == []
