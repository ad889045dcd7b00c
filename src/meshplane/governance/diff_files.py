"""``meshplane diff OLD NEW``: two data product descriptors, or two ODCS contracts, told apart by content."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from meshplane.errors import InvalidInputError
from meshplane.governance.changes import CONSUMER, NOBODY, Change, ChangeType
from meshplane.governance.diff_contract import diff_contract
from meshplane.governance.diff_dataproduct import diff_dataproducts
from meshplane.spec import yamlio
from meshplane.spec.codecs import import_file
from meshplane.spec.diagnostics import has_errors
from meshplane.spec.ids import SemVer
from meshplane.spec.loader import load_model
from meshplane.spec.model import DataContract, DataProduct


@dataclass
class DiffResult:
    name: str
    old_version: str
    new_version: str
    changes: list[Change]

    @property
    def major_bump(self) -> bool:
        try:
            return SemVer.parse(self.new_version).major > SemVer.parse(self.old_version).major
        except ValueError:
            return False


def _is_odcs(doc: yamlio.Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and (
        data.get("kind") == "DataContract" or str(data.get("apiVersion", "")).startswith("v3")
    )


def _contracts(path: Path) -> tuple[str, str, dict[str, DataContract]]:
    result = import_file(path, "odcs")
    if has_errors(result.diagnostics):
        raise InvalidInputError(
            f"{path} is not a valid ODCS contract",
            result.diagnostics,
            hint=f"run `meshplane import {path} --from odcs` to see why",
        )
    raw = yamlio.load(path).data
    name = str(raw.get("name") or raw.get("id") or path.stem) if isinstance(raw, dict) else path.stem
    version = str(raw.get("version", "0.0.0")) if isinstance(raw, dict) else "0.0.0"
    return name, version, dict(result.contracts)


def _dataproduct(path: Path, doc: yamlio.Document) -> DataProduct:
    loaded = load_model(doc, DataProduct)
    if loaded.model is None:
        raise InvalidInputError(
            f"{path} is neither a valid data product descriptor nor an ODCS contract",
            loaded.diagnostics,
            hint=f"run `meshplane validate {path}`",
        )
    return loaded.model


def diff_files(old: Path, new: Path) -> DiffResult:
    docs = [yamlio.load(old), yamlio.load(new)]
    for path, doc in zip((old, new), docs, strict=True):
        if doc.data is None and has_errors(doc.diagnostics):
            raise InvalidInputError(f"{path} cannot be read", doc.diagnostics)
    kinds = [_is_odcs(d) for d in docs]
    if kinds[0] != kinds[1]:
        raise InvalidInputError(
            f"{old} and {new} are not the same kind of document (one is an ODCS contract)",
            hint="diff two descriptors or two contracts",
        )
    if kinds[0]:
        name, old_version, before = _contracts(old)
        _, new_version, after = _contracts(new)
        changes: list[Change] = []
        for table, contract in before.items():
            if table not in after:
                changes.append(
                    Change(ChangeType.REMOVED, f"schema.{table}", f"schema object `{table}` removed", CONSUMER)
                )
            else:
                changes += diff_contract(contract, after[table], f"schema.{table}")
        for table in after:
            if table not in before:
                changes.append(
                    Change(ChangeType.ADDED, f"schema.{table}", f"schema object `{table}` added", NOBODY, addition=True)
                )
        return DiffResult(name, old_version, new_version, changes)
    before_dp, after_dp = _dataproduct(old, docs[0]), _dataproduct(new, docs[1])
    return DiffResult(before_dp.id, before_dp.version, after_dp.version, diff_dataproducts(before_dp, after_dp))
