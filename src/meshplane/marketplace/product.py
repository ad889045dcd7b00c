"""The data product page: one product described well enough that nobody has to call its owner.

Assembled from the deployed descriptor (purpose, ports, contracts), the registry (components and where their
tables are, runs, descriptor versions) and the mesh (who the owners are), plus a few rows of each port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from meshplane.governance.diff_dataproduct import diff_dataproducts
from meshplane.marketplace.catalog import Catalog, Entry
from meshplane.marketplace.contract_view import contract_view, snippets
from meshplane.marketplace.live import Live, freshness, summary
from meshplane.marketplace.views import (
    ChangeView,
    CheckCounts,
    ConsumerRef,
    Contact,
    DomainBrief,
    GitEntry,
    InputPortView,
    Lifecycle,
    PortFreshness,
    PortView,
    ProductPage,
    QualityRun,
    RunView,
    SampleRows,
    Sla,
    SlaStatus,
    Support,
    VersionView,
)
from meshplane.registry import ComponentState, DescriptorVersion, RunRecord, RunStatus
from meshplane.spec.model import BoundaryPort, DataProduct, Mesh, OutputPort, OutputPortSource

#: Reads a port's sample rows from (table path, port spec); the service caches what it reads.
Sampler = Callable[[str | None, OutputPort | BoundaryPort], SampleRows | None]


def contacts(dp: DataProduct, mesh: Mesh) -> list[Contact]:
    """The owner, then the owner group's members, then the domain's owners — each person once."""
    users = {u.id: u for u in mesh.users}
    groups = {g.name: g for g in mesh.groups}
    found: dict[str, Contact] = {}

    def add(user_id: str, role: str) -> None:
        if user_id in found:
            return
        user = users.get(user_id)
        email = user.email if user else None
        if user_id == dp.owner and dp.email:
            email = dp.email
        name = user.name if user and user.name else (dp.owner_display_name if user_id == dp.owner else None)
        found[user_id] = Contact(id=user_id, name=name, email=email, role=role)

    add(dp.owner, "owner")
    for group_name, role in ((dp.owner_group, "owner group"), (_domain_group(dp, mesh), "domain owners")):
        group = groups.get(group_name or "")
        for member in group.members if group else []:
            add(member, f"{role} ({group_name})")
    return list(found.values())


def _domain_group(dp: DataProduct, mesh: Mesh) -> str | None:
    domain = mesh.domain(dp.domain)
    return domain.owner_group if domain else None


def owners(dp: DataProduct, mesh: Mesh) -> set[str]:
    """Who may speak for the product (accept FAQ answers, approve requests): its owner, and the members of
    its owner group and of its domain's owner group."""
    groups = {g.name: g for g in mesh.groups}
    names = {dp.owner}
    for group_name in (dp.owner_group, _domain_group(dp, mesh)):
        group = groups.get(group_name or "")
        names.update(group.members if group else [])
    return names


def check_counts(report: Mapping[str, Any]) -> CheckCounts:
    counts = report.get("counts") or {}
    return CheckCounts(
        passed=int(counts.get("pass") or 0),
        warned=int(counts.get("warn") or 0),
        failed=int(counts.get("fail") or 0),
        skipped=int(counts.get("skip") or 0),
    )


def _total(parts: Sequence[CheckCounts]) -> CheckCounts:
    return CheckCounts(
        passed=sum(p.passed for p in parts),
        warned=sum(p.warned for p in parts),
        failed=sum(p.failed for p in parts),
        skipped=sum(p.skipped for p in parts),
    )


def quality_run(run: RunRecord) -> QualityRun:
    ports = {name: check_counts(r) for name, r in run.checks.items() if isinstance(r, Mapping)}
    failures = [
        f"{name}: {c.get('name') or c.get('id')}: {c.get('message') or c.get('status')}"
        for name, report in run.checks.items()
        if isinstance(report, Mapping)
        for c in report.get("checks") or []
        if isinstance(c, Mapping) and c.get("status") in ("fail", "warn")
    ]
    return QualityRun(
        run_id=run.run_id,
        seq=run.seq,
        status=run.status.value,
        started_at=run.started_at,
        finished_at=run.finished_at,
        counts=_total(list(ports.values())),
        ports=ports,
        failures=failures[:50],
    )


def run_view(run: RunRecord) -> RunView:
    counts = _total([check_counts(r) for r in run.checks.values() if isinstance(r, Mapping)])
    return RunView(
        run_id=run.run_id,
        seq=run.seq,
        status=run.status.value,
        mode=run.mode,
        actor=run.actor,
        dp_version=run.dp_version,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_ms=run.duration_ms,
        rows=run.row_counts,
        outputs=run.outputs,
        counts=counts,
        error=run.error,
    )


def versions(history: Sequence[DescriptorVersion]) -> list[VersionView]:
    """Newest first, each with what changed since the one before (the same rules as breaking changes)."""
    found: list[VersionView] = []
    previous: DataProduct | None = None
    for v in history:
        try:
            model = DataProduct.model_validate(v.descriptor)
        except ValueError:
            model = None
        changes: list[ChangeView] = []
        if (
            previous is not None
            and model is not None
            and (previous.domain, previous.name) == (model.domain, model.name)
        ):
            changes = [
                ChangeView(type=c.type.value, path=c.path, message=c.message, breaking=c.is_breaking())
                for c in diff_dataproducts(previous, model)
            ]
        found.append(
            VersionView(
                version=v.version,
                status=v.status.value,
                deployed_at=v.deployed_at,
                deployed_by=v.deployed_by,
                sha256=v.sha256,
                changes=changes,
            )
        )
        previous = model or previous
    return list(reversed(found))


