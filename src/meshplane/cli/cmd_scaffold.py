"""``meshplane init``, ``meshplane new dataproduct`` and ``meshplane template …``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from meshplane.cli.console import Format, out
from meshplane.cli.report import emit_json
from meshplane.scaffold import (
    TEMPLATES,
    init_mesh,
    latest_version,
    new_dataproduct,
    template_versions,
    update_dataproduct,
)
from meshplane.spec.workspace import find_mesh_root

Template = StrEnum("Template", {t.replace("-", "_").upper(): t for t in TEMPLATES})  # type: ignore[misc]

new_app = typer.Typer(help="Create things from templates.", no_args_is_help=True)
template_app = typer.Typer(help="Inspect templates and bring generated data products up to date.", no_args_is_help=True)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new mesh (created if needed).")] = Path(),
    name: Annotated[str | None, typer.Option("--name", help="Mesh name (default: the folder name).")] = None,
    domain: Annotated[list[str] | None, typer.Option("--domain", "-d", help="Declare a domain (repeatable).")] = None,
) -> None:
    """Create a new mesh: mesh.yaml, a policies/ folder and a .gitignore."""
    mesh_name = name or directory.resolve().name
    path = init_mesh(directory, mesh_name, domains=domain or [])
    out.print(f"Created mesh [bold]{mesh_name}[/] at {path}")
    out.print(f"Next: meshplane new dataproduct NAME --domain DOMAIN --owner YOU --mesh {directory}")


@new_app.command("dataproduct")
def new_dataproduct_cmd(
    name: Annotated[str, typer.Argument(help="The data product's name (letters, digits, _ - .).")],
    domain: Annotated[str, typer.Option("--domain", "-d", help="A domain declared in mesh.yaml.")],
    owner: Annotated[str, typer.Option("--owner", help="The data product owner (a user or group of the mesh).")],
    template: Annotated[Template, typer.Option("--template", "-t", help="Which kind of data product.")] = Template(
        "source-aligned"
    ),
    description: Annotated[str, typer.Option("--description", help="What it offers, for its consumers.")] = "",
    mesh: Annotated[Path, typer.Option("--mesh", help="The mesh folder (default: found from here).")] = Path(),
    source_dp: Annotated[
        str | None, typer.Option("--source-dp", help="For aggregate/consumer-aligned: the data product id to read.")
    ] = None,
    source_port: Annotated[str | None, typer.Option("--source-port", help="…and its output port.")] = None,
    template_version: Annotated[
        str | None, typer.Option("--template-version", help="A template version (default: the latest).")
    ] = None,
) -> None:
    """Generate a data product from a Copier template: descriptor, SQL workload skeleton and a test."""
    root = find_mesh_root(mesh) or mesh
    path = new_dataproduct(
        root,
        domain,
        name,
        owner=owner,
        template=template.value,
        description=description,
        version=template_version,
        source_dp=source_dp,
        source_port=source_port,
    )
    out.print(f"Created {template.value} data product at {path}")
    out.print(f"Next: edit {path / 'dataproduct.yaml'}, then `meshplane validate {path}`")


@template_app.command("update")
def template_update(
    path: Annotated[Path, typer.Argument(help="The generated data product folder.")] = Path(),
    to: Annotated[str | None, typer.Option("--to", help="Target template version (default: the latest).")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT,
) -> None:
    """Bring a generated data product up to a newer template version, keeping your edits (3-way merge).

    Changes are left uncommitted for review; conflicts are marked inline and listed. Exits 1 on conflicts.
    """
    result = update_dataproduct(path, to_version=to)
    if fmt is Format.JSON:
        emit_json(
            {
                "path": str(result.path),
                "from": result.from_version,
                "to": result.to_version,
                "changed": result.changed,
                "conflicts": result.conflicts,
            }
        )
    elif not result.updated:
        out.print(f"{path} is already at template version {result.to_version}")
    else:
        out.print(f"Updated {path} from template {result.from_version} to {result.to_version}")
        for name in result.changed:
            out.print(f"  changed  {name}")
        for name in result.conflicts:
            out.print(f"  [bold red]conflict[/] {name}")
    if result.has_conflicts:
        raise typer.Exit(1)


@template_app.command("list")
def template_list(fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT) -> None:
    """The data product templates and their versions."""
    versions = template_versions()
    if fmt is Format.JSON:
        emit_json({"templates": list(TEMPLATES), "versions": versions, "latest": latest_version()})
        return
    out.print("templates: " + ", ".join(TEMPLATES))
    out.print("versions:  " + ", ".join(versions) + f" (latest {latest_version()})")
