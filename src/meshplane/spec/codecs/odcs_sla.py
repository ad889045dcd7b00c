"""ODCS v3 SLA properties ↔ the native SLA and freshness expectations.

ODCS lists SLA facts as ``{property, value, unit, element}``; the native contract has three SLA fields
(how often the data changes, how late it may be, how often the port is up) and a per-column freshness
expectation. Properties with no native field (retention, end of support …) are returned untouched so the
caller keeps them and an export writes them back.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from meshplane.spec.codecs.common import FieldPath, Reporter, text
from meshplane.spec.codecs.odcs_quality import expectation
from meshplane.spec.codecs.values import join_duration, split_duration
from meshplane.spec.model import Freshness, Sla

#: Native SLA field ↔ ODCS SLA property (the first name is the one written).
SLA_PROPERTIES: dict[str, tuple[str, ...]] = {
    "intervalOfChange": ("frequency", "intervalofchange"),
    "timeliness": ("latency", "timeliness"),
    "uptime": ("availability", "uptime"),
}


def read_sla(
    props: list[Any], rep: Reporter, path: FieldPath
) -> tuple[dict[str, str], list[tuple[str, Freshness]], list[Any]]:
    """(native SLA fields, (element, freshness) pairs, properties left as they were)."""
    sla: dict[str, str] = {}
    freshness: list[tuple[str, Freshness]] = []
    kept: list[Any] = []
    for i, prop in enumerate(props):
        where = (*path, i)
        name = (text(prop.get("property")) or "").lower() if isinstance(prop, dict) else ""
        field = next((f for f, names in SLA_PROPERTIES.items() if name in names), None)
        if field is not None and field not in sla:
            value = _sla_value(field, prop)
            try:
                Sla.model_validate({field: value})
            except ValidationError as exc:
                rep.warning(where, f"SLA `{name}` `{value}` cannot be read: {exc.errors()[0]['msg']}; kept as written")
                kept.append(prop)
                continue
            sla[field] = value
        elif name in ("freshness", "maxage") and text(prop.get("element")):
            element = text(prop["element"]) or ""
            item = expectation(
                {
                    "type": "freshness",
                    "column": element.split(",")[0].split(".")[-1].strip(),
                    "maxAge": join_duration(prop.get("value"), text(prop.get("unit"))),
                    **({"description": text(prop["description"])} if text(prop.get("description")) else {}),
                },
                rep,
                where,
            )
            if isinstance(item, Freshness):
                freshness.append((element, item))
            else:
                kept.append(prop)
        else:
            kept.append(prop)
    names = sorted({str(p.get("property")) for p in kept if isinstance(p, dict)})
    if names:
        rep.info(path, f"SLA properties with no native field are kept as written: {', '.join(names)}")
    return sla, freshness, kept


def _sla_value(field: str, prop: dict[str, Any]) -> str:
    value, unit = prop.get("value"), text(prop.get("unit"))
    if field != "uptime":
        return join_duration(value, unit)
    if isinstance(value, int | float) and not isinstance(value, bool) and unit is None and 0 < value <= 1:
        value = round(value * 100, 6)  # a fraction (0.999) rather than a percentage
    return f"{text(value)}%" if "%" not in (text(value) or "") else text(value) or ""


def write_sla(sla: Sla | None) -> list[dict[str, Any]]:
    if sla is None:
        return []
    found: list[dict[str, Any]] = []
    for field, names in SLA_PROPERTIES.items():
        value = sla.to_data().get(field)
        if value is None:
            continue
        if field == "uptime":
            number = value.rstrip("%").strip()
            found.append(
                {"property": names[0], "value": float(number) if "." in number else int(number), "unit": "percent"}
            )
            continue
        amount, unit = split_duration(value)
        found.append({"property": names[0], "value": amount, **({"unit": unit} if unit else {})})
    return found
