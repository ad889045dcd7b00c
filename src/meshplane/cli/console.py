"""Where the CLI writes: Rich consoles for stdout and stderr, and the error edge.

Services raise :class:`meshplane.errors.MeshplaneError`; this module turns them into ``Error: …`` on
stderr and an exit code. Tracebacks appear only with ``--debug``.
"""

from __future__ import annotations

import os
from enum import StrEnum

from rich.console import Console

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"


class State:
    debug: bool = os.environ.get("MESHPLANE_DEBUG", "") not in ("", "0")


def print_error(message: str, hint: str | None = None) -> None:
    err.print(f"[bold red]Error:[/] {message}", markup=True, highlight=False)
    if hint:
        err.print(f"[dim]Hint:[/] {hint}")
