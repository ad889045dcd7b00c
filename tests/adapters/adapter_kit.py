"""Descriptors built in a line, for the adapter tests (imported by name: tests have no packages)."""

from __future__ import annotations

from typing import Any

from meshplane.spec.model import DataProduct


def product(
    columns: list[dict[str, Any]],
    quality: list[dict[str, Any]] | None = None,
    *,
    port: str = "orders",
    port_type: str = "sql",
    name: str = "orders",
    domain: str = "sales",
    version: str = "1.0.0",
    description: str = "",
    specific: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> DataProduct:
    """A data product with one output port whose contract is ``columns`` and ``quality``."""
    component: dict[str, Any] = {
        "kind": "outputPort",
        "name": port,
        "type": port_type,
        "description": description,
        "specific": specific or {},
        "dataContract": {"columns": columns, "quality": quality or [], **(extra or {})},
    }
    major = version.split(".")[0]
    return DataProduct.model_validate(
        {
            "id": f"urn:dmb:dp:{domain}:{name}:{major}",
            "name": name,
            "domain": domain,
            "kind": "source-aligned",
            "version": version,
            "owner": "alice",
            "components": [component],
        }
    )


ORDERS = [
    {"name": "order_id", "type": "string", "required": True, "primaryKey": True},
    {"name": "amount", "type": "decimal", "physicalType": "DECIMAL(12,2)", "required": True},
    {"name": "status", "type": "string"},
]
ORDERS_QUALITY = [
    {"type": "range", "column": "amount", "min": 0.25, "max": 100},
    {"type": "acceptedValues", "column": "status", "values": ["paid", "shipped"]},
]
