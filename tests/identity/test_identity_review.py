"""An adversarial review of identities and tokens: forged and stale tokens, the cookie, cross-site requests.

Found by this review and fixed (in ``meshplane.web.auth``):
* a running app kept the users and groups it started with: a token of a user removed from ``mesh.yaml`` (or
  of one removed from an owning group) kept working until a restart — now mesh.yaml is read again on change;
* cookie-authenticated POSTs had no defence against cross-site requests beyond SameSite=Lax (which a sibling
  subdomain passes): a page elsewhere could make an owner's browser approve a consumer's access request —
  now such requests must come from this site (Fetch Metadata, else ``Origin``); bearer requests are exempt;
* with an OIDC provider configured, ``/signin`` still let anyone pick any user, the owner included — now it
  is off unless ``MESHPLANE_LOCAL_SIGNIN=1``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from identity_kit import small_mesh

from meshplane.errors import AuthenticationError, MeshplaneError
from meshplane.identity import Directory, Identity, TokenConfig, Tokens, load_secret, tokens_for
from meshplane.identity.tokens import OidcConfig
from meshplane.registry import Registry
from meshplane.spec.loader import load_mesh
from meshplane.web.api.query import query_service
from meshplane.web.auth import (
    LOCAL_SIGNIN_ENV,
    SECURE_COOKIE_ENV,
    TRUSTED_ORIGINS_ENV,
    current_identity,
    optional_identity,
    signin_cookie,
)

SECRET = b"r" * 64
ISSUER = "meshplane:acme"
MESH_YAML = """apiVersion: meshplane/v1
name: acme
domains:
  - name: sales
    ownerGroup: sales-team
users:
{users}
groups:
  - name: sales-team
    members: [{owners}]
  - name: analysts
    members: [tom]
