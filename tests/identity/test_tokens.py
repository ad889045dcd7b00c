"""Bearer tokens: local HS256 tokens, OIDC tokens (PEM key and JWKS), and every way verification fails."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from identity_kit import small_mesh

from meshplane.errors import AuthenticationError, InvalidInputError
from meshplane.identity import Directory, Identity, TokenConfig, Tokens, load_secret, tokens_for
from meshplane.identity.tokens import OidcConfig
from meshplane.spec.model import Mesh

SECRET = b"x" * 48


@pytest.fixture
def tokens() -> Tokens:
    return Tokens(Directory(small_mesh()), TokenConfig(SECRET, "meshplane:acme"))


def test_a_token_round_trips_to_the_identity(tokens: Tokens):
    token = tokens.issue_token("tom", timedelta(minutes=5))
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="meshplane")
    assert claims["sub"] == "tom" and claims["groups"] == ["analysts"] and claims["iss"] == "meshplane:acme"
    assert tokens.verify(token) == Identity("tom", frozenset({"analysts"}))


def test_a_token_for_a_data_product_carries_it(tokens: Tokens):
    token = tokens.issue_token("sam", data_product="urn:dmb:dp:marketing:c360:1")
    assert tokens.verify(token).data_product == "urn:dmb:dp:marketing:c360:1"


def test_groups_come_from_the_directory_not_the_token(tokens: Tokens):
    now = datetime.now(UTC)
    claims = {"sub": "tom", "groups": ["sales-team"], "exp": now + timedelta(minutes=1)}
    forged = jwt.encode(claims | {"iss": "meshplane:acme", "aud": "meshplane"}, SECRET, algorithm="HS256")
    assert tokens.verify(forged).groups == {"analysts"}


def _local(claims: dict[str, Any], key: bytes = SECRET) -> str:
    base = {"sub": "tom", "iss": "meshplane:acme", "aud": "meshplane", "exp": datetime.now(UTC) + timedelta(minutes=1)}
    return jwt.encode({k: v for k, v in (base | claims).items() if v is not None}, key, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (_local({"exp": datetime.now(UTC) - timedelta(hours=1)}), "expired"),
        (_local({}, key=b"y" * 48), "signature"),
        (_local({"aud": "someone-else"}), "audience"),
        (_local({"iss": "meshplane:other"}), "issued by someone else"),
        (_local({"sub": "mallory"}), "not a user"),
        (_local({"exp": None}), "lacks the `exp`"),
        ("not-a-token", "not a JWT"),
        ("", "empty"),
        (jwt.encode({"sub": "tom"}, None, algorithm="none"), "not accepted"),
    ],
)
def test_every_failure_is_an_authentication_error_with_a_hint(tokens: Tokens, token: str, message: str):
    with pytest.raises(AuthenticationError, match=message) as err:
        tokens.verify(token)
    assert err.value.hint


def test_tokens_are_only_issued_to_mesh_users(tokens: Tokens):
    with pytest.raises(AuthenticationError):
        tokens.issue_token("mallory")
    with pytest.raises(InvalidInputError):
        tokens.issue_token("tom", timedelta(0))


def test_the_secret_is_generated_once_with_mode_0600(tmp_path: Path):
    first = load_secret(tmp_path, env={})
    path = tmp_path / ".meshplane" / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(tmp_path, env={}) == first and len(first) >= 32
    assert load_secret(tmp_path, env={"MESHPLANE_SECRET": "from-env" * 5}) == b"from-env" * 5
    path.chmod(0o644)
    with pytest.raises(AuthenticationError, match="readable by others"):
        load_secret(tmp_path, env={})


def test_a_token_from_another_mesh_folder_does_not_verify(tmp_path: Path):
    one = tokens_for(small_mesh(), tmp_path / "one", env={})
    two = tokens_for(small_mesh(), tmp_path / "two", env={})
    with pytest.raises(AuthenticationError, match="signature"):
        two.verify(one.issue_token("tom"))


# -- OIDC ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


def _idp_token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    base = {
        "sub": "ann",
        "iss": "https://idp.example",
        "aud": "meshplane",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    return jwt.encode(base | claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_an_oidc_token_verifies_with_the_providers_pem_key(rsa_key: rsa.RSAPrivateKey):
    env = {"MESHPLANE_OIDC_ISSUER": "https://idp.example", "MESHPLANE_OIDC_PUBLIC_KEY": _pem(rsa_key)}
    tokens = Tokens(Directory(small_mesh()), TokenConfig(SECRET, "meshplane:acme", oidc=OidcConfig.from_env(env)))
    assert tokens.verify(_idp_token(rsa_key)).user == "ann"
    with pytest.raises(AuthenticationError, match="issued by someone else"):
        tokens.verify(_idp_token(rsa_key, iss="https://evil.example"))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationError, match="signature"):
        tokens.verify(_idp_token(other))


def test_groups_from_the_provider_count_only_when_trusted_and_known(rsa_key: rsa.RSAPrivateKey):
    env = {
        "MESHPLANE_OIDC_ISSUER": "https://idp.example",
        "MESHPLANE_OIDC_PUBLIC_KEY": _pem(rsa_key),
        "MESHPLANE_OIDC_GROUPS_FROM_TOKEN": "1",
    }
    tokens = Tokens(Directory(small_mesh()), TokenConfig(SECRET, "meshplane:acme", oidc=OidcConfig.from_env(env)))
    assert tokens.verify(_idp_token(rsa_key, groups=["sales-team", "no-such-group"])).groups == {
        "analysts",
        "sales-team",
    }


def test_an_rs256_token_without_a_provider_is_refused(tokens: Tokens, rsa_key: rsa.RSAPrivateKey):
    with pytest.raises(AuthenticationError, match="no OIDC provider"):
        tokens.verify(_idp_token(rsa_key))


def test_algorithm_confusion_is_refused(rsa_key: rsa.RSAPrivateKey):
    """An HS256 token keyed with the provider's *public* key must not pass as an OIDC token."""
    pem = _pem(rsa_key)
    env = {"MESHPLANE_OIDC_ISSUER": "https://idp.example", "MESHPLANE_OIDC_PUBLIC_KEY": pem}
    tokens = Tokens(Directory(small_mesh()), TokenConfig(SECRET, "meshplane:acme", oidc=OidcConfig.from_env(env)))
    claims = {
        "sub": "ann",
        "iss": "https://idp.example",
        "aud": "meshplane",
        "exp": datetime.now(UTC) + timedelta(minutes=1),
    }
    header = {"alg": "HS256", "typ": "JWT"}
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = (
        b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims, default=lambda d: int(d.timestamp())).encode())
    )
    sig = b64(hmac.new(pem.encode(), body.encode(), hashlib.sha256).digest())
    with pytest.raises(AuthenticationError):
        tokens.verify(f"{body}.{sig}")


