"""Which engine types hold which logical types, for the schema checks.

A contract says ``number``; DuckDB says ``DECIMAL(12,2)``, PostgreSQL ``numeric(12,2)`` or ``double
precision``. The check is about compatibility, not spelling: any numeric type holds a ``number``, any
integer type an ``integer``. A text column where the contract wants a typed value (dates in a CSV file that
did not parse) is not refused outright: its values are checked one by one with a cast, and the other checks
run on the cast value.
"""

from __future__ import annotations

import re

from meshplane.spec.model import LogicalType

_INTEGER = (
    "tinyint",
    "smallint",
    "integer",
    "int",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
    "int1",
    "int2",
    "int4",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "serial",
    "bigserial",
    "smallserial",
    "varint",
    "bignum",
)
_FLOAT = ("double", "float", "real", "float4", "float8", "double precision")
_DECIMAL = ("decimal", "numeric", "money")
_STRING = (
    "varchar",
    "text",
    "string",
    "char",
    "bpchar",
    "character",
    "character varying",
    "nvarchar",
    "nchar",
    "uuid",
    "enum",
    "name",
    "citext",
)
_TIMESTAMP = (
    "timestamp",
    "timestamp with time zone",
    "timestamp without time zone",
    "timestamptz",
    "timestamp_s",
    "timestamp_ms",
    "timestamp_ns",
    "timestamp_us",
    "datetime",
)
_TIME = ("time", "time with time zone", "time without time zone", "timetz")
_OBJECT = ("struct", "map", "json", "jsonb", "union", "variant", "record")

#: The type a text column is cast to when the contract wants a typed value.
CAST_TARGET: dict[LogicalType, str] = {
    LogicalType.INTEGER: "BIGINT",
    LogicalType.NUMBER: "DOUBLE",
    LogicalType.DECIMAL: "DECIMAL(38,10)",
    LogicalType.BOOLEAN: "BOOLEAN",
    LogicalType.DATE: "DATE",
    LogicalType.TIMESTAMP: "TIMESTAMP",
    LogicalType.TIME: "TIME",
}


def family(type_name: str) -> LogicalType | None:
    """The logical type an engine type holds; ``None`` when unknown.

    >>> family("DECIMAL(12,2)"), family("character varying(36)"), family("INTEGER[]")
    (<LogicalType.DECIMAL: 'decimal'>, <LogicalType.STRING: 'string'>, <LogicalType.ARRAY: 'array'>)
    """
    text = type_name.strip().lower()
    if text.endswith("]") or text.startswith(("list", "array")):
        return LogicalType.ARRAY
    base = re.sub(r"\s*\(.*?\)", "", text).strip()
    if base.startswith(_OBJECT):
        return LogicalType.OBJECT
    checks: tuple[tuple[tuple[str, ...], LogicalType | None], ...] = (
        (_INTEGER, LogicalType.INTEGER),
        (_FLOAT, LogicalType.NUMBER),
        (_DECIMAL, LogicalType.DECIMAL),
        (_STRING, LogicalType.STRING),
        (_TIMESTAMP, LogicalType.TIMESTAMP),
        (_TIME, LogicalType.TIME),
        (("date",), LogicalType.DATE),
        (("boolean", "bool", "bit"), LogicalType.BOOLEAN),
        (("blob", "bytea", "binary", "varbinary", "bytes"), LogicalType.BINARY),
        (("interval",), None),
    )
    for names, logical in checks:
        if base in names:
            return logical
    return None


_HOLDS: dict[LogicalType, frozenset[LogicalType]] = {
    LogicalType.STRING: frozenset({LogicalType.STRING}),
    LogicalType.INTEGER: frozenset({LogicalType.INTEGER}),
    LogicalType.NUMBER: frozenset({LogicalType.NUMBER, LogicalType.INTEGER, LogicalType.DECIMAL}),
    LogicalType.DECIMAL: frozenset({LogicalType.DECIMAL, LogicalType.INTEGER}),
    LogicalType.BOOLEAN: frozenset({LogicalType.BOOLEAN}),
    LogicalType.DATE: frozenset({LogicalType.DATE}),
    LogicalType.TIMESTAMP: frozenset({LogicalType.TIMESTAMP}),
    LogicalType.TIME: frozenset({LogicalType.TIME}),
    LogicalType.BINARY: frozenset({LogicalType.BINARY}),
    LogicalType.ARRAY: frozenset({LogicalType.ARRAY}),
    LogicalType.OBJECT: frozenset({LogicalType.OBJECT}),
}


def compatible(logical: LogicalType, type_name: str) -> bool:
    """Whether a column of engine type ``type_name`` holds the contract's ``logical`` type as it is."""
    found = family(type_name)
    return found is not None and found in _HOLDS[logical]


def needs_cast(logical: LogicalType, type_name: str) -> bool:
    """A text column holding values the contract types: checked value by value with ``TRY_CAST``."""
    return family(type_name) is LogicalType.STRING and logical in CAST_TARGET
