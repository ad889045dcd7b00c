"""Sample rows of an output port: the first rows of its Delta table, with protected columns masked.

A consumer judges a product faster from five real rows than from a schema. PII and sensitive columns
(``PROTECTED_CLASSIFICATIONS``) are masked here whoever asks: a sample is shown to everyone browsing the
marketplace, before any grant exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from meshplane.marketplace.views import SampleRows
from meshplane.quality.report import jsonable
from meshplane.spec.model import PROTECTED_CLASSIFICATIONS, DataContract

MASK = "***"
#: The most rows a sample may have: it is a preview, not a way round access control.
MAX_ROWS = 50


def protected_columns(contract: DataContract) -> set[str]:
    return {c.name for c in contract.columns if c.classification in PROTECTED_CLASSIFICATIONS}


def sample(path: str | None, contract: DataContract, limit: int = 5) -> SampleRows:
    """Up to ``limit`` rows (at most ``MAX_ROWS``) of the table at ``path``, or why there are none."""
    if path is None:
        return SampleRows(available=False, reason="the port's table location is not recorded in the registry")
    if "://" not in path and not Path(path).exists():
        return SampleRows(available=False, reason="the port's table does not exist yet (deploy it, then run it)")
    try:
        table = DeltaTable(path)
        version = table.version()
        head = table.to_pyarrow_dataset().head(max(0, min(limit, MAX_ROWS)))
    except (DeltaError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return SampleRows(available=False, reason=f"the port's table cannot be read: {first}")
    masked = protected_columns(contract) & set(head.column_names)
    rows = [{k: MASK if k in masked and v is not None else jsonable(v) for k, v in r.items()} for r in head.to_pylist()]
    return SampleRows(
        available=True,
        version=version,
        columns=list(head.column_names),
        masked=_ordered(masked, head.column_names),
        rows=rows,
    )


def _ordered(names: set[str], order: Iterable[str]) -> list[str]:
    return [n for n in order if n in names]
