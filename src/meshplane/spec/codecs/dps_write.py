"""Native data products → Agile Lab's Data Product Specification (the current shape).

DPS has components of four kinds (``outputport``, ``workload``, ``storage``, ``observability``) and no
quality expectations, input ports or boundary ports; those, and any native field without a DPS key, are
written under the DPS ``specific.meshplane`` block, which :mod:`~meshplane.spec.codecs.dps` reads back. What
a DPS import kept under ``specific.dps`` is written back where it came from, and the original spelling of
renamed values (``DRAFT``, ``mailto:``, ``my data product``) is restored while it still means the same.
"""

from __future__ import annotations

from typing import Any

from meshplane.spec.codecs.common import (
    NATIVE,
    SOURCE,
    native_data,
    own_specific,
    prune,
    restore,
    slugify,
    to_yaml,
)
from meshplane.spec.codecs.dps_components import FORMAT, PORT_TYPES, SLA, TERMS
from meshplane.spec.codecs.values import CANONICAL_DATA_TYPE, logical_type
from meshplane.spec.model import (
    BoundaryPort,
    Classification,
    Column,
    Component,
    DataProduct,
    InputPort,
    Observability,
    OutputPort,
    StorageArea,
    Workload,
)

_COMMON = (
    "id",
    "name",
    "description",
    "kind",
    "dependsOn",
    "infrastructureTemplateId",
    "platform",
    "technology",
    "tags",
    "specific",
)


def _tags(names: list[str]) -> list[dict[str, str]]:
    return [{"tagFQN": n, "source": "Tag", "labelType": "Manual", "state": "Confirmed"} for n in names]


def _specific(specific: dict[str, Any], native: dict[str, Any]) -> dict[str, Any]:
    out = own_specific(specific, FORMAT)
    if native:
        out[NATIVE] = native
    return out


