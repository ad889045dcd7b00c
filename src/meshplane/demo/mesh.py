"""The demo mesh as files: ``mesh.yaml``, one ``dataproduct.yaml`` per data product and its SQL.

Descriptors are built as data (:mod:`meshplane.demo.products`), validated against the descriptor model
before anything is written - a demo that does not validate is a bug here, not a user error - and dumped in
the order they were written. The SQL files ship inside this package (``sql/<domain>/<product>/<port>.sql``)
so they can be read, linted and tested as SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from meshplane.demo.kit import Data
from meshplane.demo.products import all_products
from meshplane.spec.model import DataProduct, Mesh

HEADER = "# Written by `meshplane demo`. Edit freely: it is your mesh now.\n"

_TEAMS = {
    "customer": ("Customer master data (MDM): who a customer is, and the global customer id.", "customer-team"),
    "sales": ("Web-shop orders and revenue.", "sales-team"),
    "billing": ("Invoices and payments.", "billing-team"),
    "support": ("Helpdesk tickets and service quality.", "support-team"),
    "marketing": ("Campaigns, engagement, the Customer 360 profile and churn features.", "marketing-team"),
}
_USERS = [
    ("maria", "Maria Rossi", ["customer-team"]),
    ("jonas", "Jonas Berg", ["sales-team"]),
    ("li", "Li Wei", ["billing-team"]),
    ("amara", "Amara Okafor", ["support-team"]),
    ("sam", "Sam Taylor", ["marketing-team"]),
    ("priya", "Priya Patel", ["marketing-team", "ml-engineers"]),
    ("tom", "Tom Novak", ["analysts"]),
    ("olga", "Olga Jensen", ["platform-team"]),
]
_OTHER_GROUPS = {
    "analysts": "Business analysts who consume data products.",
    "ml-engineers": "Engineers who run models on the external ML platform.",
    "platform-team": "Runs the self-serve data platform.",
}
_SYSTEMS = [
    ("legacy_crm", "The CRM monolith: customer records and address history, SQLite.", "database", True),
    ("webshop", "The web shop; exports its orders as Parquet.", "files", True),
    ("billing_system", "Invoicing; exports invoices (Parquet) and the payment provider's CSV.", "files", True),
    ("helpdesk", "The SaaS helpdesk; exports tickets as CSV. Cannot store the CID.", "files", True),
    ("marketing_cloud", "Campaign management; its subscriber key is the CID.", "files", True),
    ("ml_platform", "The external ML platform that trains the churn model.", "application", False),
]


def mesh_data() -> Data:
    members: dict[str, list[str]] = {}
    for user, _, groups in _USERS:
        for group in groups:
            members.setdefault(group, []).append(user)
    descriptions = {team: f"Owns the {domain} domain." for domain, (_, team) in _TEAMS.items()}
    descriptions.update(_OTHER_GROUPS)
    return {
        "apiVersion": "meshplane/v1",
        "name": "acme",
        "description": "ACME's data mesh: a web shop with a legacy CRM, five domains and a Customer 360.",
        "environments": [
            {"name": "dev", "description": "Try changes here."},
            {"name": "prod", "description": "What consumers rely on."},
        ],
        "domains": [
            {"name": domain, "description": text, "ownerGroup": team} for domain, (text, team) in _TEAMS.items()
        ],
        "users": [{"id": uid, "name": name, "email": f"{uid}@acme.example"} for uid, name, _ in _USERS],
        "groups": [
            {"name": group, "description": descriptions[group], "members": users} for group, users in members.items()
        ],
        "polysemes": [
            {
                "name": "customer",
                "description": "The global customer id (CID, e.g. CID-100000042) issued by the customer MDM "
                "(customer_master) and fed back to the operational systems.",
                "keyType": "string",
                "issuedBy": "customer",
            }
        ],
        "systems": [
            {"name": name, "description": text, "type": kind, "operational": operational}
            for name, text, kind, operational in _SYSTEMS
        ],
    }


class _Dumper(yaml.SafeDumper):
    """Block style indented the way people write descriptors; short lists of scalars inline."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    inline = all(isinstance(i, str | int | float) for i in items) and len(str(items)) <= 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=inline)


_Dumper.add_representer(list, _represent_list)


def dump(data: Any) -> str:
    return HEADER + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def plan() -> dict[str, str]:
    """Every mesh file to write (relative path -> text), validated first."""
    mesh = mesh_data()
    Mesh.model_validate(mesh)
    files = {"mesh.yaml": dump(mesh)}
    for product in all_products():
        model = DataProduct.model_validate(product)
        folder = f"{model.domain}/{model.name}"
        files[f"{folder}/dataproduct.yaml"] = dump(product)
        for workload in model.workloads:
            for relative in workload.sql.values():
                files[f"{folder}/{relative}"] = _sql(model.domain, model.name, Path(relative).name)
    return files


def _sql(domain: str, product: str, filename: str) -> str:
    return (resources.files("meshplane.demo") / "sql" / domain / product / filename).read_text("utf-8")


def write(root: Path, files: dict[str, str], progress: Callable[[str, int, int], None] | None = None) -> list[Path]:
    written = []
    for index, (relative, text) in enumerate(sorted(files.items()), start=1):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
        if progress:
            progress("descriptors", index, len(files))
    return written
