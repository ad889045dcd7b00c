"""``new_dataproduct``: each template kind generates a valid, runnable data product; bad input is refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.scaffold import (
    TEMPLATES,
    dataproduct_template_version,
    ensure_template_repo,
    latest_version,
    new_dataproduct,
    template_versions,
)
from meshplane.spec.model import (
    DatabaseSource,
    DataProduct,
    FilesSource,
    Freshness,
    OutputPortSource,
)


def load(dp_dir: Path) -> DataProduct:
    return DataProduct.model_validate(yaml.safe_load((dp_dir / "dataproduct.yaml").read_text()))


@pytest.mark.parametrize("kind", TEMPLATES)
def test_each_template_generates_a_valid_data_product(mesh: Path, kind: str) -> None:
    dp_dir = new_dataproduct(
        mesh, "sales", "orders", template=kind, owner="bob", description="Every order placed in the web shop."
    )

    assert dp_dir == mesh / "sales" / "orders"
    dp = load(dp_dir)
    assert dp.id == "urn:dmb:dp:sales:orders:1"
    assert dp.kind.value == kind
    assert dp.owner == "bob"
    assert dp.owner_group == "sales-team"  # taken from the domain in mesh.yaml
    assert dp.description == "Every order placed in the web shop."
    assert dp.version == "1.0.0"

    (port,) = dp.output_ports
    assert port.name == "orders"
    contract = port.data_contract
    assert contract.primary_key
    assert "updated_at" in [c.name for c in contract.columns]
    assert contract.sla is not None and contract.sla.timeliness == "1h"
    assert contract.terms is not None and contract.terms.usage

    (inp,) = dp.input_ports
    if kind == "source-aligned":
        assert isinstance(inp.source, DatabaseSource)
        assert inp.source.system == "sales_db"
    else:
        assert isinstance(inp.source, OutputPortSource)
        assert inp.source.data_product == "urn:dmb:dp:sales:replace-me:1"

    (workload,) = dp.workloads
    assert workload.reads == [inp.name]
    assert workload.writes == ["orders"]
    assert workload.sql == {"orders": "sql/orders.sql"}
    sql = (dp_dir / "sql" / "orders.sql").read_text()
    assert f"FROM {inp.name}" in sql
    assert (dp_dir / "tests" / "test_orders.py").is_file()
    assert "# orders" in (dp_dir / "README.md").read_text()

    answers = yaml.safe_load((dp_dir / ".copier-answers.yml").read_text())
    assert answers["_commit"] == f"v{latest_version()}"
    assert answers["kind"] == kind
    assert dataproduct_template_version(dp_dir) == latest_version()


def test_latest_template_adds_observability_and_freshness(mesh: Path) -> None:
    dp = load(new_dataproduct(mesh, "sales", "orders", owner="bob"))
    assert [o.endpoint for o in dp.observability] == ["https://observability.example.com/sales/orders"]
    (port,) = dp.output_ports
    freshness = [q for q in port.data_contract.quality if isinstance(q, Freshness)]
    assert [(f.column, f.max_age) for f in freshness] == [("updated_at", "25h")]


def test_first_template_version_has_neither(mesh: Path) -> None:
    dp_dir = new_dataproduct(mesh, "sales", "orders", owner="bob", version="1.0.0")
    dp = load(dp_dir)
    assert dp.observability == []
    assert not any(isinstance(q, Freshness) for q in dp.output_ports[0].data_contract.quality)
    assert dataproduct_template_version(dp_dir) == "1.0.0"


def test_aggregate_reads_the_given_output_port(mesh: Path) -> None:
    dp = load(
        new_dataproduct(
            mesh,
            "sales",
            "revenue",
            template="aggregate",
            owner="bob",
            source_dp="urn:dmb:dp:sales:orders:2",
            source_port="orders",
            output_port="daily_revenue",
            dp_version="2.1.0",
        )
    )
    source = dp.input_ports[0].source
    assert isinstance(source, OutputPortSource)
    assert (source.data_product, source.port) == ("urn:dmb:dp:sales:orders:2", "orders")
    assert dp.id == "urn:dmb:dp:sales:revenue:2"  # the major of the data product's version
    assert [p.name for p in dp.output_ports] == ["daily_revenue"]


def test_source_aligned_can_read_files(mesh: Path) -> None:
    dp = load(
        new_dataproduct(mesh, "customer", "customers", owner="alice", source_type="files", source_system="crm_export")
    )
    source = dp.input_ports[0].source
    assert isinstance(source, FilesSource)
    assert (source.system, source.format) == ("crm_export", "csv")
    assert dp.owner_group == "customer-team"


def test_free_text_survives_yaml_quoting(mesh: Path) -> None:
    tricky = 'Orders: "all" of them # not a comment\nsecond line, ümlaut'
    dp = load(new_dataproduct(mesh, "sales", "2024", owner="true", owner_group="yes", description=tricky))
    assert dp.description == tricky
    assert dp.name == "2024"
    assert (dp.owner, dp.owner_group) == ("true", "yes")


def test_generated_contract_tests_pass(mesh: Path) -> None:
    """The test skeleton is an example people copy: it must pass as generated, for every kind and version."""
    dirs = [
        new_dataproduct(
            mesh, "sales", f"{kind}-{version.replace('.', '_')}", template=kind, owner="bob", version=version
        )
        for kind in TEMPLATES
        for version in ("1.0.0", "1.1.0")
    ]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(mesh),
            *(str(d / "tests") for d in dirs),
        ],
        capture_output=True,
        text=True,
        cwd=mesh,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "21 passed" in proc.stdout  # 3 tests per 1.0.0 skeleton, 4 per 1.1.0 one


# -- refusals ----------------------------------------------------------------------------------------------
def test_unknown_template_suggests_the_right_one(mesh: Path) -> None:
    with pytest.raises(NotFoundError, match="unknown template `agregate`") as info:
        new_dataproduct(mesh, "sales", "orders", template="agregate", owner="bob")
    assert info.value.hint is not None
    assert "did you mean `aggregate`?" in info.value.hint
    assert not (mesh / "sales" / "orders").exists()


def test_existing_folder_is_left_alone(mesh: Path) -> None:
    existing = mesh / "sales" / "orders"
    existing.mkdir(parents=True)
    (existing / "notes.txt").write_text("mine")
    with pytest.raises(MeshplaneError, match="already exists"):
        new_dataproduct(mesh, "sales", "orders", owner="bob")
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]


def test_undeclared_domain_is_refused_with_a_hint(mesh: Path) -> None:
    with pytest.raises(MeshplaneError, match="domain `sale` is not declared") as info:
        new_dataproduct(mesh, "sale", "orders", owner="bob")
    assert info.value.hint is not None
    assert "did you mean `sales`?" in info.value.hint
    assert "under `domains:`" in info.value.hint
    assert not (mesh / "sale").exists()


def test_missing_mesh_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"mesh\.yaml does not exist") as info:
        new_dataproduct(tmp_path, "sales", "orders", owner="bob")
    assert info.value.hint and "meshplane init" in info.value.hint


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "bad name"}, "not a valid data product name"),
        ({"owner": " "}, "needs an owner"),
        ({"template": "aggregate", "source_dp": "sales.orders"}, "not a data product id"),
        ({"source_dp": "urn:dmb:dp:sales:orders:1"}, "reads an external system"),
        ({"template": "aggregate", "source_system": "shop_db"}, "not a system"),
        ({"source_type": "kafka"}, "unknown source type"),
        ({"dp_version": "1.0"}, "not a semantic version"),
    ],
)
def test_invalid_input_is_refused(mesh: Path, kwargs: dict[str, str], message: str) -> None:
    args: dict[str, str] = {"name": "orders", "owner": "bob", **kwargs}
    name = args.pop("name")
    with pytest.raises(InvalidInputError, match=message):
        new_dataproduct(mesh, "sales", name, **args)
    assert list((mesh / "sales").iterdir()) == []


def test_unknown_template_version(mesh: Path) -> None:
    with pytest.raises(NotFoundError, match=r"template version `1\.0\.9` does not exist") as info:
        new_dataproduct(mesh, "sales", "orders", owner="bob", version="1.0.9")
    assert info.value.hint and "1.0.0" in info.value.hint


# -- the versioned template repository ---------------------------------------------------------------------
def test_template_repository_has_a_tag_per_version(git: Callable[..., str]) -> None:
    repo = ensure_template_repo()
    assert set(git(repo, "tag", "--list").split()) == {f"v{v}" for v in template_versions()}
    assert git(repo, "describe", "--tags", "HEAD").strip() == f"v{latest_version()}"
    changed = git(repo, "diff", "--name-only", "v1.0.0", "v1.1.0").split()
    assert "template/dataproduct.yaml.jinja" in changed
    assert git(repo, "status", "--porcelain") == ""


def test_template_repository_is_rebuilt_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git: Callable[..., str]
) -> None:
    """Same path, same commit ids after a rebuild or on another machine: recorded answers stay valid."""
    repo = ensure_template_repo()
    commits = git(repo, "rev-parse", "v1.0.0", "v1.1.0")
    (repo / ".git" / "meshplane-template-hash").write_text("stale\n")  # as after a Meshplane upgrade
    (repo / "marker").write_text("old build")

    assert ensure_template_repo() == repo
    assert not (repo / "marker").exists()
    assert git(repo, "rev-parse", "v1.0.0", "v1.1.0") == commits

    monkeypatch.setenv("MESHPLANE_CACHE_DIR", str(tmp_path / "elsewhere"))
    other = ensure_template_repo()
    assert other != repo
    assert git(other, "rev-parse", "v1.0.0", "v1.1.0") == commits
