"""The mesh file (``mesh.yaml``): platform settings shared by every domain.

It names the environments, where output ports are stored, the registry, who the users and groups are, the
polysemes (concepts with one global key across domains), external systems, and which policy packs apply.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from meshplane.spec.ids import NAME_PATTERN
from meshplane.spec.model.base import SpecModel
from meshplane.spec.model.contract import LogicalType
from meshplane.spec.model.dataproduct import API_VERSION


class Environment(SpecModel):
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""


class Storage(SpecModel):
    #: A local path (relative to the mesh folder) or an object-store URI.
    root: str = ".meshplane/storage"


class Registry(SpecModel):
    #: SQLAlchemy URL; overridden by ``MESHPLANE_REGISTRY_URL``.
    url: str = "sqlite:///.meshplane/registry.db"


class Domain(SpecModel):
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""
    owner_group: str | None = None


class User(SpecModel):
    id: str
    name: str | None = None
    email: str | None = None


class Group(SpecModel):
    name: str
    description: str = ""
    members: list[str] = Field(default_factory=list)


class Polyseme(SpecModel):
    """A concept shared across domains with one globally unique key, issued by one domain (an MDM)."""

    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""
    key_type: LogicalType = LogicalType.STRING
    issued_by: str


class System(SpecModel):
    """A system outside the mesh: an operational database, a legacy monolith, an ML platform."""

    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""
    type: Literal["database", "files", "events", "api", "application"] = "database"
    operational: bool = True


class PolicyPack(SpecModel):
    """A pack of policies by name (``builtin`` or an installed plugin), with per-mesh tuning."""

    name: str
    severity_overrides: dict[str, Literal["error", "warning", "off"]] = Field(default_factory=dict)
    #: Parameters the pack's policies read from ``input.params`` (e.g. ``minDescriptionLength``).
    params: dict[str, Any] = Field(default_factory=dict)


class RemoteTechAdapter(SpecModel):
    """A tech adapter reached over the Witboost Tech Adapter HTTP interface (a "specific provisioner").

    Components name it in ``infrastructureTemplateId`` (or ``platform``). The bearer token is never written
    here: ``tokenEnv`` names the environment variable that holds it.
    """

    type: Literal["remote"] = "remote"
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    url: str = Field(pattern=r"^https?://")
    kinds: list[str] = Field(min_length=1)
    token_env: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    poll_interval: float = Field(default=1.0, gt=0)
    max_wait: float = Field(default=600.0, ge=0)
    dialect: Literal["dps", "native"] = "dps"
    use_case_template_id: str | None = None
    supports_update: bool = True
    supports_acl: bool = True
    supports_reverse: bool = False


class Opa(SpecModel):
    url: str


class AccessSettings(SpecModel):
    """How access is governed. ``deployGating``: which input ports need an approved grant before a data product
    deploys — ``all`` reads of another data product (the default), only reads across a domain boundary
    (``cross-domain``: one team owns a whole domain), or ``off``."""

    deploy_gating: Literal["all", "cross-domain", "off"] = "all"


class Oidc(SpecModel):
    """An OpenID Connect provider whose RS256/ES256 tokens the API accepts besides Meshplane's own.
    Give ``jwksUrl`` or a PEM ``publicKey``."""

    issuer: str
    audience: str | None = None
    jwks_url: str | None = Field(default=None, pattern=r"^https?://")
    public_key: str | None = None
    user_claim: str = "sub"
    groups_claim: str = "groups"
    #: Trust the provider's group claim instead of the groups of mesh.yaml.
    groups_from_token: bool = False

    @model_validator(mode="after")
    def _one_key_source(self) -> Oidc:
        if not self.jwks_url and not self.public_key:
            raise ValueError("give `jwksUrl` (the provider's keys) or `publicKey` (a PEM key) to verify its tokens")
        return self


class Auth(SpecModel):
    oidc: Oidc | None = None


class Mesh(SpecModel):
    api_version: Literal["meshplane/v1"] = API_VERSION
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""
    environments: list[Environment] = Field(default_factory=lambda: [Environment(name="dev")])
    storage: Storage = Field(default_factory=Storage)
    registry: Registry = Field(default_factory=Registry)
    domains: list[Domain] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    polysemes: list[Polyseme] = Field(default_factory=list)
    systems: list[System] = Field(default_factory=list)
    policy_packs: list[PolicyPack] = Field(default_factory=lambda: [PolicyPack(name="builtin")])
    policies: str = "policies"
    opa: Opa | None = None
    access: AccessSettings = Field(default_factory=AccessSettings)
    auth: Auth = Field(default_factory=Auth)
    #: Adapters beyond the installed ones, e.g. an existing Witboost specific provisioner.
    tech_adapters: list[RemoteTechAdapter] = Field(default_factory=list)

    def domain(self, name: str) -> Domain | None:
        return next((d for d in self.domains if d.name == name), None)

    def polyseme(self, name: str) -> Polyseme | None:
        return next((p for p in self.polysemes if p.name == name), None)

    def system(self, name: str) -> System | None:
        return next((s for s in self.systems if s.name == name), None)

    def knows_principal(self, name: str) -> bool:
        return any(u.id == name for u in self.users) or any(g.name == name for g in self.groups)
