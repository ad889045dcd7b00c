"""``update_dataproduct``: a 3-way merge to a newer template version that keeps the owner's edits."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from meshplane.errors import MeshplaneError, NotFoundError
from meshplane.scaffold import dataproduct_template_version, new_dataproduct, update_dataproduct
from meshplane.spec.model import DataProduct, Freshness

Commit = Callable[[Path, str], None]


def load(dp_dir: Path) -> DataProduct:
    return DataProduct.model_validate(yaml.safe_load((dp_dir / "dataproduct.yaml").read_text()))


def answers(dp_dir: Path) -> dict[str, object]:
    data = yaml.safe_load((dp_dir / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture
def generated(mesh_repo: Path, commit: Commit) -> Path:
    """A source-aligned data product generated at template 1.0.0 and committed."""
    dp_dir = new_dataproduct(mesh_repo, "sales", "orders", owner="bob", version="1.0.0", description="As generated.")
    commit(mesh_repo, "Add sales/orders")
    return dp_dir


def test_update_keeps_edits_and_brings_the_new_version(
    generated: Path, mesh_repo: Path, commit: Commit, git: Callable[..., str]
) -> None:
    descriptor = generated / "dataproduct.yaml"
    descriptor.write_text(
        descriptor.read_text().replace("description: As generated.", "description: Written by the owner.")
    )
    sql = generated / "sql" / "orders.sql"
    sql.write_text(sql.read_text().replace("FROM raw_orders", "FROM raw_orders\nWHERE id IS NOT NULL"))
    commit(mesh_repo, "Describe orders")

    result = update_dataproduct(generated)

    assert (result.from_version, result.to_version) == ("1.0.0", "1.1.0")
    assert result.updated and not result.has_conflicts
    assert {"dataproduct.yaml", ".copier-answers.yml", "tests/test_orders.py"} <= set(result.changed)
    assert "sql/orders.sql" not in result.changed  # the template did not change it
    dp = load(generated)
    assert dp.description == "Written by the owner."  # the owner's edit survived
    assert [o.name for o in dp.observability] == ["health"]  # 1.1.0 additions arrived
    assert any(isinstance(q, Freshness) and q.column == "updated_at" for q in dp.output_ports[0].data_contract.quality)
    assert "WHERE id IS NOT NULL" in sql.read_text()
    assert "SAMPLE_INPUTS" in (generated / "tests" / "test_orders.py").read_text()
    assert answers(generated)["_commit"] == "v1.1.0"
    assert dataproduct_template_version(generated) == "1.1.0"
    # Left uncommitted for the owner to review; the rest of the mesh is untouched.
    status = git(mesh_repo, "status", "--porcelain").splitlines()
    assert " M sales/orders/dataproduct.yaml" in status
    assert all(line[3:].startswith("sales/orders/") for line in status)


def test_conflicting_edits_are_marked_and_listed(generated: Path, mesh_repo: Path, commit: Commit) -> None:
    test_file = generated / "tests" / "test_orders.py"
    text = test_file.read_text()
    line = "from meshplane.spec.model import DataProduct\n"
    assert line in text
    test_file.write_text(text.replace(line, "from meshplane.spec.model import DataProduct, Kind\n"))
    commit(mesh_repo, "Import Kind")

    result = update_dataproduct(generated)

    assert result.conflicts == ["tests/test_orders.py"]
    merged = test_file.read_text()
    assert "<<<<<<< before updating" in merged and ">>>>>>> after updating" in merged
    assert "DataProduct, Kind" in merged and "DataProduct, OutputPort" in merged
    assert load(generated).observability  # files without conflicts are updated all the same


def test_update_follows_a_moved_template_cache(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague's machine: the recorded template path does not exist there."""
    recorded = str(answers(generated)["_src_path"])
    shutil.rmtree(recorded)
    monkeypatch.setenv("MESHPLANE_CACHE_DIR", str(tmp_path / "colleague-cache"))

    result = update_dataproduct(generated)

    assert result.to_version == "1.1.0" and not result.conflicts
    assert load(generated).observability
    assert answers(generated)["_src_path"] != recorded
    assert str(answers(generated)["_src_path"]).startswith(str(tmp_path / "colleague-cache"))


