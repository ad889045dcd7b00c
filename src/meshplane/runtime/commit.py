"""Committing a run's output to a port's Delta table: exactly once, atomically, in one commit per port.

Every write carries a Delta *app transaction* ``(meshplane:<dp id>:<port>, <run sequence number>)`` in the
same commit as the data. Before writing, the table's transaction version for that app id is read: at or
above the run's number means this run (or a newer one) already committed the port, so a retried, recovered
or concurrent run skips it instead of writing it twice. Two writers racing on the same port are decided by
Delta itself: the loser's commit fails (delta-rs rejects a commit whose app transaction a concurrent commit
changed), and the loop re-reads and re-decides. A process killed before the commit leaves the table at its
previous version (the Parquet files it wrote are unreferenced; ``vacuum`` removes them).

Write modes, per port (``specific.writeMode`` may choose ``overwrite`` or ``append``):

* ``overwrite`` (default): each run commits a full snapshot, replacing the previous one. History is in the
  table's versions (time travel, restore), not in the table; re-running a run is naturally idempotent.
* ``append`` (default for ``events`` ports): each run adds its rows. With a primary key, rows whose key is
  already in the table are not added again (an insert-only merge), so re-reading a source cannot duplicate.
* ``bitemporal`` (ports with ``dataContract.bitemporal``): a merge by key and valid-from (``bitemporal``).

``--overwrite RUN`` replaces what RUN committed: the port's content before RUN's commit, with the new output
applied in the port's mode, written as one overwrite commit (RUN's commit stays in the history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError

from meshplane.errors import MeshplaneError
from meshplane.runtime import bitemporal
from meshplane.spec.model import BoundaryPort, OutputPort, OutputPortType

_ATTEMPTS = 5
#: Commit metadata keys (``commitInfo``), read back by ``versions`` and recovery.
RUN_KEY = "meshplane.runId"
SEQ_KEY = "meshplane.seq"


class WriteMode(StrEnum):
    OVERWRITE = "overwrite"
    APPEND = "append"
    BITEMPORAL = "bitemporal"


def write_mode(port: OutputPort | BoundaryPort) -> WriteMode:
    if port.data_contract.bitemporal is not None:
        return WriteMode.BITEMPORAL
    chosen = str(port.specific.get("writeMode", "")).lower()
    if chosen in (WriteMode.OVERWRITE, WriteMode.APPEND):
        return WriteMode(chosen)
    return WriteMode.APPEND if port.type is OutputPortType.EVENTS else WriteMode.OVERWRITE


def app_id(dp_id: str, port: str) -> str:
    return f"meshplane:{dp_id}:{port}"


@dataclass(frozen=True)
class PortWrite:
    """One port's staged, checked output and how to store it."""

    port: str
    uri: str
    data: pa.Table
    mode: WriteMode
    #: The entity key (append de-duplication, bi-temporal merge); empty for none.
    key: tuple[str, ...] = ()
    valid_from: str | None = None
    valid_to: str | None = None


@dataclass(frozen=True)
class Committed:
    port: str
    version: int | None
    rows: int
    mode: str
    #: Why nothing was written by this call (``None`` when it committed).
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "rows": self.rows, "mode": self.mode, "skipped": self.skipped}


def committed_by(uri: str, app: str, seq: int) -> bool:
    """Whether the run numbered ``seq`` (or a later one) already committed this port."""
    done = DeltaTable(uri).transaction_version(app)
    return done is not None and done >= seq


def commit(
    write: PortWrite, *, app: str, seq: int, run_id: str, metadata: Mapping[str, str], base_version: int | None = None
) -> Committed:
    """Write ``write.data`` once for run ``seq``; ``base_version`` replaces the commit after that version."""
    props = CommitProperties(
        custom_metadata={**metadata, RUN_KEY: run_id, SEQ_KEY: str(seq), "meshplane.mode": write.mode.value},
        app_transactions=[Transaction(app, seq)],
    )
    for _ in range(_ATTEMPTS):
        table = DeltaTable(write.uri)
        done = table.transaction_version(app)
        if done is not None and done >= seq:
            found = find_commit(table, run_id)
            reason = "already committed by this run" if found is not None else f"superseded by run #{done}"
            rows = int(found[1]) if found is not None else 0
            return Committed(write.port, found[0] if found else None, rows, write.mode.value, reason)
        try:
            rows = _write(table, write, props, base_version)
        except CommitFailedError:
            continue  # a concurrent commit won; re-read and decide again
        except DeltaError as exc:  # e.g. a CHECK constraint the table enforces: nothing was committed
            raise MeshplaneError(
                f"port `{write.port}`: the table refused the write: {str(exc).strip().splitlines()[0]}",
                hint="the table and the contract disagree; redeploy the data product",
            ) from exc
        found = find_commit(DeltaTable(write.uri), run_id)
        return Committed(write.port, found[0] if found else None, rows, write.mode.value)
    raise MeshplaneError(
        f"port `{write.port}`: gave up after {_ATTEMPTS} conflicting commits",
        hint="another process keeps writing this table; run again when it is done",
    )


