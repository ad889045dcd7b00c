"""Options shared by the commands, declared once so every command spells and explains them the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from meshplane.cli.console import Format

MeshOpt = Annotated[Path, typer.Option("--mesh", help="The mesh folder (default: found from here).")]
EnvOpt = Annotated[str | None, typer.Option("--env", "-e", help="Environment (default: the first in mesh.yaml).")]
FmtOpt = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="Act as this mesh user (default: MESHPLANE_USER, else your login).")
]
