"""Open Data Product Standard (ODPS) v1 ↔ native data products.

An ODPS file describes the product and its ports; each output port names its ODCS contract by
``contractId``. Export writes the ODPS file plus one ODCS v3.1.0 file per output port (the contract id is
the port's component id); import reads the ODCS files that sit next to the ODPS file (``*.odcs.yaml``) and
attaches each to its port. Native fields ODPS has no key for travel as ``customProperties`` named after
the native field (``kind``, ``maturity``, ``source`` …), so native → ODPS → native loses nothing; foreign
content Meshplane has no field for is kept under ``specific.odps`` and written back on export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meshplane.spec import yamlio
from meshplane.spec.codecs.common import (
    SOURCE,
    ImportResult,
    Reporter,
    assumed_kind,
    build,
    build_component,
    custom_properties,
    describe,
    mapping,
    read_identity,
    sequence,
    text,
)
from meshplane.spec.codecs.odps_ports import (
    FORMAT,
    Contracts,
    read_input_ports,
    read_management_ports,
    read_output_ports,
    split_custom,
)
from meshplane.spec.diagnostics import Severity
from meshplane.spec.ids import DataProductId
from meshplane.spec.model import DataProduct, InputPort, OutputPortSource, Status

API_VERSION = "v1.0.0"
STATUS_IN = {
    "proposed": Status.DRAFT,
    "draft": Status.DRAFT,
    "active": Status.PUBLISHED,
    "published": Status.PUBLISHED,
    "deprecated": Status.DEPRECATED,
    "retired": Status.RETIRED,
}
_MAPPED = {
    "apiVersion",
    "kind",
    "id",
    "name",
    "version",
    "status",
    "domain",
    "description",
    "tags",
    "inputPorts",
    "outputPorts",
    "managementPorts",
    "support",
    "team",
    "customProperties",
}
#: Data product fields carried as custom properties (the rest have ODPS keys).
DP_CUSTOM = ("kind", "fullyQualifiedName", "devGroup", "supportSla", "maturity", "specific")


def read_file(path: Path) -> ImportResult:
    """Read an ODPS file and attach the ODCS contracts found beside it (``*.odcs.yaml``) to its ports."""
    doc = yamlio.load(path, duplicate_keys=Severity.WARNING)
    result = ImportResult(diagnostics=list(doc.diagnostics))
    if doc.data is None and not result.ok:
        return result
    rep = Reporter(doc, result.diagnostics)
    data = doc.data
    if not isinstance(data, dict):
        got = describe(data)
        rep.error((), f"an ODPS data product must be a mapping of fields, got {got}", expected="kind: DataProduct")
        return result
    kind = text(data.get("kind"))
    if kind is None and "apiVersion" not in data and "outputPorts" not in data:
        rep.error(
            (), "not an ODPS data product: no `kind`, `apiVersion` or `outputPorts`", expected="kind: DataProduct"
        )
        return result
    if kind != "DataProduct":
        if kind is not None:
            rep.error(("kind",), f"`kind: {kind}` is not an ODPS data product", expected="DataProduct")
            return result
        rep.warning((), "no `kind`; read as an ODPS DataProduct", code="codec-default")
    if text(data.get("apiVersion")) not in ("v0.9.0", "v1.0.0"):
        rep.warning(("apiVersion",), f"apiVersion `{data.get('apiVersion')}` is not ODPS v0.9.0 or v1.0.0; read as v1")
    dp = _product(data, rep, Contracts(path.parent, result.diagnostics))
    if dp is not None:
        result.data_products.append(dp)
    return result


def _product(data: dict[str, Any], rep: Reporter, contracts: Contracts) -> DataProduct | None:
    extra: dict[str, Any] = {k: v for k, v in data.items() if k not in _MAPPED and v is not None}
    custom, odd = custom_properties(data.get("customProperties"), rep, ("customProperties",))
    mine, foreign = split_custom(custom, {*DP_CUSTOM, "components", "componentOrder", "ownerDisplayName", "email"})
    if odd or foreign:
        extra["customProperties"] = [*odd, *foreign]
    ident = read_identity(
        rep,
        raw_id=text(data.get("id")),
        raw_name=text(data.get("name")),
        raw_domain=text(data.get("domain")),
        raw_version=data.get("version"),
        paths=(("id",), ("name",), ("domain",), ("version",)),
    )
    if ident is None:
        return None
    dp_id, name, domain, semver, source = ident
    raw_status = (text(data.get("status")) or "").lower()
    status = STATUS_IN.get(raw_status)
    if status is None or raw_status == "proposed":
        said = f"status `{data['status']}`" if raw_status else "no status (ODPS requires one)"
        rep.warning(("status",), f"{said}; read as `draft`", code="codec-default")
        status = Status.DRAFT
        if raw_status:
            source["status"] = str(data["status"])
    description = mapping(rep, data.get("description"), ("description",), "description")
    if set(description) - {"purpose"}:
        extra["description"] = {k: v for k, v in description.items() if k != "purpose"}
    owner, display, group = _team(data, rep, extra)
    email = None
    support = sequence(rep, data.get("support"), ("support",), "support")
    for item in support:
        url = text(item.get("url")) if isinstance(item, dict) else None
        if url and url.startswith("mailto:") and email is None:
            email = url.removeprefix("mailto:")
    support = [s for s in support if s != email_channel(email)]  # the entry an export writes for `email`
    if support:
        extra["support"] = support
    product: dict[str, Any] = {
        "id": dp_id,
        "name": name,
        "domain": domain,
        "version": semver,
        "status": status.value,
        "description": text(description.get("purpose")) or "",
        "owner": owner,
        "ownerDisplayName": display,
        "ownerGroup": group,
        "email": email,
        "tags": [str(t) for t in sequence(rep, data.get("tags"), ("tags",), "tags")],
        **{k: v for k, v in mine.items() if k not in ("components", "componentOrder")},
    }
    product = {k: v for k, v in product.items() if v is not None}
    major = DataProductId.parse(dp_id).major
    context = {"domain": domain, "name": name, "major": major, "version": semver, "status": status}
    components = [
        *read_input_ports(data, rep, extra),
        *read_output_ports(data, rep, contracts, context),
        *read_management_ports(data, rep, extra),
    ]
    for i, item in enumerate(mine.get("components") or []):
        comp = build_component(item if isinstance(item, dict) else {}, rep, ("customProperties",), f"component {i}")
        if comp is not None:
            components.append(comp)
    order = mine.get("componentOrder")
    if isinstance(order, list):
        components.sort(key=lambda c: order.index(c.name) if c.name in order else len(order))
    if "kind" not in product:
        reads = any(isinstance(c, InputPort) and isinstance(c.source, OutputPortSource) for c in components)
        product["kind"] = assumed_kind(rep, (), "ODPS", reads)
    specific = dict(product.get("specific") or {})
    if source:
        specific[SOURCE] = {"format": FORMAT, **source}
    if extra:
        specific[FORMAT] = extra
    product["specific"] = specific
    return build(DataProduct, {**product, "components": components}, rep, (), "the data product")


def email_channel(email: str | None) -> dict[str, Any]:
    return {"channel": "email", "url": f"mailto:{email}", "tool": "email"}


def _team(data: dict[str, Any], rep: Reporter, extra: dict[str, Any]) -> tuple[str, str | None, str | None]:
    team = mapping(rep, data.get("team"), ("team",), "team")
    members = sequence(rep, team.get("members"), ("team", "members"), "members")
    owner = next((m for m in members if isinstance(m, dict) and (text(m.get("role")) or "").lower() == "owner"), None)
    rest = {k: v for k, v in team.items() if k not in ("name", "members")}
    others = [m for m in members if m is not owner]
    if others:
        rest["members"] = others
    if rest:
        extra["team"] = rest
    if isinstance(owner, dict) and set(owner) - {"username", "name", "role"}:
        extra["teamOwner"] = {k: v for k, v in owner.items() if k not in ("username", "name", "role")}
    if owner is None or not text(owner.get("username")):
        rep.warning(
            ("team",),
            "no team member with role `owner`; owner assumed `unassigned`",
            code="codec-default",
            hint="add a team member with `role: owner`",
        )
        return "unassigned", None, text(team.get("name"))
    return text(owner["username"]) or "", text(owner.get("name")), text(team.get("name"))
