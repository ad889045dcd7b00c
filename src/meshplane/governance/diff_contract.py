"""Breaking-change rules for one data contract (an output port's, or an ODCS schema object's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meshplane.governance.changes import (
    CONSUMER,
    EVERYONE,
    NOBODY,
    PRODUCER,
    Change,
    ChangeType,
    loosen_or_tighten,
)
from meshplane.spec.durations import parse_duration, parse_percent
from meshplane.spec.model import (
    AcceptedValues,
    Column,
    CustomSql,
    DataContract,
    Expectation,
    Freshness,
    Pattern,
    Range,
    RowCount,
    Sla,
)


def diff_contract(old: DataContract, new: DataContract, prefix: str) -> list[Change]:
    changes = _columns(old.columns, new.columns, f"{prefix}.columns")
    changes += _quality(old, new, f"{prefix}.quality")
    changes += _sla(old.sla, new.sla, f"{prefix}.sla")
    if old.terms != new.terms:
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{prefix}.terms",
                "terms of use changed",
                NOBODY,
                _dump(old.terms),
                _dump(new.terms),
            )
        )
    if old.bitemporal != new.bitemporal:
        if new.bitemporal is None:
            changes.append(
                Change(
                    ChangeType.REMOVED,
                    f"{prefix}.bitemporal",
                    "bi-temporal reads are no longer offered",
                    CONSUMER,
                    _dump(old.bitemporal),
                    None,
                )
            )
        elif old.bitemporal is None:
            changes.append(
                Change(
                    ChangeType.ADDED,
                    f"{prefix}.bitemporal",
                    "bi-temporal columns added",
                    NOBODY,
                    None,
                    _dump(new.bitemporal),
                )
            )
        else:
            changes.append(
                Change(
                    ChangeType.CHANGED,
                    f"{prefix}.bitemporal",
                    "bi-temporal columns changed",
                    EVERYONE,
                    _dump(old.bitemporal),
                    _dump(new.bitemporal),
                )
            )
    return changes


def _dump(value: Any) -> Any:
    return value.to_data() if value is not None and hasattr(value, "to_data") else value


def _columns(old: list[Column], new: list[Column], prefix: str) -> list[Change]:
    before = {c.name: (i, c) for i, c in enumerate(old)}
    after = {c.name: (i, c) for i, c in enumerate(new)}
    removed = [n for n in before if n not in after]
    added = [n for n in after if n not in before]
    changes: list[Change] = []
    renamed: set[str] = set()
    for name in removed:  # same position and shape under a new name reads as a rename
        index, column = before[name]
        twin = next(
            (a for a in added if a not in renamed and after[a][0] == index and _shape(after[a][1]) == _shape(column)),
            None,
        )
        if twin is not None:
            renamed.add(twin)
            changes.append(
                Change(
                    ChangeType.RENAMED, f"{prefix}.{name}", f"column `{name}` renamed to `{twin}`", EVERYONE, name, twin
                )
            )
        else:
            changes.append(
                Change(
                    ChangeType.REMOVED, f"{prefix}.{name}", f"column `{name}` removed", CONSUMER, column.to_data(), None
                )
            )
    for name in added:
        if name in renamed:
            continue
        column = after[name][1]
        changes.append(
            Change(
                ChangeType.ADDED,
                f"{prefix}.{name}",
                f"column `{name}` added" + (" as required" if column.required else ""),
                PRODUCER if column.required else NOBODY,
                None,
                column.to_data(),
                addition=True,
            )
        )
    for name in before:
        if name in after:
            changes += _column(before[name][1], after[name][1], f"{prefix}.{name}")
    return changes


def _shape(column: Column) -> tuple[Any, ...]:
    return (column.type, column.required, column.unique, column.primary_key, column.polyseme)


def _column(old: Column, new: Column, path: str) -> list[Change]:
    changes = []
    name = old.name
    if old.type != new.type:
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.type",
                f"type of `{name}` changed from {old.type.value} to {new.type.value}",
                EVERYONE,
                old.type.value,
                new.type.value,
            )
        )
    if (
        (old.physical_type or "").upper() != (new.physical_type or "").upper()
        and old.physical_type
        and new.physical_type
    ):
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.physicalType",
                f"physical type of `{name}` changed from {old.physical_type} to {new.physical_type}",
                EVERYONE,
                old.physical_type,
                new.physical_type,
            )
        )
    for attr, label in (("required", "required"), ("unique", "unique")):
        was, now = getattr(old, attr), getattr(new, attr)
        if was != now:
            what = f"`{name}` is {'now' if now else 'no longer'} {label}"
            changes.append(Change(ChangeType.CHANGED, f"{path}.{attr}", what, loosen_or_tighten(was), was, now))
    if old.primary_key != new.primary_key:
        what = f"`{name}` {'joined' if new.primary_key else 'left'} the primary key (the grain of the data changed)"
        changes.append(
            Change(ChangeType.CHANGED, f"{path}.primaryKey", what, EVERYONE, old.primary_key, new.primary_key)
        )
    if old.polyseme != new.polyseme:
        if old.polyseme is None:
            changes.append(
                Change(
                    ChangeType.ADDED,
                    f"{path}.polyseme",
                    f"`{name}` now carries polyseme `{new.polyseme}`",
                    NOBODY,
                    None,
                    new.polyseme,
                )
            )
        else:
            changes.append(
                Change(
                    ChangeType.CHANGED,
                    f"{path}.polyseme",
                    f"`{name}` carried polyseme "
                    f"`{old.polyseme}`, now {f'`{new.polyseme}`' if new.polyseme else 'none'}",
                    EVERYONE,
                    old.polyseme,
                    new.polyseme,
                )
            )
    if old.classification != new.classification:
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.classification",
                f"classification of `{name}` changed",
                NOBODY,
                _value(old.classification),
                _value(new.classification),
            )
        )
    if old.description != new.description:
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.description",
                f"description of `{name}` changed",
                NOBODY,
                old.description,
                new.description,
            )
        )
    return changes


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def _key(exp: Expectation) -> str:
    target = getattr(exp, "columns", None) or [getattr(exp, "column", None)]
    if isinstance(exp, CustomSql):
        return f"sql:{exp.name or exp.query.strip()}"
    return f"{exp.type}:{','.join(str(t) for t in target if t)}"


def _keyed(expectations: list[Expectation]) -> dict[str, Expectation]:
    """Expectations by kind and column; a second one of the same kind on the same column gets ``#2``."""
    keyed: dict[str, Expectation] = {}
    for exp in expectations:
        key, n = _key(exp), 1
        while (key if n == 1 else f"{key}#{n}") in keyed:
            n += 1
        keyed[key if n == 1 else f"{key}#{n}"] = exp
    return keyed


