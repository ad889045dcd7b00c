"""Agile Lab's Data Product Specification: both real shapes in, native out, and back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from meshplane.spec.codecs import export, import_file
from meshplane.spec.diagnostics import Severity
from meshplane.spec.loader import load_dataproduct
from meshplane.spec.model import (
    Classification,
    DataProduct,
    Kind,
    LogicalType,
    Maturity,
    Observability,
    OutputPort,
    OutputPortType,
    Status,
    Workload,
)

MINI = Path(__file__).parents[1] / "data" / "mini"
CURRENT = "dps/agilelab_dps_example.yaml"
OLD = "dps/agilelab_dps_example_v2023-05.yaml"
IMPALA_COLUMNS = [
    "employeeId", "first_name", "last_name", "birthdate", "gender", "residential_address", "first_hire_date",
    "last_working_date", "last_update", "businessTs", "writeTs",
]  # fmt: skip


def _one(shared: Path, rel: str) -> tuple[DataProduct, list]:
    result = import_file(shared / rel, "dps")
    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    (dp,) = result.data_products
    return dp, result.diagnostics


def _found(diagnostics, code, path=None):
    return [d for d in diagnostics if d.code == code and (path is None or d.path == path)]


def test_the_current_shape_maps_the_product_fields(shared_fixtures):
    dp, _ = _one(shared_fixtures, CURRENT)
    assert dp.id == "urn:dmb:dp:my_domain:my_data_product:1"
    assert (dp.name, dp.domain, dp.version) == ("my_data_product", "my_domain", "1.0.0")
    assert dp.fully_qualified_name == "My Data Product"
    assert dp.owner == "tom_smith_corp.com" and dp.owner_display_name == "Tom Smith"
    assert dp.email == "distribution_list@corp.com"
    assert (dp.owner_group, dp.dev_group) == ("dataproduct1_corp.com", "dataproduct1_dev_corp.com")
    assert dp.status is Status.DRAFT and dp.maturity is Maturity.STRATEGIC
    assert dp.kind is Kind.SOURCE_ALIGNED
    assert dp.support_sla is not None
    assert (dp.support_sla.support_hours, dp.support_sla.response_time) == ("8x5", "1H")
    assert dp.support_sla.end_of_support == "2026-01-01"
    # what the native model has no field for is kept, and the original spellings are remembered
    kept = dp.specific["dps"]
    assert kept["environment"] == "development"
    assert kept["supportSLA"] == {"informationTime": "2WD"}
    assert kept["securityInfo"]["gdpr"] is True
    assert kept["businessInfo"]["stakeholderRoles"] == ["CMO"]
    assert dp.specific["source"] == {
        "format": "dps", "name": "my data product", "email": "mailto:distribution_list@corp.com",
        "status": "DRAFT", "endOfSupport": "01/01/2026",
    }  # fmt: skip


def test_the_quirks_are_warnings_with_lines(shared_fixtures):
    _, diags = _one(shared_fixtures, CURRENT)
    dup = {d.path: d for d in _found(diags, "duplicate-key")}
    assert set(dup) == {"ownerGroup", "devGroup"}
    assert (dup["ownerGroup"].line, dup["devGroup"].line) == (14, 15)
    assert all(d.severity is Severity.WARNING for d in dup.values())
    (gdpr,) = _found(diags, "yaml11-boolean")
    assert (gdpr.path, gdpr.line, gdpr.severity) == ("securityInfo.gdpr", 35, Severity.WARNING)
    (camel,) = [d for d in _found(diags, "codec-quirk") if d.path == "components[1].kind"]
    assert camel.line == 102 and "outputPort" in camel.message
    plural = {d.path: d.line for d in _found(diags, "codec-quirk") if "dataSharingAgreements" in d.path}
    assert plural == {
        "components[0].dataContract.dataSharingAgreements": 75,
        "components[1].dataSharingAgreements": 201,
    }
    (kind,) = _found(diags, "codec-default", "kind")
    assert kind.line == 5 and "source-aligned" in kind.message
    (date,) = [d for d in diags if d.path == "supportSLA.endOfSupport"]
    assert "2026-01-01" in date.message


def test_the_impala_port_has_its_eleven_columns(shared_fixtures):
    dp, _ = _one(shared_fixtures, CURRENT)
    port = dp.port("my_view_impala_port")
    assert isinstance(port, OutputPort) and port.type is OutputPortType.SQL
    assert port.version == "1.1.0" and port.technology == "impala_cdp"
    assert port.depends_on == ["urn:dmb:cmp:my_domain:my_data_product:1:my_raw_s3_port"]
    contract = port.data_contract
    assert [c.name for c in contract.columns] == IMPALA_COLUMNS
    pk = contract.column("employeeId")
    assert pk is not None and pk.primary_key and pk.required and pk.tags == ["GlobalAddressableIdentifier"]
    assert contract.primary_key == ["employeeId"]
    pii = [c.name for c in contract.columns if c.classification is Classification.PII]
    assert pii == ["first_name", "last_name", "residential_address"]
    assert all("PII" not in c.tags for c in contract.columns)
    types = {c.name: c.type for c in contract.columns}
    assert types["birthdate"] is LogicalType.DATE and types["businessTs"] is LogicalType.TIMESTAMP
    assert types["residential_address"] is LogicalType.OBJECT  # dataType: struct
    nullable = [c.name for c in contract.columns if not c.required]
    assert nullable == ["last_working_date", "last_update"]  # constraint: NULL
    assert contract.sla is not None
    assert (contract.sla.interval_of_change, contract.sla.timeliness, contract.sla.uptime) == (
        "1 hours",
        "1 minutes",
        "99.9%",
    )
    assert (
        contract.terms is not None
        and contract.terms.usage is not None
        and contract.terms.usage.startswith("the dataset is huge")
    )
    assert contract.terms.lifecycle is not None and contract.terms.billing == "5$ for each full scan"
    kept = port.specific["dps"]
    assert kept["dataContract"]["biTempBusinessTs"] == "businessTs"
    assert kept["dataContract"]["biTempWriteTs"] == "writeTs"
    assert kept["dataContract"]["columns"]["residential_address"]["businessTerms"][0]["tagFQN"] == "BusinessAddress"
    assert port.specific["table"] == "my_table"  # the DPS specific stays specific


def test_the_other_components(shared_fixtures):
    dp, diags = _one(shared_fixtures, CURRENT)
    assert [type(c).__name__ for c in dp.components] == ["OutputPort", "OutputPort", "Workload", "Observability"]
    raw = dp.port("my_raw_s3_port")
    assert isinstance(raw, OutputPort) and raw.type is OutputPortType.FILES
    assert raw.data_contract.columns == []
    assert raw.specific["dps"]["dataSharingAgreement"] == {
        "termsAndConditions": "only usable in development environment"
    }
    (workload,) = dp.workloads
    assert isinstance(workload, Workload)
    assert workload.writes == ["my_raw_s3_port", "my_view_impala_port"]
    assert workload.specific["dps"]["readsFrom"] == ["urn:dmb:ex:mainframe_db2_database"]
    assert workload.specific["className"] == "com.mycompany.MySparkApp"
    assert _found(diags, "codec-default", "components[2]")
    (obs,) = dp.observability
    assert isinstance(obs, Observability) and obs.endpoint == "http://develop/my_domain/my_data_product/1.0.0/obs"


def test_the_2023_shape(shared_fixtures):
    dp, diags = _one(shared_fixtures, OLD)
    assert _found(diags, "duplicate-key") == []
    assert dp.specific["dps"]["informationSLA"] == "2WD"
    (info,) = [d for d in diags if d.path == "informationSLA"]
    assert info.severity is Severity.INFO and info.line == 14
    port = dp.port("my_view_impala_port")
    assert port is not None and [c.name for c in port.data_contract.columns] == IMPALA_COLUMNS
    raw = dp.port("my_raw_s3_port")
    assert raw is not None and raw.data_contract.terms is not None
    assert raw.data_contract.terms.purpose is not None and raw.data_contract.terms.purpose.startswith(
        "this output port"
    )


@pytest.mark.parametrize("rel", [CURRENT, OLD])
def test_dps_round_trip_is_stable_and_restores_the_original_spelling(shared_fixtures, tmp_path, rel):
    dp, _ = _one(shared_fixtures, rel)
    ((name, text),) = export(dp, "dps").items()
    written = yaml.safe_load(text)
    assert (written["name"], written["status"], written["maturity"]) == ("my data product", "DRAFT", "Strategic")
    assert written["email"] == "mailto:distribution_list@corp.com"
    assert written["kind"] == "dataproduct" and written["specific"]["meshplane"]["kind"] == "source-aligned"
    assert written["components"][1]["dataContract"]["schema"][1]["tags"][0]["tagFQN"] == "PII"
    (tmp_path / name).write_text(text)
    again = import_file(tmp_path / name, "dps")
    assert [d.render() for d in again.diagnostics if d.severity is not Severity.INFO] == []
    assert again.data_products[0].to_data() == dp.to_data()


def test_native_to_dps_and_back_loses_nothing(tmp_path):
    dp = load_dataproduct(MINI / "sales" / "orders" / "dataproduct.yaml").model
    assert dp is not None
    files = export(dp, "dps")
    written = yaml.safe_load(files["orders.dps.yaml"])
    assert [c["kind"] for c in written["components"]] == ["outputport", "workload", "observability"]
    assert [c["name"] for c in written["specific"]["meshplane"]["components"]] == ["customers", "raw_orders"]
    (tmp_path / "orders.dps.yaml").write_text(files["orders.dps.yaml"])
    result = import_file(tmp_path / "orders.dps.yaml", "dps")
    assert [d for d in result.diagnostics if d.severity is not Severity.INFO] == []
    assert result.data_products[0].to_data() == dp.to_data()


def test_an_invalid_date_order_is_kept_as_written(tmp_path):
    path = tmp_path / "dp.yaml"
    path.write_text(
        "id: urn:dmb:dp:d:n:1\nname: n\ndomain: d\nversion: 1.0.0\ndataProductOwner: bob\nkind: dataproduct\n"
        "supportSLA:\n  endOfSupport: 03/04/2026\n"
    )
    result = import_file(path, "dps")
    (dp,) = result.data_products
    assert dp.support_sla is not None and dp.support_sla.end_of_support == "03/04/2026"
    (warning,) = [d for d in result.diagnostics if d.path == "supportSLA.endOfSupport"]
    assert warning.severity is Severity.WARNING and warning.line == 8


def test_reads_from_another_product_makes_it_aggregate(tmp_path):
    path = tmp_path / "dp.yaml"
    path.write_text(
        "id: urn:dmb:dp:d:n:1\nname: n\ndomain: d\nversion: 1.0.0\ndataProductOwner: bob\nkind: dataproduct\n"
        "components:\n"
        "  - kind: outputport\n    name: out\n    outputPortType: SQL\n"
        "    dataContract: {schema: [{name: a, dataType: INT}, {name: b, dataType: BIGINT}]}\n"
        "  - {kind: workload, name: w, readsFrom: ['urn:dmb:cmp:other:p:1:orders']}\n"
    )
    result = import_file(path, "dps")
    (dp,) = result.data_products
    assert dp.kind is Kind.AGGREGATE
    a, b = dp.output_ports[0].data_contract.columns
    # OpenMetadata's own name for the type says nothing more than the logical type; BIGINT does
    assert (a.type, a.physical_type) == (LogicalType.INTEGER, None)
    assert (b.type, b.physical_type) == (LogicalType.INTEGER, "BIGINT")
