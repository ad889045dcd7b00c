import json
import subprocess
import xml.etree.ElementTree as ET

import yaml


def _edit(path, fn):
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True
    )


def test_check_passes_on_a_compliant_mesh(cli, mini_mesh):
    result = cli("check", mini_mesh)
    assert result.code == 0, result.out
    assert "11 policies on 2 data product(s); 0 failing" in result.out


def test_check_reports_policy_failures_located_in_the_descriptor(cli, mini_mesh):
    _edit(mini_mesh / "sales/orders/dataproduct.yaml", lambda d: d.update(description="Orders.", owner="mallory"))
    result = cli("check", mini_mesh, "--format", "json")
    report = json.loads(result.out)
    assert result.code == 1 and report["ok"] is False
    codes = {d["code"]: d for d in report["diagnostics"]}
    assert codes["description-length"]["line"] == 4 and codes["owner-known"]["path"] == "owner"
    (orders,) = [p for p in report["dataProducts"] if p["id"] == "urn:dmb:dp:sales:orders:1"]
    failing = {p["policy"] for p in orders["policies"] if p["status"] == "fail"}
    assert failing == {"description-length", "owner-known"}


def test_check_sarif_and_junit(cli, mini_mesh):
    _edit(mini_mesh / "sales/orders/dataproduct.yaml", lambda d: d.update(owner="mallory"))
    sarif = json.loads(cli("check", mini_mesh, "-f", "sarif").out)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "owner-known" and result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "sales/orders/dataproduct.yaml"
    assert location["region"]["startLine"] == 8
    junit = cli("check", mini_mesh, "-f", "junit").out
    root = ET.fromstring(junit.split("\n", 1)[1])
    assert len(root.findall(".//failure")) == 1


def test_check_against_a_git_revision_applies_breaking_change_rules(cli, mini_mesh):
    _git(mini_mesh, "init", "-q")
    _git(mini_mesh, "add", "-A")
    _git(mini_mesh, "commit", "-qm", "v1.2.0")
    orders = mini_mesh / "sales/orders/dataproduct.yaml"
    _edit(orders, lambda d: (d["components"][2]["dataContract"]["columns"].pop(), d.update(version="1.3.0")))
    result = cli("check", mini_mesh, "--against", "HEAD", "-f", "json")
    report = json.loads(result.out)
    (diag,) = [d for d in report["diagnostics"] if d["code"] == "breaking-change-major"]
    assert result.code == 1 and "column `status` removed" in diag["message"] and diag["path"] == "version"
    unknown = cli("check", mini_mesh, "--against", "no-such-branch")
    assert unknown.code == 1 and "does not exist" in unknown.err


def test_diff_exit_codes_and_formats(cli, mini_mesh, tmp_path):
    old = mini_mesh / "sales/orders/dataproduct.yaml"
    new = tmp_path / "new.yaml"
    data = yaml.safe_load(old.read_text())
    data["components"][2]["dataContract"]["columns"][2]["type"] = "string"
    new.write_text(yaml.safe_dump(data))
    result = cli("diff", old, new)
    assert result.code == 1 and "BREAKING" in result.out and "need a major version bump" in result.out
    data.update(version="2.0.0", id="urn:dmb:dp:sales:orders:2")
    new.write_text(yaml.safe_dump(data))
    report = json.loads(cli("diff", old, new, "-f", "json").out)
    assert report["majorBump"] is True and report["breaking"] == 1
    assert cli("diff", old, new).code == 0
    assert "### Breaking" in cli("diff", old, new, "-f", "markdown").out


def test_diff_of_mixed_documents_is_refused(cli, mini_mesh, tmp_path):
    contract = tmp_path / "c.odcs.yaml"
    contract.write_text("apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\nschema: []\n")
    result = cli("diff", mini_mesh / "sales/orders/dataproduct.yaml", contract)
    assert result.code == 1 and "not the same kind" in result.err


def test_changelog_from_git_history(cli, mini_mesh):
    _git(mini_mesh, "init", "-q")
    _git(mini_mesh, "add", "-A")
    _git(mini_mesh, "commit", "-qm", "first")
    orders = mini_mesh / "sales/orders/dataproduct.yaml"
    _edit(orders, lambda d: d.update(version="1.3.0", description=d["description"] + " Now with refunds."))
    _git(mini_mesh, "commit", "-qam", "describe refunds")
    _edit(
        orders,
        lambda d: (
            d["components"][2]["dataContract"]["columns"].pop(),
            d.update(version="2.0.0", id="urn:dmb:dp:sales:orders:2"),
        ),
    )
    _git(mini_mesh, "commit", "-qam", "drop status")
    entries = json.loads(cli("changelog", "orders", "--mesh", mini_mesh, "-f", "json").out)
    assert [e["version"] for e in entries] == ["2.0.0", "1.3.0", "1.2.0"]
    assert [c["path"] for c in entries[0]["changes"]] == ["ports.orders.columns.status"]
    assert entries[0]["changes"][0]["breaking"] is True and entries[2]["changes"] == []
    text = cli("changelog", orders).out
    assert "drop status" in text and "first version" in text


def test_policy_list_explains_why(cli, mini_mesh):
    _edit(
        mini_mesh / "mesh.yaml",
        lambda d: d.update(policyPacks=[{"name": "builtin", "severityOverrides": {"naming-conventions": "error"}}]),
    )
    rows = {r["id"]: r for r in json.loads(cli("policy", "list", mini_mesh, "-f", "json").out)["policies"]}
    assert len(rows) == 11
    assert rows["naming-conventions"]["severity"] == "error" and "overridden" in rows["naming-conventions"]["why"]
    assert "pack `builtin`" in rows["owner-known"]["why"]


def test_policy_test_runs_examples(cli, mini_mesh):
    examples = mini_mesh / "policies" / "examples" / "description-length"
    (examples / "pass").mkdir(parents=True)
    (examples / "fail").mkdir()
    good = yaml.safe_load((mini_mesh / "sales/orders/dataproduct.yaml").read_text())
    (examples / "pass" / "long.yaml").write_text(yaml.safe_dump(good))
    (examples / "fail" / "short.yaml").write_text(yaml.safe_dump({**good, "description": "Too short."}))
    (examples / "fail" / "wrong.yaml").write_text(yaml.safe_dump(good))  # claims to fail but passes
    result = cli("policy", "test", mini_mesh, "-f", "json")
    report = json.loads(result.out)
    outcome = {t["name"]: t["passed"] for t in report["tests"]}
    assert result.code == 1
    assert outcome == {
        "description-length/pass/long.yaml": True,
        "description-length/fail/short.yaml": True,
        "description-length/fail/wrong.yaml": False,
    }
    (wrong,) = [t for t in report["tests"] if not t["passed"]]
    assert wrong["detail"] == "expected to fail, got: no findings"


def test_policy_test_without_tests_says_how_to_add_them(cli, mini_mesh):
    result = cli("policy", "test", mini_mesh)
    assert result.code == 1 and "policies/examples/<policy-id>/pass" in result.err
