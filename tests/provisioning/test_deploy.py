"""Plan, deploy, update in place, majors side by side, undeploy — through the CLI, on real Delta tables."""

from __future__ import annotations

import json

from deltalake import DeltaTable

ORDERS = "urn:dmb:dp:sales:orders:1"
CUSTOMERS = "urn:dmb:dp:customer:customers:1"


def _drop_status(d):
    contract = d["components"][2]["dataContract"]
    contract["columns"].pop()
    contract["quality"] = [q for q in contract["quality"] if q.get("column") != "status"]


def _table(mesh, dp="sales/orders", major=1, port="orders"):
    return mesh / ".meshplane/storage/dev" / dp / f"v{major}" / port


def test_deploy_creates_delta_tables_and_is_idempotent(cli, mesh, status):
    result = cli("deploy", "--mesh", mesh, "-f", "json")
    assert result.code == 0, result.err + result.out
    report = json.loads(result.out)
    assert [d["status"] for d in report["deployments"]] == ["DEPLOYED", "DEPLOYED"]
    table = DeltaTable(str(_table(mesh)))
    assert [f.name for f in table.schema().fields] == ["order_id", "customer_id", "amount", "status"]
    version = table.version()
    again = json.loads(cli("deploy", "--mesh", mesh, "-f", "json").out)
    assert all(
        d["plan"]["items"] and not [i for i in d["plan"]["items"] if i["operation"] != "noop"]
        for d in again["deployments"]
    )
    assert DeltaTable(str(_table(mesh))).version() == version
    rows = status(mesh)
    assert rows[ORDERS]["status"] == "DEPLOYED" and rows[ORDERS]["version"] == "1.2.0"
    assert {c["status"] for c in rows[ORDERS]["components"]} == {"DEPLOYED"}


def test_plan_shows_operations_without_changing_anything(cli, mesh):
    report = json.loads(cli("plan", "orders", "--mesh", mesh, "-f", "json").out)
    (plan,) = report["plans"]
    assert {i["operation"] for i in plan["items"]} == {"create"}
    assert not _table(mesh).exists()


def test_minor_version_adds_a_column_in_place(cli, mesh, edit):
    assert cli("deploy", "--mesh", mesh).code == 0
    descriptor = mesh / "sales/orders/dataproduct.yaml"
    edit(
        descriptor,
        lambda d: (
            d["components"][2]["dataContract"]["columns"].append({"name": "channel", "type": "string"}),
            d.update(version="1.3.0"),
        ),
    )
    plan = json.loads(cli("plan", "orders", "--mesh", mesh, "-f", "json").out)["plans"][0]
    assert {i["name"]: i["operation"] for i in plan["items"]}["orders"] == "update"
    assert cli("deploy", "orders", "--mesh", mesh).code == 0
    assert "channel" in [f.name for f in DeltaTable(str(_table(mesh))).schema().fields]


def test_breaking_change_without_major_is_blocked(cli, mesh, edit):
    assert cli("deploy", "--mesh", mesh).code == 0
    descriptor = mesh / "sales/orders/dataproduct.yaml"
    edit(descriptor, lambda d: (_drop_status(d), d.update(version="1.3.0")))
    result = cli("deploy", "orders", "--mesh", mesh)
    assert result.code == 1
    assert "breaking-change-major" in result.err and "column `status` removed" in result.err
    assert "2 error(s) block the deployment" in result.err  # the column and its expectation


