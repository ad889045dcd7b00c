"""A port's history: its versions, restoring one, and reading the port as of a version or a time.

Every commit a run makes names the run (``meshplane.runId`` in the commit info), so a version leads to the
run record — inputs, checks, lineage — that produced every row in it. Restore is Delta's RESTORE: a new
version whose content is an old one's; nothing is lost, the restored-over version stays in the history.
Reads of bi-temporal ports can add a valid time: "valid at T as known at version V" is version V filtered on
``validFrom <= T < coalesce(validTo, +∞)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import DeltaError

from meshplane.contracts import quote_ident
from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.runtime.commit import RUN_KEY
from meshplane.spec.model import BiTemporal


@dataclass(frozen=True)
class PortVersion:
    version: int
    timestamp: datetime
    operation: str
    run_id: str | None
    #: Rows in the table at this version (from the log's file statistics, no data read).
    rows: int | None
    #: Rows this commit added or changed.
    written: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "timestamp": self.timestamp.isoformat(),
            "operation": self.operation,
            "runId": self.run_id,
            "rows": self.rows,
            "written": self.written,
        }


def open_table(uri: str, what: str) -> DeltaTable:
    if not DeltaTable.is_deltatable(uri):
        raise NotFoundError(f"{what} has no table at {uri}", hint="deploy the data product first")
    return DeltaTable(uri)


def versions(uri: str, what: str, *, limit: int = 50) -> list[PortVersion]:
    """The newest ``limit`` versions, newest first."""
    table = open_table(uri, what)
    found = []
    for entry in table.history(limit):
        version = int(entry["version"])
        metrics: Mapping[str, Any] = entry.get("operationMetrics") or {}
        written = metrics.get("num_added_rows")
        if written is None and "num_target_rows_inserted" in metrics:
            written = int(metrics["num_target_rows_inserted"]) + int(metrics.get("num_target_rows_updated", 0))
        found.append(
            PortVersion(
                version,
                datetime.fromtimestamp(int(entry["timestamp"]) / 1000, tz=UTC),
                str(entry.get("operation", "")),
                entry.get(RUN_KEY),
                _rows_at(uri, version),
                None if written is None else int(written),
            )
        )
    return found


def _rows_at(uri: str, version: int) -> int | None:
    try:
        actions = DeltaTable(uri, version=version).get_add_actions(flatten=True)
        counts = actions.column("num_records").to_pylist() if actions.num_rows else []
    except (DeltaError, KeyError):
        return None
    return None if any(c is None for c in counts) else int(sum(counts))


def restore(uri: str, what: str, version: int, *, actor: str) -> int:
    """Make ``version``'s content the current one (a new version); returns the new version."""
    table = open_table(uri, what)
    latest = table.version()
    if not 0 <= version <= latest:
        raise InvalidInputError(f"{what} has no version {version}", hint=f"its versions are 0 to {latest}")
    if version == latest:
        return latest
    metadata = {"meshplane.operation": "restore", "meshplane.actor": actor, "meshplane.restoredVersion": str(version)}
    table.restore(version, commit_properties=CommitProperties(custom_metadata=metadata))
    return DeltaTable(uri).version()


def snapshot(uri: str, what: str, *, version: int | None = None, as_of: datetime | None = None) -> DeltaTable:
    table = open_table(uri, what)
    try:
        if version is not None:
            table.load_as_version(version)
        elif as_of is not None:
            table.load_as_version(as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    except (DeltaError, ValueError) as exc:
        when = f"version {version}" if version is not None else f"{as_of}"
        raise InvalidInputError(
            f"{what} has no data as of {when}: {exc}", hint="see `meshplane versions` for what exists"
        ) from exc
    return table


def read(
    uri: str,
    what: str,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
    valid_at: date | datetime | None = None,
    bitemporal: BiTemporal | None = None,
    limit: int | None = None,
) -> tuple[int, pa.Table]:
    """(version read, rows): the port as of a version or time, optionally valid at ``valid_at``."""
    table = snapshot(uri, what, version=version, as_of=as_of)
    if valid_at is not None and bitemporal is None:
        raise InvalidInputError(f"{what} is not bi-temporal", hint="--valid-at needs a port with `bitemporal`")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("port", table.to_pyarrow_dataset())
        sql, params = "SELECT * FROM port", []
        if valid_at is not None and bitemporal is not None:
            start, end = quote_ident(bitemporal.valid_from), quote_ident(bitemporal.valid_to)
            sql += f" WHERE {start} <= ? AND ({end} IS NULL OR ? < {end}) ORDER BY ALL"
            params = [valid_at, valid_at]
        if limit is not None:
            sql += f" LIMIT {max(int(limit), 0)}"
        return table.version(), con.sql(sql, params=params).to_arrow_table()
    finally:
        con.close()
