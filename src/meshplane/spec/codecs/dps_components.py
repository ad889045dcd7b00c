"""DPS components → native components: output ports with their contract, workloads, storage, observability.

Column schemas are OpenMetadata columns (``dataType``, ``constraint``, tag labels); :func:`read_columns` is
shared with the DPDS reader, whose table schemas use the same vocabulary.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from meshplane.spec.codecs.common import (
    NATIVE,
    FieldPath,
    Reporter,
    build,
    build_component,
    component_name,
    mapping,
    sequence,
    text,
)
from meshplane.spec.codecs.values import logical_type, physical_type
from meshplane.spec.ids import ComponentId, is_component_id, is_dp_id
from meshplane.spec.model import Column, Component, OutputPort, Sla, Terms

FORMAT = "dps"
#: DPS data sharing agreement key ↔ native terms field.
TERMS = {
    "purpose": "purpose",
    "billing": "billing",
    "security": "security",
    "intendedUsage": "usage",
    "limitations": "limitations",
    "lifeCycle": "lifecycle",
    "confidentiality": "confidentiality",
}
#: DPS SLA key ↔ native SLA field.
SLA = {"intervalOfChange": "intervalOfChange", "timeliness": "timeliness", "upTime": "uptime"}
PORT_TYPES = {"sql": "SQL", "files": "Files", "events": "Events"}
COMMON = {
    "id",
    "name",
    "description",
    "kind",
    "infrastructureTemplateId",
    "dependsOn",
    "platform",
    "technology",
    "tags",
    "specific",
}
_PII = {"pii", "pii.sensitive"}


def tag_names(tags: Any, rep: Reporter, path: FieldPath) -> list[str]:
    """OpenMetadata tag labels (``{tagFQN: PII, …}``) or plain strings → tag names."""
    names = []
    for i, tag in enumerate(sequence(rep, tags, path, "tags")):
        name = text(tag.get("tagFQN")) if isinstance(tag, dict) else text(tag)
        if name:
            names.append(name)
        else:
            rep.warning((*path, i), "a tag needs a `tagFQN`; ignored")
    return names


def read_components(data: dict[str, Any], rep: Reporter, ctx: dict[str, str]) -> tuple[list[Component], list[Any]]:
    """Native components, and the DPS components of kinds the native model has no place for (kept as written).

    Workloads are read last: DPS does not say which ports a workload writes, so it is inferred from the
    output ports that depend on it (or all of them, with a warning).
    """
    found: list[Component] = []
    kept: list[Any] = []
    used: set[str] = set()
    workloads: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for i, comp in enumerate(sequence(rep, data.get("components"), ("components",), "components")):
        path: FieldPath = ("components", i)
        if not isinstance(comp, dict):
            rep.error(path, "a component must be a mapping of fields", expected="id, name, kind …")
            continue
        raw_kind = text(comp.get("kind")) or ""
        kind = {
            "outputport": "outputPort",
            "workload": "workload",
            "storage": "storageArea",
            "storagearea": "storageArea",
            "observability": "observability",
        }.get(raw_kind.lower())
        if kind is None:
            rep.warning(
                (*path, "kind"),
                f"component kind `{raw_kind}` has no native equivalent; kept under specific.dps.components",
                code="codec-not-mapped",
            )
            kept.append(comp)
            continue
        if raw_kind not in ("outputport", "workload", "storage", "observability"):
            rep.warning(
                (*path, "kind"),
                f"`kind: {raw_kind}` read as DPS `{kind.lower()}`",
                code="codec-quirk",
                hint=f"DPS spells it `{'storage' if kind == 'storageArea' else kind.lower()}`",
            )
        common = _common(comp, rep, path, used, ctx)
        if common is None:
            continue
        if kind == "workload":
            workloads.append((i, comp, common))  # needs the output ports to know what it writes
            continue
        built = _output_port(comp, common, rep, path) if kind == "outputPort" else _other(kind, comp, common, rep, path)
        if built is not None:
            found.append(built)
    ports = [c for c in found if isinstance(c, OutputPort)]
    for i, comp, common in workloads:
        built = _workload(comp, common, ports, rep, ("components", i))
        if built is None:
            kept.append(comp)
        else:
            found.insert(min(i, len(found)), built)
    return found, kept


def _common(
    comp: dict[str, Any], rep: Reporter, path: FieldPath, used: set[str], ctx: dict[str, str]
) -> dict[str, Any] | None:
    raw_id = text(comp.get("id"))
    raw_name = comp.get("name")
    from_id = ComponentId.parse(raw_id).name if raw_id and is_component_id(raw_id) else None
    if from_id and from_id not in used:
        name: str | None = from_id
        used.add(from_id)
    else:
        name = component_name(raw_name, used, rep, (*path, "name"), "component")
    if not name:
        return None
    specific = dict(mapping(rep, comp.get("specific"), (*path, "specific"), "specific"))
    native = dict(mapping(rep, specific.pop(NATIVE, None), (*path, "specific", NATIVE), NATIVE))
    common: dict[str, Any] = {"name": name, "specific": specific, "native": native}
    derived = f"urn:dmb:cmp:{ctx['domain']}:{ctx['name']}:{ctx['major']}:{name}"
    if raw_id and raw_id != derived:
        if is_component_id(raw_id):
            common["id"] = raw_id
        else:
            rep.warning((*path, "id"), f"component id `{raw_id}` is not urn:dmb:cmp:…; the derived `{derived}` is used")
    for key in ("description", "infrastructureTemplateId", "platform", "technology"):
        if text(comp.get(key)):
            common[key] = text(comp[key])
    depends = sequence(rep, comp.get("dependsOn"), (*path, "dependsOn"), "dependsOn")
    common["dependsOn"] = [str(d) for d in depends]
    common["tags"] = tag_names(comp.get("tags"), rep, (*path, "tags"))
    if isinstance(raw_name, str) and raw_name != name:
        common["dps_name"] = raw_name
    return common


def _finish(common: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Native component data: the common fields, the native overlay, and what DPS said beyond them."""
    data = {k: v for k, v in common.items() if k not in ("native", "dps_name")}
    if "dps_name" in common:
        extra["name"] = common["dps_name"]
    extra = {k: v for k, v in extra.items() if v is not None}
    if extra:
        data["specific"] = {**data["specific"], FORMAT: extra}
    return {**data, **{k: v for k, v in common["native"].items() if k not in ("columns", "noticePeriod")}}


