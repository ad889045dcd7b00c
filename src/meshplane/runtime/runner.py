"""Running a data product: pinned inputs → workload → contract gate → one exactly-once commit per port.

The order is what makes a run safe to kill, retry and repeat:

1. the run is recorded RUNNING (with the next sequence number) before anything is read;
2. the inputs are read and what was read is *pinned* in the record (versions, watermark ranges);
3. the workloads run on a locked DuckDB connection; their results are staged in Arrow;
4. every staged port is tested against its contract — all of them before any commit. One blocking failure
   and nothing is committed: the run is BLOCKED, the rejected rows go to the quarantine, and every port keeps
   the version it had. (The ports of one run belong together, so one bad port holds back the others.)
5. each port is committed once, carrying the app transaction ``(meshplane:<dp>:<port>, seq)``.

A run killed during 5 leaves the ports it committed at the new version and the rest at the old one; the
record stays RUNNING with a dead owner. ``recover=True`` completes it: same run, same number, same pinned
inputs; committed ports are skipped by their app transaction. A new run is refused until then (a new run
would read above the old watermarks and could double-append), unless the interrupted run committed nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from meshplane.errors import MeshplaneError
from meshplane.provisioning.service import Session
from meshplane.quality import jsonable
from meshplane.registry import ConcurrentRunError, RunRecord, RunStatus, new_owner
from meshplane.registry.records import utcnow
from meshplane.runtime import lineage_event, quarantine
from meshplane.runtime.bitemporal import entity_key
from meshplane.runtime.commit import PortWrite, WriteMode, app_id, commit, committed_by, find_commit
from meshplane.runtime.conform import conform
from meshplane.runtime.context import Port, RunContext, context, validate_pins
from meshplane.runtime.gate import check_ports
from meshplane.runtime.inputs import Input, read_input
from meshplane.runtime.workload import stage
from meshplane.spec.model import DataProduct, InputPort, LogicalType, OutputPortSource

Progress = Callable[[str, int, int], None]
_STEPS = 5


@dataclass
class BatchResult:
    """What ``run_all`` did: a record per run, and why the others were not run."""

    records: list[RunRecord] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.skipped and all(r.status is RunStatus.SUCCEEDED for r in self.records)


def run(
    session: Session,
    dp: DataProduct,
    *,
    pins: Mapping[str, int] | None = None,
    recover: bool = False,
    overwrite_run: str | None = None,
    progress: Progress | None = None,
) -> RunRecord:
    """Run ``dp``'s workloads once; the record says SUCCEEDED, BLOCKED (a contract check failed) or FAILED.

    Raises (before anything is recorded) for what stops a run from starting: the data product is not
    deployed, another process is running it, an interrupted run waits for ``recover``.
    """
    if recover and overwrite_run:
        raise MeshplaneError("--recover and --overwrite do not go together", hint="recover first, then overwrite")
    pins = dict(pins or {})
    validate_pins(dp, pins)
    ctx = context(session, dp)
    records = session.registry.runs
    owner = new_owner(ctx.actor)
    base: dict[str, int] = {}
    recorded: Mapping[str, Any] = {}
    if recover:
        record = records.take_over(_to_recover(ctx).run_id, owner)
        recorded = record.inputs
    else:
        _settle(ctx)
        replaced = None
        if overwrite_run:
            replaced, base = _replaceable(ctx, overwrite_run)
            recorded = replaced.inputs
        mode = "overwrite" if replaced else ("backfill" if pins else "run")
        record = records.start(
            dp.id,
            ctx.environment,
            actor=ctx.actor,
            owner=owner,
            mode=mode,
            dp_version=dp.version,
            overwrites=replaced.run_id if replaced else None,
        )
    return _execute(ctx, record, pins, recorded, base, progress)


def run_all(
    session: Session,
    refs: Sequence[str] | None = None,
    *,
    pins: Mapping[str, int] | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Run the named data products (all when none are named) upstream first; a product whose upstream did
    not succeed in this batch is skipped, so nothing downstream is computed from data that was refused."""
    result = BatchResult()
    chosen = session.select(list(refs) if refs else None)
    failed: set[str] = set()
    for dp in chosen:
        upstream = {p.source.data_product for p in dp.input_ports if isinstance(p.source, OutputPortSource)}
        blocked_by = sorted(upstream & failed)
        if blocked_by:
            result.skipped[dp.id] = f"upstream {', '.join(blocked_by)} did not succeed"
            failed.add(dp.id)
            continue
        own = {k: v for k, v in (pins or {}).items() if k in {p.name for p in dp.input_ports}}
        try:
            record = run(session, dp, pins=own, progress=progress)
        except MeshplaneError as exc:
            result.skipped[dp.id] = str(exc)
            failed.add(dp.id)
            continue
        result.records.append(record)
        if record.status is not RunStatus.SUCCEEDED:
            failed.add(dp.id)
    return result


