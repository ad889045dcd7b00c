"""Mesh-wide views: domains, polysemes and the value metrics of the overview (products per domain, consumers
per output port, cross-domain links, lead time from first commit to first deployment).

These are the numbers that say whether the mesh is working — whether products are reused across domains and
how long a team takes from an idea in git to something consumers can use.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from meshplane.marketplace.catalog import Catalog, counts
from meshplane.marketplace.live import Live
from meshplane.marketplace.views import Contact
from meshplane.marketplace.views_mesh import (
    Carrier,
    CrossDomainLink,
    DomainCount,
    DomainView,
    LeadTime,
    Overview,
    PolysemeView,
    PortConsumers,
)
from meshplane.spec.loader import DESCRIPTOR_FILE
from meshplane.spec.model import Mesh
from meshplane.spec.workspace import discover

_ID_LINE = re.compile(r"^id:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


def domain_owners(mesh: Mesh, name: str) -> list[Contact]:
    domain = mesh.domain(name)
    group = next((g for g in mesh.groups if domain and g.name == domain.owner_group), None)
    users = {u.id: u for u in mesh.users}
    if group is None:
        return []
    return [
        Contact(
            id=m,
            name=users[m].name if m in users else None,
            email=users[m].email if m in users else None,
            role=f"domain owners ({group.name})",
        )
        for m in group.members
    ]


def domains(catalog: Catalog, live: Live, mesh: Mesh) -> list[DomainView]:
    """Declared domains first (in mesh.yaml's order), then any a deployed product names but mesh.yaml lacks."""
    names = [d.name for d in mesh.domains]
    names += sorted({e.domain for e in catalog.entries} - set(names))
    links = _domain_links(catalog)
    found = []
    for name in names:
        declared = mesh.domain(name)
        members = [e for e in catalog.entries if e.domain == name]
        found.append(
            DomainView(
                name=name,
                description=declared.description if declared else "",
                owner_group=declared.owner_group if declared else None,
                owners=domain_owners(mesh, name),
                product_count=len(members),
                quality=counts(live.quality(e.id) for e in members),
                consumes_from=sorted({src for src, dst in links if dst == name}),
                consumed_by=sorted({dst for src, dst in links if src == name}),
            )
        )
    return found


def _domain_links(catalog: Catalog) -> set[tuple[str, str]]:
    """(upstream domain, consuming domain) for every read across a domain boundary."""
    return {(c.source_domain, c.target_domain) for c in cross_domain_links(catalog)}


def cross_domain_links(catalog: Catalog) -> list[CrossDomainLink]:
    found: dict[tuple[str, str, str], CrossDomainLink] = {}
    for e in catalog.entries:
        for r in e.reads:
            up = catalog.by_id.get(r.data_product)
            if up is not None and up.domain != e.domain:
                found[(up.id, e.id, r.port)] = CrossDomainLink(
                    source=up.id, source_domain=up.domain, target=e.id, target_domain=e.domain, port=r.port
                )
    return sorted(found.values(), key=lambda c: (c.source_domain, c.target_domain, c.source, c.target, c.port))


def polysemes(catalog: Catalog, mesh: Mesh) -> list[PolysemeView]:
    carriers: dict[str, list[Carrier]] = {}
    for e in catalog.entries:
        for col in e.columns:
            if col.polyseme:
                carriers.setdefault(col.polyseme, []).append(
                    Carrier(data_product=e.id, name=e.name, domain=e.domain, port=col.port, column=col.name)
                )
    views = []
    declared = {p.name for p in mesh.polysemes}
    for p in mesh.polysemes:
        views.append(_polyseme(p.name, p.description, p.key_type.value, p.issued_by, True, carriers.get(p.name, [])))
    for name in sorted(set(carriers) - declared):
        views.append(_polyseme(name, "", "string", "", False, carriers[name]))
    return views


def _polyseme(name: str, description: str, key: str, by: str, declared: bool, found: list[Carrier]) -> PolysemeView:
    return PolysemeView(
        name=name,
        description=description,
        key_type=key,
        issued_by=by,
        declared=declared,
        carriers=found,
        products=len({c.data_product for c in found}),
        domains=sorted({c.domain for c in found}),
    )


def overview(
    catalog: Catalog,
    live: Live,
    mesh: Mesh,
    *,
    environment: str,
    lead_times: list[LeadTime],
    limit: int = 100,
) -> Overview:
    ports = [
        PortConsumers(
            data_product=e.id,
            name=e.name,
            domain=e.domain,
            port=port,
            consumers=len(readers := catalog.consumers.get((e.id, port), [])),
            consumer_ids=sorted({c for c, _ in readers}),
        )
        for e in catalog.entries
        for port in e.output_ports
    ]
    ports.sort(key=lambda p: (-p.consumers, p.domain, p.name, p.port))
    links = cross_domain_links(catalog)
    per_domain = counts(e.domain for e in catalog.entries)
    for d in mesh.domains:
        per_domain.setdefault(d.name, 0)
    measured = [t.seconds for t in lead_times if t.seconds is not None]
    return Overview(
        mesh=mesh.name,
        environment=environment,
        totals={
            "dataProducts": len(catalog.entries),
            "domains": len(per_domain),
            "outputPorts": len(ports),
            "consumedOutputPorts": sum(1 for p in ports if p.consumers),
            "consumerLinks": sum(p.consumers for p in ports),
            "crossDomainLinks": len(links),
            "polysemes": len({pol for e in catalog.entries for pol in e.polysemes} | {p.name for p in mesh.polysemes}),
            "reviews": sum(r.count for r in live.ratings.values()),
        },
        products_per_domain=[
            DomainCount(domain=d, products=n) for d, n in sorted(per_domain.items(), key=lambda x: (-x[1], x[0]))
        ],
        consumers_per_port=ports[:limit],
        cross_domain_links=links[:limit],
        lead_times=sorted(lead_times, key=lambda t: (t.seconds is None, -(t.seconds or 0), t.name))[:limit],
        median_lead_time_seconds=statistics.median(measured) if measured else None,
        quality=counts(live.quality(e.id) for e in catalog.entries),
        kinds=counts(e.kind for e in catalog.entries),
    )


def lead_times(
    catalog: Catalog,
    first_deploys: Mapping[str, datetime],
    first_plans: Mapping[str, datetime],
    first_commits: Mapping[str, datetime] | None,
) -> list[LeadTime]:
    """Per product: first commit (git) or first plan (registry) → first DEPLOYED version."""
    found = []
    for e in catalog.entries:
        deployed = first_deploys.get(e.id)
        commit = first_commits.get(e.id) if first_commits is not None else None
        source = "git" if commit is not None else "registry"
        start = commit if commit is not None else first_plans.get(e.id)
        seconds = (deployed - start).total_seconds() if deployed and start else None
        found.append(
            LeadTime(
                data_product=e.id,
                name=e.name,
                first_commit_at=start,
                first_deploy_at=deployed,
                seconds=max(seconds, 0.0) if seconds is not None else None,
                source=source,
            )
        )
    return found


def first_commits(root: Path) -> dict[str, datetime] | None:
    """When each descriptor in the mesh folder was first committed, by data product id; None when the mesh
    is not in a git repository (or git is missing). One ``git log`` for the whole mesh."""
    exe = shutil.which("git")
    if exe is None or not root.is_dir():
        return None
    inside = subprocess.run([exe, "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    log = subprocess.run(
        [exe, "log", "--diff-filter=A", "--relative", "--name-only", "--format=%x1e%aI", "--", f"*{DESCRIPTOR_FILE}"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if log.returncode != 0:
        return None
    added: dict[str, datetime] = {}
    for chunk in log.stdout.split("\x1e"):  # newest first: the last date seen for a path is its first add
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        when = datetime.fromisoformat(lines[0])
        for path in lines[1:]:
            added[path] = when
    found: dict[str, datetime] = {}
    for file in discover(root):
        rel = file.relative_to(root).as_posix()
        match = _ID_LINE.search(file.read_text(encoding="utf-8", errors="replace"))
        if rel in added and match:
            at = added[rel]
            found[match[1]] = min(found.get(match[1], at), at)
    return found