def _output_port(comp: dict[str, Any], common: dict[str, Any], rep: Reporter, path: FieldPath) -> Component | None:
    extra: dict[str, Any] = {
        k: v
        for k, v in comp.items()
        if k
        not in {*COMMON, "outputPortType", "version", "dataContract", "dataSharingAgreement", "dataSharingAgreements"}
    }
    raw_type = text(comp.get("outputPortType")) or "sql"
    port_type = raw_type.lower() if raw_type.lower() in PORT_TYPES else "sql"
    if raw_type.lower() not in PORT_TYPES:
        rep.warning((*path, "outputPortType"), f"outputPortType `{raw_type}` has no native equivalent; read as sql")
        extra["outputPortType"] = comp.get("outputPortType")
    contract = mapping(rep, comp.get("dataContract"), (*path, "dataContract"), "dataContract")
    dc_rest = {
        k: v for k, v in contract.items() if k not in ("schema", "SLA", "dataSharingAgreements") and v is not None
    }
    if "biTempBusinessTs" in dc_rest or "biTempWriteTs" in dc_rest:
        rep.info(
            (*path, "dataContract"),
            "biTempBusinessTs/biTempWriteTs name a business and a write timestamp; "
            "native bitemporality needs validFrom and validTo, so they are kept under specific.dps",
        )
    columns, columns_rest = read_columns(
        contract.get("schema"), common["native"].get("columns") or {}, rep, (*path, "dataContract", "schema")
    )
    if columns_rest:
        dc_rest["columns"] = columns_rest
    if dc_rest:
        extra["dataContract"] = dc_rest
    sla: dict[str, str] = {}
    raw_sla = mapping(rep, contract.get("SLA"), (*path, "dataContract", "SLA"), "SLA")
    for key, value in raw_sla.items():
        field = SLA.get(key)
        if value is None:
            continue
        problem = f"`{key}` is not a DPS SLA field" if field is None or text(value) is None else None
        if problem is None:
            try:
                Sla.model_validate({field: text(value)})
                sla[str(field)] = text(value) or ""
                continue
            except ValidationError as exc:
                problem = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        rep.warning((*path, "dataContract", "SLA", key), f"SLA `{key}: {value}` kept under specific.dps: {problem}")
        extra.setdefault("SLA", {})[key] = value
    terms: dict[str, str] = {}
    places: tuple[tuple[str, Any, FieldPath], ...] = (
        ("dataSharingAgreement", comp.get("dataSharingAgreement"), (*path, "dataSharingAgreement")),
        ("dataSharingAgreements", comp.get("dataSharingAgreements"), (*path, "dataSharingAgreements")),
        (
            "dataSharingAgreements",
            contract.get("dataSharingAgreements"),
            (*path, "dataContract", "dataSharingAgreements"),
        ),
    )
    for spelled, block, where in places:
        if block is None:
            continue
        if spelled == "dataSharingAgreements":
            inside = len(where) > len(path) + 1
            rep.warning(
                where,
                f"`dataSharingAgreements` (plural{', inside dataContract' if inside else ''}) read as the "
                "port's `dataSharingAgreement`",
                hint="DPS names it `dataSharingAgreement`, at port level",
            )
        for key, value in mapping(rep, block, where, "dataSharingAgreement").items():
            if key in TERMS and text(value) and TERMS[key] not in terms:
                terms[TERMS[key]] = text(value) or ""
            elif value is not None and not (key in TERMS and TERMS[key] in terms):
                extra.setdefault("dataSharingAgreement", {})[key] = value
    if text(common["native"].get("noticePeriod")):
        terms["noticePeriod"] = text(common["native"]["noticePeriod"]) or ""
    native_contract = {k: common["native"].pop(k) for k in ("quality", "bitemporal") if k in common["native"]}
    data = {
        **_finish(common, extra),
        "kind": "outputPort",
        "type": port_type,
        "version": text(comp.get("version")),
        "dataContract": {
            "columns": columns,
            "sla": sla or None,
            "terms": (build(Terms, terms, rep, path, "terms") if terms else None),
            **native_contract,
        },
    }
    return build_component(data, rep, path, f"output port `{common['name']}`")


