"""The runtime facade the CLI and the REST API call: run, list runs, quarantine, versions, restore, read.

Ports are named ``DP.PORT``, where DP is a data product's id, ``domain/name`` or name (``orders.orders``,
``urn:dmb:dp:sales:orders:1.orders``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.provisioning.service import Session
from meshplane.registry import RunRecord
from meshplane.runtime import quarantine as quarantine_area
from meshplane.runtime import timetravel
from meshplane.runtime.context import Port, context, port_of
from meshplane.runtime.runner import BatchResult, Progress, run, run_all
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.model import DataProduct


def parse_pins(items: Sequence[str]) -> dict[str, int]:
    """``["customers=12"]`` → ``{"customers": 12}``."""
    pins: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip().isdigit():
            raise InvalidInputError(f"--pin {item}: expected PORT=VERSION", hint="e.g. --pin customers=12")
        pins[name.strip()] = int(value)
    return pins


def run_products(
    session: Session,
    refs: Sequence[str] | None,
    *,
    every: bool = False,
    pins: dict[str, int] | None = None,
    recover: bool = False,
    overwrite: str | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    if not refs and not every:
        raise InvalidInputError("name the data products to run, or pass --all", hint="e.g. meshplane run orders")
    if recover or overwrite:
        chosen = session.select(list(refs or []))
        if len(chosen) != 1 or every:
            raise InvalidInputError(
                "--recover and --overwrite apply to one data product", hint="name exactly one data product"
            )
        record = run(session, chosen[0], pins=pins, recover=recover, overwrite_run=overwrite, progress=progress)
        return BatchResult([record])
    if pins and not any(p.name in pins for dp in session.select(list(refs or [])) for p in dp.input_ports):
        raise InvalidInputError(f"no data product to run has an input port named {', '.join(pins)}")
    return run_all(session, None if every else list(refs or []), pins=pins, progress=progress)


def product(session: Session, ref: str) -> DataProduct:
    found = session.workspace.find(ref)
    if found is not None:
        return found
    deployed = session.coordinator.deployed(ref)
    if deployed is not None:
        return deployed
    names = [m.name for _, m in session.workspace.models()]
    raise NotFoundError(f"no data product `{ref}`", hint=did_you_mean(ref, names) or "see `meshplane status`")


def runs(session: Session, ref: str, *, limit: int = 20) -> list[RunRecord]:
    dp = product(session, ref)
    return session.registry.runs.recent(dp.id, session.coordinator.target.environment, limit=limit)


def port_ref(session: Session, text: str) -> tuple[DataProduct, Port]:
    """``DP.PORT`` → the data product and its port (split at the last dot that names both)."""
    for i in [i for i, ch in enumerate(text) if ch == "."][::-1]:
        dp = session.workspace.find(text[:i]) or session.coordinator.deployed(text[:i])
        if dp is not None and dp.port(text[i + 1 :]) is not None:
            return dp, port_of(session, dp, text[i + 1 :])
    raise NotFoundError(
        f"no port `{text}`", hint="name it DP.PORT, e.g. orders.orders (see `meshplane status` for the ports)"
    )


@dataclass
class Quarantined:
    port: str
    rows: pa.Table

    def to_dict(self) -> dict[str, Any]:
        return {"port": self.port, "rows": self.rows.num_rows, "data": self.rows.to_pylist()}


def quarantined(
    session: Session, ref: str, *, port: str | None = None, run_id: str | None = None, limit: int = 20
) -> list[Quarantined]:
    dp = product(session, ref)
    ctx = context(session, dp)
    if port is not None and port not in ctx.ports:
        raise NotFoundError(f"{dp.id} has no port `{port}` written by a run", hint=f"ports: {', '.join(ctx.ports)}")
    if run_id is not None:
        run_id = session.registry.runs.get(run_id, dp.id).run_id
    names = [port] if port else list(ctx.ports)
    return [Quarantined(n, quarantine_area.read(ctx.product, n, run_id=run_id, limit=limit)) for n in names]


def versions(session: Session, ref: str, *, limit: int = 50) -> tuple[str, list[timetravel.PortVersion]]:
    dp, port = port_ref(session, ref)
    return f"{dp.id}.{port.name}", timetravel.versions(port.uri, f"{dp.id} port `{port.name}`", limit=limit)


def restore(session: Session, ref: str, version: int) -> tuple[str, int]:
    """Restore a port to ``version`` (a new version with that content); audited."""
    dp, port = port_ref(session, ref)
    actor = session.coordinator.target.actor
    what = f"{dp.id} port `{port.name}`"
    new = timetravel.restore(port.uri, what, version, actor=actor)
    details = {"environment": session.coordinator.target.environment, "restored": version, "newVersion": new}
    session.registry.audit(actor, "port.restored", f"{dp.id}.{port.name}", details)
    return f"{dp.id}.{port.name}", new


def parse_time(text: str, what: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{what} `{text}` is not a date or time", hint="write 2024-05-01 or 2024-05-01T10:00"
        ) from None


def read(
    session: Session,
    ref: str,
    *,
    version: int | None = None,
    as_of: str | None = None,
    valid_at: str | None = None,
    limit: int | None = 100,
) -> tuple[str, int, pa.Table]:
    """``(DP.PORT, version read, rows)``: as of a version or a time, valid at a time (bi-temporal ports)."""
    if version is not None and as_of is not None:
        raise InvalidInputError("--version and --as-of do not go together", hint="give one of them")
    dp, port = port_ref(session, ref)
    when: date | datetime | None = None
    if valid_at is not None:
        moment = parse_time(valid_at, "--valid-at")
        when = moment.date() if len(valid_at.strip()) == 10 else moment
    at, table = timetravel.read(
        port.uri,
        f"{dp.id} port `{port.name}`",
        version=version,
        as_of=parse_time(as_of, "--as-of") if as_of else None,
        valid_at=when,
        bitemporal=port.contract.bitemporal,
        limit=limit,
    )
    return f"{dp.id}.{port.name}", at, table
