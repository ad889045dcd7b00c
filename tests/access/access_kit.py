"""A registry with a few deployed data products, recorded directly (no adapters): fast access tests.

``sales/orders`` (owned by the sales team; jonas) has PII ``email``; ``marketing/c360`` (sam) reads it
through an input port; tom and ann are analysts.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from meshplane.access import AccessService
from meshplane.identity import Directory, Identity
from meshplane.registry import Registry, new_owner
from meshplane.spec.model import Mesh

ORDERS_1 = "urn:dmb:dp:sales:orders:1"
ORDERS_2 = "urn:dmb:dp:sales:orders:2"
C360 = "urn:dmb:dp:marketing:c360:1"

MESH = Mesh.model_validate(
    {
        "name": "acme",
        "environments": [{"name": "dev"}, {"name": "prod"}],
        "domains": [
            {"name": "sales", "ownerGroup": "sales-team"},
            {"name": "marketing", "ownerGroup": "marketing-team"},
        ],
        "users": [{"id": u} for u in ("jonas", "sam", "tom", "ann", "eve")],
        "groups": [
            {"name": "sales-team", "members": ["jonas"]},
            {"name": "marketing-team", "members": ["sam"]},
            {"name": "analysts", "members": ["tom", "ann"]},
        ],
    }
)

_COLUMNS = [
    {"name": "order_id", "type": "integer", "primaryKey": True},
    {"name": "region", "type": "string"},
    {"name": "amount", "type": "number"},
    {"name": "email", "type": "string", "classification": "pii"},
    {"name": "cid", "type": "string"},
]


def orders(major: int = 1, minor: int = 0, columns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": f"urn:dmb:dp:sales:orders:{major}",
        "name": "orders",
        "domain": "sales",
        "kind": "source-aligned",
        "version": f"{major}.{minor}.0",
        "owner": "jonas",
        "components": [
            {"kind": "outputPort", "name": "orders", "dataContract": {"columns": copy.deepcopy(columns or _COLUMNS)}},
            {"kind": "outputPort", "name": "daily", "dataContract": {"columns": [{"name": "day", "type": "date"}]}},
        ],
    }


def c360() -> dict[str, Any]:
    return {
        "id": C360,
        "name": "c360",
        "domain": "marketing",
        "kind": "consumer-aligned",
        "version": "1.0.0",
        "owner": "sam",
        "components": [
            {
                "kind": "inputPort",
                "name": "orders",
                "source": {"type": "outputPort", "dataProduct": ORDERS_1, "port": "orders"},
            },
            {"kind": "outputPort", "name": "profile", "dataContract": {"columns": [{"name": "cid", "type": "string"}]}},
        ],
    }


def record(registry: Registry, descriptor: dict[str, Any], environment: str = "dev") -> None:
    """Record ``descriptor`` as deployed, as a deploy would (the lease, the descriptor, the audit)."""
    lease = registry.acquire(descriptor["id"], environment, new_owner("test"))
    try:
        registry.record_deployment(lease, version=descriptor["version"], descriptor=descriptor, status="DEPLOYED")
    finally:
        registry.release(lease)


def open_registry(tmp: Path) -> Registry:
    registry = Registry.open(f"sqlite:///{tmp / 'registry.db'}")
    record(registry, orders())
    record(registry, c360())
    return registry


def service(registry: Registry) -> AccessService:
    return AccessService(registry, MESH, environment="dev")


def who(user: str, data_product: str | None = None) -> Identity:
    return Directory(MESH).identity(user, data_product=data_product)
