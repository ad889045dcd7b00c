"""Governance speed: the built-in policy pack over 1,000 generated data products.

Reports the per-product time of (a) loading and validating descriptors, (b) evaluating the built-in pack
with the compiled engine (mesh context as Rego base data, one bundle query per product) and (c) the naive
way a user would call an interpreter — one query per policy with the whole mesh in `input` — for the ratio.

    python benchmarks/bench_policies.py [--products 1000]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from meshplane.governance.engine import PolicyEngine
from meshplane.governance.inputs import mesh_context, normalized, policy_input
from meshplane.governance.packs import load_policies, pack_params
from meshplane.governance.rego import _regopy
from meshplane.spec.service import validate_path

DOMAINS = ["sales", "billing", "support", "marketing", "customer"]


def write_mesh(root: Path, count: int) -> None:
    mesh = {
        "apiVersion": "meshplane/v1",
        "name": "bench",
        "domains": [{"name": d, "ownerGroup": f"{d}-team"} for d in DOMAINS],
        "users": [{"id": f"user{i}"} for i in range(20)],
        "groups": [{"name": f"{d}-team", "members": ["user1"]} for d in DOMAINS],
        "polysemes": [{"name": "customer", "issuedBy": "customer"}],
        "systems": [{"name": "erp"}],
    }
    (root / "mesh.yaml").write_text(yaml.safe_dump(mesh))
    for i in range(count):
        domain = DOMAINS[i % len(DOMAINS)]
        name = f"product_{i:04d}"
        upstream = f"urn:dmb:dp:{DOMAINS[(i - 1) % len(DOMAINS)]}:product_{i - 1:04d}:1" if i else None
        source = (
            {"type": "outputPort", "dataProduct": upstream, "port": "main"}
            if upstream
            else {"type": "database", "system": "erp", "url": "sqlite:///erp.db", "table": "t"}
        )
        dp = {
            "apiVersion": "meshplane/v1",
            "id": f"urn:dmb:dp:{domain}:{name}:1",
            "name": name,
            "domain": domain,
            "kind": "aggregate" if upstream else "source-aligned",
            "version": "1.0.0",
            "owner": f"user{i % 20}",
            "ownerGroup": f"{domain}-team",
            "description": f"Generated data product number {i} for the governance benchmark, with a long description.",
            "components": [
                {"kind": "inputPort", "name": "upstream", "source": source},
                {
                    "kind": "outputPort",
                    "name": "main",
                    "dataContract": {
                        "columns": [
                            {"name": "id", "type": "string", "required": True, "primaryKey": True},
                            {"name": "customer_id", "type": "string", "polyseme": "customer"},
                            {"name": "email", "type": "string", "classification": "pii"},
                            {"name": "amount", "type": "decimal"},
                        ],
                        "quality": [{"type": "range", "column": "amount", "min": 0}],
                        "sla": {"intervalOfChange": "1h", "timeliness": "15m", "uptime": "99.9%"},
                        "terms": {"usage": "internal"},
                    },
                },
                {
                    "kind": "workload",
                    "name": "build",
                    "reads": ["upstream"],
                    "writes": ["main"],
                    "sql": {"main": "SELECT * FROM upstream"},
                },
                {"kind": "observability", "name": "health", "endpoint": f"https://obs.example.com/{name}"},
            ],
        }
        folder = root / domain / name
        folder.mkdir(parents=True)
        (folder / "dataproduct.yaml").write_text(yaml.safe_dump(dp, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_mesh(root, args.products)
        t0 = time.perf_counter()
        result = validate_path(root)
        validate_s = time.perf_counter() - t0
        ws = result.workspace
        products = [m for _, m in ws.models()]
        assert len(products) == args.products and not [d for d in result.diagnostics if d.severity == "error"]
        policies, _ = load_policies(ws.mesh_model, ws.root)
        t0 = time.perf_counter()
        engine = PolicyEngine(policies, mesh_context(ws.mesh_model, products))
        compile_s = time.perf_counter() - t0
        params = pack_params(ws.mesh_model)
        per_product = []
        for dp in products:
            t = time.perf_counter()
            engine.evaluate(policy_input(dp, params=params))
            per_product.append(time.perf_counter() - t)
        # The naive alternative: one query per policy, mesh context inside `input`, no compiled bundle.
        regopy = _regopy()
        interp = regopy.Interpreter()
        for p in policies:
            interp.add_module(p.file, p.source.replace("data.mesh.", "input.mesh."))
        context = mesh_context(ws.mesh_model, products)
        sample = products[:: max(1, len(products) // 50)]
        naive = []
        for dp in sample:
            t = time.perf_counter()
            interp.set_input({"dataProduct": normalized(dp), "mesh": context, "params": params, "changes": []})
            for p in policies:
                interp.query(f"data.{p.package}.deny")
            naive.append(time.perf_counter() - t)
    ms = [s * 1000 for s in per_product]
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}")
    print(f"{args.products} data products, {len(policies)} built-in policies")
    print(f"validate (load + cross-references): {validate_s / args.products * 1000:.2f} ms/product")
    print(f"engine compile (once):              {compile_s * 1000:.0f} ms")
    print(
        f"policies, compiled engine:          p50 {statistics.median(ms):.1f} ms, "
        f"p95 {sorted(ms)[int(len(ms) * 0.95)]:.1f} ms, mean {statistics.mean(ms):.1f} ms/product"
    )
    naive_ms = statistics.mean(naive) * 1000
    print(f"policies, naive per-policy queries: mean {naive_ms:.1f} ms/product (sampled {len(sample)})")
    print(f"ratio compiled/naive: {statistics.mean(ms) / naive_ms:.2f}")


if __name__ == "__main__":
    main()