def port_freshness(runs: Sequence[RunRecord], port: str, now: datetime) -> PortFreshness:
    for run in runs:  # newest first
        out = run.outputs.get(port)
        if run.status is RunStatus.SUCCEEDED and isinstance(out, Mapping):
            at = run.finished_at
            version = out.get("version")
            return PortFreshness(
                version=int(version) if isinstance(version, int) else None,
                rows=int(out["rows"]) if isinstance(out.get("rows"), int) else None,
                updated_at=at,
                run_id=run.run_id,
                age_seconds=max((now - at).total_seconds(), 0.0) if at else None,
            )
    return PortFreshness()


def input_port(p: Any, catalog: Catalog) -> InputPortView:
    src = p.source
    if isinstance(src, OutputPortSource):
        upstream = catalog.by_id.get(src.data_product)
        label = f"{upstream.domain}/{upstream.name}" if upstream else src.data_product
        return InputPortView(
            name=p.name,
            description=p.description,
            source_type=src.type,
            data_product=src.data_product,
            port=src.port,
            detail=f"{label}.{src.port}" + ("" if src.version == "latest" else f" (version {src.version})"),
        )
    detail = getattr(src, "table", None) or getattr(src, "path", None) or getattr(src, "stream", "")
    return InputPortView(
        name=p.name, description=p.description, source_type=src.type, system=src.system, detail=str(detail)
    )


def consumer_refs(catalog: Catalog, dp_id: str, port: str | None = None) -> list[ConsumerRef]:
    refs = []
    for consumer, inp, read in catalog.consumers_of(dp_id):
        if port is not None and read != port:
            continue
        other = catalog.by_id[consumer]
        refs.append(ConsumerRef(data_product=consumer, name=other.name, domain=other.domain, input_port=inp))
    return refs


def page(
    *,
    dp: DataProduct,
    entry: Entry,
    catalog: Catalog,
    live: Live,
    mesh: Mesh,
    environment: str,
    components: Sequence[ComponentState],
    runs: Sequence[RunRecord],
    history: Sequence[DescriptorVersion],
    changelog: Sequence[GitEntry],
    sampler: Sampler | None,
    questions: int,
    grants: Mapping[str, int],
    now: datetime,
) -> ProductPage:
    state = {c.component_id: c for c in components}
    ports = []
    for spec in dp.output_ports + dp.boundary_ports:
        comp = state.get(dp.component_id(spec))
        location = comp.info.get("path") if comp and isinstance(comp.info.get("path"), str) else None
        ports.append(
            PortView(
                id=dp.component_id(spec),
                name=spec.name,
                kind=spec.kind,
                type=spec.type.value,
                description=spec.description,
                version=spec.version,
                status=comp.status.value if comp else None,
                adapter=comp.adapter if comp else None,
                location=location,
                contract=contract_view(spec.data_contract),
                freshness=port_freshness(runs, spec.name, now),
                sample=sampler(location, spec) if sampler is not None else None,
                consumers=consumer_refs(catalog, dp.id, spec.name),
                grants=grants.get(spec.name, 0),
                how_to_consume=snippets(dp, spec.name, location, [c.name for c in spec.data_contract.columns]),
            )
        )
    domain = mesh.domain(dp.domain)
    declared = next((p.data_contract.sla for p in dp.output_ports if p.data_contract.sla), None)
    last = live.runs.get(dp.id)
    fresh = freshness(entry.expected_seconds, live.successes.get(dp.id), now)
    terms = next((p.data_contract.terms for p in dp.output_ports if p.data_contract.terms), None)
    return ProductPage(
        summary=summary(entry, live, mesh, now),
        purpose=terms.purpose if terms else None,
        description=dp.description,
        domain=DomainBrief(
            name=dp.domain,
            description=domain.description if domain else "",
            owner_group=domain.owner_group if domain else None,
        ),
        contacts=contacts(dp, mesh),
        lifecycle=Lifecycle(
            status=entry.status,
            declared_status=dp.status.value,
            maturity=dp.maturity.value if dp.maturity else None,
            deprecated_on=entry.deprecated_on,
            retire_on=entry.retire_on,
        ),
        sla=_sla_status(declared, dp, fresh, last.status if last else None),
        output_ports=ports,
        input_ports=[input_port(p, catalog) for p in dp.input_ports],
        quality_history=[quality_run(r) for r in runs if r.status is not RunStatus.RUNNING],
        versions=versions(history),
        changelog=list(changelog),
        consumers=consumer_refs(catalog, dp.id),
        grants=sum(grants.values()),
        questions=questions,
        environment=environment,
    )


def _sla_status(declared: Any, dp: DataProduct, fresh: Any, last_status: str | None) -> SlaStatus:
    sla = (
        Sla(interval_of_change=declared.interval_of_change, timeliness=declared.timeliness, uptime=declared.uptime)
        if declared
        else None
    )
    support = Support(**dp.support_sla.model_dump()) if dp.support_sla else None
    failing = last_status in (RunStatus.FAILED.value, RunStatus.BLOCKED.value)
    if fresh.status == "unknown" and last_status is None:
        met, message = None, "not run yet: nothing to measure"
    elif failing:
        met, message = False, f"the latest run is {last_status}; {fresh.message}"
    elif fresh.status == "late":
        met, message = False, fresh.message
    elif fresh.status == "on-time":
        met, message = True, fresh.message
    else:
        met, message = None, fresh.message
    return SlaStatus(
        declared=sla, support=support, freshness=fresh, last_run_status=last_status, met=met, message=message
    )
