"""Marketplace speed at 10,000 data products: search and the data product page, against doing it by hand.

Seeds a scratch mesh (mesh.yaml with 20 domains) and a SQLite registry with N generated, valid descriptors
(one or two output ports of 6-12 columns each, tags, polysemes, input ports reading earlier products), one
run per product (succeeded, warned, blocked or failed), a few thousand reviews, and small Delta tables for
the products whose pages are measured. Rows go in with SQLAlchemy Core bulk inserts into the registry's own
tables (the Registry API would take one transaction per product). Then, REPS times each:

  search (service)    Marketplace.search(...) in this process
  search (API)        GET /api/v1/products?... through FastAPI's TestClient (JSON encoding included)
  search (SQL LIKE)   what a user would do without the marketplace: LIKE over the descriptors' JSON text in
                      SQLite (one LIKE per word), COUNT(*), GROUP BY json_extract(...) per facet, one page
  page (service/API/HTML)  Marketplace.product(id) / GET /api/v1/products/{id} / GET /dp/{id}
  page (by hand)      the descriptor, the last 20 runs and five rows of each port's Delta table, read
                      directly (SQL + deltalake): the raw material of the page without assembling it

Percentiles are over all timed calls (after one warm-up each). Also reported: the index build, the cost of
re-reading quality and ratings after a review, and of rebuilding after a deployment.

    python benchmarks/bench_marketplace.py [--products 10000] [--reps 30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml
from deltalake import DeltaTable, write_deltalake
from sqlalchemy import insert, select, text

from meshplane.marketplace import Marketplace, store
from meshplane.registry import Registry
from meshplane.registry.market_models import ReviewRow
from meshplane.registry.models import ComponentRow, DeploymentRow, DescriptorVersionRow
from meshplane.registry.run_models import RunRow
from meshplane.spec.loader import MESH_FILE, load_mesh
from meshplane.spec.model import DataProduct

SEED = 7
DOMAINS = [
    "sales", "billing", "support", "marketing", "customer", "finance", "logistics", "inventory", "hr", "risk",
    "fraud", "pricing", "catalog", "payments", "shipping", "returns", "loyalty", "ads", "web", "mobile",
]  # fmt: skip
NOUNS = [
    "orders", "invoices", "customers", "tickets", "campaigns", "payments", "shipments", "returns", "products",
    "prices", "stock", "employees", "accounts", "sessions", "clicks", "refunds", "claims", "contracts", "leads",
    "visits", "carts", "reviews", "suppliers", "warehouses", "routes", "devices", "churn", "revenue", "margin",
]  # fmt: skip
ADJECTIVES = ["daily", "weekly", "monthly", "raw", "clean", "curated", "golden", "enriched", "aggregated", "live"]
WORDS = [
    "the", "of", "per", "with", "for", "every", "one", "row", "record", "history", "current", "latest", "global",
    "regional", "net", "gross", "amount", "count", "score", "risk", "segment", "country", "channel", "status",
    "quality", "forecast", "target", "actual", "estimate", "model", "feature", "cohort", "funnel", "retention",
]  # fmt: skip
COLUMN_TYPES = ["string", "integer", "decimal", "timestamp", "boolean", "date", "number"]
POLYSEMES = ["customer", "product", "order", "supplier"]
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("customer", {}),
    ("cust", {}),
    ("daily revenue", {}),
    ("churn risk score", {}),
    ("", {}),
    ("orders", {"domain": ["sales", "finance"]}),
    ("", {"quality": ["failing"]}),
    ("", {"kind": ["aggregate"], "maturity": ["strategic"], "domain": ["risk"]}),
    ("golden customers", {"polyseme": ["customer"]}),
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS + NOUNS) for _ in range(n)).capitalize() + "."


def descriptor(i: int, rng: random.Random, names: list[tuple[str, str]]) -> dict[str, Any]:
    domain = DOMAINS[i % len(DOMAINS)]
    name = f"{rng.choice(ADJECTIVES)}_{rng.choice(NOUNS)}_{i:05d}"
    dp_id = f"urn:dmb:dp:{domain}:{name}:1"
    ports = []
    for p in range(rng.choice([1, 1, 2])):
        columns = [{"name": "id", "type": "string", "required": True, "primaryKey": True, "description": "Key."}]
        for c in range(rng.randint(5, 11)):
            col: dict[str, Any] = {
                "name": f"{rng.choice(WORDS)}_{rng.choice(NOUNS)}_{c}",
                "type": rng.choice(COLUMN_TYPES),
                "description": sentence(rng, 6),
            }
            if rng.random() < 0.15:
                col["polyseme"] = rng.choice(POLYSEMES)
            if rng.random() < 0.1:
                col["classification"] = "pii"
            columns.append(col)
        ports.append(
            {
                "kind": "outputPort",
                "name": f"{rng.choice(NOUNS)}_{p}",
                "description": sentence(rng, 10),
                "dataContract": {
                    "columns": columns,
                    "quality": [{"type": "notNull", "column": "id"}, {"type": "unique", "columns": ["id"]}],
                    "sla": {"intervalOfChange": rng.choice(["1h", "24h"]), "timeliness": "4h", "uptime": "99.5%"},
                    "terms": {"purpose": sentence(rng, 8)},
                },
            }
        )
    inputs = []
    if names and rng.random() < 0.6:
        up_id, up_port = rng.choice(names)
        inputs.append(
            {
                "kind": "inputPort",
                "name": "upstream",
                "source": {"type": "outputPort", "dataProduct": up_id, "port": up_port},
            }
        )
    names.append((dp_id, ports[0]["name"]))
    return {
        "apiVersion": "meshplane/v1",
        "id": dp_id,
        "name": name,
        "description": sentence(rng, 25),
        "domain": domain,
        "kind": rng.choice(["source-aligned", "aggregate", "consumer-aligned"]),
        "version": "1.0.0",
        "owner": f"user{i % 50}",
        "ownerGroup": f"{domain}-team",
        "status": rng.choice(["published", "published", "published", "draft", "deprecated"]),
        "maturity": rng.choice(["experimental", "tactical", "strategic"]),
        "tags": rng.sample(NOUNS + ADJECTIVES, 3),
        "components": inputs + ports,
    }


def write_mesh(root: Path) -> None:
    mesh = {
        "apiVersion": "meshplane/v1",
        "name": "bench",
        "environments": [{"name": "dev"}],
        "domains": [{"name": d, "ownerGroup": f"{d}-team"} for d in DOMAINS],
        "users": [{"id": f"user{i}", "name": f"User {i}"} for i in range(50)],
        "groups": [{"name": f"{d}-team", "members": [f"user{i}"]} for i, d in enumerate(DOMAINS)],
        "polysemes": [{"name": p, "issuedBy": "customer"} for p in POLYSEMES],
    }
    (root / "mesh.yaml").write_text(yaml.safe_dump(mesh, sort_keys=False))


def seed(root: Path, count: int, tables: int) -> tuple[Registry, list[str], float]:
    """Mesh folder, registry and Delta tables for ``tables`` products; returns the ids whose pages have data."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    write_mesh(root)
    registry = Registry.open(f"sqlite:///{root / '.meshplane' / 'registry.db'}")
    names: list[tuple[str, str]] = []
    descriptors = [descriptor(i, rng, names) for i in range(count)]
    DataProduct.model_validate(descriptors[0])  # the generator writes valid descriptors
    now = datetime.now(UTC)
    engine = registry.engine.execution_options(meshplane_write=True)
    with engine.begin() as conn:
        conn.execute(
            insert(DeploymentRow),
            [
                {"id": n + 1, "dp_id": d["id"], "environment": "dev", "version": "1.0.0", "descriptor": d,
                 "status": "DEPLOYED", "revision": 1, "created_at": now, "updated_at": now}
                for n, d in enumerate(descriptors)
            ],
        )  # fmt: skip
        conn.execute(
            insert(DescriptorVersionRow),
            [
                {"deployment_id": n + 1, "version": "1.0.0", "descriptor": d, "sha256": f"{n:064x}",
                 "status": "DEPLOYED", "deployed_at": now - timedelta(hours=1), "deployed_by": "bench"}
                for n, d in enumerate(descriptors)
            ],
        )  # fmt: skip
        runs = []
        for n, d in enumerate(descriptors):
            status = rng.choices(["SUCCEEDED", "BLOCKED", "FAILED"], [90, 7, 3])[0]
            port = d["components"][-1]["name"]
            warnings = 1 if rng.random() < 0.1 else 0
            runs.append(
                {"run_id": f"{n:08d}-0000-7000-8000-000000000000", "dp_id": d["id"], "environment": "dev", "seq": 1,
                 "status": status, "mode": "run", "dp_version": "1.0.0", "actor": "bench", "owner": None,
                 "started_at": now - timedelta(minutes=30), "finished_at": now - timedelta(minutes=29),
                 "duration_ms": 60_000, "inputs": {},
                 "outputs": {port: {"version": 1, "rows": 100, "mode": "overwrite", "warnings": warnings}},
                 "checks": {port: {"counts": {"pass": 5, "warn": warnings, "fail": int(status == "BLOCKED"),
                                              "skip": 0}, "checks": []}},
                 "lineage": {}, "error": None}
            )  # fmt: skip
        conn.execute(insert(RunRow), runs)
        reviews: dict[tuple[str, str], dict[str, Any]] = {}
        for k in range(count // 4):
            dp_id = descriptors[rng.randrange(count)]["id"]
            author = f"user{k % 50}"
            reviews[(dp_id, author)] = {
                "dp_id": dp_id, "author": author, "rating": rng.randint(1, 5), "title": "",
                "body": sentence(rng, 12), "created_at": now, "updated_at": now,
            }  # fmt: skip
        conn.execute(insert(ReviewRow), list(reviews.values()))
    pages = []
    for n in range(0, count, max(1, count // tables))[:tables]:
        d = descriptors[n]
        with engine.begin() as conn:
            for port in [c for c in d["components"] if c["kind"] == "outputPort"]:
                path = root / ".meshplane" / "storage" / d["domain"] / d["name"] / port["name"]
                columns = {c["name"]: [f"{c['name']}-{r}" for r in range(100)] for c in port["dataContract"]["columns"]}
                write_deltalake(str(path), pa.table(columns))
                conn.execute(
                    insert(ComponentRow).values(
                        deployment_id=n + 1, component_id=f"urn:dmb:cmp:{d['domain']}:{d['name']}:1:{port['name']}",
                        kind="outputPort", adapter="delta", status="DEPLOYED", desired_hash=None,
                        info={"path": str(path), "version": 0, "format": "delta"}, log=[], updated_at=now,
                    )
                )  # fmt: skip
        pages.append(d["id"])
    return registry, pages, time.perf_counter() - started


def timed(fn: Callable[[], Any], reps: int) -> list[float]:
    fn()  # warm-up
    found = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        found.append((time.perf_counter() - t) * 1000)
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def like_search(registry: Registry, q: str, filters: dict[str, list[str]]) -> tuple[int, list[Any]]:
    """The hand-made alternative: LIKE over the JSON text, a COUNT, GROUP BY per facet, one page of rows."""
    where = ["environment = 'dev'"]
    params: dict[str, Any] = {}
    for n, word in enumerate(q.lower().split()):
        where.append(f"lower(CAST(descriptor AS TEXT)) LIKE :w{n}")
        params[f"w{n}"] = f"%{word}%"
    for key, values in filters.items():
        if key in ("domain", "kind", "maturity", "status"):
            names = [f":{key}{i}" for i in range(len(values))]
            where.append(f"json_extract(descriptor, '$.{key}') IN ({', '.join(names)})")
            params.update({f"{key}{i}": v for i, v in enumerate(values)})
        elif key == "polyseme":
            where.append("CAST(descriptor AS TEXT) LIKE :poly")
            params["poly"] = f'%"polyseme": "{values[0]}"%'
        elif key == "quality":  # the latest run's status, as a user would have to join it
            where.append(
                "dp_id IN (SELECT dp_id FROM runs WHERE status IN ('BLOCKED', 'FAILED') AND environment = 'dev')"
            )
    clause = " AND ".join(where)
    with registry.engine.connect() as conn:
        total = conn.execute(text(f"SELECT count(*) FROM deployments WHERE {clause}"), params).scalar_one()
        for facet in ("domain", "kind", "maturity", "status"):
            conn.execute(
                text(
                    f"SELECT json_extract(descriptor, '$.{facet}'), count(*) FROM deployments WHERE {clause} GROUP BY 1"
                ),
                params,
            ).all()
        rows = conn.execute(
            text(f"SELECT dp_id, descriptor FROM deployments WHERE {clause} ORDER BY dp_id LIMIT 20"), params
        ).all()
    return int(total), [json.loads(r[1]) if isinstance(r[1], str) else r[1] for r in rows]


def page_by_hand(registry: Registry, dp_id: str) -> None:
    with registry.engine.connect() as conn:
        row = conn.execute(select(DeploymentRow.descriptor, DeploymentRow.id).where(DeploymentRow.dp_id == dp_id)).one()
        conn.execute(select(RunRow).where(RunRow.dp_id == dp_id).order_by(RunRow.seq.desc()).limit(20)).all()
        paths = conn.execute(select(ComponentRow.info).where(ComponentRow.deployment_id == row[1])).scalars().all()
    for info in paths:
        DeltaTable(info["path"]).to_pyarrow_dataset().head(5).to_pylist()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--pages", type=int, default=20, help="Products whose pages are measured (with tables)")
    parser.add_argument("--keep", type=Path, help="Seed into this folder and keep it")
    args = parser.parse_args()
    os.environ.pop("MESHPLANE_REGISTRY_URL", None)
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-market-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    registry, pages, seconds = seed(root, args.products, args.pages)
    print(f"seeded {args.products:,} data products, their runs and reviews in {seconds:.1f} s ({root})")
    mesh = load_mesh(root / MESH_FILE).model
    assert mesh is not None
    market = Marketplace(registry, mesh, root, "dev")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    market.search("x")
    build = time.perf_counter() - t
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"index built on first search in {build * 1000:.0f} ms (peak RSS {rss_before:.0f} -> {rss_after:.0f} MB)")
    check = timed(lambda: store.fingerprint(registry, "dev"), 10)
    print(f"registry change check (runs behind requests, at most once a second): {pct(check, 0.5):.1f} ms")

    from fastapi.testclient import TestClient

    from meshplane.web.app import create_app

    client = TestClient(create_app(root, environment="dev", registry=registry))
    rows: list[tuple[str, list[float], list[float] | None]] = []
    service_all: list[float] = []
    api_all: list[float] = []
    like_all: list[float] = []
    for q, filters in QUERIES:
        label = (repr(q) + (" " + ",".join(f"{k}={'|'.join(v)}" for k, v in filters.items()) if filters else ""))[:46]
        svc = timed(lambda q=q, f=filters: market.search(q, **f), args.reps)
        api = timed(
            lambda q=q, f=filters: client.get("/api/v1/products", params={"q": q, **f}).raise_for_status(), args.reps
        )
        like = timed(lambda q=q, f=filters: like_search(registry, q, f), max(3, args.reps // 5))
        total = market.search(q, **filters).total
        rows.append((f"search {label} ({total:,} hits)", svc, like))
        rows.append(("  through the API", api, like))
        service_all += svc
        api_all += api
        like_all += like

    page_svc: list[float] = []
    page_api: list[float] = []
    page_html: list[float] = []
    page_hand: list[float] = []
    html_ok = client.get(f"/dp/{pages[0]}").status_code == 200
    for dp_id in pages:
        page_svc += timed(lambda d=dp_id: market.product(d), max(3, args.reps // 5))
        page_api += timed(
            lambda d=dp_id: client.get(f"/api/v1/products/{d}").raise_for_status(), max(3, args.reps // 5)
        )
        if html_ok:
            page_html += timed(lambda d=dp_id: client.get(f"/dp/{d}").raise_for_status(), max(3, args.reps // 5))
        page_hand += timed(lambda d=dp_id: page_by_hand(registry, d), max(3, args.reps // 5))
    cold = []
    for dp_id in random.Random(1).sample(pages, min(5, len(pages))):
        market._cache.live.memo.clear()  # type: ignore[union-attr]  # forget cached samples: a first visit
        t = time.perf_counter()
        market.product(dp_id)
        cold.append((time.perf_counter() - t) * 1000)

    # Refresh costs: a review (through the marketplace) re-reads quality and ratings before the next answer;
    # a deployment change made elsewhere rebuilds the index behind the requests, which keep being answered.
    t = time.perf_counter()
    market.rate(pages[0], "user1", 5)
    market.search("customer")
    after_review = (time.perf_counter() - t) * 1000
    registry.set_lifecycle(pages[1], "dev", deprecated_on=datetime.now(UTC).date(), retire_on=None)
    t = time.perf_counter()
    market.refresh()
    rebuild = (time.perf_counter() - t) * 1000
    registry.set_lifecycle(pages[1], "dev", deprecated_on=None, retire_on=None)
    behind = threading.Thread(target=market.refresh)
    behind.start()
    during: list[float] = []
    while behind.is_alive():
        t = time.perf_counter()
        market.search("customer")
        during.append((time.perf_counter() - t) * 1000)
    behind.join()

    print()
    print(f"{'operation':<62} {'p50 ms':>8} {'p95 ms':>8} {'SQL LIKE p50':>13} {'ratio':>7}")
    for label, ours, base in rows:
        ratio = f"{statistics.median(base) / statistics.median(ours):.0f}x" if base else ""
        base_text = f"{statistics.median(base):.1f}" if base else ""
        print(f"{label:<62} {pct(ours, 0.5):>8.2f} {pct(ours, 0.95):>8.2f} {base_text:>13} {ratio:>7}")
    print()
    summary = [
        ("search, all queries (service)", service_all, like_all),
        ("search, all queries (API, JSON)", api_all, like_all),
        ("data product page (service)", page_svc, page_hand),
        ("data product page (API, JSON)", page_api, page_hand),
    ]
    if html_ok:
        summary.append(("data product page (HTML)", page_html, page_hand))
    print(f"{'summary':<40} {'p50 ms':>8} {'p95 ms':>8} {'by hand p50':>12} {'by hand p95':>12}")
    for label, ours, base in summary:
        ours_text = f"{pct(ours, 0.5):>8.2f} {pct(ours, 0.95):>8.2f}"
        print(f"{label:<40} {ours_text} {pct(base, 0.5):>12.2f} {pct(base, 0.95):>12.2f}")
    print(f"{'data product page, first visit (service)':<40} {pct(cold, 0.5):>8.2f} {max(cold):>8.2f}")
    print()
    print(f"review, then search showing its new rating: {after_review:.0f} ms")
    print(f"index rebuild after a deployment change (behind the requests): {rebuild:.0f} ms")
    if during:
        print(f"search while the index is rebuilt: p50 {pct(during, 0.5):.1f} ms, p95 {pct(during, 0.95):.1f} ms")
    target = pct(api_all, 0.95) < 100
    print(f"target: search p95 < 100 ms at {args.products:,} products through the API: {'MET' if target else 'MISSED'}")
    client.close()
    market.close()
    registry.close()
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if target else 1


if __name__ == "__main__":
    sys.exit(main())
