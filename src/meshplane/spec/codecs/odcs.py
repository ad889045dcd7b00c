"""Open Data Contract Standard (ODCS) v3 ↔ native data contracts.

One ODCS schema object becomes one native contract (a multi-table ODCS file gives several). Properties map
to columns, ``logicalTypeOptions`` bounds and patterns to range/pattern expectations, quality rules and SLA
properties through :mod:`~meshplane.spec.codecs.odcs_quality`, ``description`` to terms. What the native
model has no field for (servers, team, relationships, physical names …) is returned as ``specific`` in the
shape :func:`~meshplane.spec.codecs.odcs_write.contract_to_odcs` merges back, so ODCS → native → ODCS keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meshplane.spec import yamlio
from meshplane.spec.codecs.common import (
    ContractInfo,
    FieldPath,
    ImportResult,
    Reporter,
    build,
    custom_properties,
    describe,
    mapping,
    merge,
    prune,
    sequence,
    text,
)
from meshplane.spec.codecs.odcs_quality import expectation, read_rule
from meshplane.spec.codecs.odcs_sla import read_sla
from meshplane.spec.codecs.values import logical_type
from meshplane.spec.diagnostics import Severity
from meshplane.spec.model import (
    BiTemporal,
    Classification,
    Column,
    DataContract,
    Expectation,
    LogicalType,
    OutputPortType,
    Sla,
    Status,
    Terms,
)

API_VERSION = "v3.1.0"
_ODCS_TYPES = {"string", "date", "timestamp", "time", "number", "integer", "object", "array", "boolean"}
#: Native types ODCS has no logical type for: written as the nearest one plus a ``nativeType`` custom property.
NEAREST_TYPE = {LogicalType.DECIMAL: "number", LogicalType.BINARY: "string"}
TERMS_TEXT = ("purpose", "usage", "limitations")
TERMS_CUSTOM = ("billing", "security", "lifecycle", "confidentiality", "noticePeriod")
IDENTITY = ("id", "name", "version", "status", "domain", "dataProduct", "apiVersion")
#: Column properties this codec maps (everything else is kept under ``specific``).
_MAPPED_PROPERTY = {
    "name",
    "logicalType",
    "physicalType",
    "required",
    "unique",
    "primaryKey",
    "primaryKeyPosition",
    "description",
    "classification",
    "tags",
    "examples",
    "quality",
    "logicalTypeOptions",
    "customProperties",
    "enum",
}
_MAPPED_OPTIONS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern"}
STATUS_TO_ODCS = {
    Status.DRAFT: "draft",
    Status.PUBLISHED: "active",
    Status.DEPRECATED: "deprecated",
    Status.RETIRED: "retired",
}
PORT_PHYSICAL_TYPE = {OutputPortType.SQL: "table", OutputPortType.FILES: "file", OutputPortType.EVENTS: "topic"}


@dataclass
class ParsedContract:
    schema_name: str
    contract: DataContract
    #: The identity fields as written (id, name, version, status, domain, dataProduct, apiVersion).
    identity: dict[str, Any] = field(default_factory=dict)
    #: Unmapped content: ``{"contract": {...}, "schema": {...}, "properties": {column: {...}}}``.
    specific: dict[str, Any] = field(default_factory=dict)
    #: The schema object's ``physicalType`` (table, view, topic, file …), for the port type.
    physical_type: str | None = None


# -- reading ---------------------------------------------------------------------------------------------


def read_contracts(data: Any, rep: Reporter) -> list[ParsedContract]:
    """Every schema object of an ODCS document as a native contract; problems go to ``rep``."""
    if not isinstance(data, dict):
        got = describe(data)
        rep.error((), f"an ODCS data contract must be a mapping of fields, got {got}", expected="kind: DataContract")
        return []
    kind = text(data.get("kind"))
    if kind is None and "apiVersion" not in data and "schema" not in data:
        rep.error((), "not an ODCS data contract: no `kind`, `apiVersion` or `schema`", expected="kind: DataContract")
        return []
    if kind is None:
        rep.warning(
            (), "no `kind`; read as an ODCS DataContract", code="codec-default", hint="add `kind: DataContract`"
        )
    elif kind != "DataContract":
        rep.error(("kind",), f"`kind: {kind}` is not an ODCS data contract", expected="DataContract")
        return []
    api = text(data.get("apiVersion")) or ""
    if not re.match(r"^v?3\.", api):
        rep.warning(
            ("apiVersion",),
            f"apiVersion `{api or 'absent'}` is not ODCS v3; read as v3 anyway",
            hint="ODCS v2 files need converting to v3 first",
        )
    for key in ("id", "version"):
        if data.get(key) is None:
            rep.warning((key,), f"ODCS requires `{key}`", code="codec-default")
    identity = {k: data[k] for k in IDENTITY if data.get(k) is not None}
    top = {k: v for k, v in data.items() if k not in (*IDENTITY, "kind", "description", "schema", "slaProperties")}
    terms, description_rest = _terms(mapping(rep, data.get("description"), ("description",), "description"), rep)
    if description_rest:
        top["description"] = description_rest
    sla, freshness, sla_rest = read_sla(
        sequence(rep, data.get("slaProperties"), ("slaProperties",), "slaProperties"), rep, ("slaProperties",)
    )
    if sla_rest:
        top["slaProperties"] = sla_rest
    schemas = sequence(rep, data.get("schema"), ("schema",), "schema")
    if not schemas:
        name = text(data.get("name")) or "contract"
        rep.warning(
            ("schema",),
            f"no schema objects; imported as one contract `{name}` without columns",
            code="codec-default",
            hint="describe the table under `schema`",
        )
        schemas = [{"name": name}]
    parsed: list[ParsedContract] = []
    for i, obj in enumerate(schemas):
        one = _schema(obj, rep, ("schema", i))
        if one is None:
            continue
        name, columns, quality, schema_rest, props_rest, bitemporal, physical = one
        mine = [f for element, f in freshness if element.split(".")[0] == name or len(schemas) == 1]
        contract = DataContract(
            columns=columns,
            quality=_dedupe([*quality, *mine]),
            sla=Sla.model_validate(sla) if sla else None,
            terms=terms,
            bitemporal=bitemporal,
        )
        specific = prune({"contract": top, "schema": schema_rest, "properties": props_rest})
        parsed.append(ParsedContract(name, contract, identity, specific, physical))
    unused = [element for element, _ in freshness if not any(element.split(".")[0] == p.schema_name for p in parsed)]
    if unused and len(schemas) != 1:
        rep.warning(("slaProperties",), f"freshness for {', '.join(unused)} names no schema object; not applied")
    return parsed


def _dedupe(items: list[Expectation]) -> list[Expectation]:
    seen: list[dict[str, Any]] = []
    out: list[Expectation] = []
    for item in items:
        data = item.to_data()
        if data not in seen:
            seen.append(data)
            out.append(item)
    return out


def _terms(description: dict[str, Any], rep: Reporter) -> tuple[Terms | None, dict[str, Any]]:
    data = {k: text(description[k]) for k in TERMS_TEXT if text(description.get(k))}
    rest = {k: v for k, v in description.items() if k not in (*TERMS_TEXT, "customProperties")}
    custom, odd = custom_properties(description.get("customProperties"), rep, ("description", "customProperties"))
    leftovers = [*odd]
    for key, value in custom.items():
        if key in TERMS_CUSTOM and isinstance(value, str):
            data[key] = value
        else:
            leftovers.append({"property": key, "value": value})
    if leftovers:
        rest["customProperties"] = leftovers
    terms = build(Terms, data, rep, ("description",), "description") if data else None
    return terms, rest


def _schema(
    obj: Any, rep: Reporter, path: FieldPath
) -> tuple[str, list[Column], list[Expectation], dict[str, Any], dict[str, Any], BiTemporal | None, str | None] | None:
    if not isinstance(obj, dict):
        rep.error(path, "a schema object must be a mapping of fields", expected="name, properties …")
        return None
    name = text(obj.get("name"))
    if not name:
        rep.error(path, "a schema object needs a `name`", code="missing-field", hint="add `name:`")
        return None
    columns: list[Column] = []
    quality: list[Expectation] = []
    props_rest: dict[str, Any] = {}
    for i, prop in enumerate(sequence(rep, obj.get("properties"), (*path, "properties"), "properties")):
        result = _property(prop, rep, (*path, "properties", i))
        if result is not None:
            column, rules, rest = result
            columns.append(column)
            quality.extend(rules)
            if rest:
                props_rest[column.name] = rest
    kept_rules = []
    for i, rule in enumerate(sequence(rep, obj.get("quality"), (*path, "quality"), "quality")):
        found = read_rule(rule, rep, (*path, "quality", i), None)
        if found is None:
            kept_rules.append(rule)
        else:
            quality.append(found)
    rest = {
        k: v for k, v in obj.items() if k not in ("name", "properties", "quality", "customProperties", "physicalType")
    }
    if kept_rules:
        rest["quality"] = kept_rules
    custom, odd = custom_properties(obj.get("customProperties"), rep, (*path, "customProperties"))
    bitemporal = None
    if "bitemporal" in custom:
        value = custom.pop("bitemporal")
        bitemporal = build(
            BiTemporal, value if isinstance(value, dict) else {}, rep, (*path, "customProperties"), "bitemporal"
        )
    leftovers = [*odd, *({"property": k, "value": v} for k, v in custom.items())]
    if leftovers:
        rest["customProperties"] = leftovers
    return name, columns, quality, rest, props_rest, bitemporal, text(obj.get("physicalType"))


def _property(prop: Any, rep: Reporter, path: FieldPath) -> tuple[Column, list[Expectation], dict[str, Any]] | None:
    if not isinstance(prop, dict):
        rep.error(path, "a property must be a mapping of fields", expected="name, logicalType …")
        return None
    name = text(prop.get("name"))
    if not name:
        rep.error(path, "a property needs a `name`", code="missing-field", hint="add `name:`")
        return None
    rest: dict[str, Any] = {k: v for k, v in prop.items() if k not in _MAPPED_PROPERTY}
    custom, odd = custom_properties(prop.get("customProperties"), rep, (*path, "customProperties"))
    data: dict[str, Any] = {"name": name, "type": _column_type(prop, custom.pop("nativeType", None), rep, path)}
    for key in ("physicalType", "description"):
        if text(prop.get(key)):
            data[key] = text(prop[key])
    for key in ("required", "unique", "primaryKey"):
        if isinstance(prop.get(key), bool):
            data[key] = prop[key]
        elif prop.get(key) is not None:
            rep.warning((*path, key), f"`{key}` must be true or false; ignored")
    if isinstance(custom.get("polyseme"), str):
        data["polyseme"] = custom.pop("polyseme")
    classification = text(prop.get("classification"))
    if classification:
        try:
            data["classification"] = Classification(classification.lower()).value
        except ValueError:
            rep.info(
                (*path, "classification"),
                f"classification `{classification}` is not one of "
                f"{', '.join(c.value for c in Classification)}; kept but not enforced",
            )
            rest["classification"] = prop["classification"]
    if isinstance(prop.get("tags"), list):
        data["tags"] = [str(t) for t in prop["tags"]]
    if isinstance(prop.get("examples"), list):
        data["examples"] = prop["examples"]
    column = build(Column, data, rep, path, f"property `{name}`")
    if column is None:
        return None
    rules = _options(prop.get("logicalTypeOptions"), column, rep, (*path, "logicalTypeOptions"), rest)
    rules.extend(_enum(prop.get("enum"), name, rep, (*path, "enum"), rest))
    kept = []
    for i, rule in enumerate(sequence(rep, prop.get("quality"), (*path, "quality"), "quality")):
        found = read_rule(rule, rep, (*path, "quality", i), name)
        if found is None:
            kept.append(rule)
        else:
            rules.append(found)
    if kept:
        rest["quality"] = kept
    leftovers = [*odd, *({"property": k, "value": v} for k, v in custom.items())]
    if leftovers:
        rest["customProperties"] = leftovers
    return column, rules, rest


def _column_type(prop: dict[str, Any], native: Any, rep: Reporter, path: FieldPath) -> str:
    if isinstance(native, str) and native in LogicalType.__members__.values():
        return native
    logical = text(prop.get("logicalType"))
    if logical and logical.lower() in _ODCS_TYPES:
        return logical.lower()
    if logical and logical.lower() in (t.value for t in LogicalType):
        rep.info(
            (*path, "logicalType"),
            f"`{logical}` is not an ODCS logical type; read as the native `{logical.lower()}`",
            code="codec-quirk",
        )
        return logical.lower()
    physical = text(prop.get("physicalType"))
    guess = logical_type(physical) if physical else None
    if guess is not None:
        if logical:
            rep.warning(
                (*path, "logicalType"), f"unknown logicalType `{logical}`; `{guess.value}` inferred from physicalType"
            )
        return guess.value
    rep.warning(
        (*path, "logicalType") if logical else path,
        f"{'unknown logicalType `' + logical + '`' if logical else 'no logicalType'}; read as string",
        code="codec-default",
        hint="set `logicalType`",
    )
    return LogicalType.STRING.value


def _options(options: Any, column: Column, rep: Reporter, path: FieldPath, rest: dict[str, Any]) -> list[Expectation]:
    opts = mapping(rep, options, path, "logicalTypeOptions")
    found: list[Expectation] = []
    bounds: dict[str, Any] = {}
    for key, excl, native in (("minimum", "exclusiveMinimum", "min"), ("maximum", "exclusiveMaximum", "max")):
        if opts.get(excl) is not None:
            bounds[native], bounds[f"exclusive{native.capitalize()}"] = opts[excl], True
            if opts.get(key) is not None:
                rep.warning((*path, key), f"both `{key}` and `{excl}` are set; `{excl}` is used")
        elif opts.get(key) is not None:
            bounds[native] = opts[key]
    if bounds:
        item = expectation({"type": "range", "column": column.name, **bounds}, rep, path)
        if item is not None:
            found.append(item)
    if text(opts.get("pattern")):
        item = expectation(
            {"type": "pattern", "column": column.name, "pattern": text(opts["pattern"])}, rep, (*path, "pattern")
        )
        if item is not None:
            found.append(item)
    unmapped = {k: v for k, v in opts.items() if k not in _MAPPED_OPTIONS}
    if unmapped:
        rest["logicalTypeOptions"] = unmapped
        rep.info(path, f"{', '.join(unmapped)} kept but not enforced (no native expectation)")
    return found


def _enum(values: Any, column: str, rep: Reporter, path: FieldPath, rest: dict[str, Any]) -> list[Expectation]:
    """ODCS v3.2 ``enum`` (plain values or ``{value, label …}``) → accepted values; labels are kept."""
    entries = sequence(rep, values, path, "enum")
    if not entries:
        return []
    plain = [e.get("value") if isinstance(e, dict) else e for e in entries]
    if any(isinstance(e, dict) and set(e) - {"value"} for e in entries):
        rest["enum"] = entries
    item = expectation({"type": "acceptedValues", "column": column, "values": plain}, rep, path)
    return [item] if item is not None else []


def read_file(path: Path) -> ImportResult:
    """Standalone contracts: one (schema object name, contract) per schema object, with their identity."""
    doc = yamlio.load(path, duplicate_keys=Severity.WARNING)
    result = ImportResult(diagnostics=list(doc.diagnostics))
    if doc.data is None and not result.ok:
        return result
    rep = Reporter(doc, result.diagnostics)
    for one in read_contracts(doc.data, rep):
        result.contracts.append((one.schema_name, one.contract))
        ident = one.identity
        specific = merge(one.specific, {"identity": ident} if ident else {})
        if one.physical_type:
            specific = merge(specific, {"schema": {"physicalType": one.physical_type}})
        result.contract_info.append(
            ContractInfo(
                one.schema_name,
                text(ident.get("id")),
                text(ident.get("name")),
                text(ident.get("version")),
                text(ident.get("status")),
                specific,
            )
        )
    return result
