"""The catalog: every deployed data product of one environment, read once from the registry and indexed.

Built from the stored descriptors as plain dicts (they were written by ``DataProduct.to_data``, so their shape
is known): validating 10,000 pydantic models would cost seconds, and search needs only a few fields. The
product page validates its one descriptor in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from meshplane.marketplace.search import Doc, SearchIndex
from meshplane.marketplace.store import DeployedRow
from meshplane.spec.durations import parse_duration

OUTPUT_KINDS = ("outputPort", "boundaryPort")
T = TypeVar("T")


class Column(NamedTuple):
    """A column of an output port (a named tuple: a catalog holds a hundred thousand of them)."""

    port: str
    name: str
    polyseme: str | None


class Reads(NamedTuple):
    """An input port of a product reading another product's output port."""

    input_port: str
    data_product: str
    port: str


@dataclass(frozen=True)
class Entry:
    """One deployed data product, as search and the mesh-wide views need it."""

    id: str
    name: str
    domain: str
    kind: str
    version: str | None
    description: str
    owner: str
    owner_group: str | None
    declared_status: str
    status: str
    maturity: str | None
    tags: tuple[str, ...]
    polysemes: tuple[str, ...]
    output_ports: tuple[str, ...]
    columns: tuple[Column, ...]
    reads: tuple[Reads, ...]
    deployment_status: str
    deprecated_on: date | None
    retire_on: date | None
    updated_at: datetime
    #: The strictest declared freshness of its output ports (interval of change + timeliness), seconds.
    expected_seconds: float | None = None


def expected_age(ports: Iterable[Mapping[str, Any]]) -> float | None:
    """How old a port's data may be per its SLA: the interval of change plus the timeliness allowed."""
    found: list[float] = []
    for p in ports:
        sla = (p.get("dataContract") or {}).get("sla") or {}
        parts = [sla.get("intervalOfChange"), sla.get("timeliness")]
        try:
            seconds = [parse_duration(x).total_seconds() for x in parts if x is not None]
        except ValueError:
            continue
        if seconds:
            found.append(sum(seconds))
    return min(found) if found else None


def lifecycle_status(declared: str, deprecated_on: date | None, retire_on: date | None, today: date) -> str:
    """The status a consumer should see: the lifecycle dates set on the deployment win over the descriptor."""
    if retire_on is not None and retire_on <= today:
        return "retired"
    if deprecated_on is not None and deprecated_on <= today:
        return "deprecated"
    return declared


def entry(row: DeployedRow, today: date) -> Entry:
    d = row.descriptor
    comps: list[Mapping[str, Any]] = [c for c in d.get("components") or [] if isinstance(c, Mapping)]
    ports = [c for c in comps if c.get("kind") in OUTPUT_KINDS]
    columns = tuple(
        Column(str(p.get("name")), str(col.get("name")), col.get("polyseme"))
        for p in ports
        for col in (p.get("dataContract") or {}).get("columns") or []
    )
    reads = tuple(
        Reads(str(c.get("name")), str(src["dataProduct"]), str(src.get("port")))
        for c in comps
        if c.get("kind") == "inputPort"
        and isinstance(src := c.get("source"), Mapping)
        and src.get("type") == "outputPort"
        and src.get("dataProduct")
    )
    declared = str(d.get("status") or "draft")
    return Entry(
        id=row.dp_id,
        name=str(d.get("name") or row.dp_id),
        domain=str(d.get("domain") or ""),
        kind=str(d.get("kind") or ""),
        version=row.version,
        description=str(d.get("description") or ""),
        owner=str(d.get("owner") or ""),
        owner_group=d.get("ownerGroup"),
        declared_status=declared,
        status=lifecycle_status(declared, row.deprecated_on, row.retire_on, today),
        maturity=d.get("maturity"),
        tags=tuple(str(t) for t in d.get("tags") or []),
        polysemes=tuple(sorted({c.polyseme for c in columns if c.polyseme})),
        output_ports=tuple(str(p.get("name")) for p in ports),
        columns=columns,
        reads=reads,
        deployment_status=row.status,
        deprecated_on=row.deprecated_on,
        retire_on=row.retire_on,
        updated_at=row.updated_at,
        expected_seconds=expected_age(ports),
    )


