"""Located diagnostics: every problem a user can fix, with file, line, column, field path and a hint.

Check outcomes are data, not exceptions: loaders and validators return a list of ``Diagnostic`` so that a
person sees every problem at once, and the edges decide how to render them (text, JSON, JUnit).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, where it is and how to fix it.

    ``line`` and ``column`` are 1-based; 0 means "the whole file".
    """

    severity: Severity
    code: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    path: str = ""
    expected: str | None = None
    hint: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def location(self) -> str:
        where = self.file or "<input>"
        if self.line:
            where += f":{self.line}:{self.column}"
        return where

    def render(self) -> str:
        """``file:line:col: error[code] path: message (expected …; hint)``."""
        text = f"{self.location}: {self.severity.value}[{self.code}]"
        if self.path:
            text += f" {self.path}:"
        text += f" {self.message}"
        if self.expected:
            text += f"; expected {self.expected}"
        if self.hint:
            text += f". Hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        if not self.extra:
            data.pop("extra")
        return data


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """``"did you mean `outputPort`?"`` for the closest choice, matching case-insensitively first.

    >>> did_you_mean("outputport", ["inputPort", "outputPort"])
    'did you mean `outputPort`?'
    """
    options = list(choices)
    lowered = {c.lower().replace("_", "").replace("-", ""): c for c in options}
    key = word.lower().replace("_", "").replace("-", "")
    if key in lowered:
        return f"did you mean `{lowered[key]}`?"
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def parse_path(text: str) -> tuple[str | int, ...]:
    """``components[2].name`` → ``("components", 2, "name")`` (the inverse of :func:`format_path`).

    >>> parse_path("components[2].dataContract.columns[0]")
    ('components', 2, 'dataContract', 'columns', 0)
    """
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(parts)


def format_path(parts: Sequence[str | int]) -> str:
    """``("components", 2, "name")`` → ``components[2].name``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
