"""What the page modules share: the marketplace service of the app, domain colours, the signed-in user."""

from __future__ import annotations

from fastapi import Request

from meshplane.errors import AuthenticationError
from meshplane.identity import Identity
from meshplane.lineage.svg import domain_colours
from meshplane.marketplace import Marketplace
from meshplane.web.pages.rendering import identity_of


def market(request: Request) -> Marketplace:
    found: Marketplace = request.app.state.marketplace
    return found


def colours(request: Request) -> dict[str, str]:
    """One colour per domain of the mesh, the same on every page (and in the lineage drawing)."""
    mesh = getattr(request.app.state, "mesh", None)
    return domain_colours(d.name for d in getattr(mesh, "domains", []))


def signed_in(request: Request) -> Identity:
    """The signed-in user; AuthenticationError (a 401 page asking to sign in) for anonymous posts."""
    identity = identity_of(request)
    if identity is None:
        raise AuthenticationError("sign in first to post", hint="pick your mesh user on /signin")
    return identity
