"""``meshplane import`` and ``meshplane export``: other standards in and out."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from meshplane.cli.console import Format, err, out
from meshplane.cli.report import emit_json, render
from meshplane.errors import InvalidInputError
from meshplane.spec import yamlio
from meshplane.spec.codecs import export, import_file
from meshplane.spec.diagnostics import has_errors
from meshplane.spec.service import resolve_dataproduct


class From(StrEnum):
    DPS = "dps"
    ODPS = "odps"
    ODCS = "odcs"
    DPDS = "dpds"


class To(StrEnum):
    DPS = "dps"
    ODPS = "odps"
    ODCS = "odcs"


def import_(
    file: Annotated[Path, typer.Argument(help="The file to read (for DPDS, the root descriptor; $refs are followed).")],
    source: Annotated[From, typer.Option("--from", help="The standard the file follows.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="A mesh folder: write <domain>/<name>/dataproduct.yaml there."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="How to report problems.")] = Format.TEXT,
) -> None:
    """Read a descriptor or contract written to another standard as a native Meshplane descriptor.

    Quirks of real-world files (duplicate keys, YAML 1.1 booleans, typos in field names) are warnings.
    Without --output the native YAML goes to stdout.
    """
    result = import_file(file, source.value)
    if has_errors(result.diagnostics) or (not result.data_products and not result.contracts):
        render(result.diagnostics, [str(file)], fmt, title="meshplane import")
        raise InvalidInputError(
            f"{file} could not be imported as {source.value}", hint="fix the errors above, or check --from"
        )
    written: list[str] = []
    documents = [dp.to_data() for dp in result.data_products]
    documents += [{"name": name, "dataContract": c.to_data()} for name, c in result.contracts]
    if output is not None:
        for dp in result.data_products:
            target = output / dp.domain / dp.name / "dataproduct.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yamlio.dump(dp.to_data()), encoding="utf-8")
            written.append(str(target))
        for name, contract in result.contracts:
            target = output / f"{name}.contract.yaml"
            output.mkdir(parents=True, exist_ok=True)
            target.write_text(yamlio.dump(contract.to_data()), encoding="utf-8")
            written.append(str(target))
    if fmt is Format.JSON:
        emit_json(
            {
                "diagnostics": [d.to_dict() for d in result.diagnostics],
                "written": written,
                "documents": documents if output is None else [],
            }
        )
        return
    for diag in result.diagnostics:
        err.print(diag.render(), markup=False, highlight=False)
    if output is None:
        out.print("\n---\n".join(yamlio.dump(d) for d in documents), markup=False, highlight=False, end="")
    else:
        for path in written:
            out.print(f"Wrote {path}", markup=False)


def export_(
    dataproduct: Annotated[str, typer.Argument(help="A descriptor file or folder, or a data product id or name.")],
    target: Annotated[To, typer.Option("--to", help="The standard to write.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to write the files into.")] = None,
    mesh: Annotated[Path, typer.Option("--mesh", help="The mesh to look the data product up in.")] = Path(),
) -> None:
    """Write a data product in another standard (ODPS writes one ODCS contract per output port beside it)."""
    dp = resolve_dataproduct(dataproduct, mesh)
    files = export(dp, target.value)
    if output is None:
        out.print("\n---\n".join(files.values()), markup=False, highlight=False, end="")
        return
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (output / name).write_text(text, encoding="utf-8")
        out.print(f"Wrote {output / name}", markup=False)