def read_columns(
    schema: Any, overlay: dict[str, Any], rep: Reporter, path: FieldPath, constraint_key: str = "constraint"
) -> tuple[list[Column], dict[str, Any]]:
    """OpenMetadata-style columns (DPS ``schema``, DPDS table schemas) → native columns, and what is left of each."""
    columns: list[Column] = []
    rest: dict[str, Any] = {}
    for i, col in enumerate(sequence(rep, schema, path, "schema")):
        where = (*path, i)
        if not isinstance(col, dict) or not text(col.get("name")):
            rep.error(where, "a column needs a `name`", code="missing-field")
            continue
        name = text(col["name"]) or ""
        raw_type = text(col.get("dataType")) or ""
        logical = logical_type(raw_type)
        data: dict[str, Any] = {"name": name}
        if logical is None:
            rep.warning(
                (*where, "dataType"),
                f"dataType `{raw_type or 'absent'}` is not known; read as string",
                code="codec-default",
            )
            data["type"], physical = "string", raw_type or None
        else:
            data["type"], physical = logical.value, physical_type(raw_type, logical)
        display = text(col.get("dataTypeDisplay"))
        if display:
            physical = display
        elif physical and text(col.get("dataLength")) and "(" not in physical:
            physical = f"{physical}({text(col['dataLength'])})"
        if physical:
            data["physicalType"] = physical
        constraint = (text(col.get(constraint_key)) or "NULL").upper()
        if constraint == "PRIMARY_KEY":
            data.update(primaryKey=True, required=True)
        elif constraint == "NOT_NULL":
            data["required"] = True
        elif constraint == "UNIQUE":
            data["unique"] = True
        elif constraint != "NULL":
            rep.warning(
                (*where, constraint_key),
                f"constraint `{constraint}` is not PRIMARY_KEY, NOT_NULL, UNIQUE or NULL; ignored",
            )
        if text(col.get("description")):
            data["description"] = text(col["description"])
        tags = tag_names(col.get("tags"), rep, (*where, "tags"))
        if any(t.lower() in _PII for t in tags):
            data["classification"] = "pii"
        data["tags"] = [t for t in tags if t.lower() not in _PII]
        more = overlay.get(name)
        data.update(more if isinstance(more, dict) else {})
        column = build(Column, data, rep, where, f"column `{name}`")
        if column is not None:
            columns.append(column)
        mapped = ("name", "dataType", "dataTypeDisplay", "description", constraint_key, "tags")
        kept = {k: v for k, v in col.items() if k not in mapped and v is not None}
        if kept:
            rest[name] = kept
    return columns, rest


