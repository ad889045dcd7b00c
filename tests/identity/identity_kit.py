"""A tiny mesh model for identity and access tests: two domains, their teams, an analyst group."""

from __future__ import annotations

from meshplane.spec.model import Mesh


def small_mesh() -> Mesh:
    return Mesh.model_validate(
        {
            "name": "acme",
            "domains": [
                {"name": "sales", "ownerGroup": "sales-team"},
                {"name": "marketing", "ownerGroup": "marketing-team"},
            ],
            "users": [{"id": u} for u in ("jonas", "sam", "tom", "ann")],
            "groups": [
                {"name": "sales-team", "members": ["jonas"]},
                {"name": "marketing-team", "members": ["sam"]},
                {"name": "analysts", "members": ["tom", "ann"]},
            ],
        }
    )