def document(e: Entry, descriptor: Mapping[str, Any]) -> Doc:
    """What search looks at: names, tags, polysemes, descriptions, and column names and descriptions."""
    comps = [c for c in descriptor.get("components") or [] if isinstance(c, Mapping)]
    descriptions = [e.description] + [str(c.get("description") or "") for c in comps if c.get("kind") in OUTPUT_KINDS]
    column_text = []
    for c in comps:
        if c.get("kind") not in OUTPUT_KINDS:
            continue
        column_text.append(str(c.get("name") or ""))
        for col in (c.get("dataContract") or {}).get("columns") or []:
            column_text += [str(col.get("name") or ""), str(col.get("description") or "")]
            column_text += [str(t) for t in col.get("tags") or []]
    return Doc(
        e.id,
        {
            "name": " ".join(filter(None, [e.name, descriptor.get("fullyQualifiedName") or ""])),
            "tags": " ".join(e.tags),
            "polysemes": " ".join(e.polysemes),
            "domain": e.domain,
            "description": "\n".join(descriptions),
            "columns": "\n".join(column_text),
        },
        facets={"domain": e.domain, "kind": e.kind, "maturity": e.maturity or "unspecified", "status": e.status},
        labels={"tag": e.tags, "polyseme": e.polysemes},
    )


@dataclass
class Catalog:
    entries: list[Entry]
    index: SearchIndex
    by_id: dict[str, Entry] = field(default_factory=dict)
    #: (data product, output port) → the products and input ports reading it.
    consumers: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    built_at: datetime | None = None
    #: Each entry's position when sorted by name, and by most recently updated (sort keys for search).
    name_rank: list[int] = field(default_factory=list)
    recent_rank: list[int] = field(default_factory=list)

    def resolve(self, ref: str) -> Entry | None:
        """A product by id, or by name when only one product has that name."""
        found = self.by_id.get(ref)
        if found is not None:
            return found
        named = [e for e in self.entries if e.name == ref or f"{e.domain}/{e.name}" == ref]
        return named[0] if len(named) == 1 else None

    def consumers_of(self, dp_id: str) -> list[tuple[str, str, str]]:
        """(consumer, its input port, the port it reads) for every read of ``dp_id``'s ports."""
        entry_ = self.by_id[dp_id]
        return [(c, inp, port) for port in entry_.output_ports for c, inp in self.consumers.get((dp_id, port), [])]

    def names(self) -> list[str]:
        return [e.name for e in self.entries]


def build(rows: Sequence[DeployedRow], today: date, built_at: datetime | None = None) -> Catalog:
    entries = [entry(r, today) for r in rows]
    index = SearchIndex([document(e, r.descriptor) for e, r in zip(entries, rows, strict=True)])
    catalog = Catalog(entries, index, {e.id: e for e in entries}, built_at=built_at)
    catalog.name_rank = ranks(entries, lambda e: (e.name, e.id))
    catalog.recent_rank = ranks(entries, lambda e: (-e.updated_at.timestamp(), e.name, e.id))
    for e in entries:
        for r in e.reads:
            catalog.consumers.setdefault((r.data_product, r.port), []).append((e.id, r.input_port))
    return catalog


def ranks(items: Sequence[T], key: Callable[[T], Any]) -> list[int]:
    """Each item's position in ``sorted(items, key=key)``: a sort key that costs one list lookup."""
    order = sorted(range(len(items)), key=lambda n: key(items[n]))
    rank = [0] * len(items)
    for position, n in enumerate(order):
        rank[n] = position
    return rank


def counts(values: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for v in values:
        found[v] = found.get(v, 0) + 1
    return dict(sorted(found.items()))
