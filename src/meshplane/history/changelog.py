"""Changelogs: the classified changes between consecutive versions of a data product."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meshplane.governance.changes import Change, Perspective
from meshplane.governance.diff_dataproduct import diff_dataproducts
from meshplane.history.git import versions
from meshplane.spec.model import DataProduct


@dataclass
class Entry:
    version: str
    commit: str
    date: str
    author: str
    subject: str
    changes: list[Change] = field(default_factory=list)

    def to_dict(self, perspective: Perspective = Perspective.BOTH) -> dict[str, Any]:
        return {
            "version": self.version,
            "commit": self.commit,
            "date": self.date,
            "author": self.author,
            "subject": self.subject,
            "changes": [c.to_dict(perspective) for c in self.changes],
        }


def changelog(file: Path) -> list[Entry]:
    """Newest first; commits that did not change the data product's meaning are folded away."""
    entries: list[Entry] = []
    previous: DataProduct | None = None
    for v in versions(file):
        dp = v.dataproduct
        if dp is None:
            continue
        if previous is not None and (previous.domain, previous.name) != (dp.domain, dp.name):
            previous = None  # renamed: a new data product starts here
        changes = diff_dataproducts(previous, dp) if previous is not None else []
        if previous is None or changes or previous.version != dp.version:
            entries.append(Entry(dp.version, v.commit, v.date, v.author, v.subject, changes))
        previous = dp
    return list(reversed(entries))
