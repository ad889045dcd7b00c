"""Who is asking: mesh users and groups (from ``mesh.yaml``), bearer tokens for the API, the CLI's user.

The directory is the mesh model itself — users, groups with members, domains with owner groups — so a
change to ``mesh.yaml`` is a change of who may do what, reviewed like any other change. Tokens are JWTs:
HS256 with a per-mesh secret by default, or RS256/ES256 from an OIDC provider (JWKS URL or PEM key).

>>> from meshplane.spec.model import Mesh
>>> mesh = Mesh.model_validate({"name": "m", "users": [{"id": "ann"}], "groups": [{"name": "t", "members": ["ann"]}]})
>>> Directory(mesh).identity("ann")
Identity(user='ann', groups=frozenset({'t'}), data_product=None)
"""

from __future__ import annotations

from meshplane.identity.cli_user import USER_ENV, resolve_cli_identity
from meshplane.identity.directory import Directory
from meshplane.identity.model import Identity
from meshplane.identity.tokens import (
    DEFAULT_TTL,
    TokenConfig,
    Tokens,
    load_secret,
    tokens_for,
)

__all__ = [
    "DEFAULT_TTL",
    "USER_ENV",
    "Directory",
    "Identity",
    "TokenConfig",
    "Tokens",
    "load_secret",
    "resolve_cli_identity",
    "tokens_for",
]
