"""Codecs between native descriptors and other standards: DPS, ODPS v1, ODCS v3 and DPDS.

A data mesh rarely starts empty: teams arrive with Witboost/DPS descriptors, ODPS products and ODCS
contracts, or Open Data Mesh descriptors. Importing is a translation that never raises for bad input (the
CLI shows the located diagnostics and decides); exporting writes what other tools read, and what those
formats cannot say is carried in their extension points so that a round trip restores it.

``import_file(path, fmt)`` and ``export(dp, fmt)`` are what the CLI calls; ``CODECS`` lists the formats.
To write an imported product as ``dataproduct.yaml`` use ``native_data(dp)``: unlike ``to_data()`` it keeps
the ``kind``/``type`` tags the loader needs to tell components, sources and expectations apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from meshplane.errors import NotFoundError, UnsupportedError
from meshplane.spec.codecs import dpds, dps, dps_write, odcs, odcs_write, odps, odps_write
from meshplane.spec.codecs.common import ContractInfo, ImportResult, native_data
from meshplane.spec.diagnostics import did_you_mean
from meshplane.spec.model import DataProduct

__all__ = ["CODECS", "Codec", "ContractInfo", "ImportResult", "export", "import_file", "native_data"]


@dataclass(frozen=True)
class Codec:
    name: str
    title: str
    read: Callable[[Path], ImportResult]
    #: ``None`` for formats Meshplane only reads.
    write: Callable[[DataProduct], dict[str, str]] | None


CODECS: dict[str, Codec] = {
    "dps": Codec("dps", "Agile Lab Data Product Specification", dps.read_file, dps_write.write),
    "odps": Codec("odps", "Open Data Product Standard v1 (with ODCS v3 contracts)", odps.read_file, odps_write.write),
    "odcs": Codec("odcs", "Open Data Contract Standard v3", odcs.read_file, odcs_write.write),
    "dpds": Codec("dpds", "Open Data Mesh Data Product Descriptor v1", dpds.read_file, None),
}


def codec(fmt: str) -> Codec:
    """The codec called ``fmt``; a :class:`NotFoundError` with the closest name otherwise."""
    found = CODECS.get(fmt.strip().lower())
    if found is None:
        hint = did_you_mean(fmt, CODECS) or f"use one of {', '.join(CODECS)}"
        raise NotFoundError(f"unknown format `{fmt}`", hint=hint)
    return found


def import_file(path: Path, fmt: str) -> ImportResult:
    """Read ``path`` written in ``fmt``. Bad input gives error diagnostics, never an exception."""
    return codec(fmt).read(Path(path))


def export(dp: DataProduct, fmt: str) -> dict[str, str]:
    """File name → YAML text. ODPS gives the product file plus one ODCS file per output port."""
    found = codec(fmt)
    if found.write is None:
        writers = ", ".join(name for name, c in CODECS.items() if c.write is not None)
        raise UnsupportedError(f"{found.title} can be imported but not exported", hint=f"export to {writers}")
    return found.write(dp)
