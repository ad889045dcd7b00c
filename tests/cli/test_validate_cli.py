import json
import xml.etree.ElementTree as ET

import yaml


def test_validate_a_valid_mesh(cli, mini_mesh):
    result = cli("validate", mini_mesh)
    assert result.code == 0
    assert "3 files checked: no errors" in result.out


def test_errors_exit_nonzero_with_locations(cli, mini_mesh):
    path = mini_mesh / "sales/orders/dataproduct.yaml"
    path.write_text(path.read_text().replace("kind: outputPort", "kind: outputport"))
    result = cli("validate", mini_mesh)
    assert result.code == 1
    assert "orders/dataproduct.yaml:25:11: error[unknown-value] components[2].kind" in result.out
    assert "did you mean `outputPort`?" in result.out


def test_json_output_is_machine_readable(cli, mini_mesh):
    path = mini_mesh / "customer/customers/dataproduct.yaml"
    data = yaml.safe_load(path.read_text())
    data["version"] = "2.0.0"
    path.write_text(yaml.safe_dump(data))
    result = cli("validate", mini_mesh, "--format", "json")
    report = json.loads(result.out)
    assert result.code == 1 and report["ok"] is False
    assert report["errors"] == sum(1 for d in report["diagnostics"] if d["severity"] == "error") >= 1
    assert any(d["code"] == "id-mismatch" and d["line"] > 0 for d in report["diagnostics"])


def test_junit_output_has_one_case_per_file(cli, mini_mesh):
    (mini_mesh / "sales/orders/dataproduct.yaml").write_text("name: [unclosed\n")
    result = cli("validate", mini_mesh, "-f", "junit")
    root = ET.fromstring(result.out.split("\n", 1)[1])
    cases = root.findall(".//testcase")
    assert len(cases) == 3
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 1 and failed[0].get("name", "").endswith("orders/dataproduct.yaml")


def test_missing_path_is_an_error_not_a_traceback(cli, tmp_path):
    result = cli("validate", tmp_path / "nowhere")
    assert result.code == 1
    assert result.err.startswith("Error:") and "does not exist" in result.err
    assert "Traceback" not in result.err + result.out


def test_bad_format_is_a_usage_error(cli, mini_mesh):
    result = cli("validate", mini_mesh, "--format", "xml")
    assert result.code == 2 and "xml" in result.err


def test_schema_is_written_and_describes_the_descriptor(cli, tmp_path):
    target = tmp_path / "schema.json"
    assert cli("schema", "-o", target).code == 0
    schema = json.loads(target.read_text())
    assert "components" in schema["properties"] and "owner" in schema["required"]
    mesh = json.loads(cli("schema", "--mesh").out)
    assert "polysemes" in mesh["properties"]
