"""ODPS input, output and management ports → native components.

Output ports get their contract from the ODCS file whose ``id`` is the port's ``contractId``, looked for
beside the ODPS file. An input port becomes a native input port when it names the upstream port by its
component id (what Meshplane exports) or carries a ``source`` custom property; an input port that names
only a foreign contract id has no native source and is kept under ``specific.odps``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meshplane.spec import yamlio
from meshplane.spec.codecs.common import (
    SOURCE,
    FieldPath,
    Reporter,
    aliases,
    build_component,
    component_name,
    custom_properties,
    merge,
    sequence,
    text,
)
from meshplane.spec.codecs.odcs import PORT_PHYSICAL_TYPE, STATUS_TO_ODCS, ParsedContract, read_contracts
from meshplane.spec.diagnostics import Severity
from meshplane.spec.ids import ComponentId, is_component_id
from meshplane.spec.model import (
    BoundaryPort,
    Component,
    DataContract,
    InputPort,
    Observability,
    OutputPort,
    OutputPortType,
)

FORMAT = "odps"
PORT_TYPE_IN = {
    "tables": OutputPortType.SQL,
    "table": OutputPortType.SQL,
    "sql": OutputPortType.SQL,
    "views": OutputPortType.SQL,
    "view": OutputPortType.SQL,
    "files": OutputPortType.FILES,
    "file": OutputPortType.FILES,
    "events": OutputPortType.EVENTS,
    "topic": OutputPortType.EVENTS,
    "topics": OutputPortType.EVENTS,
    "stream": OutputPortType.EVENTS,
    "streams": OutputPortType.EVENTS,
}
PORT_TYPE_OUT = {OutputPortType.SQL: "tables", OutputPortType.FILES: "files", OutputPortType.EVENTS: "events"}
CODEC_KEYS = {FORMAT, "odcs", SOURCE}


#: Native fields a port carries as custom properties: those ODPS has no key of its own for.
_INPUT_CUSTOM = aliases(InputPort) - {"kind", "name", "tags"}
_OUTPUT_CUSTOM = (aliases(OutputPort) | aliases(BoundaryPort)) - {"name", "description", "type", "version", "tags"}
_OBSERVABILITY_CUSTOM = aliases(Observability) - {"kind", "name", "endpoint", "description", "tags"}


def split_custom(custom: dict[str, Any], native: set[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(native fields carried as custom properties, the foreign custom properties)."""
    mine = {k: v for k, v in custom.items() if k in native}
    return mine, [{"property": k, "value": v} for k, v in custom.items() if k not in native]


class Contracts:
    """The ODCS files beside the ODPS file, read only when a port asks for their id."""

    def __init__(self, folder: Path, diagnostics: list[Any]) -> None:
        self.diagnostics = diagnostics
        self.docs: dict[str, yamlio.Document] = {}
        for path in sorted(p for pattern in ("*.odcs.yaml", "*.odcs.yml", "*.odcs.json") for p in folder.glob(pattern)):
            doc = yamlio.load(path, duplicate_keys=Severity.WARNING)
            if isinstance(doc.data, dict) and text(doc.data.get("id")):
                self.docs.setdefault(text(doc.data["id"]) or "", doc)

    def get(self, contract_id: str, port: str) -> ParsedContract | None:
        doc = self.docs.get(contract_id)
        if doc is None:
            return None
        self.diagnostics.extend(doc.diagnostics)
        rep = Reporter(doc, self.diagnostics)
        parsed = read_contracts(doc.data, rep)
        chosen = next((p for p in parsed if p.schema_name == port), parsed[0] if parsed else None)
        if chosen is not None and len(parsed) > 1 and chosen.schema_name != port:
            rep.warning(
                ("schema",),
                f"contract has {len(parsed)} schema objects and none is named `{port}`; "
                f"the first (`{chosen.schema_name}`) is used",
            )
        return chosen


def _unmapped(port: dict[str, Any], handled: set[str], custom: list[Any]) -> dict[str, Any]:
    """What a port says beyond ``handled``: kept under ``specific.odps`` for export to write back."""
    rest = {k: v for k, v in port.items() if k not in handled and v is not None}
    if custom:
        rest["customProperties"] = custom
    return rest


def _tags(port: dict[str, Any], rep: Reporter, path: FieldPath) -> list[str]:
    return [str(t) for t in sequence(rep, port.get("tags"), (*path, "tags"), "tags")]


def read_input_ports(data: dict[str, Any], rep: Reporter, extra: dict[str, Any]) -> list[Component]:
    found: list[Component] = []
    kept: list[Any] = []
    used: set[str] = set()
    for i, port in enumerate(sequence(rep, data.get("inputPorts"), ("inputPorts",), "inputPorts")):
        path: FieldPath = ("inputPorts", i)
        if not isinstance(port, dict):
            rep.error(path, "an input port must be a mapping of fields")
            continue
        custom, odd = custom_properties(port.get("customProperties"), rep, (*path, "customProperties"))
        mine, foreign = split_custom(custom, _INPUT_CUSTOM)
        contract_id = text(port.get("contractId")) or ""
        source = mine.pop("source", None)
        raw_version = text(port.get("version")) or "latest"
        pinned = raw_version.isdigit() or raw_version == "latest"
        if source is None and is_component_id(contract_id):
            cid = ComponentId.parse(contract_id)
            source = {
                "type": "outputPort",
                "dataProduct": str(cid.data_product_id),
                "port": cid.name,
                "version": int(raw_version) if raw_version.isdigit() else "latest",
            }
        if source is None:
            rep.warning(
                path,
                f"input port `{port.get('name')}` reads contract `{contract_id}`, which names no data "
                "product; kept under specific.odps.inputPorts",
                code="codec-not-mapped",
                hint="use the upstream port's component id (urn:dmb:cmp:…) as contractId",
            )
            kept.append(port)
            continue
        name = component_name(port.get("name"), used, rep, (*path, "name"), "input port")
        if name is None:
            continue
        rest = _unmapped(port, {"name", "version", "contractId", "tags", "customProperties"}, [*odd, *foreign])
        if not pinned and source.get("type") == "outputPort":
            rest["version"] = port.get("version")  # a contract version, not a table version to pin
        specific = {**(mine.pop("specific", None) or {}), **({FORMAT: rest} if rest else {})}
        comp = build_component(
            {
                **mine,
                "kind": "inputPort",
                "name": name,
                "source": source,
                "specific": specific,
                "tags": _tags(port, rep, path),
            },
            rep,
            path,
            f"input port `{name}`",
        )
        if comp is not None:
            found.append(comp)
    if kept:
        extra["inputPorts"] = kept
    return found


