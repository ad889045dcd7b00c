"""Contract columns ↔ storage types: Arrow (Delta Lake), PostgreSQL, and back (also from SQLite).

One mapping serves provisioning (contract → table) and reverse provisioning (table → draft contract), so a
round trip gives back the same physical type. The logical type decides the family; ``physicalType`` may
narrow it when it names a type of that family (``DECIMAL(12,2)``, ``INT``, ``VARCHAR(20)``,
``TIMESTAMP_NTZ``, ``ARRAY<BIGINT>``). A physical type we do not know (another system's dialect) is
ignored; one we know but of another family (an ``integer`` column with ``physicalType: VARCHAR``) is an
error, because the table would not hold what the contract promises.

Delta Lake has no time-of-day or free-form object type: ``time`` is stored as ISO text
(``HH:MM:SS.ffffff``) and ``object`` as JSON text, and the column carries ``meshplane.logicalType`` in its
field metadata so reverse provisioning restores the logical type. Column descriptions go to the
``comment`` field metadata key, which Spark also reads.

>>> str(arrow_type(Column(name="amount", type="decimal", physicalType="DECIMAL(12,2)")))
'decimal128(12, 2)'
>>> pg_type(Column(name="at", type="timestamp"))
'timestamp with time zone'
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa

from meshplane.errors import InvalidInputError
from meshplane.spec.model import Column, DataContract, LogicalType

#: Field-metadata key recording the logical type where Arrow alone would lose it.
LOGICAL_TYPE_KEY = "meshplane.logicalType"
#: Field-metadata key for the column description (the key Spark and Delta tools use).
COMMENT_KEY = "comment"
#: The metadata keys Meshplane owns on a column; others (written by other tools) are left alone.
OWNED_METADATA_KEYS = frozenset({LOGICAL_TYPE_KEY, COMMENT_KEY})

DEFAULT_DECIMAL = (38, 9)

_DEFAULTS: dict[LogicalType, Any] = {
    LogicalType.STRING: pa.string(),
    LogicalType.INTEGER: pa.int64(),
    LogicalType.NUMBER: pa.float64(),
    LogicalType.DECIMAL: pa.decimal128(*DEFAULT_DECIMAL),
    LogicalType.BOOLEAN: pa.bool_(),
    LogicalType.DATE: pa.date32(),
    LogicalType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    LogicalType.TIME: pa.string(),
    LogicalType.BINARY: pa.binary(),
    LogicalType.ARRAY: pa.list_(pa.string()),
    LogicalType.OBJECT: pa.string(),
}
#: Logical types whose Arrow storage is text and needs the metadata marker to come back.
_MARKED = frozenset({LogicalType.TIME, LogicalType.OBJECT})

_NAMED: dict[str, Any] = {
    "TINYINT": pa.int8(),
    "INT1": pa.int8(),
    "BYTEINT": pa.int8(),
    "SMALLINT": pa.int16(),
    "INT2": pa.int16(),
    "SHORT": pa.int16(),
    "INT": pa.int32(),
    "INTEGER": pa.int32(),
    "INT4": pa.int32(),
    "BIGINT": pa.int64(),
    "INT8": pa.int64(),
    "LONG": pa.int64(),
    "REAL": pa.float32(),
    "FLOAT": pa.float32(),
    "FLOAT4": pa.float32(),
    "DOUBLE": pa.float64(),
    "DOUBLE PRECISION": pa.float64(),
    "FLOAT8": pa.float64(),
    "TEXT": pa.string(),
    "STRING": pa.string(),
    "VARCHAR": pa.string(),
    "CHARACTER VARYING": pa.string(),
    "UUID": pa.string(),
    "BOOLEAN": pa.bool_(),
    "BOOL": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP_LTZ": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP_NTZ": pa.timestamp("us"),
    "TIMESTAMP WITHOUT TIME ZONE": pa.timestamp("us"),
    "DATETIME": pa.timestamp("us"),
    "BINARY": pa.binary(),
    "BYTEA": pa.binary(),
    "BLOB": pa.binary(),
    "VARBINARY": pa.binary(),
}
_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC|NUMBER)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")
_SIZED_TEXT = re.compile(r"^(VARCHAR|CHARACTER VARYING|CHAR|CHARACTER)\s*\(\s*(\d+)\s*\)$")
_ARRAY = re.compile(r"^(?:ARRAY\s*<\s*(.+)\s*>|(.+)\[\])$")
_JSON = frozenset({"JSON", "JSONB"})


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().upper())


def _parse_physical(text: str) -> Any | None:
    """The Arrow type a physical type names, or ``None`` when we do not know the name."""
    name = _norm(text)
    if name in _NAMED:
        return _NAMED[name]
    if m := _DECIMAL.match(name):
        precision, scale = int(m[1]), int(m[2] or 0)
        if not 1 <= precision <= 38 or scale > precision:
            raise ValueError(f"`{text}`: precision must be 1–38 and scale at most the precision")
        return pa.decimal128(precision, scale)
    if _SIZED_TEXT.match(name):
        return pa.string()
    if name in _JSON:
        return pa.string()
    if m := _ARRAY.match(name):
        element = _parse_physical(m[1] or m[2])
        return None if element is None else pa.list_(element)
    return None


def _fits(logical: LogicalType, physical: Any, text: str) -> bool:
    json_text = _norm(text) in _JSON
    checks = {
        LogicalType.STRING: pa.types.is_string(physical) and not json_text,
        LogicalType.INTEGER: pa.types.is_integer(physical),
        LogicalType.NUMBER: pa.types.is_floating(physical) or pa.types.is_decimal(physical),
        LogicalType.DECIMAL: pa.types.is_decimal(physical),
        LogicalType.BOOLEAN: pa.types.is_boolean(physical),
        LogicalType.DATE: pa.types.is_date(physical),
        LogicalType.TIMESTAMP: pa.types.is_timestamp(physical),
        LogicalType.BINARY: pa.types.is_binary(physical),
        LogicalType.ARRAY: pa.types.is_list(physical) or json_text,
        LogicalType.OBJECT: json_text,
        LogicalType.TIME: False,
    }
    return bool(checks[logical])


def physical_problem(column: Column) -> str | None:
    """Why ``physicalType`` cannot hold the column's logical type, or ``None`` when it can (or is unknown)."""
    if not column.physical_type:
        return None
    try:
        physical = _parse_physical(column.physical_type)
    except ValueError as exc:
        return f"column `{column.name}`: {exc}"
    if physical is None or _fits(column.type, physical, column.physical_type):
        return None
    return (
        f"column `{column.name}` is `{column.type.value}` but its physicalType `{column.physical_type}` "
        "is of another type family"
    )