@pytest.fixture
def jwks_server(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    body = json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()
    server.server_close()


def test_an_oidc_token_verifies_through_the_jwks_endpoint(rsa_key: rsa.RSAPrivateKey, jwks_server: str):
    env = {"MESHPLANE_OIDC_ISSUER": "https://idp.example", "MESHPLANE_OIDC_JWKS_URL": jwks_server}
    tokens = Tokens(Directory(small_mesh()), TokenConfig(SECRET, "meshplane:acme", oidc=OidcConfig.from_env(env)))
    assert tokens.verify(_idp_token(rsa_key)).user == "ann"
    with pytest.raises(AuthenticationError, match="not a user"):
        tokens.verify(_idp_token(rsa_key, sub="mallory"))


def test_an_issuer_without_a_key_is_a_configuration_error():
    with pytest.raises(InvalidInputError, match="no key"):
        OidcConfig.from_env({"MESHPLANE_OIDC_ISSUER": "https://idp.example"})


def test_the_provider_can_be_declared_in_mesh_yaml(tmp_path: Path, rsa_key: rsa.RSAPrivateKey):
    mesh = small_mesh().model_copy(
        update={
            "auth": Mesh.model_validate(
                {"name": "x", "auth": {"oidc": {"issuer": "https://idp.example", "publicKey": _pem(rsa_key)}}}
            ).auth
        }
    )
    tokens = tokens_for(mesh, tmp_path, env={"MESHPLANE_SECRET": "s" * 48})
    assert tokens.verify(_idp_token(rsa_key)).user == "ann"
    with pytest.raises(AuthenticationError):
        tokens.verify(_idp_token(rsa_key, aud="someone-else"))


def test_a_provider_without_a_key_is_refused_when_mesh_yaml_loads():
    with pytest.raises(ValueError, match="jwksUrl"):
        Mesh.model_validate({"name": "x", "auth": {"oidc": {"issuer": "https://idp.example"}}})