def _column(col: Column) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the DPS column, the native fields DPS has no key for)."""
    native: dict[str, Any] = {}
    data: dict[str, Any] = {"name": col.name}
    physical = col.physical_type
    base = physical.split("(")[0].strip() if physical else None
    if physical and base and logical_type(base) is col.type:
        data["dataType"] = base
        if physical != base:
            data["dataTypeDisplay"] = physical
    else:
        data["dataType"] = CANONICAL_DATA_TYPE[col.type]
        if physical:
            data["dataTypeDisplay"] = physical
    if col.description:
        data["description"] = col.description
    if col.primary_key:
        data["constraint"] = "PRIMARY_KEY"
        if not col.required:
            native["required"] = False
        if col.unique:
            native["unique"] = True
    elif col.unique:
        data["constraint"] = "UNIQUE"
        if col.required:
            native["required"] = True
    elif col.required:
        data["constraint"] = "NOT_NULL"
    tags = list(col.tags)
    if col.classification is Classification.PII:
        tags.insert(0, "PII")
    elif col.classification is not None:
        native["classification"] = col.classification.value
    data["tags"] = _tags(tags)
    if col.polyseme:
        native["polyseme"] = col.polyseme
    if col.examples:
        native["examples"] = col.examples
    return data, native


def _component(dp: DataProduct, comp: Component) -> dict[str, Any]:
    data = native_data(comp)
    extra = dict(comp.specific.get(FORMAT) or {})
    out: dict[str, Any] = {
        "id": comp.id or dp.component_id(comp),
        "name": extra.pop("name", comp.name),
        "description": comp.description,
        "kind": {
            OutputPort: "outputport",
            Workload: "workload",
            StorageArea: "storage",
            Observability: "observability",
        }[type(comp)],
        "version": getattr(comp, "version", None),
        "infrastructureTemplateId": comp.infrastructure_template_id,
        "dependsOn": comp.depends_on,
        "platform": comp.platform,
        "technology": comp.technology,
    }
    native: dict[str, Any] = {}
    if isinstance(comp, OutputPort):
        _output_port(comp, out, native, extra)
    elif isinstance(comp, Observability):
        out["endpoint"] = comp.endpoint
    elif isinstance(comp, StorageArea):
        owners = list(extra.pop("owners", None) or ([comp.owner] if comp.owner else []))
        out["owners"] = owners
        if comp.owner and owners[:1] != [comp.owner]:
            native["owner"] = comp.owner
    else:
        native.update({k: v for k, v in data.items() if k not in _COMMON})
    out["tags"] = _tags(comp.tags)
    out = {**prune(out), **extra}
    out["specific"] = _specific(comp.specific, native)
    return out


def _output_port(port: OutputPort, out: dict[str, Any], native: dict[str, Any], extra: dict[str, Any]) -> None:
    contract = port.data_contract
    out["outputPortType"] = extra.pop("outputPortType", PORT_TYPES[port.type.value])
    kept = dict(extra.pop("dataContract", None) or {})
    kept_columns = kept.pop("columns", None) or {}
    schema, by_column = [], {}
    for col in contract.columns:
        data, more = _column(col)
        schema.append({**data, **(kept_columns.get(col.name) or {})})
        if more:
            by_column[col.name] = more
    sla = contract.sla.to_data() if contract.sla else {}
    dps_sla = {key: sla[field] for key, field in SLA.items() if field in sla}
    dps_sla.update(extra.pop("SLA", None) or {})
    out["dataContract"] = prune({"schema": schema, "SLA": dps_sla, **kept}) or {"schema": []}
    terms = contract.terms.to_data() if contract.terms else {}
    dsa = {key: terms[field] for key, field in TERMS.items() if field in terms}
    dsa.update(extra.pop("dataSharingAgreement", None) or {})
    if dsa:
        out["dataSharingAgreement"] = dsa
    if "noticePeriod" in terms:
        native["noticePeriod"] = terms["noticePeriod"]
    if contract.quality:
        native["quality"] = native_data(contract.quality)
    if contract.bitemporal:
        native["bitemporal"] = contract.bitemporal.to_data()
    if by_column:
        native["columns"] = by_column


def write_product(dp: DataProduct) -> dict[str, Any]:
    extra = dict(dp.specific.get(FORMAT) or {})
    source = dp.specific.get(SOURCE) or {}
    source = source if source.get("format") == FORMAT else {}
    support = dp.support_sla.to_data() if dp.support_sla else {}
    if "endOfSupport" in support:
        support["endOfSupport"] = restore(source, "endOfSupport", support["endOfSupport"], _iso)
    support.update(extra.pop("supportSLA", None) or {})
    others = [c for c in dp.components if isinstance(c, InputPort | BoundaryPort)]
    listed = [c for c in dp.components if not isinstance(c, InputPort | BoundaryPort)]
    native: dict[str, Any] = {"kind": dp.kind.value}
    if others:
        native["components"] = native_data(others)
    if [c.name for c in [*listed, *others]] != [c.name for c in dp.components]:
        native["componentOrder"] = [c.name for c in dp.components]
    status = dp.status.value.capitalize()
    maturity = dp.maturity.value.capitalize() if dp.maturity else None
    out = prune(
        {
            "id": restore(source, "id", dp.id, lambda _: source.get("nativeId")),
            "name": restore(source, "name", dp.name, slugify),
            "fullyQualifiedName": dp.fully_qualified_name,
            "description": dp.description,
            "kind": "dataproduct",
            "domain": restore(source, "domain", dp.domain, slugify),
            "version": restore(source, "version", dp.version, lambda raw: raw.lstrip("vV")),
            "environment": extra.pop("environment", None),
            "dataProductOwner": dp.owner,
            "dataProductOwnerDisplayName": dp.owner_display_name,
            "email": restore(source, "email", dp.email, lambda raw: raw.removeprefix("mailto:")),
            "ownerGroup": dp.owner_group,
            "devGroup": dp.dev_group,
            "supportSLA": support,
            "status": restore(source, "status", status, str.capitalize),
            "maturity": restore(source, "maturity", maturity, str.capitalize) if maturity else None,
        }
    )
    kept_components = list(extra.pop("components", None) or [])
    out.update(extra)
    out["tags"] = _tags(dp.tags)
    out["specific"] = _specific(dp.specific, native)
    out["components"] = [_component(dp, c) for c in listed] + kept_components
    return out


def _iso(raw: str) -> str:
    parts = raw.replace("-", "/").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return raw
    a, b, year = (int(p) for p in parts)
    month, day = (a, b) if a == b or b > 12 else (b, a)
    return f"{year:04d}-{month:02d}-{day:02d}"


def write(dp: DataProduct) -> dict[str, str]:
    return {f"{dp.name}.dps.yaml": to_yaml(write_product(dp))}
