"""``meshplane validate`` and ``meshplane schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from meshplane.cli.console import Format, out
from meshplane.cli.report import render
from meshplane.spec.diagnostics import has_errors
from meshplane.spec.service import descriptor_schema, validate_path

PathArg = Annotated[Path, typer.Argument(help="A mesh folder, a data product folder or a descriptor file.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def validate(path: PathArg = Path(), fmt: FormatOpt = Format.TEXT) -> None:
    """Check descriptors and their cross-references; every problem with file:line:column and a hint.

    Exits 1 when there is any error (warnings alone exit 0).
    """
    result = validate_path(path)
    render(result.diagnostics, result.files, fmt, title="meshplane validate")
    if has_errors(result.diagnostics):
        raise typer.Exit(1)


def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    mesh: Annotated[bool, typer.Option("--mesh", help="The schema of mesh.yaml instead of dataproduct.yaml.")] = False,
) -> None:
    """Write the JSON Schema of the descriptor, for editors (e.g. the YAML language server)."""
    text = json.dumps(descriptor_schema(mesh=mesh), indent=2) + "\n"
    if output is None:
        out.print(text, markup=False, highlight=False, end="")
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"Wrote {output}")