def _quality(old: DataContract, new: DataContract, prefix: str) -> list[Change]:
    before = _keyed(old.quality)
    after = _keyed(new.quality)
    changes = []
    for key, exp in before.items():
        if key not in after:
            changes.append(
                Change(
                    ChangeType.REMOVED,
                    f"{prefix}.{key}",
                    f"expectation {key} removed (a loosened guarantee)",
                    CONSUMER,
                    exp.to_data(),
                    None,
                )
            )
    for key, exp in after.items():
        if key not in before:
            changes.append(
                Change(
                    ChangeType.ADDED,
                    f"{prefix}.{key}",
                    f"expectation {key} added (a tightened guarantee)",
                    PRODUCER,
                    None,
                    exp.to_data(),
                )
            )
        else:
            changes += _expectation(before[key], exp, f"{prefix}.{key}")
    return changes


def _bound(path: str, label: str, old: Any, new: Any, *, lower: bool) -> list[Change]:
    """A lower bound loosens when it drops or goes down; an upper bound when it drops or goes up."""
    if old == new:
        return []
    if old is None:
        return [Change(ChangeType.ADDED, path, f"{label} {new} added", PRODUCER, None, new)]
    if new is None:
        return [Change(ChangeType.REMOVED, path, f"{label} {old} removed", CONSUMER, old, None)]
    try:
        looser = _num(new) < _num(old) if lower else _num(new) > _num(old)
    except (TypeError, ValueError):
        return [Change(ChangeType.CHANGED, path, f"{label} changed from {old} to {new}", EVERYONE, old, new)]
    return [
        Change(ChangeType.CHANGED, path, f"{label} changed from {old} to {new}", loosen_or_tighten(looser), old, new)
    ]


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float(str(value))