def test_cache_under_home_is_recorded_portably(
    mesh_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, commit: Commit
) -> None:
    """``~/…`` resolves to each colleague's own cache, so the answers file is the same for everyone."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MESHPLANE_CACHE_DIR", str(tmp_path / "home" / ".cache" / "meshplane"))
    dp_dir = new_dataproduct(mesh_repo, "sales", "orders", owner="bob", version="1.0.0")
    assert answers(dp_dir)["_src_path"] == "~/.cache/meshplane/templates/dataproduct"
    commit(mesh_repo, "Add orders")

    assert update_dataproduct(dp_dir).to_version == "1.1.0"
    assert answers(dp_dir)["_src_path"] == "~/.cache/meshplane/templates/dataproduct"
    assert load(dp_dir).observability


def test_update_to_the_current_version_changes_nothing(
    mesh_repo: Path, commit: Commit, git: Callable[..., str]
) -> None:
    dp_dir = new_dataproduct(mesh_repo, "sales", "orders", owner="bob")
    commit(mesh_repo, "Add orders")
    result = update_dataproduct(dp_dir)
    assert not result.updated
    assert result.changed == []
    assert git(mesh_repo, "status", "--porcelain") == ""


def test_downgrade_is_refused(mesh_repo: Path, commit: Commit) -> None:
    dp_dir = new_dataproduct(mesh_repo, "sales", "orders", owner="bob", version="1.1.0")
    commit(mesh_repo, "Add orders")
    with pytest.raises(MeshplaneError, match=r"going back to 1\.0\.0 is not supported"):
        update_dataproduct(dp_dir, to_version="1.0.0")


def test_unknown_target_version(generated: Path) -> None:
    with pytest.raises(NotFoundError, match=r"template version `9\.9\.9` does not exist"):
        update_dataproduct(generated, to_version="9.9.9")


def test_update_outside_git_is_refused(mesh: Path) -> None:
    dp_dir = new_dataproduct(mesh, "sales", "orders", owner="bob", version="1.0.0")
    with pytest.raises(MeshplaneError, match="not inside a git repository") as info:
        update_dataproduct(dp_dir)
    assert info.value.hint and f"git -C {mesh.resolve()} init" in info.value.hint
    assert dataproduct_template_version(dp_dir) == "1.0.0"


def test_update_with_uncommitted_changes_is_refused(generated: Path) -> None:
    readme = generated / "README.md"
    readme.write_text(readme.read_text() + "\nMore notes.\n")
    (generated / "scratch.sql").write_text("SELECT 1")

    with pytest.raises(MeshplaneError, match="uncommitted changes") as info:
        update_dataproduct(generated)

    assert "README.md" in info.value.message and "scratch.sql" in info.value.message
    assert info.value.hint and info.value.hint.startswith("commit your changes first: git -C")
    assert readme.read_text().endswith("More notes.\n")  # nothing touched
    assert dataproduct_template_version(generated) == "1.0.0"


def test_dirty_files_elsewhere_in_the_mesh_do_not_block(generated: Path, mesh_repo: Path) -> None:
    (mesh_repo / "mesh.yaml").write_text((mesh_repo / "mesh.yaml").read_text() + "\n# editing\n")
    assert update_dataproduct(generated).to_version == "1.1.0"


def test_folder_not_generated_from_a_template(mesh_repo: Path) -> None:
    plain = mesh_repo / "sales" / "handmade"
    plain.mkdir()
    (plain / "dataproduct.yaml").write_text("name: handmade\n")
    with pytest.raises(NotFoundError, match="was not generated from a Meshplane template"):
        update_dataproduct(plain)
