"""The Witboost Tech Adapter wire format (Specific Provisioner API 2.2.0), shared by client and server.

One set of models for both directions, so that :class:`~meshplane.adapters.remote.RemoteAdapter` and the
server in :mod:`meshplane.web.tech_adapter` cannot drift apart. Class names are the schema names of the
OpenAPI document (``SystemError`` included), because FastAPI names its schemas after them and a test
compares our OpenAPI with Witboost's. Unknown fields are accepted: other implementations add their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from meshplane.adapters.base import ProvisionStatus
from meshplane.spec.model import Mesh

# The paths of the interface; ``{token}`` is filled in by callers.
PROVISION = "/v1/provision"
PROVISION_STATUS = "/v1/provision/{token}/status"
UNPROVISION = "/v1/unprovision"
VALIDATE = "/v1/validate"
VALIDATE_ASYNC = "/v2/validate"
VALIDATE_STATUS = "/v2/validate/{token}/status"
UPDATE_ACL = "/v1/updateacl"
REVERSE = "/v1/reverse-provisioning"
REVERSE_STATUS = "/v1/reverse-provisioning/{token}/status"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def body(self) -> dict[str, Any]:
        """JSON-ready data with the spec's camelCase names; unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class DescriptorKind(StrEnum):
    DATAPRODUCT_DESCRIPTOR = "DATAPRODUCT_DESCRIPTOR"
    COMPONENT_DESCRIPTOR = "COMPONENT_DESCRIPTOR"
    DATAPRODUCT_DESCRIPTOR_WITH_RESULTS = "DATAPRODUCT_DESCRIPTOR_WITH_RESULTS"


class ProvisioningRequest(Wire):
    descriptor_kind: DescriptorKind
    #: YAML: ``dataProduct`` (the whole product) and ``componentIdToProvision``.
    descriptor: str
    #: The product as last provisioned, enriched with what each adapter returned (YAML).
    latest_enriched_descriptor: str | None = None
    #: Lenient: the spec requires it but gives a default, and some callers leave it out.
    remove_data: bool = False


class Log(Wire):
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    level: LogLevel = "INFO"
    message: str
    phase: str | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class Info(Wire):
    #: Shown in the marketplace; values shaped ``{type, label, value}`` are rendered as such.
    public_info: dict[str, Any] = Field(default_factory=dict)
    #: Stored with the deployed descriptor, not shown.
    private_info: dict[str, Any] = Field(default_factory=dict)


class StatusBody(Wire):
    """What the status endpoints have in common: poll while ``status`` is RUNNING."""

    status: ProvisionStatus


class ProvisioningStatus(StatusBody):
    #: Deprecated by the spec but still required: a one-line summary.
    result: str = ""
    info: Info | None = None
    logs: list[Log] | None = None


class ValidationError(Wire):
    errors: list[str]


class ValidationResult(Wire):
    valid: bool
    error: ValidationError | None = None


class ValidationInfo(Wire):
    public_info: ValidationResult


class ValidationStatus(StatusBody):
    info: ValidationInfo | None = None


class ProvisionInfo(Wire):
    #: The ``COMPONENT_DESCRIPTOR`` descriptor the component was provisioned with (JSON; YAML accepted).
    request: str
    #: The result message of that provisioning.
    result: str


class UpdateAclRequest(Wire):
    #: ``user:alice``, ``group:analysts`` …
    refs: list[str]
    provision_info: ProvisionInfo


class ReverseProvisioningRequest(Wire):
    use_case_template_id: str
    environment: str
    params: dict[str, Any] | None = None
    catalog_info: dict[str, Any] | None = None


class ReverseProvisioningStatus(StatusBody):
    #: Field path → value, to apply to the component's descriptor.
    updates: dict[str, Any] = Field(default_factory=dict)
    logs: list[Log] | None = None


class ErrorMoreInfo(Wire):
    problems: list[str] = Field(default_factory=list)
    solutions: list[str] = Field(default_factory=list)


class RequestValidationError(Wire):
    """A 4xx body: what was wrong with the request and how to fix it."""

    errors: list[str] = Field(default_factory=list)
    user_message: str | None = None
    input: str | None = None
    input_error_field: str | None = None
    more_info: ErrorMoreInfo | None = None


class SystemError(Wire):  # shadows the builtin on purpose: it is the spec's schema name
    """A 5xx body: the tech adapter failed, not the request."""

    error: str = ""
    user_message: str | None = None
    input: str | None = None
    input_error_field: str | None = None
    more_info: ErrorMoreInfo | None = None


def error_lines(data: Any) -> list[str]:
    """Readable lines from a ``RequestValidationError`` or ``SystemError`` body (or anything else JSON).

    >>> error_lines({"errors": ["bad"], "moreInfo": {"problems": ["p"], "solutions": ["s"]}})
    ['bad', 'problem: p', 'solution: s']
    """
    if not isinstance(data, dict):
        return [str(data)] if data not in (None, "") else []
    lines: list[str] = []

    def add(line: Any) -> None:
        text = str(line).strip()
        if text and text not in lines:
            lines.append(text)

    add(data.get("userMessage") or "")
    add(data.get("error") or "")
    for item in data.get("errors") or []:
        add(item)
    where = [str(data[k]) for k in ("input", "inputErrorField") if data.get(k)]
    if where:
        add("at " + " ".join(where))
    more = data.get("moreInfo")
    more = more if isinstance(more, dict) else {}
    for problem in more.get("problems") or []:
        add(f"problem: {problem}")
    for solution in more.get("solutions") or []:
        add(f"solution: {solution}")
    return lines


def to_ref(principal: str, mesh: Mesh) -> str:
    """A Meshplane principal as a Witboost ref: mesh groups become ``group:x``, other names ``user:x``.

    Anything already holding a ``:`` (``user:alice``, a data product URN) is sent as it is.
    """
    if ":" in principal:
        return principal
    return f"group:{principal}" if any(g.name == principal for g in mesh.groups) else f"user:{principal}"


def from_ref(ref: str) -> str:
    """The Meshplane principal for a Witboost ref (``user:alice`` → ``alice``); the inverse of :func:`to_ref`."""
    for prefix in ("user:", "group:"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref
