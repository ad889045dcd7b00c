"""Values as other formats write them: durations split into number and unit, and column type names.

ODCS writes ``value: 4, unit: d`` where a native SLA says ``4d``; DPS and DPDS name column types the
OpenMetadata way (``VARCHAR``, ``struct``). These helpers translate both ways so a round trip is exact.
"""

from __future__ import annotations

import re
from typing import Any

from meshplane.spec.model import LogicalType

# -- durations as value + unit ---------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


def split_duration(value: str) -> tuple[int | float | str, str | None]:
    """``"4 days"`` → ``(4, "days")``; text that is not number-and-unit (``PT1H``) stays whole."""
    match = _DURATION.match(value)
    if not match:
        return value, None
    number = float(match[1]) if "." in match[1] else int(match[1])
    return number, match[2]


def join_duration(value: Any, unit: str | None) -> str:
    """The inverse of :func:`split_duration`: short units stick to the number (``4d``), words do not."""
    if unit is None or not str(unit).strip():
        return str(value).strip()
    unit = str(unit).strip()
    return f"{value}{unit}" if len(unit) <= 2 else f"{value} {unit}"


# -- column types shared by the OpenMetadata-style schemas (DPS, DPDS) -----------------------------------

_DATA_TYPES: dict[LogicalType, tuple[str, ...]] = {
    LogicalType.STRING: (
        "string",
        "text",
        "mediumtext",
        "longtext",
        "char",
        "varchar",
        "nchar",
        "nvarchar",
        "uuid",
        "enum",
        "clob",
        "character",
    ),
    LogicalType.INTEGER: (
        "int",
        "integer",
        "tinyint",
        "smallint",
        "bigint",
        "byteint",
        "long",
        "short",
        "int8",
        "int16",
        "int32",
        "int64",
        "serial",
        "bigserial",
    ),
    LogicalType.NUMBER: ("double", "float", "real", "number", "float4", "float8", "double precision"),
    LogicalType.DECIMAL: ("decimal", "numeric", "money"),
    LogicalType.BOOLEAN: ("boolean", "bool"),
    LogicalType.DATE: ("date",),
    LogicalType.TIMESTAMP: ("timestamp", "timestampz", "timestamptz", "timestamp_ntz", "timestamp_ltz", "datetime"),
    LogicalType.TIME: ("time",),
    LogicalType.BINARY: ("binary", "varbinary", "bytes", "blob", "longblob", "mediumblob", "bytea"),
    LogicalType.ARRAY: ("array", "set", "list"),
    LogicalType.OBJECT: ("struct", "map", "json", "record", "object", "union", "jsonb"),
}
_BY_NAME = {name: logical for logical, names in _DATA_TYPES.items() for name in names}
#: The name written for each logical type when there is no physical type (OpenMetadata's spelling).
CANONICAL_DATA_TYPE: dict[LogicalType, str] = {
    LogicalType.STRING: "string",
    LogicalType.INTEGER: "int",
    LogicalType.NUMBER: "double",
    LogicalType.DECIMAL: "decimal",
    LogicalType.BOOLEAN: "boolean",
    LogicalType.DATE: "date",
    LogicalType.TIMESTAMP: "timestamp",
    LogicalType.TIME: "time",
    LogicalType.BINARY: "binary",
    LogicalType.ARRAY: "array",
    LogicalType.OBJECT: "struct",
}


def logical_type(data_type: str) -> LogicalType | None:
    """``VARCHAR(50)`` → string, ``struct`` → object; ``None`` when the name is unknown."""
    base = data_type.split("(")[0].strip().lower()
    return _BY_NAME.get(base)


def physical_type(data_type: str, logical: LogicalType) -> str | None:
    """The physical type worth keeping: none when the source wrote just the canonical logical name."""
    return None if data_type.strip().lower() == CANONICAL_DATA_TYPE[logical] else data_type.strip()
