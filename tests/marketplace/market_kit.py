"""Helpers of the marketplace tests: bearer tokens for demo users, the demo's product ids."""

from __future__ import annotations

from pathlib import Path

from meshplane.identity import tokens_for
from meshplane.spec.loader import MESH_FILE, load_mesh

ORDERS = "urn:dmb:dp:sales:orders:1"
CUSTOMER_MASTER = "urn:dmb:dp:customer:customer_master:1"
CUSTOMER_360 = "urn:dmb:dp:marketing:customer_360:1"
DAILY_REVENUE = "urn:dmb:dp:sales:daily_revenue:1"
CHURN = "urn:dmb:dp:marketing:churn_features:1"


def bearer(mesh_root: Path, user: str) -> dict[str, str]:
    """An ``Authorization`` header for a mesh user, signed with the mesh's own secret."""
    mesh = load_mesh(mesh_root / MESH_FILE).model
    assert mesh is not None
    return {"Authorization": f"Bearer {tokens_for(mesh, mesh_root).issue_token(user)}"}