# -- before the run ----------------------------------------------------------------------------------------


def _to_recover(ctx: RunContext) -> RunRecord:
    """The last run, when it did not finish: interrupted (its process is gone) or failed."""
    last = ctx.session.registry.runs.latest(ctx.dp.id, ctx.environment)
    _refuse_live(ctx, last)
    if last is None or last.status not in (RunStatus.RUNNING, RunStatus.FAILED):
        state = f"the last run {last.run_id} is {last.status.value}" if last else "it has never run"
        raise MeshplaneError(f"nothing to recover for {ctx.dp.id}: {state}", hint="run it normally")
    return last


def _settle(ctx: RunContext) -> None:
    """Before a new run: refuse while an unfinished run holds committed ports (``--recover`` completes it);
    close an interrupted run that committed nothing as FAILED."""
    records = ctx.session.registry.runs
    last = records.latest(ctx.dp.id, ctx.environment)
    _refuse_live(ctx, last)
    if last is None or last.status not in (RunStatus.RUNNING, RunStatus.FAILED):
        return
    done = [p.name for p in ctx.ports.values() if committed_by(p.uri, app_id(ctx.dp.id, p.name), last.seq)]
    if done:
        how = "was interrupted" if last.status is RunStatus.RUNNING else "failed"
        raise MeshplaneError(
            f"run {last.run_id} (#{last.seq}) of {ctx.dp.id} {how} after committing {', '.join(done)}",
            hint=f"complete it first: meshplane run {ctx.dp.name} --recover",
        )
    if last.status is RunStatus.RUNNING:
        records.finish(last.run_id, "FAILED", error=f"interrupted ({last.interrupted()}); nothing was committed")


def _refuse_live(ctx: RunContext, last: RunRecord | None) -> None:
    if last is not None and last.status is RunStatus.RUNNING and last.interrupted() is None:
        raise ConcurrentRunError(
            f"{ctx.dp.id} is already running in {ctx.environment} (run {last.run_id}, by {last.owner})",
            hint="wait for it to finish",
        )


def _replaceable(ctx: RunContext, ref: str) -> tuple[RunRecord, dict[str, int]]:
    """The run to overwrite and, per port, the version before its commit. Only the last commit of each port
    can be replaced: replacing an older one would undo the runs after it."""
    old = ctx.session.registry.runs.get(ref, ctx.dp.id)
    if old.status is not RunStatus.SUCCEEDED:
        raise MeshplaneError(f"run {old.run_id} is {old.status.value}; only a succeeded run can be overwritten")
    base: dict[str, int] = {}
    for port in ctx.ports.values():
        table = DeltaTable(port.uri)
        found = find_commit(table, old.run_id)
        if found is None or table.transaction_version(app_id(ctx.dp.id, port.name)) != old.seq:
            raise MeshplaneError(
                f"port `{port.name}` has been written since run {old.run_id}; only the latest run can be overwritten",
                hint="run the data product again instead, or restore the port to a version (meshplane restore)",
            )
        if table.version() != found[0]:
            raise MeshplaneError(
                f"port `{port.name}` changed after run {old.run_id} (version {found[0]}, now {table.version()})",
                hint=f"see `meshplane versions`; restore it to version {found[0]} first, or run normally",
            )
        base[port.name] = found[0] - 1
    return old, base


# -- the run -----------------------------------------------------------------------------------------------


