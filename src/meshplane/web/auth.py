"""Who is calling the web app: FastAPI dependencies reading a bearer token or the sign-in cookie.

``Authorization: Bearer <JWT>`` wins over the ``meshplane_token`` cookie (API clients send the header;
pages rely on the cookie that ``/signin`` sets with ``signin_cookie``). The tokens are verified against the
mesh in ``request.app.state.mesh`` with the secret under ``request.app.state.mesh_root``; the verifier is
built once per app and cached on ``app.state``.

    @router.get("/me")
    def me(identity: Identity = Depends(current_identity)) -> dict: ...

Three defences live here, so every route that asks who is calling gets them:

* **mesh.yaml is the directory, also while the app runs**: when the file changes, the users and groups are
  read again (a token or cookie of a user removed since is refused at once; group changes count at once).
  A file that does not load keeps the last good directory, and says so in the log.
* **cross-site requests** (CSRF): a request that changes something (not GET/HEAD/OPTIONS) and is
  authenticated by the *cookie* must come from this site's own pages — the browser's ``Sec-Fetch-Site`` says
  ``same-origin``, or, from browsers without Fetch Metadata, ``Origin`` names this host. Forms and htmx need
  nothing extra; scripts and the CLI send a bearer header, which a cross-site page cannot, and are exempt. A
  proxy that rewrites ``Host`` lists the public origins in ``MESHPLANE_TRUSTED_ORIGINS`` (comma-separated).
* **no user picker in front of an identity provider**: when OIDC is configured, ``/signin`` (pick any mesh
  user, no password) is off — it would let anyone be anyone — unless ``MESHPLANE_LOCAL_SIGNIN=1`` says this
  is a development set-up.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request, Response

from meshplane.errors import AuthenticationError, PermissionDeniedError
from meshplane.identity import DEFAULT_TTL, Identity, Tokens, tokens_for
from meshplane.spec.loader import MESH_FILE, load_mesh
from meshplane.spec.model import Mesh

COOKIE = "meshplane_token"
TRUSTED_ORIGINS_ENV = "MESHPLANE_TRUSTED_ORIGINS"
LOCAL_SIGNIN_ENV = "MESHPLANE_LOCAL_SIGNIN"
SECURE_COOKIE_ENV = "MESHPLANE_SECURE_COOKIE"
_STATE_KEY = "meshplane_tokens"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_log = logging.getLogger(__name__)

#: (mtime in ns, size, inode) of mesh.yaml, or None when there is no file (an app built from a model).
Stamp = tuple[int, int, int] | None


@dataclass(frozen=True)
class _Cached:
    tokens: Tokens
    stamp: Stamp


def _stamp(root: Path) -> Stamp:
    try:
        found = (root / MESH_FILE).stat()
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


def tokens(request: Request) -> Tokens:
    """The app's token issuer and verifier: built on first use, rebuilt when mesh.yaml changes."""
    state = request.app.state
    root = Path(state.mesh_root)
    stamp = _stamp(root)
    found = getattr(state, _STATE_KEY, None)
    if isinstance(found, _Cached) and found.stamp == stamp:
        return found.tokens
    if isinstance(found, Tokens):  # set by a test or an embedding app: use it as is
        return found
    mesh: Mesh = state.mesh
    if isinstance(found, _Cached):  # the file changed since the directory was read
        mesh = _reload(root, found.tokens.directory.mesh)
    made = tokens_for(mesh, root)
    setattr(state, _STATE_KEY, _Cached(made, stamp))
    return made


def _reload(root: Path, last: Mesh) -> Mesh:
    loaded = load_mesh(root / MESH_FILE)
    if loaded.model is None or not loaded.ok:
        first = "; ".join(d.message for d in loaded.diagnostics[:3]) or "it does not load"
        _log.warning("%s changed but does not load (%s); users and groups stay as they were", root / MESH_FILE, first)
        return last
    return loaded.model


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
    if not cookie:
        return None
    require_same_origin(request)
    return cookie


def require_same_origin(request: Request) -> None:
    """PermissionDeniedError (403) for a state-changing request another site's page made the browser send."""
    if request.method.upper() in _SAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site.lower() in ("same-origin", "none"):  # "none": typed in, a bookmark — not another site
            return
        raise _cross_site(f"the browser says it comes from a {site.lower()} page")
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser, or one that sends neither header (SameSite=Lax still keeps the cookie back)
    if _same_origin(origin, request):
        return
    raise _cross_site(f"it comes from {origin}")


def _same_origin(origin: str, request: Request) -> bool:
    trusted = {o.strip().rstrip("/").lower() for o in os.environ.get(TRUSTED_ORIGINS_ENV, "").split(",") if o.strip()}
    if origin.rstrip("/").lower() in trusted:
        return True
    host = request.headers.get("host")
    if origin == "null" or not host:
        return False
    parts = urlsplit(origin)
    scheme = (parts.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return False
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
        ours = urlsplit(f"{scheme}://{host}")
        our_port = ours.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return False
    return parts.hostname.lower() == (ours.hostname or "").lower() and port == our_port


def _cross_site(why: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"refused a cross-site request signed in by cookie: {why}",
        hint="use the form on this site's own pages; scripts send `Authorization: Bearer <token>` "
        f"(a proxy that rewrites Host lists the public origin in {TRUSTED_ORIGINS_ENV})",
    )


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


def local_signin_allowed(request: Request) -> bool:
    """Whether ``/signin`` may sign people in by name: yes, unless an OIDC provider is configured (then
    only with ``MESHPLANE_LOCAL_SIGNIN=1``)."""
    if os.environ.get(LOCAL_SIGNIN_ENV, "").lower() in ("1", "true", "yes"):
        return True
    return tokens(request).config.oidc is None


def signin_cookie(request: Request, response: Response, user: str, ttl: timedelta = DEFAULT_TTL) -> Identity:
    """Sign ``user`` in on ``response``: an HttpOnly, SameSite=Lax cookie holding a token (Secure over HTTPS or
    with ``MESHPLANE_SECURE_COOKIE=1``); returns the identity. AuthenticationError for someone who is not a
    mesh user, or when the mesh signs in through an OIDC provider; PermissionDeniedError for a sign-in posted
    from another site (it would sign the victim in as the attacker's user)."""
    require_same_origin(request)
    if not local_signin_allowed(request):
        raise AuthenticationError(
            "this mesh signs people in through its OIDC provider, not by picking a user",
            hint=f"send `Authorization: Bearer <token>` from the provider (set {LOCAL_SIGNIN_ENV}=1 on a "
            "development server to pick users again)",
        )
    issuer = tokens(request)
    token = issuer.issue_token(user, ttl)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or os.environ.get(SECURE_COOKIE_ENV, "").lower() in ("1", "true", "yes"),
        path="/",
    )
    return issuer.verify(token)


def signout_cookie(response: Response) -> None:
    """Forget the sign-in cookie."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
