"""Small builders for descriptor data, so the demo's data products read like their YAML.

They return plain dicts with the camelCase keys of the descriptor files (not model instances): the writer
dumps them in the order written here, which keeps the generated YAML in the order a person would write it.
Every descriptor is still validated against :mod:`meshplane.spec.model` before it is written.
"""

from __future__ import annotations

from typing import Any

Data = dict[str, Any]

MAJOR = 1
OBSERVABILITY_URL = "https://observability.acme.example"


def dp_id(domain: str, name: str) -> str:
    return f"urn:dmb:dp:{domain}:{name}:{MAJOR}"


def column(
    name: str,
    type_: str,
    description: str,
    *,
    required: bool = False,
    unique: bool = False,
    primary_key: bool = False,
    key_part: bool = False,
    classification: str | None = None,
    polyseme: str | None = None,
    examples: list[Any] | None = None,
) -> Data:
    """``primary_key``: the whole key (so also unique); ``key_part``: one column of a composite key."""
    col: Data = {"name": name, "type": type_}
    if required or primary_key or key_part:
        col["required"] = True
    if unique or primary_key:
        col["unique"] = True
    if primary_key or key_part:
        col["primaryKey"] = True
    col["description"] = description
    if classification:
        col["classification"] = classification
    if polyseme:
        col["polyseme"] = polyseme
    if examples:
        col["examples"] = examples
    return col


def cid(
    description: str = "The global customer id issued by the customer MDM.",
    *,
    required: bool = True,
    primary_key: bool = False,
) -> Data:
    """A column carrying the ``customer`` polyseme: what lets consumers correlate across domains."""
    return column(
        "cid",
        "string",
        description,
        required=required,
        primary_key=primary_key,
        polyseme="customer",
        examples=["CID-100000042"],
    )


# -- quality expectations ----------------------------------------------------------------------------


def _expect(kind: str, severity: str | None, **fields: Any) -> Data:
    found: Data = {"type": kind, **{k: v for k, v in fields.items() if v is not None}}
    if severity:
        found["severity"] = severity
    return found


def not_null(col: str, *, severity: str | None = None, threshold: float | None = None) -> Data:
    return _expect("notNull", severity, column=col, threshold=threshold)


def unique(*cols: str) -> Data:
    return _expect("unique", None, columns=list(cols))


def accepted(col: str, values: list[Any]) -> Data:
    return _expect("acceptedValues", None, column=col, values=values)


def in_range(col: str, low: float | str | None = None, high: float | str | None = None) -> Data:
    return _expect("range", None, column=col, min=low, max=high)


def pattern(col: str, regex: str, *, severity: str | None = None) -> Data:
    return _expect("pattern", severity, column=col, pattern=regex)


def row_count(low: int = 1) -> Data:
    return _expect("rowCount", None, min=low)


def freshness(col: str, max_age: str) -> Data:
    """Always a warning: the demo's data ends on a fixed date, so its age grows with the calendar."""
    return _expect("freshness", "warning", column=col, maxAge=max_age)


def custom_sql(name: str, description: str, query: str) -> Data:
    """A query over the port (the relation named after it) that must return 0."""
    return {"type": "sql", "name": name, "description": description, "query": query, "mustBe": 0}


# -- contract parts and components -------------------------------------------------------------------


def sla(interval_of_change: str, timeliness: str, uptime: str) -> Data:
    return {"intervalOfChange": interval_of_change, "timeliness": timeliness, "uptime": uptime}


def terms(
    usage: str, *, limitations: str | None = None, security: str | None = None, purpose: str | None = None
) -> Data:
    found: Data = {"usage": usage}
    for key, value in (("purpose", purpose), ("limitations", limitations), ("security", security)):
        if value:
            found[key] = value
    return found


PII_SECURITY = "Columns classified pii are masked unless the grant names them."


def output_port(
    name: str,
    description: str,
    columns: list[Data],
    quality: list[Data],
    sla_: Data,
    terms_: Data,
    *,
    type_: str = "sql",
    bitemporal: tuple[str, str] | None = None,
    kind: str = "outputPort",
    consumers: list[str] | None = None,
) -> Data:
    port: Data = {"kind": kind, "name": name, "description": description, "type": type_}
    if consumers is not None:
        port["consumers"] = consumers
    port["dependsOn"] = ["build"]
    contract: Data = {"columns": columns, "quality": quality, "sla": sla_, "terms": terms_}
    if bitemporal:
        contract["bitemporal"] = {"validFrom": bitemporal[0], "validTo": bitemporal[1]}
    port["dataContract"] = contract
    return port


def from_port(name: str, domain: str, product: str, port: str, description: str) -> Data:
    return {
        "kind": "inputPort",
        "name": name,
        "description": description,
        "source": {"type": "outputPort", "dataProduct": dp_id(domain, product), "port": port},
    }


def from_table(name: str, system: str, url: str, table: str, description: str) -> Data:
    return {
        "kind": "inputPort",
        "name": name,
        "description": description,
        "source": {"type": "database", "system": system, "url": url, "table": table},
    }


def from_files(name: str, system: str, path: str, fmt: str, description: str) -> Data:
    return {
        "kind": "inputPort",
        "name": name,
        "description": description,
        "source": {"type": "files", "system": system, "path": path, "format": fmt},
    }


def workload(reads: list[str], writes: list[str], schedule: str, description: str) -> Data:
    """The ``build`` workload: one SQL file per written port, ``sql/<port>.sql`` next to the descriptor."""
    return {
        "kind": "workload",
        "name": "build",
        "description": description,
        "reads": reads,
        "writes": writes,
        "sql": {port: f"sql/{port}.sql" for port in writes},
        "schedule": schedule,
    }


def observability(domain: str, name: str) -> Data:
    return {
        "kind": "observability",
        "name": "health",
        "description": "Run metrics and contract check results.",
        "endpoint": f"{OBSERVABILITY_URL}/{domain}/{name}",
    }


def data_product(
    domain: str,
    name: str,
    kind: str,
    description: str,
    *,
    owner: str,
    owner_group: str,
    tags: list[str],
    components: list[Data],
    maturity: str = "strategic",
) -> Data:
    return {
        "apiVersion": "meshplane/v1",
        "id": dp_id(domain, name),
        "name": name,
        "description": description,
        "domain": domain,
        "kind": kind,
        "version": "1.0.0",
        "owner": owner,
        "ownerGroup": owner_group,
        "supportSla": {"supportHours": "Mon-Fri 08:00-18:00 CET", "responseTime": "4h", "resolutionTime": "2WD"},
        "status": "published",
        "maturity": maturity,
        "tags": tags,
        "components": components,
    }
