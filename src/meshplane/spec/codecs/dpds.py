"""Open Data Mesh's Data Product Descriptor Specification (DPDS) v1 → native data products (read only).

A DPDS descriptor is usually spread over files joined by ``$ref`` (see :mod:`~meshplane.spec.codecs.refs`).
Output ports map to native output ports: the ``datastoreapi`` table schema gives the columns, the SLA (or
SLO) definition gives uptime and timeliness, the ``usage``/``audience`` expectations and the billing
obligation give terms. Input ports name no source the native model can express, and application components
are deployment recipes rather than SQL or Python workloads, so both are kept under ``specific.dpds``.
Known slips in published examples are read with a warning: the ``expectatctions`` typo, ``serviceType`` for
``servicesType``, an output port file that is itself a whole descriptor, a missing ``info.name``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from meshplane.spec.codecs.common import (
    SOURCE,
    FieldPath,
    ImportResult,
    Reporter,
    assumed_kind,
    build,
    build_component,
    component_name,
    describe,
    mapping,
    read_identity,
    sequence,
    text,
)
from meshplane.spec.codecs.dps_components import read_columns
from meshplane.spec.codecs.refs import LocatedReporter, Resolver
from meshplane.spec.model import Component, DataProduct, Sla, Terms

FORMAT = "dpds"
_SERVICE_TYPES = {
    "datastore-services": "sql",
    "streaming-services": "events",
    "file-services": "files",
    "files-services": "files",
}


def read_file(path: Path) -> ImportResult:
    """Read a DPDS descriptor, inlining the files its ``$ref``s name (never URLs)."""
    result = ImportResult()
    resolver = Resolver(result.diagnostics)
    doc = resolver.load(path)
    if doc.data is None and not result.ok:
        return result
    if not isinstance(doc.data, dict):
        got = describe(doc.data)
        Reporter(doc, result.diagnostics).error(
            (),
            f"a DPDS descriptor must be a mapping of fields, got {got}",
            expected="dataProductDescriptor, info, interfaceComponents",
        )
        return result
    tree, rep = resolver.resolve(doc)
    dp = _product(tree, rep, resolver)
    if dp is not None:
        result.data_products.append(dp)
    return result


def _product(data: dict[str, Any], rep: LocatedReporter, resolver: Resolver) -> DataProduct | None:
    if "dataProductDescriptor" not in data:
        if "info" not in data and "interfaceComponents" not in data:
            rep.error((), "not a DPDS descriptor: no `dataProductDescriptor`, `info` or `interfaceComponents`")
            return None
        rep.warning((), "no `dataProductDescriptor` version; read as DPDS 1.0.0", code="codec-default")
    info = mapping(rep, data.get("info"), ("info",), "info", required=True)
    raw_name, fqn = text(info.get("name")), text(info.get("fullyQualifiedName"))
    if not raw_name and fqn:
        parts = fqn.split(":")
        raw_name = parts[-2] if parts[-1].isdigit() and len(parts) > 1 else parts[-1]
        rep.warning(
            ("info",),
            f"info.name is missing (DPDS requires it); `{raw_name}` taken from fullyQualifiedName",
            code="codec-default",
            hint="add `name` to info",
        )
    if not fqn:
        rep.warning(("info",), "info.fullyQualifiedName is missing (DPDS requires it)", code="codec-default")
    ident = read_identity(
        rep,
        raw_id=fqn,
        raw_name=raw_name,
        raw_domain=text(info.get("domain")),
        raw_version=info.get("version"),
        paths=(("info", "fullyQualifiedName"), ("info", "name"), ("info", "domain"), ("info", "version")),
    )
    if ident is None:
        return None
    dp_id, name, domain, semver, source = ident
    owner = mapping(rep, info.get("owner"), ("info", "owner"), "owner")
    if not text(owner.get("id")):
        rep.warning(("info", "owner"), "no owner id; owner assumed `unassigned`", code="codec-default")
    extra: dict[str, Any] = {
        k: v for k, v in data.items() if k not in ("info", "interfaceComponents", "internalComponents", "tags")
    }
    info_rest = {
        k: v for k, v in info.items() if k not in ("name", "version", "displayName", "description", "domain", "owner")
    }
    if info_rest:
        extra["info"] = info_rest
    email = next(
        (
            text(c.get("address"))
            for c in sequence(rep, info.get("contactPoints"), ("info", "contactPoints"), "contactPoints")
            if isinstance(c, dict) and (text(c.get("channel")) or "").lower() == "email"
        ),
        None,
    )
    product: dict[str, Any] = {
        "id": dp_id,
        "name": name,
        "domain": domain,
        "version": semver,
        "fullyQualifiedName": text(info.get("displayName")),
        "description": text(info.get("description")) or "",
        "owner": text(owner.get("id")) or "unassigned",
        "ownerDisplayName": text(owner.get("name")),
        "email": email.removeprefix("mailto:") if email else None,
        "tags": [str(t) for t in sequence(rep, data.get("tags"), ("tags",), "tags")],
    }
    interface = mapping(
        rep, data.get("interfaceComponents"), ("interfaceComponents",), "interfaceComponents", required=True
    )
    internal = mapping(rep, data.get("internalComponents"), ("internalComponents",), "internalComponents")
    ctx = {"domain": domain, "name": name, "major": semver.split(".")[0], "resolver": resolver}
    components: list[Component] = []
    used: set[str] = set()
    for i, port in enumerate(
        sequence(rep, interface.get("outputPorts"), ("interfaceComponents", "outputPorts"), "outputPorts")
    ):
        built = _output_port(port, rep, ("interfaceComponents", "outputPorts", i), used, ctx)
        if built is not None:
            components.append(built)
    kept_interface = {k: v for k, v in interface.items() if k != "outputPorts" and v}
    for key, ports in kept_interface.items():
        rep.warning(
            ("interfaceComponents", key),
            f"{len(ports) if isinstance(ports, list) else ''} {key} have no "
            "native equivalent (DPDS ports name no source or endpoint Meshplane can use); kept under specific.dpds",
            code="codec-not-mapped",
        )
    for i, infra in enumerate(
        sequence(
            rep,
            internal.get("infrastructuralComponents"),
            ("internalComponents", "infrastructuralComponents"),
            "infrastructuralComponents",
        )
    ):
        path: FieldPath = ("internalComponents", "infrastructuralComponents", i)
        if isinstance(infra, dict) and text(infra.get("infrastructureType")) == "storage-resource":
            comp = _storage(infra, rep, path, used)
            if comp is not None:
                components.append(comp)
                continue
        internal_kept = extra.setdefault("internalComponents", {})
        internal_kept.setdefault("infrastructuralComponents", []).append(infra)
    rest_internal = {k: v for k, v in internal.items() if k != "infrastructuralComponents"}
    if rest_internal.get("applicationComponents"):
        rep.info(
            ("internalComponents", "applicationComponents"),
            "application components are deployment recipes, not SQL or Python workloads; kept under specific.dpds",
        )
    if kept_interface:
        extra["interfaceComponents"] = kept_interface
    if rest_internal:
        extra.setdefault("internalComponents", {}).update(rest_internal)
    product["kind"] = assumed_kind(rep, ("info",), "DPDS", False)
    specific: dict[str, Any] = {}
    if source:
        specific[SOURCE] = {"format": FORMAT, **source}
    if extra:
        specific[FORMAT] = extra
    product["specific"] = specific
    product = {k: v for k, v in product.items() if v is not None}
    return build(DataProduct, {**product, "components": components}, rep, ("info",), "the data product")


def _output_port(
    port: Any, rep: LocatedReporter, path: FieldPath, used: set[str], ctx: dict[str, Any]
) -> Component | None:
    if isinstance(port, dict) and "dataProductDescriptor" in port and isinstance(port.get("interfaceComponents"), dict):
        inner = sequence(
            rep,
            port["interfaceComponents"].get("outputPorts"),
            (*path, "interfaceComponents", "outputPorts"),
            "outputPorts",
        )
        if not inner:
            rep.error(path, "this output port file is a whole descriptor with no output port in it")
            return None
        rep.warning(
            path,
            "this output port file is a whole descriptor; its "
            f"{'first of ' + str(len(inner)) if len(inner) > 1 else 'only'} output port is used",
            hint="a port file should hold just the port",
        )
        port, path = inner[0], (*path, "interfaceComponents", "outputPorts", 0)
    if not isinstance(port, dict):
        rep.error(path, "an output port must be a mapping of fields")
        return None
    if "$ref" in port and "name" not in port:
        return None  # an unresolved reference: the resolver has said why
    name = component_name(port.get("name"), used, rep, (*path, "name"), "output port")
    if name is None:
        return None
    promises = mapping(rep, port.get("promises"), (*path, "promises"), "promises")
    expectations_key = (
        "expectations" if "expectations" in port else "expectatctions" if "expectatctions" in port else None
    )
    if expectations_key == "expectatctions":
        rep.warning(
            (*path, "expectatctions"),
            "`expectatctions` read as `expectations` (a typo in the file)",
            hint="rename it `expectations`",
            at_key=True,
        )
    expectations = mapping(
        rep, port.get(expectations_key or "expectations"), (*path, expectations_key or "expectations"), "expectations"
    )
    obligations = mapping(rep, port.get("obligations"), (*path, "obligations"), "obligations")
    services = text(promises.get("servicesType"))
    if services is None and text(promises.get("serviceType")):
        services = text(promises["serviceType"])
        rep.warning(
            (*path, "promises", "serviceType"),
            "`serviceType` read as `servicesType`",
            at_key=True,
            hint="DPDS names it `servicesType`",
        )
    port_type = _SERVICE_TYPES.get((services or "").lower())
    if port_type is None:
        rep.warning(
            (*path, "promises"),
            f"services type `{services}` has no native output port type; read as sql",
            code="codec-default",
        )
        port_type = "sql"
    columns, column_rest = _columns(promises.get("api"), rep, (*path, "promises", "api"), ctx)
    data: dict[str, Any] = {
        "kind": "outputPort",
        "name": name,
        "type": port_type,
        "version": text(port.get("version")),
        "description": text(port.get("description")) or "",
        "platform": text(promises.get("platform")),
        "dataContract": {
            "columns": columns,
            "sla": _sla(promises, obligations, rep, path),
            "terms": _terms(expectations, obligations, rep, path),
        },
    }
    kept = {k: v for k, v in port.items() if k not in ("name", "version", "description")}
    if column_rest:
        kept["columns"] = column_rest
    if str(port.get("name")) != name:
        kept["name"] = port.get("name")
    data["specific"] = {FORMAT: kept} if kept else {}
    return build_component({k: v for k, v in data.items() if v is not None}, rep, path, f"output port `{name}`")


def _columns(api: Any, rep: LocatedReporter, path: FieldPath, ctx: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Columns from a ``datastoreapi`` definition's first table schema; other API kinds give none."""
    api = api if isinstance(api, dict) else {}
    spec = (text(api.get("specification")) or "").lower()
    definition = api.get("definition")
    if spec != "datastoreapi" or not isinstance(definition, dict):
        if spec:
            rep.info(
                path,
                f"a `{spec}` API is not mapped to columns (message and endpoint schemas are not tables); "
                "kept under specific.dpds",
            )
        return [], {}
    tables = sequence(
        rep,
        mapping(rep, definition.get("schema"), (*path, "definition", "schema"), "schema").get("tables"),
        (*path, "definition", "schema", "tables"),
        "tables",
    )
    for i, table in enumerate(tables):
        where: FieldPath = (*path, "definition", "schema", "tables", i, "definition")
        schema = table.get("definition") if isinstance(table, dict) else None
        if isinstance(schema, dict) and "columns" in schema:
            return read_columns(schema["columns"], {}, rep, (*where, "columns"), "columnConstraint")
        ref = text(schema.get("$ref")) if isinstance(schema, dict) else None
        if ref:
            stem = Path(urlparse(ref).path).stem
            sibling = rep.folder(where) / f"{stem}.json"
            if sibling.is_file():
                doc = ctx["resolver"].load(sibling)
                if isinstance(doc.data, dict) and "columns" in doc.data:
                    rep.info(
                        where,
                        f"`{Path(urlparse(ref).path).name}` is not read; the JSON table schema beside it, "
                        f"`{sibling.name}`, gives the columns",
                        code="codec-quirk",
                    )
                    return read_columns(
                        doc.data["columns"], {}, Reporter(doc, rep.diagnostics), ("columns",), "columnConstraint"
                    )
            rep.info(
                where, f"table schema `{ref}` is not a JSON table schema Meshplane can read; the port has no columns"
            )
    return [], {}


