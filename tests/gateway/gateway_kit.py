"""Real Delta tables with known PII for the gateway tests, hand-made grants, and a leak detector.

``hr.staff.people`` has 20 rows: even ids are region EU (the consumer's grant admits them), odd ids US. Every
PII value (name, email, ssn) is unique and recognisable, and so is every value a US row alone carries
(``secret_code`` "US-ONLY-…", ``salary`` 7,000,000 + id): a leak is any such value in a result or an error.
Version 0 of the table holds *older* PII ("OLD-…"), so time travel is checked too. ``hr.staff.payroll``
exists but is never granted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa
from deltalake import write_deltalake

from meshplane.access.model import PortGrant
from meshplane.errors import NotFoundError
from meshplane.gateway import PortRef

PEOPLE = PortRef("urn:dmb:dp:hr:staff:1", "people")
PAYROLL = PortRef("urn:dmb:dp:hr:staff:1", "payroll")
ROWS = 20
EU_FILTER = "region = 'EU'"
#: The same rows, but a filter without a pyarrow form: the SQL fallback path.
EU_FILTER_FALLBACK = "region = 'EU' AND CAST(id AS VARCHAR) <> 'none'"
MASKS = {"name": "hash", "email": "redact", "ssn": "null"}


def people(version: int) -> pa.Table:
    prefix = "OLD-" if version == 0 else ""
    ids = list(range(ROWS))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "name": [f"{prefix}Name-{i}-Secret" for i in ids],
            "email": [f"{prefix}user{i}@secret.example" for i in ids],
            "ssn": [f"{prefix}SSN-{i:04d}-XYZ" for i in ids],
            "region": ["EU" if i % 2 == 0 else "US" for i in ids],
            "secret_code": [f"EU-OK-{i}" if i % 2 == 0 else f"US-ONLY-{i}" for i in ids],
            "salary": pa.array([50_000 + i if i % 2 == 0 else 7_000_000 + i for i in ids], pa.int64()),
            "hired": pa.array([date(2020, 1, 1 + i) for i in ids], pa.date32()),
            "updated_at": pa.array(
                [datetime(2024, 1, 1, 12, i, tzinfo=UTC) for i in ids], pa.timestamp("us", tz="UTC")
            ),
        }
    )


def payroll() -> pa.Table:
    return pa.table({"id": pa.array(range(ROWS), pa.int64()), "iban": [f"PAYROLL-SECRET-{i}" for i in range(ROWS)]})


@dataclass
class World:
    """The tables and what counts as a leak."""

    root: Path
    paths: dict[PortRef, str]
    pii: set[str] = field(default_factory=set)
    us_only: set[str] = field(default_factory=set)
    us_salaries: set[int] = field(default_factory=set)

    def directory(self) -> DictPorts:
        return DictPorts(self.paths)

    def leaks(self, values: Iterable[Any]) -> list[str]:
        """Every value that is unmasked PII, a US-only value, or a payroll secret."""
        found = []
        for value in values:
            if isinstance(value, str):
                if any(secret in value for secret in self.pii | self.us_only) or "PAYROLL-SECRET" in value:
                    found.append(value)
            elif isinstance(value, int) and not isinstance(value, bool) and value in self.us_salaries:
                found.append(str(value))
        return found


def build_world(root: Path) -> World:
    people_path, payroll_path = root / "people", root / "payroll"
    write_deltalake(str(people_path), people(0))
    time.sleep(0.01)  # two commits a moment apart, so time travel by timestamp can tell them apart
    write_deltalake(str(people_path), people(1), mode="overwrite")
    write_deltalake(str(payroll_path), payroll())
    world = World(root, {PEOPLE: str(people_path), PAYROLL: str(payroll_path)})
    for version in (0, 1):
        table = people(version)
        for column in ("name", "email", "ssn"):
            world.pii.update(table.column(column).to_pylist())
    ids = people(1).column("id").to_pylist()
    world.us_only = {f"US-ONLY-{i}" for i in ids if i % 2}
    world.us_salaries = {7_000_000 + i for i in ids if i % 2}
    return world


class DictPorts:
    """A port directory over a dict (the service uses the registry)."""

    def __init__(self, paths: Mapping[PortRef, str]) -> None:
        self.paths = dict(paths)

    def location(self, ref: PortRef) -> str:
        if ref not in self.paths:
            raise NotFoundError(f"{ref} is not deployed")
        return self.paths[ref]

    def deployed(self) -> Iterator[PortRef]:
        return iter(self.paths)

    def columns(self, ref: PortRef) -> frozenset[str] | None:
        return None  # no contracts here: consumers see what the table stores, masks applied


def grant(
    ref: PortRef = PEOPLE,
    *,
    row_filter: str | None = EU_FILTER,
    masks: Mapping[str, str] | None = None,
    grant_id: str = "1",
    environment: str = "dev",
    expires_at: datetime | None = None,
) -> PortGrant:
    return PortGrant(
        dp_id=ref.dp_id,
        port=ref.port,
        environment=environment,
        row_filter=row_filter,
        masks=MappingProxyType(dict(MASKS if masks is None else masks)),
        grant_id=grant_id,
        expires_at=expires_at,
    )


def cells(table: pa.Table) -> list[Any]:
    """Every value of a result, nested values flattened."""
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        else:
            found.append(value)

    for column in table.columns:
        for value in column.to_pylist():
            walk(value)
    return found
