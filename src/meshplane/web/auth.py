"""Who is calling the web app: FastAPI dependencies reading a bearer token or the sign-in cookie.

``Authorization: Bearer <JWT>`` wins over the ``meshplane_token`` cookie (API clients send the header;
pages rely on the cookie that ``/signin`` sets with ``signin_cookie``). The tokens are verified against the
mesh in ``request.app.state.mesh`` with the secret under ``request.app.state.mesh_root``; the verifier is
built once per app and cached on ``app.state``.

    @router.get("/me")
    def me(identity: Identity = Depends(current_identity)) -> dict: ...
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import Request, Response

from meshplane.errors import AuthenticationError
from meshplane.identity import DEFAULT_TTL, Identity, Tokens, tokens_for
from meshplane.spec.model import Mesh

COOKIE = "meshplane_token"
_STATE_KEY = "meshplane_tokens"


def tokens(request: Request) -> Tokens:
    """The app's token issuer and verifier (built on first use)."""
    state = request.app.state
    found = getattr(state, _STATE_KEY, None)
    if isinstance(found, Tokens):
        return found
    mesh: Mesh = state.mesh
    root: Path = state.mesh_root
    made = tokens_for(mesh, Path(root))
    setattr(state, _STATE_KEY, made)
    return made


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthenticationError(
                "the Authorization header must be `Bearer <token>`",
                hint="get a token with `meshplane token issue USER` or POST /api/v1/token",
            )
        return value.strip()
    cookie = request.cookies.get(COOKIE)
    return cookie or None


def current_identity(request: Request) -> Identity:
    """The caller's identity; AuthenticationError (401) when no valid token or cookie is presented."""
    token = _presented(request)
    if token is None:
        raise AuthenticationError(
            "sign in first: no bearer token and no sign-in cookie",
            hint="send `Authorization: Bearer <token>` (from `meshplane token issue USER`), or sign in at /signin",
        )
    return tokens(request).verify(token)


def optional_identity(request: Request) -> Identity | None:
    """The caller's identity, or None for anonymous callers. A *bad* token is still an error (401): silently
    treating it as anonymous would hide an expired session behind pages that merely look emptier."""
    token = _presented(request)
    if token is None:
        return None
    try:
        return tokens(request).verify(token)
    except AuthenticationError:
        if request.headers.get("authorization"):
            raise
        return None  # a stale cookie on a public page: show it signed out (the sign-in page sets a new one)


def signin_cookie(request: Request, response: Response, user: str, ttl: timedelta = DEFAULT_TTL) -> Identity:
    """Sign ``user`` in on ``response``: an HttpOnly, SameSite=Lax cookie holding a token; returns the identity
    (AuthenticationError for someone who is not a mesh user)."""
    issuer = tokens(request)
    token = issuer.issue_token(user, ttl)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return issuer.verify(token)


def signout_cookie(response: Response) -> None:
    """Forget the sign-in cookie."""
    response.delete_cookie(COOKIE, path="/")
