"""Agile Lab's Data Product Specification (DPS) → native data products, both shapes seen in the wild.

The native descriptor grew out of DPS, so most fields map one to one. What differs, and what real files
get wrong, becomes a WARNING rather than a refusal: duplicate keys, ``gdpr: Yes``, ``kind: outputPort``
spelled in camelCase, the data sharing agreement written in the plural and inside the data contract, the
old ``informationSLA`` string, dates such as ``01/01/2026``. DPS says a product is a ``dataproduct`` but not
whether it is source-aligned or aggregate, so the kind is inferred from what its workloads read.
Everything DPS says that the native model has no field for is kept under ``specific.dps`` (per product,
per component, per column) so that :mod:`~meshplane.spec.codecs.dps_write` can write it back; native-only
fields a DPS export carried travel under ``specific.meshplane`` and are restored here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from meshplane.spec import yamlio
from meshplane.spec.codecs.common import (
    NATIVE,
    SOURCE,
    FieldPath,
    ImportResult,
    Reporter,
    assumed_kind,
    build,
    build_component,
    describe,
    mapping,
    read_identity,
    sequence,
    text,
)
from meshplane.spec.codecs.dps_components import FORMAT, read_components, tag_names
from meshplane.spec.diagnostics import Severity
from meshplane.spec.ids import is_component_id
from meshplane.spec.model import DataProduct, Maturity, Status, SupportSla

_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")


def iso_date(value: str, rep: Reporter, path: FieldPath) -> str:
    """``01/01/2026`` → ``2026-01-01`` when the day and month cannot be confused; otherwise as written."""
    match = _DATE.match(value.strip())
    if not match:
        return value
    a, b, year = int(match[1]), int(match[2]), match[3]
    if a == b or b > 12:
        month, day = a, b
    elif a > 12:
        day, month = a, b
    else:
        rep.warning(path, f"date `{value}` could be day/month or month/day; kept as written", hint="write YYYY-MM-DD")
        return value
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return value
    iso = f"{year}-{month:02d}-{day:02d}"
    rep.info(path, f"date `{value}` read as {iso}", code="codec-quirk")
    return iso


def read_file(path: Path) -> ImportResult:
    """Read one DPS descriptor (either shape); duplicate keys are warnings, as real files have them."""
    doc = yamlio.load(path, duplicate_keys=Severity.WARNING)
    result = ImportResult(diagnostics=list(doc.diagnostics))
    if doc.data is None and not result.ok:
        return result
    rep = Reporter(doc, result.diagnostics)
    if not isinstance(doc.data, dict):
        got = describe(doc.data)
        rep.error((), f"a DPS descriptor must be a mapping of fields, got {got}", expected="id, name, domain …")
        return result
    dp = read_product(doc.data, rep)
    if dp is not None:
        result.data_products.append(dp)
    return result


def read_product(data: dict[str, Any], rep: Reporter) -> DataProduct | None:
    """The native product for a parsed DPS document; ``None`` (with an error) when it has no usable name."""
    kind = text(data.get("kind"))
    if kind is not None and kind.lower() != "dataproduct":
        rep.error(("kind",), f"`kind: {kind}` is not a DPS data product", expected="dataproduct")
        return None
    extra: dict[str, Any] = {}
    specific = dict(mapping(rep, data.get("specific"), ("specific",), "specific"))
    native = mapping(rep, specific.pop(NATIVE, None), ("specific", NATIVE), NATIVE)
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
    product: dict[str, Any] = {"id": dp_id, "name": name, "domain": domain, "version": semver}
    for key, native_key in (
        ("fullyQualifiedName", "fullyQualifiedName"),
        ("description", "description"),
        ("dataProductOwnerDisplayName", "ownerDisplayName"),
        ("ownerGroup", "ownerGroup"),
        ("devGroup", "devGroup"),
    ):
        if text(data.get(key)):
            product[native_key] = text(data[key])
    product["owner"] = text(data.get("dataProductOwner"))
    if not product["owner"]:
        rep.warning(("dataProductOwner",), "no dataProductOwner; owner assumed `unassigned`", code="codec-default")
        product["owner"] = "unassigned"
    email = text(data.get("email"))
    if email:
        product["email"] = email.removeprefix("mailto:")
        if email != product["email"]:
            source["email"] = email
            rep.info(("email",), "`mailto:` dropped from the email address", code="codec-quirk")
    for key, enum, default in (("status", Status, Status.DRAFT), ("maturity", Maturity, None)):
        raw = text(data.get(key))
        if raw is None:
            continue
        value: Status | Maturity | None
        try:
            value = enum(raw.lower())
        except ValueError:
            rep.warning(
                (key,),
                f"{key} `{raw}` is not one of {', '.join(e.value for e in enum)}; "
                + (f"read as `{default.value}`" if default else "left out"),
                code="codec-default",
            )
            value = default
        if value is not None:
            product[key] = value.value
            if raw != value.value.capitalize():  # how an export writes it
                source[key] = raw
    product["supportSla"] = _support(data, rep, extra, source)
    product["tags"] = tag_names(data.get("tags"), rep, ("tags",))
    handled = {
        "id",
        "name",
        "fullyQualifiedName",
        "description",
        "kind",
        "domain",
        "version",
        "dataProductOwner",
        "dataProductOwnerDisplayName",
        "email",
        "ownerGroup",
        "devGroup",
        "supportSLA",
        "status",
        "maturity",
        "tags",
        "specific",
        "components",
    }
    extra.update({k: v for k, v in data.items() if k not in handled and v is not None})
    if "informationSLA" in data:
        rep.info(("informationSLA",), "the 2023 shape's `informationSLA` has no native field; kept under specific.dps")
    components, kept = read_components(data, rep, {"domain": domain, "name": name, "major": semver.split(".")[0]})
    for i, item in enumerate(sequence(rep, native.get("components"), ("specific", NATIVE, "components"), "components")):
        comp = build_component(
            item if isinstance(item, dict) else {}, rep, ("specific", NATIVE, "components", i), "component"
        )
        if comp is not None:
            components.append(comp)
    order = native.get("componentOrder")
    if isinstance(order, list):
        components.sort(key=lambda c: order.index(c.name) if c.name in order else len(order))
    if kept:
        extra["components"] = kept
    if text(native.get("kind")):
        product["kind"] = text(native["kind"])
    else:
        raw_components = data.get("components")
        listed = raw_components if isinstance(raw_components, list) else []
        reads = [r for c in listed if isinstance(c, dict) for r in (c.get("readsFrom") or []) if isinstance(r, str)]
        product["kind"] = assumed_kind(
            rep,
            ("kind",),
            "DPS (`kind: dataproduct`)",
            any(is_component_id(r) or r.startswith("urn:dmb:dp:") for r in reads),
        )
    if source:
        specific[SOURCE] = {"format": FORMAT, **source}
    if extra:
        specific[FORMAT] = extra
    product["specific"] = specific
    product = {k: v for k, v in product.items() if v is not None}
    return build(DataProduct, {**product, "components": components}, rep, (), "the data product")


def _support(data: dict[str, Any], rep: Reporter, extra: dict[str, Any], source: dict[str, Any]) -> SupportSla | None:
    raw = mapping(rep, data.get("supportSLA"), ("supportSLA",), "supportSLA")
    mapped = {
        k: text(raw[k]) for k in ("supportHours", "responseTime", "resolutionTime", "endOfSupport") if text(raw.get(k))
    }
    if "endOfSupport" in mapped:
        iso = iso_date(mapped["endOfSupport"] or "", rep, ("supportSLA", "endOfSupport"))
        if iso != mapped["endOfSupport"]:
            source["endOfSupport"] = mapped["endOfSupport"]
        mapped["endOfSupport"] = iso
    rest = {k: v for k, v in raw.items() if k not in mapped and v is not None}
    if rest:
        extra["supportSLA"] = rest
    return build(SupportSla, mapped, rep, ("supportSLA",), "supportSLA") if mapped else None
