"""Where a demo may be written: empty folders yes, other people's work no, a previous demo with --force."""

from __future__ import annotations

import json

import pytest

from meshplane.demo import write_demo
from meshplane.demo.target import MANIFEST
from meshplane.errors import MeshplaneError

SMALL = 100


def test_writes_into_a_missing_or_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "missing" / "nested", tmp_path / "empty"):
        summary = write_demo(target, customers=SMALL)
        assert summary.mesh_file.is_file() and summary.customers == SMALL


def test_refuses_a_folder_with_someone_elses_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(MeshplaneError) as caught:
        write_demo(tmp_path, customers=SMALL)
    assert "not empty" in caught.value.message
    assert caught.value.hint is not None
    assert "choose an empty folder or pass --force" in caught.value.hint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"], "nothing written on refusal"


def test_refuses_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(MeshplaneError, match="is a file"):
        write_demo(target, customers=SMALL)


def test_a_previous_demo_is_replaced_only_with_force(tmp_path):
    target = tmp_path / "acme"
    write_demo(target, customers=SMALL, seed=1)
    mine = target / "customer" / "my_notes.md"
    mine.write_text("keep me")
    with pytest.raises(MeshplaneError, match="already holds a Meshplane demo") as caught:
        write_demo(target, customers=SMALL, seed=2)
    assert caught.value.hint is not None and "--force" in caught.value.hint

    (target / "sales" / "orders" / "sql" / "orders.sql").write_text("-- edited")
    summary = write_demo(target, customers=SMALL * 2, seed=2, force=True)
    manifest = json.loads((target / MANIFEST).read_text())
    assert (manifest["customers"], manifest["seed"]) == (SMALL * 2, 2)
    assert summary.rows["webshop.orders"] == 5 * SMALL * 2
    assert mine.read_text() == "keep me", "files the demo did not write survive a replacement"
    assert (target / "sales" / "orders" / "sql" / "orders.sql").read_text().startswith("-- The web shop")


def test_force_writes_into_a_non_demo_folder_without_deleting(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    write_demo(tmp_path, customers=SMALL, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "mesh.yaml").is_file()


def test_a_manifest_cannot_delete_outside_the_demo(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    target = tmp_path / "acme"
    write_demo(target, customers=SMALL)
    manifest = json.loads((target / MANIFEST).read_text())
    manifest["files"].append("../outside.txt")
    (target / MANIFEST).write_text(json.dumps(manifest))
    write_demo(target, customers=SMALL, force=True)
    assert outside.read_text() == "precious"


@pytest.mark.parametrize("customers", [0, 99, 100_000_001])
def test_refuses_a_scale_it_cannot_honour(tmp_path, customers):
    with pytest.raises(MeshplaneError, match="cannot generate a demo"):
        write_demo(tmp_path / "x", customers=customers)
    assert not (tmp_path / "x").exists()
