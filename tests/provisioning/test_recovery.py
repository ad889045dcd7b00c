"""A deploy killed with SIGKILL is completed by re-running it; concurrent deploys are serialized."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from meshplane.registry import Registry

HERE = Path(__file__).parent


def _run(args, env=None, script=None):
    command = [sys.executable, str(script)] if script else [sys.executable, "-m", "meshplane.cli.app"]
    return subprocess.Popen(
        [*command, *map(str, args)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _registry(mesh: Path) -> Registry:
    return Registry.open(f"sqlite:///{mesh / '.meshplane/registry.db'}")


def test_a_deploy_killed_mid_way_completes_when_re_run(mesh, status):
    proc = _run(["deploy", "--mesh", mesh], env={"KILL_AFTER": "1"}, script=HERE / "crashing_deploy.py")
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    with _registry(mesh) as registry:
        held = registry.deployment("urn:dmb:dp:customer:customers:1", "dev")
        states = {
            s.component_id.rsplit(":", 1)[-1]: str(s.status)
            for s in registry.components("urn:dmb:dp:customer:customers:1", "dev")
        }
    assert held is not None and held.lock_owner is not None  # the dead process still "holds" the lock
    assert states["customers"] == "PROVISIONING"  # the table exists, the registry never heard
    rerun = _run(["deploy", "--mesh", mesh, "-f", "json"])
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert [d["status"] for d in json.loads(out)["deployments"]] == ["DEPLOYED", "DEPLOYED"]
    rows = status(mesh)
    assert all(c["status"] == "DEPLOYED" for row in rows.values() for c in row["components"])
    with _registry(mesh) as registry:
        assert "lock.broken" in [r.action for r in registry.audit_log()]


def test_concurrent_deploys_of_one_mesh_are_serialized(mesh):
    procs = [_run(["deploy", "--mesh", mesh, "-f", "json"]) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outputs]
    changes = sorted(
        sum(1 for i in d["plan"]["items"] if i["operation"] != "noop")
        for out, _ in outputs
        for d in json.loads(out)["deployments"]
        if d["dataProduct"].endswith("orders:1")
    )
    assert changes == [0, 5]  # one applied the plan; the other planned after it and found nothing to do
    with _registry(mesh) as registry:
        plans = registry.plans("urn:dmb:dp:sales:orders:1", "dev")
        recorded = [
            r for r in registry.audit_log(target="urn:dmb:dp:sales:orders:1") if r.action == "deployment.recorded"
        ]
    # the second deploy found nothing to do, so it recorded nothing: one plan, one deployment
    assert [str(p.status) for p in plans] == ["APPLIED"] and len(recorded) == 1
