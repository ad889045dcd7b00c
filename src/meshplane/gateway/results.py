"""Query results as JSON, CSV or Arrow (IPC stream): the formats the CLI writes and the API negotiates.

JSON keeps every value exact: decimals and 64-bit integers beyond 2^53 as strings, times in ISO 8601,
bytes in base64; rows are arrays in column order (a query may return two columns with one name).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pyarrow as pa

from meshplane.errors import InvalidInputError
from meshplane.gateway.core import QueryResult

_JS_SAFE = 2**53


class ResultFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    ARROW = "arrow"

    @property
    def media_type(self) -> str:
        return _MEDIA[self]

    @classmethod
    def parse(cls, text: str) -> ResultFormat:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidInputError(
                f"unknown result format `{text}`", hint=f"use one of: {', '.join(f.value for f in cls)}"
            ) from None

    @classmethod
    def negotiate(cls, accept: str | None) -> ResultFormat:
        """The format an ``Accept`` header asks for (JSON unless it prefers CSV or Arrow)."""
        best: tuple[float, int, ResultFormat] | None = None
        for position, item in enumerate((accept or "").split(",")):
            media, _, params = item.strip().partition(";")
            quality = 1.0
            for param in params.split(";"):
                key, _, value = param.strip().partition("=")
                if key == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            chosen = _BY_MEDIA.get(media.strip().lower())
            if chosen is not None and quality > 0 and (best is None or (quality, -position) > best[:2]):
                best = (quality, -position, chosen)
        return best[2] if best else cls.JSON


_MEDIA = {
    ResultFormat.JSON: "application/json",
    ResultFormat.CSV: "text/csv; charset=utf-8",
    ResultFormat.ARROW: "application/vnd.apache.arrow.stream",
}
_BY_MEDIA = {
    "application/json": ResultFormat.JSON,
    "text/csv": ResultFormat.CSV,
    "application/vnd.apache.arrow.stream": ResultFormat.ARROW,
}


def to_json_value(value: Any) -> Any:
    """A value of a result row as JSON can carry it without losing anything."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -_JS_SAFE <= value <= _JS_SAFE else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # a MAP column arrives as a list of (key, value) pairs
        return [to_json_value(v) for v in value]
    return str(value)


def rows(table: pa.Table) -> list[list[Any]]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [[to_json_value(col[r]) for col in columns] for r in range(table.num_rows)]


def to_document(result: QueryResult, *, sql: str | None = None) -> dict[str, Any]:
    """The JSON document of a result: columns, rows, and what was read."""
    return {
        "columns": [{"name": f.name, "type": str(f.type)} for f in result.table.schema],
        "rows": rows(result.table),
        "rowCount": result.rows,
        "truncated": result.truncated is not None,
        "truncatedBy": result.truncated,
        "ports": [r.to_dict() for r in result.reads],
        "durationMs": round(result.duration_ms, 2),
        **({"sql": sql} if sql is not None else {}),
    }


def to_json(result: QueryResult) -> str:
    return json.dumps(to_document(result), ensure_ascii=False)


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(to_json_value(value), ensure_ascii=False)
    converted = to_json_value(value)
    return converted if isinstance(converted, str) else json.dumps(converted)


def to_csv(table: pa.Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for r in range(table.num_rows):
        writer.writerow([csv_cell(col[r]) for col in columns])
    return buffer.getvalue()


def to_arrow(table: pa.Table) -> bytes:
    """The rows as an Arrow IPC stream (``pyarrow.ipc.open_stream`` reads it back)."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def render(result: QueryResult, fmt: ResultFormat) -> bytes:
    if fmt is ResultFormat.ARROW:
        return to_arrow(result.table)
    if fmt is ResultFormat.CSV:
        return to_csv(result.table).encode("utf-8")
    return to_json(result).encode("utf-8")
