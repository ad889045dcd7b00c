"""Contract columns ↔ Arrow / PostgreSQL / SQLite types, both directions."""

from __future__ import annotations

import pyarrow as pa
import pytest

from meshplane.adapters.schema import (
    arrow_field,
    arrow_schema,
    arrow_type,
    column_from_arrow,
    column_from_pg,
    logical_from_pg,
    logical_from_sqlite,
    pg_type,
    physical_problem,
)
from meshplane.errors import InvalidInputError
from meshplane.spec.model import Column, DataContract, LogicalType


def col(type_: str, physical: str | None = None, **kw: object) -> Column:
    return Column.model_validate({"name": "c", "type": type_, "physicalType": physical, **kw})


@pytest.mark.parametrize(
    ("logical", "expected"),
    [
        ("string", pa.string()),
        ("integer", pa.int64()),
        ("number", pa.float64()),
        ("decimal", pa.decimal128(38, 9)),
        ("boolean", pa.bool_()),
        ("date", pa.date32()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("time", pa.string()),
        ("binary", pa.binary()),
        ("array", pa.list_(pa.string())),
        ("object", pa.string()),
    ],
)
def test_default_arrow_type_per_logical_type(logical, expected):
    assert arrow_type(col(logical)) == expected


@pytest.mark.parametrize(
    ("logical", "physical", "expected"),
    [
        ("decimal", "DECIMAL(12,2)", pa.decimal128(12, 2)),
        ("decimal", "numeric(10)", pa.decimal128(10, 0)),
        ("integer", "INT", pa.int32()),
        ("integer", "smallint", pa.int16()),
        ("number", "REAL", pa.float32()),
        ("string", "VARCHAR(20)", pa.string()),
        ("timestamp", "TIMESTAMP_NTZ", pa.timestamp("us")),
        ("timestamp", "timestamp without time zone", pa.timestamp("us")),
        ("array", "ARRAY<BIGINT>", pa.list_(pa.int64())),
        ("array", "integer[]", pa.list_(pa.int32())),
        ("string", "NVARCHAR2(20)", pa.string()),  # another system's name: ignored, the default applies
    ],
)
def test_physical_type_narrows_within_the_family(logical, physical, expected):
    assert arrow_type(col(logical, physical)) == expected


def test_physical_type_of_another_family_is_an_error():
    column = col("integer", "VARCHAR(10)")
    assert "another type family" in (physical_problem(column) or "")
    with pytest.raises(InvalidInputError, match="physicalType"):
        arrow_type(column)


def test_decimal_precision_out_of_range_is_an_error():
    assert "precision" in (physical_problem(col("decimal", "DECIMAL(40,2)")) or "")


def test_required_is_not_nullable_and_descriptions_go_to_field_metadata():
    field = arrow_field(col("string", required=True, description="the key"))
    assert field.nullable is False
    assert field.metadata == {b"comment": b"the key"}
    assert arrow_field(col("time")).metadata == {b"meshplane.logicalType": b"time"}
    schema = arrow_schema(DataContract.model_validate({"columns": [{"name": "a", "type": "integer"}]}))
    assert schema == pa.schema([pa.field("a", pa.int64())])


@pytest.mark.parametrize(
    ("logical", "physical", "expected"),
    [
        ("string", None, "text"),
        ("string", "VARCHAR(20)", "character varying(20)"),
        ("string", "CHAR(2)", "character(2)"),
        ("string", "UUID", "uuid"),
        ("integer", None, "bigint"),
        ("integer", "INT", "integer"),
        ("number", None, "double precision"),
        ("decimal", None, "numeric(38,9)"),
        ("decimal", "DECIMAL(12,2)", "numeric(12,2)"),
        ("boolean", None, "boolean"),
        ("date", None, "date"),
        ("timestamp", None, "timestamp with time zone"),
        ("timestamp", "TIMESTAMP_NTZ", "timestamp without time zone"),
        ("time", None, "time without time zone"),
        ("binary", None, "bytea"),
        ("array", None, "text[]"),
        ("array", "ARRAY<BIGINT>", "bigint[]"),
        ("object", None, "jsonb"),
        ("object", "JSON", "json"),
    ],
)
def test_postgres_types_are_spelled_as_format_type_prints_them(logical, physical, expected):
    assert pg_type(col(logical, physical)) == expected


@pytest.mark.parametrize(
    ("column",),
    [
        ({"name": "a", "type": "decimal", "physicalType": "DECIMAL(12,2)", "required": True},),
        ({"name": "b", "type": "integer", "physicalType": "INT"},),
        ({"name": "c", "type": "timestamp", "physicalType": "TIMESTAMP_NTZ"},),
        ({"name": "d", "type": "array", "physicalType": "ARRAY<BIGINT>"},),
        ({"name": "e", "type": "time", "description": "opening time"},),
        ({"name": "f", "type": "object"},),
        ({"name": "g", "type": "string", "required": True},),
    ],
)
def test_arrow_round_trip_restores_the_column(column):
    assert column_from_arrow(arrow_field(Column.model_validate(column))) == column


def test_arrow_types_without_a_contract_counterpart_map_to_the_nearest_logical_type():
    assert column_from_arrow(pa.field("m", pa.map_(pa.string(), pa.int64())))["type"] == "object"
    assert column_from_arrow(pa.field("s", pa.struct([("x", pa.int32())])))["type"] == "object"
    assert column_from_arrow(pa.field("t", pa.time64("us")))["type"] == "time"
    assert column_from_arrow(pa.field("l", pa.large_string()))["type"] == "string"


@pytest.mark.parametrize(
    ("pg", "expected"),
    [
        ("bigint", (LogicalType.INTEGER, None)),
        ("integer", (LogicalType.INTEGER, "INT")),
        ("numeric(12,2)", (LogicalType.DECIMAL, "DECIMAL(12,2)")),
        ("numeric(38,9)", (LogicalType.DECIMAL, None)),
        ("character varying(20)", (LogicalType.STRING, "VARCHAR(20)")),
        ("timestamp without time zone", (LogicalType.TIMESTAMP, "TIMESTAMP_NTZ")),
        ("integer[]", (LogicalType.ARRAY, "ARRAY<INT>")),
        ("text[]", (LogicalType.ARRAY, None)),
        ("jsonb", (LogicalType.OBJECT, None)),
        ("interval", (LogicalType.STRING, "INTERVAL")),
    ],
)
def test_postgres_types_back_to_logical_types(pg, expected):
    assert logical_from_pg(pg) == expected


def test_postgres_round_trip_through_pg_type():
    for spec in [
        ("decimal", "DECIMAL(12,2)"),
        ("integer", "INT"),
        ("array", "ARRAY<BIGINT>"),
        ("string", "VARCHAR(9)"),
    ]:
        column = col(*spec)
        back = column_from_pg("c", pg_type(column), required=False)
        assert (back["type"], back.get("physicalType")) == spec


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("INTEGER", LogicalType.INTEGER),
        ("BIGINT", LogicalType.INTEGER),
        ("TEXT", LogicalType.STRING),
        ("VARCHAR(20)", LogicalType.STRING),
        ("REAL", LogicalType.NUMBER),
        ("DOUBLE PRECISION", LogicalType.NUMBER),
        ("DECIMAL(10,2)", LogicalType.DECIMAL),
        ("NUMERIC", LogicalType.DECIMAL),
        ("BOOLEAN", LogicalType.BOOLEAN),
        ("DATE", LogicalType.DATE),
        ("DATETIME", LogicalType.TIMESTAMP),
        ("TIMESTAMP", LogicalType.TIMESTAMP),
        ("BLOB", LogicalType.BINARY),
        ("JSON", LogicalType.OBJECT),
        ("", LogicalType.STRING),
    ],
)
def test_sqlite_declared_types_follow_affinity_refined(declared, expected):
    assert logical_from_sqlite(declared)[0] is expected