def test_major_version_runs_side_by_side_and_old_one_retires(cli, mesh, edit, status):
    assert cli("deploy", "--mesh", mesh).code == 0
    descriptor = mesh / "sales/orders/dataproduct.yaml"
    edit(descriptor, lambda d: (_drop_status(d), d.update(version="2.0.0", id="urn:dmb:dp:sales:orders:2")))
    assert cli("deploy", "orders", "--mesh", mesh).code == 0
    assert _table(mesh, major=1).exists() and _table(mesh, major=2).exists()
    rows = status(mesh)
    assert rows[ORDERS]["status"] == "DEPLOYED" and rows["urn:dmb:dp:sales:orders:2"]["status"] == "DEPLOYED"
    result = cli("deprecate", ORDERS, "--retire-on", "2030-01-01", "--mesh", mesh)
    assert result.code == 0, result.err
    assert status(mesh)[ORDERS]["retireOn"] == "2030-01-01"
    bad = cli("deprecate", ORDERS, "--retire-on", "2020-01-01", "--on", "2021-01-01", "--mesh", mesh)
    assert bad.code == 1 and "before the deprecation date" in bad.err


def test_undeploy_keeps_data_unless_asked(cli, mesh, status):
    assert cli("deploy", "--mesh", mesh).code == 0
    assert cli("undeploy", "orders", "--mesh", mesh).code == 0
    assert status(mesh)[ORDERS]["status"] == "NOT_DEPLOYED"
    assert _table(mesh).exists()
    assert cli("deploy", "orders", "--mesh", mesh).code == 0
    assert cli("undeploy", "orders", "--remove-data", "--mesh", mesh).code == 0
    assert not _table(mesh).exists()
    missing = cli("undeploy", "orders", "--mesh", mesh)
    assert missing.code == 1 and "is not deployed" in missing.err


def test_policy_errors_block_and_warnings_do_not(cli, mesh, edit):
    edit(mesh / "sales/orders/dataproduct.yaml", lambda d: d.update(owner="mallory"))
    result = cli("deploy", "--mesh", mesh)
    assert result.code == 1 and "owner-known" in result.err
    assert not _table(mesh).exists()


def test_unknown_environment_and_data_product(cli, mesh):
    result = cli("deploy", "--mesh", mesh, "--env", "prd")
    assert result.code == 1 and "environment `prd`" in result.err
    result = cli("deploy", "ordrs", "--mesh", mesh)
    assert result.code == 1 and "did you mean `orders`?" in result.err


def test_audit_log_records_every_deploy(cli, mesh):
    from meshplane.registry import Registry

    cli("deploy", "--mesh", mesh)
    cli("undeploy", "orders", "--mesh", mesh)
    with Registry.open(f"sqlite:///{mesh / '.meshplane/registry.db'}") as registry:
        actions = [(r.action, r.target) for r in registry.audit_log(actor="tester")]
    assert ("deployment.recorded", ORDERS) in actions and ("undeploy", ORDERS) in actions
    assert ("deployment.recorded", CUSTOMERS) in actions


def test_import_existing_turns_a_sqlite_table_into_a_draft(cli, tmp_path):
    import sqlite3

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customer (id TEXT PRIMARY KEY NOT NULL, email TEXT, score INTEGER)")
    out = tmp_path / "mesh"
    result = cli(
        "import-existing",
        f"sqlite:///{db}#customer",
        "--name",
        "crm_customers",
        "--domain",
        "customer",
        "--owner",
        "alice",
        "-o",
        out,
    )
    assert result.code == 0, result.err
    from meshplane.spec.loader import load_dataproduct

    loaded = load_dataproduct(out / "customer/crm_customers/dataproduct.yaml")
    assert loaded.model is not None
    (port,) = loaded.model.output_ports
    columns = {c.name: c for c in port.data_contract.columns}
    assert list(columns) == ["id", "email", "score"] and columns["id"].primary_key and columns["id"].required
    missing = cli("import-existing", f"sqlite:///{db}#customers", "--name", "x", "--domain", "d", "--owner", "o")
    assert missing.code == 1 and "customer" in missing.err


def test_adapter_serve_refuses_a_malformed_alias(cli, mesh):
    result = cli("adapter", "serve", "--alias", "remote-delta", "--mesh", mesh)
    assert result.code == 1 and "NAME=ADAPTER" in result.err
