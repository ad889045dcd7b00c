"""Native data products → an ODPS v1.0.0 file plus one ODCS v3.1.0 file per output port.

The contract id written on each port is its component id (``urn:dmb:cmp:…``) unless an import kept the
original; input ports reading another product name that product's port the same way, so an ODPS import
can rebuild the native source. Native fields ODPS has no key for become ``customProperties`` named after
the field; what an ODPS import kept under ``specific.odps`` is merged back.
"""

from __future__ import annotations

from typing import Any

from meshplane.spec.codecs.common import (
    SOURCE,
    merge,
    native_data,
    own_specific,
    prune,
    restore,
    slugify,
    to_yaml,
)
from meshplane.spec.codecs.odcs import STATUS_TO_ODCS
from meshplane.spec.codecs.odcs_write import contract_file, write_contract
from meshplane.spec.codecs.odps import API_VERSION, DP_CUSTOM, STATUS_IN, email_channel
from meshplane.spec.codecs.odps_ports import CODEC_KEYS, FORMAT, PORT_TYPE_OUT
from meshplane.spec.ids import DataProductId
from meshplane.spec.model import BoundaryPort, DataProduct, InputPort, Observability, OutputPort, OutputPortSource


def _extras(data: dict[str, Any], handled: set[str]) -> list[dict[str, Any]]:
    out = []
    for key, value in data.items():
        if key in handled:
            continue
        if key == "specific":
            value = {k: v for k, v in value.items() if k not in CODEC_KEYS}
            if not value:
                continue
        out.append({"property": key, "value": value})
    return out


def _input_port(dp: DataProduct, port: InputPort) -> dict[str, Any]:
    data = native_data(port)
    src = port.source
    if isinstance(src, OutputPortSource):
        upstream = DataProductId.parse(src.data_product)
        contract_id, ver = str(upstream.component(src.port)), str(src.version)
        handled = {"kind", "name", "tags", "source"}
    else:
        contract_id, ver, handled = dp.component_id(port), dp.version, {"kind", "name", "tags"}
    extra = dict(port.specific.get(FORMAT) or {})
    out = prune(
        {
            "name": port.name,
            "version": extra.pop("version", ver),
            "contractId": contract_id,
            "tags": port.tags,
            "customProperties": _extras(data, handled),
        }
    )
    return merge(out, extra)


def _output_port(dp: DataProduct, port: OutputPort | BoundaryPort) -> dict[str, Any]:
    data = native_data(port)
    handled = {"name", "description", "type", "version", "dataContract", "tags"}
    if isinstance(port, OutputPort):
        handled.add("kind")
    else:
        data["kind"] = "boundaryPort"
    extra = dict(port.specific.get(FORMAT) or {})
    out = prune(
        {
            "name": extra.pop("name", port.name),
            "description": port.description,
            "type": extra.pop("type", PORT_TYPE_OUT[port.type]),
            "version": port.version or dp.version,
            "contractId": extra.pop("contractId", dp.component_id(port)),
            "tags": port.tags,
            "customProperties": _extras(data, handled),
        }
    )
    return merge(out, extra)


def write_product(dp: DataProduct) -> dict[str, Any]:
    """The ODPS v1.0.0 document of a data product (contracts are separate files)."""
    extra = dict(dp.specific.get(FORMAT) or {})
    source = dp.specific.get(SOURCE) or {}
    source = source if source.get("format") == FORMAT else {}
    status = restore(source, "status", STATUS_TO_ODCS[dp.status], lambda raw: STATUS_TO_ODCS[STATUS_IN[raw.lower()]])
    data = dp.to_data()
    custom = [{"property": k, "value": data[k]} for k in DP_CUSTOM if k in data and k != "specific"]
    specific = own_specific(dp.specific, FORMAT)
    if specific:
        custom.append({"property": "specific", "value": specific})
    outputs: list[OutputPort | BoundaryPort] = [c for c in dp.components if isinstance(c, OutputPort | BoundaryPort)]
    inputs, observers = dp.input_ports, dp.observability
    others = [c for c in dp.components if not isinstance(c, InputPort | OutputPort | BoundaryPort | Observability)]
    if others:
        custom.append({"property": "components", "value": [native_data(c) for c in others]})
    natural = [c.name for c in [*inputs, *outputs, *observers, *others]]
    if natural != [c.name for c in dp.components]:
        custom.append({"property": "componentOrder", "value": [c.name for c in dp.components]})
    support: list[Any] = list(extra.pop("support", None) or [])
    if dp.email and not any(isinstance(s, dict) and s.get("url") == f"mailto:{dp.email}" for s in support):
        support.insert(0, email_channel(dp.email))
    owner = merge(
        prune({"username": dp.owner, "name": dp.owner_display_name, "role": "owner"}),
        extra.pop("teamOwner", None) or {},
    )
    team = merge(prune({"name": dp.owner_group, "members": [owner]}), extra.pop("team", None) or {})
    management = [
        prune(
            {
                "name": o.name,
                "content": "observability",
                "type": "rest",
                "url": o.endpoint,
                "description": o.description,
                "tags": o.tags,
                "customProperties": _extras(native_data(o), {"kind", "name", "endpoint", "description", "tags"}),
            }
        )
        for o in observers
    ]
    doc = prune(
        {
            "apiVersion": API_VERSION,
            "kind": "DataProduct",
            "id": restore(source, "id", dp.id, lambda _: source.get("nativeId")),
            "name": restore(source, "name", dp.name, slugify),
            "status": status,
            "version": restore(source, "version", dp.version, lambda raw: raw.lstrip("vV")),
            "domain": restore(source, "domain", dp.domain, slugify),
            "description": merge(prune({"purpose": dp.description}), extra.pop("description", None) or {}),
            "tags": dp.tags,
            "inputPorts": [_input_port(dp, p) for p in inputs] + list(extra.pop("inputPorts", None) or []),
            "outputPorts": [_output_port(dp, p) for p in outputs],
            "managementPorts": management + list(extra.pop("managementPorts", None) or []),
            "support": support,
            "team": team,
            "customProperties": custom,
        }
    )
    return merge(doc, extra)


def write(dp: DataProduct) -> dict[str, str]:
    """``<name>.odps.yaml`` plus one ``<port>.odcs.yaml`` per output and boundary port."""
    files = {f"{dp.name}.odps.yaml": to_yaml(write_product(dp))}
    for port in dp.components:
        if isinstance(port, OutputPort | BoundaryPort):
            contract_id = (port.specific.get(FORMAT) or {}).get("contractId")
            files[contract_file(port)] = to_yaml(write_contract(dp, port, contract_id=contract_id))
    return files