def _expectation(old: Expectation, new: Expectation, path: str) -> list[Change]:
    changes: list[Change] = []
    if isinstance(old, AcceptedValues) and isinstance(new, AcceptedValues):
        gained = [v for v in new.values if v not in old.values]
        lost = [v for v in old.values if v not in new.values]
        if gained:
            changes.append(
                Change(
                    ChangeType.ADDED,
                    f"{path}.values",
                    f"accepted values {gained} added to `{new.column}` (consumers may meet values they do not handle)",
                    CONSUMER,
                    old.values,
                    new.values,
                )
            )
        if lost:
            changes.append(
                Change(
                    ChangeType.REMOVED,
                    f"{path}.values",
                    f"accepted values {lost} removed from `{new.column}`",
                    PRODUCER,
                    old.values,
                    new.values,
                )
            )
    elif isinstance(old, Range) and isinstance(new, Range):
        changes += _bound(f"{path}.min", f"minimum of `{new.column}`", old.min, new.min, lower=True)
        changes += _bound(f"{path}.max", f"maximum of `{new.column}`", old.max, new.max, lower=False)
    elif isinstance(old, RowCount) and isinstance(new, RowCount):
        changes += _bound(f"{path}.min", "minimum row count", old.min, new.min, lower=True)
        changes += _bound(f"{path}.max", "maximum row count", old.max, new.max, lower=False)
    elif isinstance(old, Freshness) and isinstance(new, Freshness) and old.max_age != new.max_age:
        looser = parse_duration(new.max_age) > parse_duration(old.max_age)
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.maxAge",
                f"freshness of `{new.column}` changed from {old.max_age} to {new.max_age}",
                loosen_or_tighten(looser),
                old.max_age,
                new.max_age,
            )
        )
    elif isinstance(old, Pattern) and isinstance(new, Pattern) and old.pattern != new.pattern:
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.pattern",
                f"pattern of `{new.column}` changed",
                EVERYONE,
                old.pattern,
                new.pattern,
            )
        )
    elif isinstance(old, CustomSql) and isinstance(new, CustomSql) and old.to_data() != new.to_data():
        changes.append(
            Change(ChangeType.CHANGED, path, "custom SQL expectation changed", EVERYONE, old.to_data(), new.to_data())
        )
    if old.severity != new.severity:
        looser = new.severity.value == "warning"
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.severity",
                f"severity changed from {old.severity.value} to {new.severity.value}",
                loosen_or_tighten(looser),
                old.severity.value,
                new.severity.value,
            )
        )
    if old.threshold != new.threshold:
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.threshold",
                f"allowed failing rows changed from {old.threshold}% to {new.threshold}%",
                loosen_or_tighten(new.threshold > old.threshold),
                old.threshold,
                new.threshold,
            )
        )
    return changes


def _sla(old: Sla | None, new: Sla | None, path: str) -> list[Change]:
    if old is None and new is None:
        return []
    if new is None:
        return [Change(ChangeType.REMOVED, path, "the SLA was removed", CONSUMER, _dump(old), None)]
    if old is None:
        return [Change(ChangeType.ADDED, path, "an SLA was added", PRODUCER, None, _dump(new))]
    changes: list[Change] = []
    fields: tuple[tuple[str, str, Callable[[Any], float], bool], ...] = (
        ("interval_of_change", "intervalOfChange", lambda v: parse_duration(v).total_seconds(), True),
        ("timeliness", "timeliness", lambda v: parse_duration(v).total_seconds(), True),
        ("uptime", "uptime", parse_percent, False),
    )
    for attr, label, measure, longer_is_looser in fields:
        was, now = getattr(old, attr), getattr(new, attr)
        if was == now:
            continue
        if was is None or now is None:
            who = CONSUMER if now is None else PRODUCER
            kind = ChangeType.REMOVED if now is None else ChangeType.ADDED
            changes.append(
                Change(kind, f"{path}.{label}", f"SLA {label} {'removed' if now is None else 'added'}", who, was, now)
            )
            continue
        grew = measure(now) > measure(was)
        if measure(now) == measure(was):
            continue
        looser = grew if longer_is_looser else not grew
        changes.append(
            Change(
                ChangeType.CHANGED,
                f"{path}.{label}",
                f"SLA {label} changed from {was} to {now} ({'looser' if looser else 'tighter'})",
                loosen_or_tighten(looser),
                was,
                now,
            )
        )
    return changes
