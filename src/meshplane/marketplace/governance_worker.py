"""The child process that evaluates the mesh's policies for the marketplace's governance view.

Why a process and not a thread: evaluating costs about 16 ms per product, minutes at 10,000, and is pure
Python and rego-cpp work — in a thread it would hold the GIL against the requests the server is answering, and
the Rego interpreter silences rego-cpp by swapping the process's stdout and stderr file descriptors while it
runs, which would swallow the server's own logs for as long. A spawned child uses the other core, and its file
descriptors are its own.

It is started as ``python -m meshplane.marketplace.governance_worker`` (not through ``multiprocessing``,
which would re-import the parent's main module in the child) and speaks JSON lines: it reads its arguments
on stdin — the registry URL may hold a password, which must not show in the process list — and writes
``{"plan": …}``, then one ``{"reports": […]}`` per chunk of products, or ``{"error": …}``. It opens the
registry itself, validates the deployed descriptors and builds the engine once (:func:`init`), then
evaluates the products a chunk at a time (:func:`evaluate`), so the parent can show progress.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from meshplane.governance.engine import PolicyEngine
from meshplane.governance.inputs import policy_input
from meshplane.governance.packs import pack_params
from meshplane.governance.policy import Trigger
from meshplane.spec.model import DataProduct

_STATE: dict[str, Any] = {}


def init(mesh_root: str, environment: str, registry_url: str, today: str) -> None:
    """Runs once in the child: read the mesh and the deployed descriptors, compile the policies."""
    from meshplane.marketplace import store
    from meshplane.marketplace.governance_view import engine_for
    from meshplane.registry import Registry
    from meshplane.spec.loader import MESH_FILE, load_mesh

    root = Path(mesh_root)
    mesh = load_mesh(root / MESH_FILE).model
    if mesh is None:
        raise ValueError(f"{root / MESH_FILE} does not load")
    problems: list[str] = []
    products: dict[str, DataProduct] = {}
    with Registry.open(registry_url, base=root) as registry:
        for dp_id, descriptor in store.descriptors(registry, environment).items():
            try:
                products[dp_id] = DataProduct.model_validate(descriptor)
            except ValueError as exc:
                problems.append(f"{dp_id}: the deployed descriptor does not load: {exc}")
    engine, notes = engine_for(mesh, root, list(products.values()), date.fromisoformat(today))
    _STATE.update(products=products, engine=engine, params=pack_params(mesh), problems=problems + notes)


def plan() -> dict[str, Any]:
    """The products to evaluate, the policies (as plain data) and what could not be loaded."""
    engine: PolicyEngine = _STATE["engine"]
    policies = [
        {
            "id": p.id,
            "title": p.title,
            "pack": p.pack,
            "severity": (s.value if (s := p.effective_severity(engine.today)) else None),
            "lifecycle": p.lifecycle.value,
            "trigger": p.trigger.value,
        }
        for p in engine.policies
        if p.trigger is Trigger.DEPLOY
    ]
    return {"ids": sorted(_STATE["products"]), "policies": policies, "problems": list(_STATE["problems"])}


def evaluate(ids: list[str]) -> list[dict[str, Any]]:
    """Policy results of ``ids`` as ``ProductCompliance`` data."""
    from meshplane.marketplace.governance_view import compliance

    engine: PolicyEngine = _STATE["engine"]
    found = []
    for dp_id in ids:
        dp = _STATE["products"][dp_id]
        results = engine.evaluate(policy_input(dp, params=_STATE["params"]), trigger=Trigger.DEPLOY)
        found.append(compliance(dp, results).model_dump())
    return found


#: Products per line of output: small enough to show progress, large enough to cost nothing.
CHUNK = 100


def main(stdin: TextIO = sys.stdin) -> int:
    # The protocol gets its own copy of stdout: the Rego interpreter points file descriptor 1 elsewhere
    # while it evaluates, to silence rego-cpp.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")

    def send(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, default=str) + "\n")
        out.flush()

    try:
        args = json.loads(stdin.read())
        init(args["meshRoot"], args["environment"], args["registryUrl"], args["today"])
        head = plan()
        send({"plan": head})
        ids: list[str] = head["ids"]
        for start in range(0, len(ids), CHUNK):
            send({"reports": evaluate(ids[start : start + CHUNK])})
    except Exception as exc:
        send({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
