"""Bearer tokens for the API: JWTs signed locally (HS256) or by an OIDC provider (RS256/ES256).

Local tokens carry ``sub`` (the mesh user), ``groups``, ``iat``, ``exp``, ``iss`` (``meshplane:<mesh>``) and
``aud`` (``meshplane``); the secret is generated once into ``<mesh>/.meshplane/secret`` (mode 0600) or taken
from ``MESHPLANE_SECRET``. Tokens from an OIDC provider are verified with its JWKS endpoint or a PEM public
key; the subject (or the configured claim) must be a mesh user. Which key checks a token follows from its
``alg`` header, but every algorithm is bound to its own key type, so an HS256 token "signed" with a public
key (the classic algorithm-confusion attack) is refused.

Group membership always comes from ``mesh.yaml`` (the directory), not from the token, unless the provider
is trusted for groups (``MESHPLANE_OIDC_GROUPS_FROM_TOKEN=1``): then the token's groups that the mesh knows
are added.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from meshplane.errors import AuthenticationError, InvalidInputError
from meshplane.identity.directory import Directory
from meshplane.identity.model import Identity
from meshplane.spec.model import Mesh

DEFAULT_TTL = timedelta(hours=8)
AUDIENCE = "meshplane"
SECRET_ENV = "MESHPLANE_SECRET"
SECRET_FILE = Path(".meshplane") / "secret"
#: Characters a signing secret has at least (the generated one has 64).
MIN_SECRET = 32
LOCAL_ALGORITHM = "HS256"
#: Asymmetric algorithms accepted from an OIDC provider; never "none", never HMAC with a public key.
OIDC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
_REISSUE = "sign in again, or issue a new token with `meshplane token issue USER`"


@dataclass(frozen=True)
class OidcConfig:
    """An external OpenID Connect provider whose access tokens the API accepts."""

    issuer: str
    audience: str = AUDIENCE
    jwks_url: str | None = None
    public_key: str | None = None
    user_claim: str = "sub"
    groups_claim: str = "groups"
    groups_from_token: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcConfig | None:
        """``MESHPLANE_OIDC_ISSUER`` plus ``MESHPLANE_OIDC_JWKS_URL`` or ``MESHPLANE_OIDC_PUBLIC_KEY`` (PEM text)
        or ``MESHPLANE_OIDC_PUBLIC_KEY_FILE``; optional ``…_AUDIENCE``, ``…_USER_CLAIM``, ``…_GROUPS_CLAIM``,
        ``…_GROUPS_FROM_TOKEN``. None when no issuer is set."""
        issuer = env.get("MESHPLANE_OIDC_ISSUER")
        if not issuer:
            return None
        key = env.get("MESHPLANE_OIDC_PUBLIC_KEY")
        key_file = env.get("MESHPLANE_OIDC_PUBLIC_KEY_FILE")
        if key_file and not key:
            try:
                key = Path(key_file).read_text()
            except OSError as exc:
                raise InvalidInputError(
                    f"cannot read MESHPLANE_OIDC_PUBLIC_KEY_FILE {key_file}: {exc.strerror}",
                    hint="point it at the provider's PEM public key",
                ) from exc
        jwks = env.get("MESHPLANE_OIDC_JWKS_URL")
        if not key and not jwks:
            raise InvalidInputError(
                "MESHPLANE_OIDC_ISSUER is set but no key to verify its tokens",
                hint="set MESHPLANE_OIDC_JWKS_URL (the provider's jwks_uri) or MESHPLANE_OIDC_PUBLIC_KEY(_FILE)",
            )
        return cls(
            issuer=issuer,
            audience=env.get("MESHPLANE_OIDC_AUDIENCE", AUDIENCE),
            jwks_url=jwks,
            public_key=key,
            user_claim=env.get("MESHPLANE_OIDC_USER_CLAIM", "sub"),
            groups_claim=env.get("MESHPLANE_OIDC_GROUPS_CLAIM", "groups"),
            groups_from_token=env.get("MESHPLANE_OIDC_GROUPS_FROM_TOKEN", "").lower() in ("1", "true", "yes"),
        )


@dataclass(frozen=True)
class TokenConfig:
    secret: bytes
    issuer: str
    audience: str = AUDIENCE
    oidc: OidcConfig | None = None
    #: Seconds of clock skew tolerated on ``exp``/``iat``.
    leeway: float = 30.0


def load_secret(mesh_root: Path, env: Mapping[str, str] | None = None) -> bytes:
    """The local signing secret: ``MESHPLANE_SECRET``, else ``<mesh>/.meshplane/secret``, created on first use
    with mode 0600. A secret file others can read is refused (as ssh refuses such a key)."""
    environ = os.environ if env is None else env
    if environ.get(SECRET_ENV):
        given = environ[SECRET_ENV].encode()
        if len(given.strip()) < MIN_SECRET:  # HS256 with a word for a key falls to a dictionary in seconds
            raise AuthenticationError(
                f"{SECRET_ENV} is too short ({len(given.strip())} characters)",
                hint=f"use at least {MIN_SECRET} random characters, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`",
            )
        return given
    path = mesh_root / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:  # we won the race to create it; whoever lost reads what we write
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise AuthenticationError(
            f"the token secret {path} is readable by others (mode {mode:o})",
            hint=f"run `chmod 600 {path}`, or delete it to generate a new one (existing tokens stop working)",
        )
    secret = path.read_bytes().strip()
    if len(secret) < MIN_SECRET:
        raise AuthenticationError(f"the token secret {path} is too short", hint="delete it to generate a new one")
    return secret


def tokens_for(mesh: Mesh, mesh_root: Path, env: Mapping[str, str] | None = None) -> Tokens:
    """Tokens for a mesh, configured from its secret and the ``MESHPLANE_OIDC_*`` environment."""
    environ = os.environ if env is None else env
    oidc = OidcConfig.from_env(environ) or _oidc_of(mesh)
    config = TokenConfig(secret=load_secret(mesh_root, environ), issuer=f"meshplane:{mesh.name}", oidc=oidc)
    return Tokens(Directory(mesh), config)


def _oidc_of(mesh: Mesh) -> OidcConfig | None:
    """``auth.oidc`` of mesh.yaml; the ``MESHPLANE_OIDC_*`` variables win over it."""
    found = mesh.auth.oidc
    if found is None:
        return None
    return OidcConfig(
        issuer=found.issuer,
        audience=found.audience or AUDIENCE,
        jwks_url=found.jwks_url,
        public_key=found.public_key,
        user_claim=found.user_claim,
        groups_claim=found.groups_claim,
        groups_from_token=found.groups_from_token,
    )


class Tokens:
    """Issue and verify bearer tokens for one mesh's users."""

    def __init__(self, directory: Directory, config: TokenConfig) -> None:
        self.directory = directory
        self.config = config
        self._jwks: jwt.PyJWKClient | None = None

    def issue_token(self, user: str, ttl: timedelta = DEFAULT_TTL, *, data_product: str | None = None) -> str:
        """A signed token for mesh user ``user`` valid for ``ttl``; AuthenticationError for unknown users."""
        if ttl <= timedelta(0):
            raise InvalidInputError(f"a token's lifetime must be positive, got {ttl}", hint="e.g. 8h or 30d")
        identity = self.directory.identity(user, data_product=data_product)
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": identity.user,
            "groups": sorted(identity.groups),
            "iat": now,
            "exp": now + ttl,
            "iss": self.config.issuer,
            "aud": self.config.audience,
        }
        if data_product:
            claims["dp"] = data_product
        return jwt.encode(claims, self.config.secret, algorithm=LOCAL_ALGORITHM)

    def verify(self, token: str) -> Identity:
        """The identity a token proves; AuthenticationError for every failure, saying which and what to do."""
        token = token.strip()
        if not token:
            raise AuthenticationError("empty bearer token", hint=_REISSUE)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise AuthenticationError(f"the bearer token is not a JWT ({exc})", hint=_REISSUE) from exc
        alg = header.get("alg")
        if alg == LOCAL_ALGORITHM:
            config = self.config
            claims = self._decode(token, config.secret, [LOCAL_ALGORITHM], config.issuer, config.audience)
            return self._identity(claims, "sub", data_product=claims.get("dp"), token_groups=None)
        oidc = self.config.oidc
        if alg in OIDC_ALGORITHMS and oidc is not None:
            key = self._oidc_key(token, oidc)
            claims = self._decode(token, key, list(OIDC_ALGORITHMS), oidc.issuer, oidc.audience)
            groups = claims.get(oidc.groups_claim) if oidc.groups_from_token else None
            return self._identity(claims, oidc.user_claim, data_product=None, token_groups=groups)
        if alg in OIDC_ALGORITHMS:
            raise AuthenticationError(
                f"the token is signed with {alg} but no OIDC provider is configured",
                hint="set MESHPLANE_OIDC_ISSUER and MESHPLANE_OIDC_JWKS_URL (or …_PUBLIC_KEY), or use a local token",
            )
        raise AuthenticationError(f"token algorithm {alg!r} is not accepted", hint=_REISSUE)

    # -- internals -----------------------------------------------------------------------------------
    def _decode(self, token: str, key: Any, algorithms: list[str], issuer: str, audience: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                leeway=self.config.leeway,
                options={"require": ["sub", "exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("the bearer token has expired", hint=_REISSUE) from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError(
                "the bearer token's signature does not verify",
                hint="it was issued for another mesh or the secret changed; " + _REISSUE,
            ) from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError(
                f"the bearer token is for another audience (expected `{audience}`)",
                hint="request a token whose `aud` is " + audience,
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError(
                f"the bearer token was issued by someone else (expected issuer `{issuer}`)", hint=_REISSUE
            ) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationError(f"the bearer token lacks the `{exc.claim}` claim", hint=_REISSUE) from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("the bearer token is not valid yet", hint="check the clocks") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(f"invalid bearer token: {exc}", hint=_REISSUE) from exc
        return claims

    def _oidc_key(self, token: str, oidc: OidcConfig) -> Any:
        if oidc.public_key:
            return oidc.public_key
        assert oidc.jwks_url is not None  # OidcConfig.from_env requires one of them
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(oidc.jwks_url, cache_keys=True, timeout=10)
        try:
            return self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise AuthenticationError(
                f"cannot get the signing key from {oidc.jwks_url}: {exc}",
                hint="check MESHPLANE_OIDC_JWKS_URL and that the provider is reachable",
            ) from exc
        except jwt.DecodeError as exc:
            raise AuthenticationError(f"the bearer token is not a JWT ({exc})", hint=_REISSUE) from exc

    def _identity(self, claims: dict[str, Any], user_claim: str, *, data_product: Any, token_groups: Any) -> Identity:
        user = claims.get(user_claim)
        if not isinstance(user, str) or not user:
            raise AuthenticationError(f"the bearer token has no `{user_claim}` naming a user", hint=_REISSUE)
        if not self.directory.has_user(user):
            raise AuthenticationError(
                f"the bearer token is for `{user}`, who is not a user of mesh `{self.directory.mesh.name}`",
                hint="add the user to mesh.yaml `users:`, or sign in as a mesh user",
            )
        identity = self.directory.identity(user, data_product=data_product if isinstance(data_product, str) else None)
        if isinstance(token_groups, list):
            known = {g for g in token_groups if isinstance(g, str) and self.directory.has_group(g)}
            identity = Identity(identity.user, identity.groups | known, identity.data_product)
        return identity
