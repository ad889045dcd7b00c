"""Watermarks of incremental inputs, as JSON the run records can keep and give back with their type.

A watermark is the highest value of an input's ``incremental.watermarkColumn`` a run has read. The next run
reads rows above it; a run being completed or overwritten reads exactly its recorded range ``(from, to]``
again. JSON has no timestamps or decimals, so values are stored tagged: ``{"type": "timestamp", "value":
"2024-05-01T10:00:00"}``.

>>> decode(encode(datetime(2024, 5, 1, 10, 0)))
datetime.datetime(2024, 5, 1, 10, 0)
>>> encode(42)
{'type': 'integer', 'value': 42}
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from meshplane.errors import InvalidInputError


def encode(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int):
        return {"type": "integer", "value": value}
    if isinstance(value, float):
        return {"type": "number", "value": value}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, datetime):
        return {"type": "timestamp", "value": value.isoformat()}
    if isinstance(value, date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, time):
        return {"type": "time", "value": value.isoformat()}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    raise InvalidInputError(
        f"a watermark column holds {type(value).__name__} values, which cannot be compared across runs",
        hint="use a numeric, date, timestamp or text column as incremental.watermarkColumn",
    )


def decode(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    kind, value = data.get("type"), data.get("value")
    if kind == "decimal":
        return Decimal(str(value))
    if kind == "timestamp":
        return datetime.fromisoformat(str(value))
    if kind == "date":
        return date.fromisoformat(str(value))
    if kind == "time":
        return time.fromisoformat(str(value))
    return value


def condition(column: str, low: Any, high: Any, placeholder: str = "?") -> tuple[str, list[Any]]:
    """``WHERE`` text and parameters for ``low < column <= high`` (either bound may be absent)."""
    parts, params = [], []
    if low is not None:
        parts.append(f"{column} > {placeholder}")
        params.append(low)
    if high is not None:
        parts.append(f"{column} <= {placeholder}")
        params.append(high)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params
