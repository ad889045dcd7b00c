"""Deployment speed: the platform deploying N generated data products (five components each) on the embedded
adapters, side by side with creating the same empty Delta tables directly with `deltalake`.

The platform's total includes the registry (every plan, component state, descriptor version and audit
record, in SQLite), locking, planning and the Delta adapter; the policy check is timed separately.

    python benchmarks/bench_deploy.py [--products 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from deltalake import DeltaTable

from meshplane.adapters.constraints import compile_checks, render_delta
from meshplane.adapters.schema import arrow_schema
from meshplane.provisioning.service import open_session

sys.path.insert(0, str(Path(__file__).parent))
from generated_mesh import write_mesh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    os.environ.pop("MESHPLANE_REGISTRY_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mesh"
        root.mkdir()
        write_mesh(root, args.products)
        with open_session(root) as session:
            products = session.select(None)
            t0 = time.perf_counter()
            report = session.check()
            check_s = time.perf_counter() - t0
            assert report.ok, [d.render() for d in report.diagnostics[:5]]
            t0 = time.perf_counter()
            outcomes = [session.coordinator.deploy(dp) for dp in products]
            deploy_s = time.perf_counter() - t0
            assert all(o.status == "DEPLOYED" for o in outcomes)
            t0 = time.perf_counter()
            again = [session.coordinator.deploy(dp) for dp in products]
            redeploy_s = time.perf_counter() - t0
            assert not any(o.plan.changes for o in again)
        # The same tables by hand: schema, name, description, change data feed and the CHECK constraints
        # the contract compiles to (delta-rs takes constraints only as a second commit, as the adapter does).
        direct_root = Path(tmp) / "direct"
        specs = []
        for dp in products:
            port = dp.output_ports[0]
            checks = {c.name(): render_delta(c) for c in compile_checks(port.data_contract)}
            specs.append(
                (
                    str(direct_root / dp.domain / dp.name / port.name),
                    arrow_schema(port.data_contract),
                    dp.component_id(port),
                    checks,
                )
            )
        t0 = time.perf_counter()
        for path, schema, cid, checks in specs:
            table = DeltaTable.create(
                path, schema, name=cid, description=cid, configuration={"delta.enableChangeDataFeed": "true"}
            )
            if checks:
                table.alter.add_constraint(checks)
        direct_s = time.perf_counter() - t0
    n = args.products
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{n} data products x 5 components ({n} Delta tables)")
    print(f"check (validation + 11 policies):     {check_s:7.2f} s  ({check_s / n * 1000:.1f} ms/product)")
    print(f"platform deploy (embedded adapters):  {deploy_s:7.2f} s  ({deploy_s / n * 1000:.1f} ms/product)")
    print(f"re-deploy, nothing to do:             {redeploy_s:7.2f} s  ({redeploy_s / n * 1000:.1f} ms/product)")
    print(f"direct deltalake (same tables):       {direct_s:7.2f} s  ({direct_s / n * 1000:.1f} ms/table)")
    print(f"ratio deploy/direct: {deploy_s / direct_s:.2f} (target < 2)")


if __name__ == "__main__":
    main()
