"""The runtime commands end to end: run, runs, quarantine, versions, restore, read — and the demo mesh."""

from __future__ import annotations

import csv
import io
import json

from runtime_kit import write_orders


def test_run_all_then_inspect_runs_versions_and_reads(cli, rt):
    result = cli("run", "--all", "--mesh", rt.root, "-f", "json")
    assert result.code == 0, result.err + result.out
    report = json.loads(result.out)
    assert report["ok"] and [r["status"] for r in report["runs"]] == ["SUCCEEDED"] * 5
    runs = json.loads(cli("runs", "orders", "--mesh", rt.root, "-f", "json").out)["runs"]
    text = cli("runs", "orders", "--mesh", rt.root)
    assert text.code == 0 and "SUCCEEDED" in text.out and runs[0]["runId"][:13] in text.out
    assert runs[0]["seq"] == 1 and runs[0]["outputs"]["orders"]["rows"] == 3
    versions = json.loads(cli("versions", "orders.orders", "--mesh", rt.root, "-f", "json").out)["versions"]
    assert versions[0]["runId"] == runs[0]["runId"] and versions[0]["rows"] == 3
    read = cli("read", "orders.orders", "--mesh", rt.root, "-f", "csv")
    assert read.code == 0, read.err
    assert next(iter(csv.DictReader(io.StringIO(read.out)))) == {
        "order_id": "1",
        "cid": "C1",
        "amount": "10.50",
        "status": "paid",
    }
    table = cli("read", "customers.customers", "--mesh", rt.root, "--limit", "1")
    assert table.code == 0 and "2024-01-01 10:00:00+00:00" in table.out and "C2" not in table.out
    valid = cli("read", "addresses.addresses", "--valid-at", "2024-01-10", "--mesh", rt.root, "-f", "json")
    assert [r["cid"] for r in json.loads(valid.out)["rows"]] == ["C1"]


def test_a_blocked_run_exits_1_and_its_rows_are_in_the_quarantine(cli, rt):
    assert cli("run", "orders", "--mesh", rt.root).code == 0
    write_orders(rt.root, [("5", "C1", "-1.00", "paid")])
    result = cli("run", "orders", "--mesh", rt.root)
    assert result.code == 1
    assert "BLOCKED" in result.out and "1 row(s) quarantined" in result.out and "range:amount" in result.out
    shown = cli("quarantine", "orders", "--port", "orders", "--mesh", rt.root, "-f", "json")
    assert shown.code == 0, shown.err
    (entry,) = json.loads(shown.out)["quarantine"]
    assert entry["rows"] == 1 and entry["data"][0]["_meshplane_reasons"] == ["range:amount"]
    assert "range:amount" in cli("quarantine", "orders", "--mesh", rt.root).out


def test_restore_and_read_an_old_version(cli, rt):
    cli("run", "orders", "--mesh", rt.root)
    write_orders(rt.root, [("5", "C1", "1.00", "paid")])
    cli("run", "orders", "--mesh", rt.root)
    versions = json.loads(cli("versions", "orders.orders", "--mesh", rt.root, "-f", "json").out)["versions"]
    old = versions[1]["version"]
    as_of = cli("read", "orders.orders", "--version", str(old), "--mesh", rt.root, "-f", "json")
    assert len(json.loads(as_of.out)["rows"]) == 3
    restored = cli("restore", "orders.orders", str(old), "--mesh", rt.root)
    assert restored.code == 0 and f"restored version {old} as version {old + 2}" in restored.out
    assert len(json.loads(cli("read", "orders.orders", "--mesh", rt.root, "-f", "json").out)["rows"]) == 3


def test_usage_errors_are_plain(cli, rt):
    assert "name the data products to run, or pass --all" in cli("run", "--mesh", rt.root).err
    assert "expected PORT=VERSION" in cli("run", "revenue", "--pin", "orders", "--mesh", rt.root).err
    assert "no port `orders.nope`" in cli("versions", "orders.nope", "--mesh", rt.root).err
    both = cli("run", "orders", "customers", "--recover", "--mesh", rt.root)
    assert both.code == 1 and "apply to one data product" in both.err


def test_the_demo_mesh_runs_end_to_end_with_its_contracts_passing(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("MESHPLANE_REGISTRY_URL", raising=False)
    demo = tmp_path / "demo"
    made = cli("demo", demo, "--scale", "0.025", "--no-serve")
    assert made.code == 0, made.err
    result = cli("run", "--all", "--mesh", demo, "-f", "json")
    assert result.code == 0, result.err + result.out
    report = json.loads(result.out)
    assert len(report["runs"]) == 8 and not report["skipped"]
    for run in report["runs"]:
        assert run["status"] == "SUCCEEDED", run["error"]
        for port, check in run["checks"].items():
            assert check["ok"], (run["dataProduct"], port)
            failing = [c for c in check["checks"] if c["status"] == "fail"]
            assert failing == [], (port, failing)
    customers = next(r for r in report["runs"] if r["dataProduct"].endswith("customer_master:1"))
    assert customers["rowCounts"]["customers"] == 500 and customers["outputs"]["customer_addresses"]["mode"] == (
        "bitemporal"
    )