def _definition(block: Any) -> dict[str, Any]:
    found = block.get("definition") if isinstance(block, dict) else None
    return found if isinstance(found, dict) else {}


def _sla(promises: dict[str, Any], obligations: dict[str, Any], rep: Reporter, path: FieldPath) -> Sla | None:
    """The SLA obligation if there is one, else the SLO promise: availability and freshness."""
    for where, block in (("obligations", obligations.get("sla")), ("promises", promises.get("slo"))):
        definition = _definition(block)
        if not definition:
            continue
        operational: Any = next((v for k, v in definition.items() if k.lower().startswith("x-operational")), {})
        quality: Any = next((v for k, v in definition.items() if k.lower().startswith("x-quality")), {})
        data: dict[str, str] = {}
        availability = operational.get("availability") if isinstance(operational, dict) else None
        if availability is not None:
            try:
                value = float(availability)
                data["uptime"] = f"{round(value * 100, 6) if value <= 1 else value:g}%"
            except ValueError:
                rep.warning((*path, where), f"availability `{availability}` is not a number; left out")
        if isinstance(quality, dict) and text(quality.get("freshness")):
            data["timeliness"] = text(quality["freshness"]) or ""
        if data:
            return build(Sla, data, rep, (*path, where), "SLA")
    return None


def _terms(expectations: dict[str, Any], obligations: dict[str, Any], rep: Reporter, path: FieldPath) -> Terms | None:
    data = {}
    for field, block in (
        ("usage", expectations.get("usage")),
        ("purpose", expectations.get("audience")),
        ("billing", obligations.get("billingPolicy")),
    ):
        if isinstance(block, dict) and text(block.get("description")):
            data[field] = text(block["description"])
    return build(Terms, data, rep, path, "terms") if data else None


def _storage(infra: dict[str, Any], rep: Reporter, path: FieldPath, used: set[str]) -> Component | None:
    name = component_name(infra.get("name"), used, rep, (*path, "name"), "infrastructural component")
    if name is None:
        return None
    kept = {k: v for k, v in infra.items() if k not in ("name", "description", "platform")}
    return build_component(
        {
            "kind": "storageArea",
            "name": name,
            "description": text(infra.get("description")) or "",
            "platform": text(infra.get("platform")),
            "specific": {FORMAT: kept},
        },
        rep,
        path,
        f"storage `{name}`",
    )
