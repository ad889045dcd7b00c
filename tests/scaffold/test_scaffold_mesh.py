"""``init_mesh``: a new mesh that loads, and an existing one that is never overwritten."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from meshplane.errors import InvalidInputError, MeshplaneError
from meshplane.scaffold import init_mesh, template_versions
from meshplane.spec.model import Mesh


def test_init_creates_a_mesh_that_loads(tmp_path: Path) -> None:
    mesh_file = init_mesh(tmp_path / "acme", "acme", domains=["sales", "customer"], description="Acme's mesh")

    assert mesh_file == tmp_path / "acme" / "mesh.yaml"
    mesh = Mesh.model_validate(yaml.safe_load(mesh_file.read_text()))
    assert mesh.name == "acme"
    assert mesh.description == "Acme's mesh"
    assert [e.name for e in mesh.environments] == ["dev"]
    assert [(d.name, d.owner_group) for d in mesh.domains] == [("sales", "sales-team"), ("customer", "customer-team")]
    assert [g.name for g in mesh.groups] == ["sales-team", "customer-team"]
    assert mesh.users == []
    assert [p.name for p in mesh.policy_packs] == ["builtin"]
    assert mesh.policies == "policies"
    assert "Rego" in (tmp_path / "acme" / "policies" / "README.md").read_text()
    assert ".meshplane/" in (tmp_path / "acme" / ".gitignore").read_text().splitlines()
    assert (tmp_path / "acme" / "sales").is_dir()


def test_init_without_domains_is_valid(tmp_path: Path) -> None:
    mesh = Mesh.model_validate(yaml.safe_load(init_mesh(tmp_path, "empty").read_text()))
    assert mesh.domains == []
    assert [e.name for e in mesh.environments] == ["dev"]


def test_init_refuses_to_overwrite_an_existing_mesh(tmp_path: Path) -> None:
    mesh_file = tmp_path / "mesh.yaml"
    mesh_file.write_text("name: precious\n")

    with pytest.raises(MeshplaneError, match="already exists") as info:
        init_mesh(tmp_path, "other")

    assert info.value.hint and "edit the existing mesh.yaml" in info.value.hint
    assert mesh_file.read_text() == "name: precious\n"
    assert not (tmp_path / "policies").exists()


def test_init_keeps_an_existing_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")
    init_mesh(tmp_path, "demo")
    assert (tmp_path / ".gitignore").read_text().splitlines() == [
        "*.pyc",
        "# Local state of the platform: the registry database and the output ports' storage.",
        ".meshplane/",
    ]


@pytest.mark.parametrize(("name", "domains"), [("bad name", []), ("-dash", []), ("ok", ["sales/eu"])])
def test_init_rejects_invalid_names_and_writes_nothing(tmp_path: Path, name: str, domains: list[str]) -> None:
    with pytest.raises(InvalidInputError, match="is not a valid"):
        init_mesh(tmp_path / "m", name, domains=domains)
    assert not (tmp_path / "m").exists()


def test_init_rejects_a_domain_given_twice(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="`sales` is given twice"):
        init_mesh(tmp_path / "m", "demo", domains=["sales", "sales"])


def test_template_files_are_package_data() -> None:
    """The templates must travel in the wheel: read them the way an installed package would."""
    root = resources.files("meshplane.scaffold").joinpath("templates", "dataproduct")
    versions = template_versions()
    assert versions[:2] == ["1.0.0", "1.1.0"]
    for version in versions:
        assert root.joinpath(version, "copier.yml").is_file()
        descriptor = root.joinpath(version, "template", "dataproduct.yaml.jinja")
        assert descriptor.is_file()
        assert "urn:dmb:dp:{{ domain }}:{{ name }}" in descriptor.read_text()