def _write(table: DeltaTable, write: PortWrite, props: CommitProperties, base_version: int | None) -> int:
    schema = pa.schema(table.schema().to_arrow())
    data = pa.Table.from_arrays(write.data.columns, schema=schema)
    if base_version is not None:
        content = _replacement(write, data, DeltaTable(write.uri, version=base_version), schema)
        write_deltalake(table, content, mode="overwrite", commit_properties=props)
        return int(data.num_rows)
    if write.mode is WriteMode.OVERWRITE:
        write_deltalake(table, data, mode="overwrite", commit_properties=props)
        return int(data.num_rows)
    if write.mode is WriteMode.APPEND:
        if not write.key:
            write_deltalake(table, data, mode="append", commit_properties=props)
            return int(data.num_rows)
        predicate = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in write.key)
        merger = table.merge(data, predicate, source_alias="s", target_alias="t", commit_properties=props)
        metrics = merger.when_not_matched_insert_all().execute()
        return _inserted(table, write, data, props, metrics)
    assert write.valid_from is not None and write.valid_to is not None
    upserts = bitemporal.changes(
        data,
        table.to_pyarrow_dataset(),
        key=write.key,
        valid_from=write.valid_from,
        valid_to=write.valid_to,
        port=write.port,
    )
    upserts = pa.Table.from_arrays(upserts.columns, schema=schema)
    predicate = bitemporal.merge_predicate(write.key, write.valid_from)
    merger = table.merge(upserts, predicate, source_alias="s", target_alias="t", commit_properties=props)
    metrics = merger.when_matched_update_all().when_not_matched_insert_all().execute()
    return _inserted(table, write, upserts, props, metrics)


def _inserted(
    table: DeltaTable, write: PortWrite, source: pa.Table, props: CommitProperties, metrics: Mapping[str, Any]
) -> int:
    """Rows a merge wrote. A merge that changes nothing makes no commit, so the run's app transaction is
    committed with an empty append instead: every run leaves exactly one commit per port."""
    changed = int(metrics.get("num_target_rows_inserted", 0)) + int(metrics.get("num_target_rows_updated", 0))
    (txn,) = props.app_transactions or []
    if not committed_by(write.uri, txn.app_id, txn.version):
        write_deltalake(DeltaTable(write.uri), source.schema.empty_table(), mode="append", commit_properties=props)
    return changed


def _replacement(write: PortWrite, data: pa.Table, base: DeltaTable, schema: pa.Schema) -> pa.Table:
    if write.mode is WriteMode.OVERWRITE:
        return data
    before = base.to_pyarrow_table()
    before = pa.Table.from_arrays(before.columns, schema=schema)
    if write.mode is WriteMode.APPEND:
        if write.key:
            known = set(zip(*(before[k].to_pylist() for k in write.key), strict=True))
            keep = [tuple(r) not in known for r in zip(*(data[k].to_pylist() for k in write.key), strict=True)]
            data = data.filter(pa.array(keep, type=pa.bool_()))
        return pa.concat_tables([before, data])
    assert write.valid_from is not None and write.valid_to is not None
    upserts = bitemporal.changes(
        data, before, key=write.key, valid_from=write.valid_from, valid_to=write.valid_to, port=write.port
    )
    merged = bitemporal.apply(
        before, pa.Table.from_arrays(upserts.columns, schema=schema), key=write.key, valid_from=write.valid_from
    )
    return pa.Table.from_arrays(merged.columns, schema=schema)


def find_commit(table: DeltaTable, run_id: str, *, depth: int = 200) -> tuple[int, int] | None:
    """(version, rows written) of the commit run ``run_id`` made to this table, if it is among the last
    ``depth`` commits."""
    for entry in table.history(depth):
        if entry.get(RUN_KEY) == run_id and entry.get("operation") != "RESTORE":
            metrics = entry.get("operationMetrics") or {}
            rows = metrics.get("num_added_rows")
            if rows is None:
                rows = int(metrics.get("num_target_rows_inserted", 0)) + int(metrics.get("num_target_rows_updated", 0))
            return int(entry["version"]), int(rows)
    return None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
