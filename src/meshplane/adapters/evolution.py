"""What a change to an output port does to its table: nothing, an in-place update, or a replacement.

Additive changes keep every existing row valid and readable by existing consumers: a new nullable column,
a required column relaxed to nullable, constraints and descriptions. Everything else would rewrite or
invalidate data that exists — a dropped or retyped column, a nullable column made required, a new required
column (old rows have no value), a table that moves — and needs a new major version, which runs beside
the old one (a new data product id, a new table). Adapters describe a table as a :class:`TableSpec`; the
same comparison serves ``plan`` (previous descriptor vs. current) and ``provision`` (live table vs.
current), so what the plan promises is what provisioning does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from meshplane.adapters.base import Operation
from meshplane.errors import InvalidInputError


class BreakingChangeError(InvalidInputError):
    """A change that cannot be applied in place; the fix is a new major version."""


@dataclass(frozen=True)
class ColumnShape:
    name: str
    #: A comparable type spelling in the adapter's own terms (canonical Arrow type, ``format_type`` …).
    type: str
    nullable: bool


@dataclass
class TableSpec:
    """Everything about a table an adapter converges: where, columns, constraints, properties."""

    location: str
    columns: list[ColumnShape]
    #: Constraint name → definition (names carry a hash of the meaning; see ``constraints``).
    constraints: dict[str, str] = field(default_factory=dict)
    #: Descriptions, comments, table properties: changing them never touches data.
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class SchemaChange:
    added: list[ColumnShape] = field(default_factory=list)
    relaxed: list[str] = field(default_factory=list)
    breaking: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.relaxed or self.breaking)


def diff_columns(current: Sequence[ColumnShape], desired: Sequence[ColumnShape]) -> SchemaChange:
    """How to get from ``current`` columns to ``desired`` ones; column order does not matter."""
    change = SchemaChange()
    have = {c.name: c for c in current}
    want = {c.name: c for c in desired}
    for name in have.keys() - want.keys():
        change.breaking.append(f"column `{name}` would be dropped")
    for col in desired:
        old = have.get(col.name)
        if old is None:
            if col.nullable:
                change.added.append(col)
            else:
                change.breaking.append(f"new column `{col.name}` is required, but existing rows have no value for it")
            continue
        if old.type != col.type:
            change.breaking.append(f"column `{col.name}` would change type from {old.type} to {col.type}")
        elif old.nullable and not col.nullable:
            change.breaking.append(f"column `{col.name}` would become required, but existing rows may hold nulls")
        elif not old.nullable and col.nullable:
            change.relaxed.append(col.name)
    change.breaking.sort()
    return change


def plan_change(previous: TableSpec | None, desired: TableSpec) -> Operation:
    """CREATE without a previous spec; REPLACE for breaking changes; UPDATE for additive ones; else NOOP."""
    if previous is None:
        return Operation.CREATE
    if previous.location != desired.location:
        return Operation.REPLACE
    change = diff_columns(previous.columns, desired.columns)
    if change.breaking:
        return Operation.REPLACE
    if not change.empty or previous.constraints != desired.constraints or previous.properties != desired.properties:
        return Operation.UPDATE
    return Operation.NOOP


def refuse_breaking(component_id: str, where: str, change: SchemaChange, major: int) -> None:
    """Raise when ``change`` cannot be applied in place, naming every reason and the way out."""
    if change.breaking:
        raise BreakingChangeError(
            f"{component_id}: {where} cannot change in place: " + "; ".join(change.breaking),
            hint=f"this needs a new major version: set `version: {major + 1}.0.0` (a new data product id and a new "
            "table beside this one), or undo the change",
        )


def changed_keys(current: Mapping[str, str], desired: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(keys to set, keys to remove) to turn ``current`` into ``desired``."""
    to_set = sorted(k for k, v in desired.items() if current.get(k) != v)
    to_remove = sorted(k for k in current if k not in desired)
    return to_set, to_remove
