"""Native data contracts → ODCS v3.1.0 documents, one schema object per contract.

Export is deterministic: a native contract always gives the same document, so the exported file can be
committed and diffed. What an ODCS import kept under ``specific`` (servers, team, relationships …) is merged
back with :func:`~meshplane.spec.codecs.common.merge`; identity fields it kept (a UUID id, a v3.2.0
apiVersion) override the derived ones.
"""

from __future__ import annotations

from typing import Any

from meshplane.spec.codecs.common import merge, prune, to_yaml
from meshplane.spec.codecs.odcs import (
    API_VERSION,
    IDENTITY,
    NEAREST_TYPE,
    PORT_PHYSICAL_TYPE,
    STATUS_TO_ODCS,
    TERMS_CUSTOM,
    TERMS_TEXT,
)
from meshplane.spec.codecs.odcs_quality import write_quality
from meshplane.spec.codecs.odcs_sla import write_sla
from meshplane.spec.model import BoundaryPort, DataContract, DataProduct, OutputPort


def contract_to_odcs(
    contract: DataContract,
    *,
    schema_name: str,
    identity: dict[str, Any],
    physical_type: str = "table",
    specific: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ODCS v3.1.0 document for one contract, with ``specific`` (from ``odcs.read_contracts``) merged back.

    ``specific["identity"]`` (the id, version … a foreign file had) overrides ``identity``.
    """
    extra = dict(specific or {})
    identity = {**identity, **(extra.pop("identity", None) or {})}
    by_column, options, schema_rules, freshness = write_quality(contract, schema_name)
    pk = [c.name for c in contract.columns if c.primary_key]
    props_extra: dict[str, Any] = extra.get("properties") or {}
    properties = []
    for column in contract.columns:
        prop: dict[str, Any] = {"name": column.name, "logicalType": NEAREST_TYPE.get(column.type, column.type.value)}
        if column.physical_type:
            prop["physicalType"] = column.physical_type
        if column.name in options:
            prop["logicalTypeOptions"] = options[column.name]
        prop["required"] = column.required
        if column.unique:
            prop["unique"] = True
        if column.primary_key:
            prop["primaryKey"] = True
            prop["primaryKeyPosition"] = pk.index(column.name) + 1
        if column.description:
            prop["description"] = column.description
        if column.classification:
            prop["classification"] = column.classification.value
        custom = []
        if column.polyseme:
            custom.append({"property": "polyseme", "value": column.polyseme})
        if column.type in NEAREST_TYPE:
            custom.append({"property": "nativeType", "value": column.type.value})
        properties.append(
            merge(
                prune(
                    {
                        **prop,
                        "tags": column.tags,
                        "examples": column.examples,
                        "quality": by_column.get(column.name),
                        "customProperties": custom,
                    }
                ),
                props_extra.get(column.name) or {},
            )
        )
    schema_custom = [{"property": "bitemporal", "value": contract.bitemporal.to_data()}] if contract.bitemporal else []
    schema_extra = dict(extra.get("schema") or {})
    schema_obj = merge(
        prune(
            {
                "name": schema_name,
                "physicalType": schema_extra.pop("physicalType", physical_type),
                "properties": properties,
                "quality": schema_rules,
                "customProperties": schema_custom,
            }
        ),
        schema_extra,
    )
    terms = contract.terms.to_data() if contract.terms else {}
    description = prune(
        {
            **{k: terms[k] for k in TERMS_TEXT if k in terms},
            "customProperties": [{"property": k, "value": terms[k]} for k in TERMS_CUSTOM if k in terms],
        }
    )
    doc = prune(
        {
            "apiVersion": API_VERSION,
            "kind": "DataContract",
            **{k: identity[k] for k in IDENTITY if identity.get(k) is not None},
            "description": description,
            "schema": [schema_obj],
            "slaProperties": [*write_sla(contract.sla), *freshness],
        }
    )
    return merge(doc, extra.get("contract") or {})


def port_identity(dp: DataProduct, port: OutputPort | BoundaryPort) -> dict[str, Any]:
    """What export derives for a port's contract: the component id, the port name, the version and status."""
    return {
        "apiVersion": API_VERSION,
        "id": dp.component_id(port),
        "name": port.name,
        "version": port.version or dp.version,
        "status": STATUS_TO_ODCS[dp.status],
        "domain": dp.domain,
        "dataProduct": dp.name,
    }


def write_contract(
    dp: DataProduct, port: OutputPort | BoundaryPort, *, contract_id: str | None = None
) -> dict[str, Any]:
    """The ODCS document of one port; identity fields an import kept under ``specific.odcs`` win."""
    identity = port_identity(dp, port)
    if contract_id:
        identity["id"] = contract_id
    return contract_to_odcs(
        port.data_contract,
        schema_name=port.name,
        identity=identity,
        physical_type=PORT_PHYSICAL_TYPE[port.type],
        specific=port.specific.get("odcs"),
    )


def contract_file(port: OutputPort | BoundaryPort) -> str:
    return f"{port.name}.odcs.yaml"


def write(dp: DataProduct) -> dict[str, str]:
    """One ODCS file per output (and boundary) port."""
    ports: list[OutputPort | BoundaryPort] = [*dp.output_ports, *dp.boundary_ports]
    return {contract_file(p): to_yaml(write_contract(dp, p)) for p in ports}
