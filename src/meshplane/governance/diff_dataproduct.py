"""Breaking-change rules between two versions of a data product."""

from __future__ import annotations

from meshplane.errors import InvalidInputError
from meshplane.governance.changes import CONSUMER, EVERYONE, NOBODY, Change, ChangeType
from meshplane.governance.diff_contract import diff_contract
from meshplane.spec.model import BoundaryPort, DataProduct, OutputPort

Port = OutputPort | BoundaryPort


def diff_dataproducts(old: DataProduct, new: DataProduct) -> list[Change]:
    """Every change from ``old`` to ``new``, classified. Different data products are refused."""
    if (old.domain, old.name) != (new.domain, new.name):
        raise InvalidInputError(
            f"{old.id} and {new.id} are different data products",
            hint="diff two versions of the same data product (same domain and name)",
        )
    changes: list[Change] = []
    for attr in ("kind", "owner", "owner_group", "status", "description"):
        was, now = getattr(old, attr), getattr(new, attr)
        if was != now:
            label = attr.replace("_g", "G")
            changes.append(
                Change(
                    ChangeType.CHANGED,
                    label,
                    f"{label} changed",
                    NOBODY,
                    getattr(was, "value", was),
                    getattr(now, "value", now),
                )
            )
    ports_before = {p.name: p for p in old.output_ports + old.boundary_ports}
    ports_after = {p.name: p for p in new.output_ports + new.boundary_ports}
    renamed: set[str] = set()
    for name, port in ports_before.items():
        if name in ports_after:
            continue
        twin = next(
            (
                n
                for n, p in ports_after.items()
                if n not in ports_before
                and n not in renamed
                and p.kind == port.kind
                and p.data_contract.columns == port.data_contract.columns
            ),
            None,
        )
        label = "boundary port" if isinstance(port, BoundaryPort) else "output port"
        if twin is not None:
            renamed.add(twin)
            changes.append(
                Change(
                    ChangeType.RENAMED, f"ports.{name}", f"{label} `{name}` renamed to `{twin}`", EVERYONE, name, twin
                )
            )
        else:
            changes.append(
                Change(ChangeType.REMOVED, f"ports.{name}", f"{label} `{name}` removed", CONSUMER, name, None)
            )
    for name, port in ports_after.items():
        if name not in ports_before and name not in renamed:
            label = "boundary port" if isinstance(port, BoundaryPort) else "output port"
            changes.append(
                Change(ChangeType.ADDED, f"ports.{name}", f"{label} `{name}` added", NOBODY, None, name, addition=True)
            )
    for name, before in ports_before.items():
        after = ports_after.get(name)
        if after is None:
            continue
        if before.kind != after.kind:
            changes.append(
                Change(
                    ChangeType.CHANGED,
                    f"ports.{name}.kind",
                    f"`{name}` changed from {before.kind} to {after.kind}",
                    CONSUMER if after.kind == "boundaryPort" else NOBODY,
                    before.kind,
                    after.kind,
                )
            )
        if before.type != after.type:
            changes.append(
                Change(
                    ChangeType.CHANGED,
                    f"ports.{name}.type",
                    f"`{name}` changed from {before.type.value} to {after.type.value}",
                    EVERYONE,
                    before.type.value,
                    after.type.value,
                )
            )
        changes += diff_contract(before.data_contract, after.data_contract, f"ports.{name}")
    inputs_before = {p.name for p in old.input_ports}
    inputs_after = {p.name for p in new.input_ports}
    for name in sorted(inputs_before - inputs_after):
        changes.append(Change(ChangeType.REMOVED, f"inputPorts.{name}", f"input port `{name}` removed"))
    for name in sorted(inputs_after - inputs_before):
        changes.append(Change(ChangeType.ADDED, f"inputPorts.{name}", f"input port `{name}` added"))
    return changes