def arrow_type(column: Column) -> Any:
    """The Arrow (and Delta) type of a contract column."""
    problem = physical_problem(column)
    if problem:
        raise InvalidInputError(problem, hint="fix `physicalType` or leave it out to use the default")
    if column.physical_type and column.type not in _MARKED and _norm(column.physical_type) not in _JSON:
        physical = _parse_physical(column.physical_type)
        if physical is not None:
            return physical
    return _DEFAULTS[column.type]


def arrow_field(column: Column) -> Any:
    """A field: ``required`` → not nullable; description and lossy logical types in the field metadata."""
    metadata: dict[str, str] = {}
    if column.description:
        metadata[COMMENT_KEY] = column.description
    if column.type in _MARKED:
        metadata[LOGICAL_TYPE_KEY] = column.type.value
    return pa.field(column.name, arrow_type(column), nullable=not column.required, metadata=metadata or None)


def arrow_schema(contract: DataContract) -> Any:
    return pa.schema([arrow_field(c) for c in contract.columns])


def canonical_type(data_type: Any) -> str:
    """A comparable spelling of an Arrow type: list element names and string flavours do not count."""
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return f"list<{canonical_type(data_type.value_type)}>"
    if pa.types.is_large_string(data_type) or pa.types.is_string_view(data_type):
        return "string"
    if pa.types.is_large_binary(data_type) or pa.types.is_binary_view(data_type):
        return "binary"
    return str(data_type)


# -- PostgreSQL -----------------------------------------------------------------------------------------

_PG_SCALARS: dict[str, str] = {
    "int8": "smallint",
    "int16": "smallint",
    "int32": "integer",
    "int64": "bigint",
    "float": "real",
    "double": "double precision",
    "string": "text",
    "bool": "boolean",
    "date32[day]": "date",
    "binary": "bytea",
    "timestamp[us, tz=UTC]": "timestamp with time zone",
    "timestamp[us]": "timestamp without time zone",
}


def _pg_from_arrow(data_type: Any) -> str:
    if pa.types.is_decimal(data_type):
        return f"numeric({data_type.precision},{data_type.scale})"
    if pa.types.is_list(data_type):
        return _pg_from_arrow(data_type.value_type) + "[]"
    return _PG_SCALARS[canonical_type(data_type)]