def _execute(
    ctx: RunContext,
    record: RunRecord,
    pins: Mapping[str, int],
    recorded: Mapping[str, Any],
    base: Mapping[str, int],
    progress: Progress | None,
) -> RunRecord:
    records = ctx.session.registry.runs
    name = ctx.dp.name
    tell = progress or (lambda _text, _done, _total: None)
    inputs: dict[str, Input] = {}
    outputs: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    try:
        tell(f"{name}: reading inputs", 0, _STEPS)
        previous = records.latest(ctx.dp.id, ctx.environment, status=RunStatus.SUCCEEDED)
        for source in _read_ports(ctx.dp):
            inputs[source.name] = read_input(
                source,
                root=ctx.root,
                locate=ctx.locate,
                pin=pins.get(source.name),
                recorded=recorded.get(source.name),
                previous=previous.inputs.get(source.name) if previous else None,
            )
        records.update(record.run_id, inputs={n: i.pin for n, i in inputs.items()})
        tell(f"{name}: running the workload", 1, _STEPS)
        staged = stage(ctx.dp, ctx.folder, inputs)
        conformed = {
            p: conform(p, staged[p], port.contract, port.schema(), fill=_fill(port, record))
            for p, port in ctx.ports.items()
        }
        tell(f"{name}: checking contracts", 2, _STEPS)
        verdicts = check_ports(conformed, {p: port.contract for p, port in ctx.ports.items()})
        checks = {p: v.report for p, v in verdicts.items()}
        blocked = {p: v for p, v in verdicts.items() if v.blocking}
        if blocked:
            for rejected_port, verdict in blocked.items():
                assert verdict.rejected is not None
                where = quarantine.write(ctx.product, rejected_port, record.run_id, verdict.rejected)
                count = verdict.rejected.num_rows
                outputs[rejected_port] = {"version": None, "rows": 0, "quarantined": count, "at": where}
            reasons = "; ".join(f"port `{p}`: {' / '.join(v.failures)}" for p, v in blocked.items())
            return _finish(
                ctx, record, inputs, outputs, checks, RunStatus.BLOCKED, f"contract checks failed: {reasons}"
            )
        tell(f"{name}: committing", 3, _STEPS)
        for port_name, port in ctx.ports.items():
            written = commit(
                _port_write(port, conformed[port_name]),
                app=app_id(ctx.dp.id, port_name),
                seq=record.seq,
                run_id=record.run_id,
                metadata={
                    "meshplane.dataProduct": ctx.dp.id,
                    "meshplane.port": port_name,
                    "meshplane.environment": ctx.environment,
                },
                base_version=base.get(port_name),
            )
            outputs[port_name] = {**written.to_dict(), "warnings": len(verdicts[port_name].warnings)}
            records.update(record.run_id, outputs=outputs)
        tell(f"{name}: done", _STEPS, _STEPS)
        return _finish(ctx, record, inputs, outputs, checks, RunStatus.SUCCEEDED, None)
    except MeshplaneError as exc:
        return _finish(ctx, record, inputs, outputs, checks, RunStatus.FAILED, str(exc))
    except Exception as exc:  # a bug: record it, then let it surface
        _finish(ctx, record, inputs, outputs, checks, RunStatus.FAILED, f"{type(exc).__name__}: {exc}")
        raise


def _read_ports(dp: DataProduct) -> list[InputPort]:
    names: set[str] = set()
    for wl in dp.workloads:
        if not wl.reads:
            return list(dp.input_ports)
        names.update(wl.reads)
    return [p for p in dp.input_ports if p.name in names]


def _fill(port: Port, record: RunRecord) -> dict[str, Any]:
    """Values for a bi-temporal port's valid-time columns a workload leaves out: valid from the run's start."""
    temporal = port.contract.bitemporal
    if temporal is None:
        return {}
    start_col = port.contract.column(temporal.valid_from)
    start: Any = record.started_at
    if start_col is not None and start_col.type is LogicalType.DATE:
        start = record.started_at.date()
    return {temporal.valid_from: start, temporal.valid_to: None}


def _port_write(port: Port, data: pa.Table) -> PortWrite:
    temporal = port.contract.bitemporal
    if port.mode is WriteMode.BITEMPORAL and temporal is not None:
        return PortWrite(
            port.name,
            port.uri,
            data,
            port.mode,
            tuple(entity_key(port.contract)),
            temporal.valid_from,
            temporal.valid_to,
        )
    return PortWrite(port.name, port.uri, data, port.mode, tuple(port.contract.primary_key))


def _finish(
    ctx: RunContext,
    record: RunRecord,
    inputs: Mapping[str, Input],
    outputs: dict[str, Any],
    checks: dict[str, Any],
    status: RunStatus,
    error: str | None,
) -> RunRecord:
    finished: datetime = utcnow()
    try:
        event = lineage_event.build(
            dp=ctx.dp,
            folder=ctx.folder,
            mesh=ctx.mesh_name,
            root=ctx.root,
            environment=ctx.environment,
            run_id=record.run_id,
            started=record.started_at,
            finished=finished,
            inputs={n: i.pin for n, i in inputs.items()},
            input_columns={n: list(i.schema.names) for n, i in inputs.items()},
            outputs=outputs,
            contracts={p: port.contract for p, port in ctx.ports.items()},
            checks=checks,
            error=error,
        )
    except Exception as exc:  # lineage must never turn a finished run into a failed (or unrecorded) one
        event = {"error": f"no lineage event: {type(exc).__name__}: {exc}"}
    return ctx.session.registry.runs.finish(
        record.run_id, status.value, outputs=outputs, checks=jsonable(checks), lineage=event, error=error
    )
