"""Open Data Contract Standard v3: the Bitol examples in, native contracts out, and back, stably."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from meshplane.spec.codecs import import_file
from meshplane.spec.codecs.common import ContractInfo, to_yaml
from meshplane.spec.codecs.odcs_write import contract_to_odcs
from meshplane.spec.diagnostics import Severity
from meshplane.spec.model import (
    AcceptedValues,
    Classification,
    Column,
    CustomSql,
    DataContract,
    Freshness,
    LogicalType,
    NotNull,
    Pattern,
    Range,
    RowCount,
    Sla,
    Terms,
    Unique,
)

ODCS_FILES = [
    "odcs/all-data-types.odcs.yaml", "odcs/column-validity.odcs.yaml", "odcs/database-table-sla.odcs.yaml",
    "odcs/enum.odcs.yaml", "odcs/full-example.odcs.yaml", "odcs/relationships.odcs.yaml",
]  # fmt: skip


def _contracts(shared: Path, rel: str) -> dict[str, DataContract]:
    result = import_file(shared / rel, "odcs")
    assert [d.render() for d in result.diagnostics if d.severity is Severity.ERROR] == []
    return dict(result.contracts)


def _by_type(contract: DataContract, kind: type) -> list:
    return [q for q in contract.quality if isinstance(q, kind)]


def test_full_example_gives_one_contract_per_schema_object(shared_fixtures):
    result = import_file(shared_fixtures / "odcs/full-example.odcs.yaml", "odcs")
    contracts = dict(result.contracts)
    assert list(contracts) == ["tbl", "receivers"]
    info = result.contract_info[0]
    assert (info.id, info.version, info.status) == ("53581432-6c55-4ba2-a65f-72344a91553a", "1.1.0", "active")
    tbl = contracts["tbl"]
    assert [c.name for c in tbl.columns] == ["transaction_reference_date", "rcvr_id", "rcvr_cntry_code"]
    first = tbl.columns[0]
    assert (first.type, first.physical_type, first.classification) == (LogicalType.DATE, "date", Classification.PUBLIC)
    assert first.examples == ["2022-10-03", "2020-01-28"]
    assert tbl.primary_key == ["rcvr_id"]
    assert tbl.column("rcvr_id").classification is Classification.RESTRICTED  # type: ignore[union-attr]
    assert tbl.column("rcvr_id").tags == ["uid"]  # type: ignore[union-attr]
    (not_null,) = _by_type(tbl, NotNull)
    assert (not_null.column, not_null.threshold, not_null.description) == (
        "rcvr_cntry_code", 0.0, "column should not contain null values",
    )  # fmt: skip
    (rows,) = _by_type(tbl, RowCount)
    assert (rows.min, rows.max) == (1000001, None)  # mustBeGreaterThan: 1000000
    assert tbl.sla == Sla(interval_of_change="1d", timeliness="4d")
    assert tbl.terms == Terms(
        purpose="Views built on top of the seller tables.",
        usage="Predict sales over time",
        limitations="Data based on seller perspective, no buyer information",
    )
    receivers = contracts["receivers"]
    assert receivers.primary_key == ["id", "country_code"]
    assert receivers.column("id").unique and receivers.column("id").required  # type: ignore[union-attr]
    # what the native model has no field for is kept for export
    kept = info.specific
    assert kept["contract"]["servers"][0]["type"] == "postgres"
    assert kept["contract"]["team"]["name"] == "my-team"
    assert kept["schema"]["relationships"][0]["to"] == ["receivers.id", "receivers.country_code"]
    assert kept["properties"]["rcvr_cntry_code"]["encryptedName"] == "rcvr_cntry_code_encrypted"
    assert kept["properties"]["transaction_reference_date"]["physicalName"] == "txn_ref_dt"
    retention = [p for p in kept["contract"]["slaProperties"] if p["property"] == "retention"]
    assert retention == [{"property": "retention", "value": 3, "unit": "y", "element": "tab1.txn_ref_dt"}]


def test_invalid_values_in_percent_become_a_tolerance(shared_fixtures):
    contract = _contracts(shared_fixtures, "odcs/column-validity.odcs.yaml")["Air_Quality"]
    (rule,) = contract.quality
    assert isinstance(rule, AcceptedValues)
    assert (rule.column, rule.values, rule.threshold) == ("air_quality_status", ["", None, "n/a"], 5.0)
    assert rule.description == "This column should be filled in 95% of the time"


def test_enum_becomes_accepted_values(shared_fixtures):
    contract = _contracts(shared_fixtures, "odcs/enum.odcs.yaml")["orders"]
    values = {q.column: q.values for q in _by_type(contract, AcceptedValues)}
    assert values == {
        "status": ["pending", "processing", "shipped", "cancelled"],
        "priority": [1, 2, 3],
        "country_code": ["US", "FR", "CA", "MX"],
    }
    assert contract.column("order_id").physical_type == "VARCHAR(36)"  # type: ignore[union-attr]


def test_logical_type_options_become_ranges_and_patterns(shared_fixtures):
    contract = _contracts(shared_fixtures, "odcs/all-data-types.odcs.yaml")["transactions_tbl"]
    ranges = {q.column: q for q in _by_type(contract, Range)}
    assert ranges["txn_ref_date"].min == "2020-01-01" and ranges["txn_ref_date"].exclusive_min
    assert ranges["txn_ref_date"].max == "2021-01-01" and not ranges["txn_ref_date"].exclusive_max
    assert (ranges["age"].min, ranges["age"].max, ranges["age"].exclusive_max) == (18, 100, True)
    assert ranges["amount"].min == 0 and ranges["amount"].max is None
    (pattern,) = _by_type(contract, Pattern)
    assert (pattern.column, pattern.pattern) == ("account_id", "ACC[0-9]{8}")
    types = [c.type.value for c in contract.columns]
    assert types == [
        "string",
        "date",
        "timestamp",
        "timestamp",
        "time",
        "number",
        "integer",
        "boolean",
        "array",
        "object",
    ]


def test_sla_only_contract_is_one_contract_without_columns(shared_fixtures):
    result = import_file(shared_fixtures / "odcs/database-table-sla.odcs.yaml", "odcs")
    ((name, contract),) = result.contracts
    assert name == "my_table" and contract.columns == []
    assert contract.sla == Sla(interval_of_change="1d", timeliness="4d")
    (warning,) = [d for d in result.diagnostics if d.path == "schema"]
    assert warning.severity is Severity.WARNING and warning.line == 8


def test_relationships_are_kept_per_schema(shared_fixtures):
    result = import_file(shared_fixtures / "odcs/relationships.odcs.yaml", "odcs")
    assert [n for n, _ in result.contracts] == ["customers", "addresses", "orders"]
    orders = result.contract_info[2].specific
    assert orders["properties"]["customer_id"]["relationships"][0]["to"] == "customers.id"
    assert orders["identity"]["apiVersion"] == "v3.2.0"


def _reexport(contract: DataContract, name: str, info: ContractInfo | None, tmp_path: Path) -> dict[str, DataContract]:
    doc = contract_to_odcs(
        contract,
        schema_name=name,
        identity={"id": "c", "version": "1.0.0", "status": "active"},
        specific=info.specific if info else None,
    )
    path = tmp_path / f"{name}.odcs.yaml"
    path.write_text(to_yaml(doc))
    result = import_file(path, "odcs")
    assert [d.render() for d in result.diagnostics if d.severity is Severity.ERROR] == []
    return dict(result.contracts)


@pytest.mark.parametrize("rel", ODCS_FILES)
def test_odcs_to_native_to_odcs_to_native_is_stable(shared_fixtures, tmp_path, rel):
    result = import_file(shared_fixtures / rel, "odcs")
    assert result.contracts
    for (name, contract), info in zip(result.contracts, result.contract_info, strict=True):
        again = _reexport(contract, name, info, tmp_path)[name]
        assert again.to_data() == contract.to_data()


def test_kept_content_is_written_back(shared_fixtures):
    result = import_file(shared_fixtures / "odcs/full-example.odcs.yaml", "odcs")
    (name, contract), info = result.contracts[0], result.contract_info[0]
    doc = contract_to_odcs(contract, schema_name=name, identity={}, specific=info.specific)
    assert doc["id"] == "53581432-6c55-4ba2-a65f-72344a91553a"  # the original identity wins
    assert doc["servers"][0]["server"] == "my-postgres"
    assert doc["price"] == {"priceAmount": 9.95, "priceCurrency": "USD", "priceUnit": "megabyte"}
    (schema,) = doc["schema"]
    assert schema["physicalName"] == "tbl_1"
    props = {p["name"]: p for p in schema["properties"]}
    assert props["transaction_reference_date"]["physicalName"] == "txn_ref_dt"
    assert props["rcvr_cntry_code"]["quality"][0] == {
        "metric": "nullValues",
        "mustBe": 0,
        "description": "column should not contain null values",
        "severity": "error",
    }
    assert {"property": "retention", "value": 3, "unit": "y", "element": "tab1.txn_ref_dt"} in doc["slaProperties"]


def _every_expectation() -> DataContract:
    return DataContract(
        columns=[
            Column(name="id", type=LogicalType.STRING, required=True, primary_key=True, polyseme="customer"),
            Column(name="amount", type=LogicalType.DECIMAL, physical_type="decimal(12,2)"),
            Column(name="day", type=LogicalType.DATE),
            Column(name="blob", type=LogicalType.BINARY, classification=Classification.SENSITIVE, tags=["raw"]),
            Column(name="status", type=LogicalType.STRING, examples=["paid"], unique=True, description="state"),
        ],
        quality=[
            NotNull(column="status", threshold=2.5),
            Unique(columns=["id", "day"]),
            Unique(columns=["status"], severity="warning"),
            AcceptedValues(column="status", values=["paid", "open"], name="known"),
            Range(column="amount", min=0, max=1e6),
            Range(column="amount", min=-5, name="second range"),
            Range(column="day", min="2020-01-01", exclusive_max=True, max="2030-01-01"),
            Pattern(column="status", pattern="^[a-z]+$"),
            RowCount(min=1, max=10),
            RowCount(min=3, max=3, description="exactly three"),
            Freshness(column="day", max_age="1 days"),
            Freshness(column="day", max_age="PT2H", severity="warning"),
            CustomSql(query="SELECT COUNT(*) FROM t", must_be_greater_than=0),
            CustomSql(query="SELECT 1", must_be_greater_or_equal_to=1, must_be_less_or_equal_to=2),
            CustomSql(query="SELECT 2", must_be_greater_than=1, must_be_less_than=3),
            NotNull(column="not_a_column"),
        ],
        sla=Sla(interval_of_change="24h", timeliness="15 minutes", uptime="99.95%"),
        terms=Terms(
            purpose="p",
            usage="u",
            limitations="l",
            billing="b",
            security="s",
            lifecycle="lc",
            confidentiality="c",
            notice_period="30 days",
        ),
    )


def _sorted(data: dict) -> dict:
    return {**data, "quality": sorted(data.get("quality", []), key=lambda q: json.dumps(q, sort_keys=True))}


def test_every_native_expectation_survives_odcs(tmp_path):
    contract = _every_expectation()
    doc = contract_to_odcs(contract, schema_name="t", identity={"id": "c", "version": "1.0.0", "status": "active"})
    text = yaml.safe_dump(doc)
    assert "engine: meshplane" in text  # what ODCS has no words for travels as a custom rule
    props = {p["name"]: p for p in doc["schema"][0]["properties"]}
    assert props["amount"]["logicalType"] == "number" and props["amount"]["logicalTypeOptions"] == {
        "minimum": 0.0,
        "maximum": 1e6,
    }
    assert {"property": "polyseme", "value": "customer"} in props["id"]["customProperties"]
    assert {"property": "nativeType", "value": "binary"} in props["blob"]["customProperties"]
    assert props["status"]["quality"][0] == {
        "metric": "nullValues",
        "mustBeLessOrEqualTo": 2.5,
        "unit": "percent",
        "severity": "error",
    }
    again = _reexport(contract, "t", None, tmp_path)["t"]
    # quality rules come back grouped by column (ODCS nests them), so their order is not kept
    assert _sorted(again.to_data()) == _sorted(contract.to_data())