def read_output_ports(
    data: dict[str, Any], rep: Reporter, contracts: Contracts, ctx: dict[str, Any]
) -> list[Component]:
    found: list[Component] = []
    used: set[str] = set()
    for i, port in enumerate(sequence(rep, data.get("outputPorts"), ("outputPorts",), "outputPorts")):
        path: FieldPath = ("outputPorts", i)
        if not isinstance(port, dict):
            rep.error(path, "an output port must be a mapping of fields")
            continue
        name = component_name(port.get("name"), used, rep, (*path, "name"), "output port")
        if name is None:
            continue
        custom, odd = custom_properties(port.get("customProperties"), rep, (*path, "customProperties"))
        mine, foreign = split_custom(custom, _OUTPUT_CUSTOM)
        handled = {"name", "description", "type", "version", "contractId", "tags", "customProperties"}
        rest = _unmapped(port, handled, [*odd, *foreign])
        raw_type = (text(port.get("type")) or "").lower()
        port_type = PORT_TYPE_IN.get(raw_type)
        if port_type is None:
            if raw_type:
                rep.warning((*path, "type"), f"port type `{port.get('type')}` has no native equivalent; read as sql")
                rest["type"] = port["type"]
            port_type = OutputPortType.SQL
        comp_id = mine.get("id") or f"urn:dmb:cmp:{ctx['domain']}:{ctx['name']}:{ctx['major']}:{name}"
        contract_id = text(port.get("contractId"))
        if contract_id and contract_id != comp_id:
            rest["contractId"] = contract_id
        if str(port.get("name", "")).strip() != name:
            rest["name"] = port.get("name")
        parsed = contracts.get(contract_id, name) if contract_id else None
        odcs: dict[str, Any] = {}
        if parsed is None:
            rep.warning(
                (*path, "contractId"),
                f"contract `{contract_id}` of output port `{name}` is not in a "
                "*.odcs.yaml file beside this one; the port gets an empty contract",
                code="codec-not-mapped",
                hint="put the ODCS file next to the ODPS file",
            )
            contract = DataContract()
        else:
            contract = parsed.contract
            odcs = dict(parsed.specific)
            derived = {
                "apiVersion": "v3.1.0",
                "id": contract_id or comp_id,
                "name": name,
                "version": text(port.get("version")) or ctx["version"],
                "status": STATUS_TO_ODCS[ctx["status"]],
                "domain": ctx["domain"],
                "dataProduct": ctx["name"],
            }
            differs = {k: v for k, v in parsed.identity.items() if derived.get(k) != v}
            if differs:
                odcs["identity"] = differs
            if parsed.physical_type and parsed.physical_type != PORT_PHYSICAL_TYPE[port_type]:
                odcs = merge(odcs, {"schema": {"physicalType": parsed.physical_type}})
        specific = {
            **(mine.pop("specific", None) or {}),
            **({FORMAT: rest} if rest else {}),
            **({"odcs": odcs} if odcs else {}),
        }
        comp = build_component(
            {
                "kind": "outputPort",
                **mine,
                "name": name,
                "type": port_type.value,
                "version": text(port.get("version")),
                "description": text(port.get("description")) or "",
                "tags": _tags(port, rep, path),
                "specific": specific,
                "dataContract": contract,
            },
            rep,
            path,
            f"output port `{name}`",
        )
        if comp is not None:
            found.append(comp)
    return found


def read_management_ports(data: dict[str, Any], rep: Reporter, extra: dict[str, Any]) -> list[Component]:
    found: list[Component] = []
    kept: list[Any] = []
    used: set[str] = set()
    for i, port in enumerate(sequence(rep, data.get("managementPorts"), ("managementPorts",), "managementPorts")):
        path: FieldPath = ("managementPorts", i)
        if not (isinstance(port, dict) and text(port.get("content")) == "observability" and text(port.get("url"))):
            kept.append(port)
            continue
        name = component_name(port.get("name"), used, rep, (*path, "name"), "management port")
        custom, odd = custom_properties(port.get("customProperties"), rep, (*path, "customProperties"))
        mine, foreign = split_custom(custom, _OBSERVABILITY_CUSTOM)
        rest = _unmapped(port, {"name", "content", "url", "description", "tags", "customProperties"}, [*odd, *foreign])
        if rest.get("type") == "rest":
            del rest["type"]  # the default an export writes
        comp = build_component(
            {
                **mine,
                "kind": "observability",
                "name": name,
                "endpoint": text(port["url"]),
                "description": text(port.get("description")) or "",
                "tags": _tags(port, rep, path),
                "specific": {**(mine.get("specific") or {}), **({FORMAT: rest} if rest else {})},
            },
            rep,
            path,
            f"management port `{name}`",
        )
        if comp is not None:
            found.append(comp)
    if kept:
        extra["managementPorts"] = kept
    return found
