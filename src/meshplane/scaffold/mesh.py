"""``meshplane init``: a new mesh folder that is valid from the first minute and explains itself.

The mesh file is written as text with comments rather than dumped from the model, because people edit it
next; it is still checked against ``Mesh`` before anything is written, so a bad name fails with nothing
left behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from meshplane.errors import InvalidInputError, MeshplaneError
from meshplane.spec.ids import NAME_PATTERN, is_name
from meshplane.spec.model import Mesh

MESH_FILE = "mesh.yaml"

_POLICIES_README = """\
# Policies

Federated governance rules of this mesh, as code. Each `.rego` file here is a policy (Rego, the language
of Open Policy Agent) that every data product is checked against at deploy time or at run time, next to
the built-in policy pack named under `policyPacks:` in `../mesh.yaml`.

A policy declares its severity (error or warning), its scope and its lifecycle (draft, grace, enabled), so a
new rule can be announced before it blocks anyone.
"""

_GITIGNORE = """\
# Local state of the platform: the registry database and the output ports' storage.
.meshplane/
"""


def check_name(what: str, value: str) -> None:
    """Names become folder names, YAML keys and ids, so they follow the id rules."""
    if not is_name(value):
        raise InvalidInputError(
            f"`{value}` is not a valid {what} name",
            hint=f"use letters, digits, `_`, `.` and `-`, starting with a letter or digit ({NAME_PATTERN})",
        )


def _block(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def mesh_yaml(name: str, *, domains: Sequence[str] = (), description: str = "") -> str:
    """The text of a new ``mesh.yaml``: every section present, commented, with a team group per domain."""
    domain_entries = [{"name": d, "description": "", "ownerGroup": f"{d}-team"} for d in domains]
    group_entries = [{"name": f"{d}-team", "description": f"Owns the {d} domain", "members": []} for d in domains]
    parts = [
        "# The mesh: settings shared by every domain. Check it with `meshplane validate`.\n",
        _block({"apiVersion": "meshplane/v1", "name": name, "description": description}),
        "\n# Where data products are deployed; add e.g. `prod` when you have one.\n",
        _block({"environments": [{"name": "dev", "description": "Local development"}]}),
        "\n# Output ports are Delta tables under this root (a path relative to this folder, or a URI).\n",
        _block({"storage": {"root": ".meshplane/storage"}}),
        "\n# The control-plane store; MESHPLANE_REGISTRY_URL overrides it.\n",
        _block({"registry": {"url": "sqlite:///.meshplane/registry.db"}}),
        "\n# Business areas owning data products; `meshplane new dataproduct` only accepts these.\n",
        _block({"domains": domain_entries}),
        "\n# People: data product owners, developers and consumers, e.g.\n"
        "#   - id: alice\n#     name: Alice Example\n#     email: alice@example.com\n",
        _block({"users": []}),
        "\n# Teams: owners of domains, consumers that request access; `members` lists user ids.\n",
        _block({"groups": group_entries}),
        "\n# Concepts shared across domains with one global key, e.g. the customer id issued by the MDM.\n",
        _block({"polysemes": []}),
        "\n# Systems outside the mesh that data products read from or serve (databases, files, events).\n",
        _block({"systems": []}),
        "\n# Governance: the built-in policy pack plus this mesh's own policies in `policies/`.\n",
        _block({"policyPacks": [{"name": "builtin"}], "policies": "policies"}),
    ]
    return "".join(parts)


def init_mesh(target: Path, name: str, *, domains: Sequence[str] = (), description: str = "") -> Path:
    """Create a mesh in ``target`` (created if missing) and return the path of its ``mesh.yaml``.

    Writes ``mesh.yaml`` (one ``dev`` environment, a domain, owner group and folder per name in
    ``domains``), ``policies/README.md`` and a ``.gitignore`` for the platform's local state. An existing
    ``mesh.yaml`` is never overwritten.
    """
    check_name("mesh", name)
    for domain in domains:
        check_name("domain", domain)
    duplicates = sorted({d for d in domains if list(domains).count(d) > 1})
    if duplicates:
        raise InvalidInputError(f"domain `{duplicates[0]}` is given twice", hint="name each domain once")
    mesh_file = target / MESH_FILE
    if mesh_file.exists():
        raise MeshplaneError(
            f"{mesh_file} already exists; not overwriting it",
            hint="choose an empty folder, or edit the existing mesh.yaml to add domains",
        )
    if target.exists() and not target.is_dir():
        raise MeshplaneError(f"{target} is a file, not a folder", hint="choose a folder for the mesh")

    text = mesh_yaml(name, domains=domains, description=description)
    try:
        Mesh.model_validate(yaml.safe_load(text))
    except ValidationError as exc:  # a bug in mesh_yaml, or a value the model refuses
        raise InvalidInputError(f"the new mesh.yaml would not be valid: {exc}") from exc

    target.mkdir(parents=True, exist_ok=True)
    mesh_file.write_text(text, encoding="utf-8")
    policies = target / "policies"
    policies.mkdir(exist_ok=True)
    readme = policies / "README.md"
    if not readme.exists():
        readme.write_text(_POLICIES_README, encoding="utf-8")
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(_GITIGNORE, encoding="utf-8")
    elif ".meshplane/" not in gitignore.read_text(encoding="utf-8").splitlines():
        with gitignore.open("a", encoding="utf-8") as handle:
            handle.write("\n" + _GITIGNORE)
    for domain in domains:
        (target / domain).mkdir(exist_ok=True)
    return mesh_file