"""


def _write_mesh(root: Path, users: list[str], owners: list[str]) -> None:
    text = MESH_YAML.format(users="\n".join(f"  - id: {u}" for u in users), owners=", ".join(owners))
    (root / "mesh.yaml").write_text(text)


@pytest.fixture
def tokens() -> Tokens:
    return Tokens(Directory(small_mesh()), TokenConfig(SECRET, ISSUER))


def _local(
    claims: dict[str, Any], *, alg: str = "HS256", key: Any = SECRET, headers: dict[str, Any] | None = None
) -> str:
    now = datetime.now(UTC)
    base = {"sub": "tom", "iss": ISSUER, "aud": "meshplane", "exp": now + timedelta(minutes=5)}
    body = {k: v for k, v in (base | claims).items() if v is not None}
    return jwt.encode(body, key, algorithm=alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    body = json.dumps(claims, default=lambda d: int(d.timestamp())).encode()
    return f"{_b64(json.dumps(header).encode())}.{_b64(body)}.{_b64(signature)}"


FUTURE = datetime.now(UTC) + timedelta(hours=1)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (_local({"nbf": FUTURE}), "not valid yet"),
        (_local({"aud": None}), "lacks the `aud`"),
        (_local({"iss": None}), "lacks the `iss`"),
        (_local({"sub": None}), "lacks the `sub`"),
        (_local({"sub": "sales-team"}), "not a user"),  # a group is not someone to be
        (_local({"sub": ["tom"]}), "(?i)subject"),
        (_local({"aud": ["other", "x"]}), "audience"),
        (_local({}, alg="HS384"), "not accepted"),
        (_local({}, alg="HS512"), "not accepted"),
        (_unsigned({"alg": "None", "typ": "JWT"}, {"sub": "jonas", "iss": ISSUER, "aud": "meshplane"}), "not accepted"),
        (
            _unsigned({"alg": "hs256", "typ": "JWT"}, {"sub": "jonas", "iss": ISSUER, "aud": "meshplane"}),
            "not accepted",
        ),
        (_unsigned({"typ": "JWT"}, {"sub": "jonas", "iss": ISSUER, "aud": "meshplane"}), "not accepted"),
        (_unsigned({"alg": "HS256"}, {"sub": "jonas", "iss": ISSUER, "aud": "meshplane", "exp": FUTURE}), "signature"),
    ],
)
def test_forged_and_malformed_tokens_are_refused(tokens: Tokens, token: str, message: str) -> None:
    with pytest.raises(AuthenticationError, match=message):
        tokens.verify(token)


def test_a_local_token_cannot_add_groups_or_change_its_user_in_the_header(tokens: Tokens) -> None:
    forged = _local({"groups": ["sales-team"], "roles": ["admin"]}, headers={"sub": "jonas", "kid": "../secret"})
    identity = tokens.verify(forged)
    assert identity.user == "tom" and identity.groups == {"analysts"}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


def _oidc_tokens(key: rsa.RSAPrivateKey, *, groups: bool = False) -> Tokens:
    env = {"MESHPLANE_OIDC_ISSUER": "https://idp.example", "MESHPLANE_OIDC_PUBLIC_KEY": _pem(key)}
    if groups:
        env["MESHPLANE_OIDC_GROUPS_FROM_TOKEN"] = "1"
    return Tokens(Directory(small_mesh()), TokenConfig(SECRET, ISSUER, oidc=OidcConfig.from_env(env)))


def _oidc(key: rsa.RSAPrivateKey, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    base = {
        "sub": "ann",
        "iss": "https://idp.example",
        "aud": "meshplane",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    return jwt.encode(base | claims, key, algorithm="RS256", headers=headers)


def test_an_oidc_token_cannot_act_for_a_data_product_or_add_unknown_groups(rsa_key: rsa.RSAPrivateKey) -> None:
    untrusted = _oidc_tokens(rsa_key).verify(
        _oidc(rsa_key, {"dp": "urn:dmb:dp:sales:orders:1", "groups": ["sales-team"]})
    )
    assert untrusted == Identity("ann", frozenset({"analysts"}), None)
    trusted = _oidc_tokens(rsa_key, groups=True)
    identity = trusted.verify(_oidc(rsa_key, {"groups": ["sales-team", "root", 7, {"x": 1}]}))
    assert identity.groups == {"analysts", "sales-team"} and identity.data_product is None


def test_an_embedded_key_in_the_header_is_not_trusted(rsa_key: rsa.RSAPrivateKey) -> None:
    """A token signed by the attacker's key, which it carries in its own ``jwk`` header, must not verify."""
    mallory = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(mallory.public_key()))
    forged = _oidc(mallory, {"sub": "jonas"}, headers={"jwk": jwk, "kid": "k1"})
    with pytest.raises(AuthenticationError, match="signature"):
        _oidc_tokens(rsa_key).verify(forged)