def pg_type(column: Column) -> str:
    """The PostgreSQL type, spelled as ``format_type()`` prints it so a live table compares equal."""
    arrow = arrow_type(column)  # raises on an unfit physicalType
    physical = _norm(column.physical_type or "")
    if column.type is LogicalType.TIME:
        return "time without time zone"
    if physical in _JSON and column.type in (LogicalType.OBJECT, LogicalType.ARRAY):
        return physical.lower()
    if column.type is LogicalType.OBJECT:
        return "jsonb"
    if column.type is LogicalType.STRING:
        if m := _SIZED_TEXT.match(physical):
            kind = "character varying" if m[1] in ("VARCHAR", "CHARACTER VARYING") else "character"
            return f"{kind}({m[2]})"
        if physical == "UUID":
            return "uuid"
    return _pg_from_arrow(arrow)


# -- reverse: storage types → contract columns ------------------------------------------------------------


def _sql_name(data_type: Any) -> str:
    """How ``physicalType`` spells an Arrow type (the inverse of :func:`_parse_physical`)."""
    if pa.types.is_decimal(data_type):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return f"ARRAY<{_sql_name(data_type.value_type)}>"
    if pa.types.is_timestamp(data_type):
        return "TIMESTAMP" if data_type.tz else "TIMESTAMP_NTZ"
    names = {"int8": "TINYINT", "int16": "SMALLINT", "int32": "INT", "int64": "BIGINT", "float": "REAL"}
    names |= {"double": "DOUBLE", "bool": "BOOLEAN", "date32[day]": "DATE", "binary": "BINARY"}
    return names.get(canonical_type(data_type), "STRING")


def _logical_from_arrow(data_type: Any) -> tuple[LogicalType, str | None]:
    t = pa.types
    if t.is_dictionary(data_type):
        return _logical_from_arrow(data_type.value_type)
    if t.is_integer(data_type):
        narrow = not t.is_int64(data_type) and not t.is_uint64(data_type) and not t.is_uint32(data_type)
        return LogicalType.INTEGER, _sql_name(data_type) if narrow else None
    if t.is_floating(data_type):
        return LogicalType.NUMBER, None if t.is_float64(data_type) else "REAL"
    if t.is_decimal(data_type):
        default = (data_type.precision, data_type.scale) == DEFAULT_DECIMAL
        return LogicalType.DECIMAL, None if default else _sql_name(data_type)
    if t.is_boolean(data_type):
        return LogicalType.BOOLEAN, None
    if t.is_date(data_type):
        return LogicalType.DATE, None
    if t.is_timestamp(data_type):
        return LogicalType.TIMESTAMP, None if data_type.tz else "TIMESTAMP_NTZ"
    if t.is_time(data_type):
        return LogicalType.TIME, None
    if t.is_binary(data_type) or t.is_large_binary(data_type) or t.is_fixed_size_binary(data_type):
        return LogicalType.BINARY, None
    if t.is_list(data_type) or t.is_large_list(data_type) or t.is_fixed_size_list(data_type):
        element = canonical_type(data_type.value_type)
        return LogicalType.ARRAY, None if element == "string" else f"ARRAY<{_sql_name(data_type.value_type)}>"
    if t.is_struct(data_type) or t.is_map(data_type):
        return LogicalType.OBJECT, None
    return LogicalType.STRING, None


def _column(
    name: str, logical: LogicalType, physical: str | None, *, required: bool, description: str = ""
) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "type": logical.value}
    if physical:
        data["physicalType"] = physical
    if required:
        data["required"] = True
    if description:
        data["description"] = description
    return data


