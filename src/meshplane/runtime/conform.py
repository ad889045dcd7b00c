"""A workload's result → the shape of its output port's table: the contract's columns, in the table's order,
cast to the table's types. Pure logic over Arrow.

A result with a column the contract does not have, or without one it has, is an error naming both lists:
silently dropping or inventing data is what contracts exist to prevent. Casts are safe (a value that does
not fit is an error naming the column), except that a timestamp without a time zone is read as UTC. Every
field of the result is nullable: NULLs in required columns are for the contract checks to find and report
row by row, not for the cast to trip over. Bi-temporal ports may leave their valid-time columns out: the
platform maintains them (``fill`` gives the values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from meshplane.errors import InvalidInputError
from meshplane.spec.model import DataContract


def nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def conform(
    port: str, table: pa.Table, contract: DataContract, target: pa.Schema, *, fill: Mapping[str, Any] | None = None
) -> pa.Table:
    """``table`` with exactly ``target``'s columns and types (all nullable). ``fill``: column → value for
    platform-maintained columns the workload may leave out."""
    fill = dict(fill or {})
    names = table.column_names
    undeployed = [c.name for c in contract.columns if c.name not in target.names]
    if undeployed:
        raise InvalidInputError(
            f"output port `{port}`: the contract has column(s) {', '.join(undeployed)} that its table does not",
            hint="deploy the data product first (meshplane deploy), so the table matches the contract",
        )
    declared = {c.name for c in contract.columns} | set(target.names)
    extra = [n for n in names if n not in declared]
    missing = [n for n in target.names if n not in names and n not in fill]
    if extra or missing:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(f'`{n}`' for n in missing)}")
        if extra:
            parts.append(f"not in the contract: {', '.join(f'`{n}`' for n in extra)}")
        raise InvalidInputError(
            f"output port `{port}`: the workload's result does not match the contract's columns ({'; '.join(parts)})",
            hint=f"select exactly: {', '.join(target.names)}",
        )
    arrays = []
    for field in target:
        if field.name in names:
            arrays.append(_cast(port, field, table[field.name]))
        else:
            arrays.append(pa.array([fill[field.name]] * table.num_rows, type=field.type))
    return pa.Table.from_arrays(arrays, schema=nullable(target))


def _cast(port: str, field: pa.Field, column: pa.ChunkedArray) -> pa.ChunkedArray:
    if column.type == field.type:
        return column
    source = column.type
    try:
        if pa.types.is_string(source) and pa.types.is_timestamp(field.type) and field.type.tz:
            column = pc.cast(column, pa.timestamp(field.type.unit), safe=True)  # text without an offset is UTC
        return pc.cast(column, field.type, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise InvalidInputError(
            f"output port `{port}`: column `{field.name}` is {source} and does not convert to the table's "
            f"{field.type}: {str(exc).splitlines()[0]}",
            hint=f"CAST `{field.name}` in the workload to the contract's type",
        ) from exc


def with_schema(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The checked table with the storage schema's nullability, for the write."""
    return pa.Table.from_arrays(table.columns, schema=schema)