def test_a_local_token_signed_with_the_providers_public_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = _pem(rsa_key).encode()
    claims = {
        "sub": "jonas",
        "iss": "https://idp.example",
        "aud": "meshplane",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    for alg in ("HS256", "HS384", "HS512"):
        header = {"alg": alg, "typ": "JWT"}
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        head = _b64(json.dumps(header).encode())
        body = _b64(json.dumps(claims, default=lambda d: int(d.timestamp())).encode())
        sig = hmac.new(pem, f"{head}.{body}".encode(), digest).digest()
        with pytest.raises(AuthenticationError):
            _oidc_tokens(rsa_key).verify(f"{head}.{body}.{_b64(sig)}")


# -- the web app ----------------------------------------------------------------------------------------------


def _app(root: Path) -> FastAPI:
    app = FastAPI()
    loaded = load_mesh(root / "mesh.yaml")
    assert loaded.model is not None
    app.state.mesh, app.state.mesh_root = loaded.model, root

    @app.exception_handler(MeshplaneError)
    def _error(_: Request, exc: MeshplaneError) -> JSONResponse:
        status = 401 if isinstance(exc, AuthenticationError) else 403
        return JSONResponse({"message": exc.message, "hint": exc.hint}, status_code=status)

    @app.get("/me")
    def me(identity: Identity = Depends(current_identity)) -> dict[str, object]:
        return identity.to_dict()

    @app.post("/approve")
    def approve(identity: Identity = Depends(current_identity)) -> dict[str, object]:
        return {"approved_by": identity.user}

    @app.post("/maybe")
    def maybe(identity: Identity | None = Depends(optional_identity)) -> dict[str, object]:
        return {"user": identity.user if identity else None}

    @app.post("/signin/{user}")
    def signin(request: Request, response: Response, user: str) -> dict[str, object]:
        return signin_cookie(request, response, user).to_dict()

    return app


@pytest.fixture
def mesh_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MESHPLANE_SECRET", "MESHPLANE_OIDC_ISSUER", LOCAL_SIGNIN_ENV, TRUSTED_ORIGINS_ENV, SECURE_COOKIE_ENV):
        monkeypatch.delenv(name, raising=False)
    _write_mesh(tmp_path, ["jonas", "tom", "ann"], ["jonas", "ann"])
    return tmp_path


@pytest.fixture
def client(mesh_root: Path) -> Iterator[TestClient]:
    with TestClient(_app(mesh_root), base_url="http://mesh.example") as made:
        yield made


def _bump(root: Path) -> None:
    """Make sure the new mesh.yaml has a new stamp even on a coarse clock."""
    path = root / "mesh.yaml"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_user_removed_from_mesh_yaml_is_refused_at_once(client: TestClient, mesh_root: Path) -> None:
    bearer = {"Authorization": f"Bearer {tokens_for(small_mesh(), mesh_root).issue_token('ann')}"}
    client.post("/signin/ann")
    assert client.get("/me").json()["user"] == "ann"
    assert client.get("/me", headers=bearer).json()["groups"] == ["sales-team"]
    _write_mesh(mesh_root, ["jonas", "tom"], ["jonas"])
    _bump(mesh_root)
    assert client.get("/me").status_code == 401  # the cookie
    refused = client.get("/me", headers=bearer)
    assert refused.status_code == 401 and "not a user" in refused.json()["message"]


def test_leaving_an_owning_group_counts_at_once(client: TestClient, mesh_root: Path) -> None:
    client.post("/signin/ann")
    assert client.get("/me").json()["groups"] == ["sales-team"]
    _write_mesh(mesh_root, ["jonas", "tom", "ann"], ["jonas"])
    _bump(mesh_root)
    assert client.get("/me").json()["groups"] == []


def test_a_broken_mesh_yaml_keeps_the_last_good_directory(client: TestClient, mesh_root: Path) -> None:
    client.post("/signin/tom")
    (mesh_root / "mesh.yaml").write_text("name: [unclosed")
    _bump(mesh_root)
    assert client.get("/me").json()["user"] == "tom"


def test_the_cookie_is_httponly_lax_and_secure_over_https(mesh_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(_app(mesh_root), base_url="http://mesh.example") as plain:
        cookie = plain.post("/signin/tom").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        assert "path=/" in cookie and "max-age=" in cookie
    with TestClient(_app(mesh_root), base_url="https://mesh.example") as tls:
        assert "secure" in tls.post("/signin/tom").headers["set-cookie"].lower()
    monkeypatch.setenv(SECURE_COOKIE_ENV, "1")  # TLS ends at a proxy: the app sees http
    with TestClient(_app(mesh_root), base_url="http://mesh.example") as proxied:
        assert "secure" in proxied.post("/signin/tom").headers["set-cookie"].lower()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://mesh.example.evil.example"},
        {"Origin": "http://mesh.example:8080"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://mesh.example"},  # a sibling subdomain
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://mesh.example"},
    ],
)
def test_a_cross_site_post_with_the_cookie_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    client.post("/signin/jonas")
    refused = client.post("/approve", headers=headers)
    assert refused.status_code == 403 and "cross-site" in refused.json()["message"]
    assert client.post("/maybe", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},  # not a browser
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://mesh.example"},
        {"Origin": "http://MESH.example:80"},
    ],
)
def test_a_same_site_post_with_the_cookie_passes(client: TestClient, headers: dict[str, str]) -> None:
    client.post("/signin/jonas")
    assert client.post("/approve", headers=headers).json() == {"approved_by": "jonas"}


