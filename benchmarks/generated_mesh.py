"""A generated mesh for benchmarks: N data products of five components each (input port, output port with a
full contract, workload, observability, storage area), chained so each reads the previous one."""

from __future__ import annotations

from pathlib import Path

import yaml

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
                {"kind": "storageArea", "name": "staging"},
            ],
        }
        folder = root / domain / name
        folder.mkdir(parents=True)
        (folder / "dataproduct.yaml").write_text(yaml.safe_dump(dp, sort_keys=False))
