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
import sys
import tempfile
import time
from pathlib import Path

from meshplane.governance.engine import PolicyEngine
from meshplane.governance.inputs import mesh_context, normalized, policy_input
from meshplane.governance.packs import load_policies, pack_params
from meshplane.governance.rego import _regopy
from meshplane.spec.service import validate_path

sys.path.insert(0, str(Path(__file__).parent))
from generated_mesh import write_mesh


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
