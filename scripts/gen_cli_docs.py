"""Regenerate the CLI reference in README.md from ``--help`` (``make docs``); a test fails when it drifts."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from meshplane.cli.app import app

START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"
WIDTH = 100


def command_paths() -> list[list[str]]:
    """Every command and sub-command, in the order they are registered."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(group: Any, prefix: list[str]) -> None:
        if hasattr(group, "list_commands"):  # typer vendors click: duck-type its groups
            ctx = typer.Context(group)
            for name in group.list_commands(ctx):
                sub = group.get_command(ctx, name)
                if sub is None or sub.hidden:
                    continue
                paths.append([*prefix, name])
                walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def reference() -> str:
    runner = CliRunner()
    parts = []
    for path in command_paths():
        result = runner.invoke(
            app, [*path, "--help"], env={"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"}, terminal_width=WIDTH
        )
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        title = " ".join(["meshplane", *path])
        parts.append(f"### `{title}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def render(readme: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"README.md has no {START} … {END} block")
    return pattern.sub(lambda _: f"{START}\n{reference()}{END}", readme)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    target.write_text(render(target.read_text(encoding="utf-8")), encoding="utf-8")
