import json
import subprocess

from meshplane.spec.service import validate_path


def test_init_new_and_validate(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("MESHPLANE_CACHE_DIR", str(tmp_path / "cache"))
    mesh = tmp_path / "acme"
    result = cli("init", mesh, "--domain", "sales", "--domain", "billing")
    assert result.code == 0 and "Created mesh acme" in result.out
    assert cli("init", mesh).code == 1  # never overwrites a mesh
    result = cli(
        "new",
        "dataproduct",
        "orders",
        "--domain",
        "sales",
        "--owner",
        "sales-team",
        "--template",
        "aggregate",
        "--source-dp",
        "urn:dmb:dp:billing:invoices:1",
        "--source-port",
        "invoices",
        "--mesh",
        mesh,
    )
    assert result.code == 0, result.err
    report = validate_path(mesh / "sales/orders")
    assert report.workspace.find("orders") is not None
    assert (
        cli(
            "new", "dataproduct", "x", "--domain", "sales", "--owner", "o", "--template", "agregate", "--mesh", mesh
        ).code
        == 2
    )


def test_template_update_cli(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("MESHPLANE_CACHE_DIR", str(tmp_path / "cache"))
    mesh = tmp_path / "acme"
    cli("init", mesh, "--domain", "sales")
    assert (
        cli(
            "new",
            "dataproduct",
            "orders",
            "-d",
            "sales",
            "--owner",
            "sales-team",
            "--template-version",
            "1.0.0",
            "--mesh",
            mesh,
        ).code
        == 0
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=mesh, check=True)
    subprocess.run([*git, "add", "-A"], cwd=mesh, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=mesh, check=True)
    result = cli("template", "update", mesh / "sales/orders", "-f", "json")
    report = json.loads(result.out)
    assert result.code == 0 and (report["from"], report["to"]) == ("1.0.0", "1.1.0")
    assert "dataproduct.yaml" in report["changed"]
    versions = json.loads(cli("template", "list", "-f", "json").out)
    assert versions["latest"] == "1.1.0"


def test_demo_writes_and_checks_the_mesh(cli, tmp_path):
    target = tmp_path / "demo"
    result = cli("demo", target, "--scale", "0.025", "--no-serve", "-f", "json")
    report = json.loads(result.out)
    assert result.code == 0 and report["validation"]["ok"] is True
    assert report["customers"] == 500 and report["dataProducts"]["marketing"] == 3
    assert len(report["deployments"]) == 8 and {d["status"] for d in report["deployments"]} == {"DEPLOYED"}
    assert (target / ".meshplane/storage/dev/marketing/customer_360/v1/customer_360/_delta_log").is_dir()
    again = cli("demo", target, "--no-serve")
    assert again.code == 1 and "--force" in again.err
    assert cli("demo", target, "--scale", "0.025", "--force", "--no-serve", "-f", "json").code == 0
