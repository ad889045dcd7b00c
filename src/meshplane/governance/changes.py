"""Classified changes between two versions of a data product or a contract.

Each change says whom it can break. A careful consumer is broken when a guarantee is removed or loosened
(a column disappears, a type changes, a column may now be null, new accepted values appear, the SLA gets
slower). A producer — the pipeline that must keep the promise — is broken when a guarantee is added or
tightened (a column becomes required, a range narrows, an SLA gets faster). ``both`` (the default) treats
either as breaking — except additions of new columns and ports, which no existing reader depends on —
which is what a major version is for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Perspective(StrEnum):
    CONSUMER = "consumer"
    PRODUCER = "producer"
    BOTH = "both"


class ChangeType(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    RENAMED = "renamed"


CONSUMER = frozenset({Perspective.CONSUMER})
PRODUCER = frozenset({Perspective.PRODUCER})
EVERYONE = frozenset({Perspective.CONSUMER, Perspective.PRODUCER})
NOBODY: frozenset[Perspective] = frozenset()


@dataclass(frozen=True)
class Change:
    type: ChangeType
    path: str
    message: str
    breaks: frozenset[Perspective] = NOBODY
    old: Any = None
    new: Any = None
    #: A new column, port or schema object. The mesh's default view counts additions as non-breaking
    #: (consumers ignore what they do not read); only the producer view flags a new required column.
    addition: bool = False

    def is_breaking(self, perspective: Perspective = Perspective.BOTH) -> bool:
        if perspective is Perspective.BOTH:
            return bool(self.breaks) and not self.addition
        return perspective in self.breaks

    def to_dict(self, perspective: Perspective = Perspective.BOTH) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "path": self.path,
            "message": self.message,
            "breaking": self.is_breaking(perspective),
            "breaks": sorted(p.value for p in self.breaks),
            "old": self.old,
            "new": self.new,
        }


def breaking(changes: Iterable[Change], perspective: Perspective = Perspective.BOTH) -> list[Change]:
    return [c for c in changes if c.is_breaking(perspective)]


def loosen_or_tighten(looser: bool) -> frozenset[Perspective]:
    return CONSUMER if looser else PRODUCER


def to_markdown(changes: Sequence[Change], *, title: str, perspective: Perspective = Perspective.BOTH) -> str:
    lines = [f"## {title}", ""]
    if not changes:
        return "\n".join([*lines, "No changes.", ""])
    groups = (
        ("Breaking", [c for c in changes if c.is_breaking(perspective)]),
        ("Non-breaking", [c for c in changes if not c.is_breaking(perspective)]),
    )
    for heading, items in groups:
        if items:
            lines += [f"### {heading}", ""]
            lines += [f"- **{c.type.value}** `{c.path}`: {c.message}" for c in items]
            lines.append("")
    return "\n".join(lines)
