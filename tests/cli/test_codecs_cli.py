import json

import yaml

from meshplane.spec.loader import load_dataproduct


def test_import_dps_writes_a_native_descriptor_that_validates(cli, shared_dir, tmp_path):
    source = shared_dir / "fixtures/dps/agilelab_dps_example.yaml"
    result = cli("import", source, "--from", "dps", "-o", tmp_path)
    assert result.code == 0, result.err
    written = tmp_path / "my_domain/my_data_product/dataproduct.yaml"
    assert f"Wrote {written}" in result.out
    assert "duplicate key `ownerGroup`" in result.err  # quirks are reported as warnings
    loaded = load_dataproduct(written)
    assert loaded.ok and loaded.model is not None and loaded.model.id == "urn:dmb:dp:my_domain:my_data_product:1"
    assert [p.name for p in loaded.model.output_ports] == ["my_raw_s3_port", "my_view_impala_port"]


def test_import_to_stdout_and_json(cli, shared_dir):
    source = shared_dir / "fixtures/odcs/full-example.odcs.yaml"
    text = cli("import", source, "--from", "odcs").out
    documents = list(yaml.safe_load_all(text))
    assert {d["name"] for d in documents} == {"tbl", "receivers"}
    report = json.loads(cli("import", source, "--from", "odcs", "-f", "json").out)
    assert len(report["documents"]) == 2 and all(d["line"] > 0 for d in report["diagnostics"])


def test_import_of_a_malformed_file_is_located(cli, tmp_path):
    bad = tmp_path / "bad.odps.yaml"
    bad.write_text("apiVersion: v1.0.0\nkind: DataProduct\nid: [unclosed\n")
    result = cli("import", bad, "--from", "odps")
    assert result.code == 1
    assert f"{bad}:3:" in result.out and "Error:" in result.err


def test_unknown_format_is_a_usage_error(cli, tmp_path):
    result = cli("import", tmp_path / "x.yaml", "--from", "odsp")
    assert result.code == 2 and "odsp" in result.err


def test_export_odps_round_trips_through_import(cli, mini_mesh, tmp_path):
    out = tmp_path / "export"
    result = cli("export", "orders", "--to", "odps", "--mesh", mini_mesh, "-o", out)
    assert result.code == 0, result.err
    files = sorted(p.name for p in out.iterdir())
    assert any(f.endswith(".odps.yaml") for f in files) and any(f.endswith(".odcs.yaml") for f in files)
    product = next(out.glob("*.odps.yaml"))
    back = tmp_path / "back"
    assert cli("import", product, "--from", "odps", "-o", back).code == 0
    reimported = load_dataproduct(back / "sales/orders/dataproduct.yaml").model
    original = load_dataproduct(mini_mesh / "sales/orders/dataproduct.yaml").model
    assert reimported is not None and original is not None
    assert reimported.port("orders").data_contract.columns == original.port("orders").data_contract.columns


def test_export_an_unknown_data_product(cli, mini_mesh):
    result = cli("export", "ordrs", "--to", "dps", "--mesh", mini_mesh)
    assert result.code == 1 and "did you mean `orders`?" in result.err