def field_metadata(field: Any) -> dict[str, str]:
    """A field's metadata as text (Arrow keeps it as bytes)."""
    return {
        (k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
        for k, v in (field.metadata or {}).items()
    }


def column_from_arrow(field: Any) -> dict[str, Any]:
    """A contract column (descriptor dict) for an Arrow field; not nullable → ``required``."""
    metadata = field_metadata(field)
    logical, physical = _logical_from_arrow(field.type)
    marked = metadata.get(LOGICAL_TYPE_KEY)
    if marked in {lt.value for lt in _MARKED}:
        logical, physical = LogicalType(marked), None
    description = metadata.get(COMMENT_KEY, "")
    return _column(field.name, logical, physical, required=not field.nullable, description=description)


_PG_REVERSE: dict[str, tuple[LogicalType, str | None]] = {
    "smallint": (LogicalType.INTEGER, "SMALLINT"),
    "integer": (LogicalType.INTEGER, "INT"),
    "bigint": (LogicalType.INTEGER, None),
    "real": (LogicalType.NUMBER, "REAL"),
    "double precision": (LogicalType.NUMBER, None),
    "numeric": (LogicalType.DECIMAL, None),
    "text": (LogicalType.STRING, None),
    "character varying": (LogicalType.STRING, None),
    "uuid": (LogicalType.STRING, "UUID"),
    "boolean": (LogicalType.BOOLEAN, None),
    "date": (LogicalType.DATE, None),
    "timestamp with time zone": (LogicalType.TIMESTAMP, None),
    "timestamp without time zone": (LogicalType.TIMESTAMP, "TIMESTAMP_NTZ"),
    "time without time zone": (LogicalType.TIME, None),
    "time with time zone": (LogicalType.TIME, None),
    "bytea": (LogicalType.BINARY, None),
    "json": (LogicalType.OBJECT, "JSON"),
    "jsonb": (LogicalType.OBJECT, None),
}


def logical_from_pg(type_name: str) -> tuple[LogicalType, str | None]:
    """``format_type()`` output → (logical type, physicalType or ``None`` when the default fits)."""
    name = type_name.strip().lower()
    if name.endswith("[]"):
        element, element_physical = logical_from_pg(name[:-2])
        if element is LogicalType.STRING and element_physical is None:
            return LogicalType.ARRAY, None
        return LogicalType.ARRAY, f"ARRAY<{element_physical or _sql_name(_DEFAULTS[element])}>"
    if m := re.match(r"^numeric\((\d+),(\d+)\)$", name):
        default = (int(m[1]), int(m[2])) == DEFAULT_DECIMAL
        return LogicalType.DECIMAL, None if default else f"DECIMAL({m[1]},{m[2]})"
    if m := re.match(r"^(character varying|character)\((\d+)\)$", name):
        return LogicalType.STRING, ("VARCHAR" if m[1] == "character varying" else "CHAR") + f"({m[2]})"
    if name in _PG_REVERSE:
        return _PG_REVERSE[name]
    # interval, inet, enums …: text is the honest common denominator; keep the source type on record
    return LogicalType.STRING, name.upper()


def column_from_pg(name: str, type_name: str, *, required: bool, description: str = "") -> dict[str, Any]:
    logical, physical = logical_from_pg(type_name)
    return _column(name, logical, physical, required=required, description=description)


def logical_from_sqlite(declared: str) -> tuple[LogicalType, str | None]:
    """A SQLite declared type → logical type, after SQLite's own affinity rules, refined for dates,
    booleans, decimals and JSON, which SQLite stores under other affinities."""
    name = _norm(declared)
    if m := _DECIMAL.match(name):
        default = (int(m[1]), int(m[2] or 0)) == DEFAULT_DECIMAL
        return LogicalType.DECIMAL, None if default else f"DECIMAL({m[1]},{m[2] or 0})"
    rules: list[tuple[tuple[str, ...], LogicalType]] = [
        (("BOOL",), LogicalType.BOOLEAN),
        (("INT",), LogicalType.INTEGER),
        (("JSON",), LogicalType.OBJECT),
        (("DATETIME", "TIMESTAMP"), LogicalType.TIMESTAMP),
        (("DATE",), LogicalType.DATE),
        (("TIME",), LogicalType.TIME),
        (("CHAR", "CLOB", "TEXT", "UUID"), LogicalType.STRING),
        (("BLOB",), LogicalType.BINARY),
        (("REAL", "FLOA", "DOUB"), LogicalType.NUMBER),
        (("DECIMAL", "NUMERIC"), LogicalType.DECIMAL),
    ]
    for needles, logical in rules:
        if any(n in name for n in needles):
            sized = _SIZED_TEXT.match(name)
            physical = name.replace(" ", "") if logical is LogicalType.STRING and sized else None
            return logical, physical
    # no declared type: SQLite stores whatever it is given; text is what such columns usually hold
    return LogicalType.STRING, None


def column_from_sqlite(name: str, declared: str, *, required: bool) -> dict[str, Any]:
    logical, physical = logical_from_sqlite(declared)
    return _column(name, logical, physical, required=required)