def _workload(
    comp: dict[str, Any], common: dict[str, Any], ports: list[OutputPort], rep: Reporter, path: FieldPath
) -> Component | None:
    extra = {k: v for k, v in comp.items() if k not in COMMON}
    native = common["native"]
    if "writes" not in native:
        ids = {common.get("id") or common["name"], common["name"]}
        writes = [p.name for p in ports if any(d.split(":")[-1] in ids or d in ids for d in p.depends_on)]
        if not writes:
            writes = [p.name for p in ports]
            if writes:
                rep.warning(
                    path,
                    f"DPS does not say which ports workload `{common['name']}` writes; assumed all output ports "
                    f"({', '.join(writes)})",
                    code="codec-default",
                )
        if not writes:
            rep.warning(
                path,
                f"workload `{common['name']}` writes no output port; kept under specific.dps.components",
                code="codec-not-mapped",
            )
            return None
        native["writes"] = writes
    if "language" not in native and "sql" not in native and "function" not in native:
        rep.info(
            path,
            f"workload `{common['name']}` has no SQL or Python function; the platform cannot run it until one is added",
        )
    for ref in sequence(rep, comp.get("readsFrom"), (*path, "readsFrom"), "readsFrom"):
        if not (
            isinstance(ref, str)
            and (is_component_id(ref) or is_dp_id(":".join(ref.split(":")[:6])) or ref.startswith("urn:dmb:ex:"))
        ):
            rep.warning(
                (*path, "readsFrom"), f"`{ref}` is neither an output port nor an external system (urn:dmb:ex:…)"
            )
    return build_component({**_finish(common, extra), "kind": "workload"}, rep, path, f"workload `{common['name']}`")


def _other(kind: str, comp: dict[str, Any], common: dict[str, Any], rep: Reporter, path: FieldPath) -> Component | None:
    extra = {k: v for k, v in comp.items() if k not in {*COMMON, "endpoint", "owners"}}
    data = {"kind": kind}
    if kind == "observability":
        if not text(comp.get("endpoint")):
            rep.error((*path, "endpoint"), "an observability component needs an `endpoint`", code="missing-field")
            return None
        data["endpoint"] = text(comp["endpoint"]) or ""
    else:
        owners = [str(o) for o in sequence(rep, comp.get("owners"), (*path, "owners"), "owners")]
        if owners:
            data["owner"] = owners[0]
        if len(owners) > 1:
            extra["owners"] = owners
    return build_component({**_finish(common, extra), **data}, rep, path, f"{kind} `{common['name']}`")