def test_bearer_requests_and_reads_are_not_cross_site_checks(client: TestClient, mesh_root: Path) -> None:
    token = tokens_for(small_mesh(), mesh_root).issue_token("tom")
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post("/approve", headers=evil | {"Authorization": f"Bearer {token}"}).json() == {"approved_by": "tom"}
    client.post("/signin/jonas")
    assert client.get("/me", headers=evil).json()["user"] == "jonas"


def test_trusted_origins_pass_behind_a_proxy(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    client.post("/signin/jonas")
    public = {"Origin": "https://data.example.com"}
    assert client.post("/approve", headers=public).status_code == 403
    monkeypatch.setenv(TRUSTED_ORIGINS_ENV, "https://data.example.com/, https://other.example")
    assert client.post("/approve", headers=public).json() == {"approved_by": "jonas"}


def test_a_cross_site_signin_is_refused(client: TestClient) -> None:
    """Login CSRF: another site signing the victim in as the attacker's user."""
    refused = client.post("/signin/tom", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers


def test_signin_by_picking_a_user_is_off_behind_an_identity_provider(
    mesh_root: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: rsa.RSAPrivateKey
) -> None:
    monkeypatch.setenv("MESHPLANE_OIDC_ISSUER", "https://idp.example")
    monkeypatch.setenv("MESHPLANE_OIDC_PUBLIC_KEY", _pem(rsa_key))
    with TestClient(_app(mesh_root), base_url="http://mesh.example") as client:
        refused = client.post("/signin/jonas")
        assert refused.status_code == 401 and "OIDC" in refused.json()["message"]
        assert "set-cookie" not in refused.headers
        token = _oidc(rsa_key, {"sub": "tom"})
        assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()["user"] == "tom"
    monkeypatch.setenv(LOCAL_SIGNIN_ENV, "1")
    with TestClient(_app(mesh_root), base_url="http://mesh.example") as dev:
        assert dev.post("/signin/jonas").json()["user"] == "jonas"


def test_a_short_secret_from_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AuthenticationError, match="too short") as caught:
        load_secret(tmp_path, env={"MESHPLANE_SECRET": "changeme"})
    assert caught.value.hint and "32" in caught.value.hint
    assert load_secret(tmp_path, env={"MESHPLANE_SECRET": "k" * 32}) == b"k" * 32


def test_the_query_service_follows_ownership_changes_in_mesh_yaml(mesh_root: Path) -> None:
    """Owners read their ports unfiltered: leaving the owning group must end that without a restart."""
    app = _app(mesh_root)
    registry = Registry.open(f"sqlite:///{mesh_root / 'registry.db'}")
    app.state.registry, app.state.environment = registry, "dev"

    @app.get("/owner-of-sales")
    def owner_of_sales(request: Request) -> dict[str, object]:
        service = query_service(request)
        return {
            "team": service.access.directory.owner_group_of_domain("sales"),
            "ann": sorted(service.access.directory.groups_of("ann")),
        }

    try:
        with TestClient(app) as client:
            assert client.get("/owner-of-sales").json() == {"team": "sales-team", "ann": ["sales-team"]}
            _write_mesh(mesh_root, ["jonas", "tom", "ann"], ["jonas"])
            _bump(mesh_root)
            assert client.get("/owner-of-sales").json() == {"team": "sales-team", "ann": []}
            service = app.state.query_service
            client.get("/owner-of-sales")
            assert app.state.query_service is service  # the gateway (and its pool) is kept
    finally:
        if getattr(app.state, "query_service", None) is not None:
            app.state.query_service.close()
        registry.close()
