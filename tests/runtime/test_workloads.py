"""SQL and Python workloads over every kind of input, run records, and running a mesh upstream first."""

from __future__ import annotations

import uuid
from decimal import Decimal

from runtime_kit import write_orders

from meshplane.runtime import run_all


def test_sql_workload_over_sqlite_writes_a_port_and_records_the_run(rt):
    record = rt.run("customers")
    assert record.status.value == "SUCCEEDED", record.error
    assert rt.rows("customers") == [
        {"cid": "C1", "email": "ann@example.com", "since": rt.rows("customers")[0]["since"]},
        {"cid": "C2", "email": "bob@example.com", "since": rt.rows("customers")[1]["since"]},
    ]
    assert str(rt.rows("customers")[0]["since"]) == "2024-01-01 10:00:00+00:00"  # naive SQL timestamp read as UTC
    assert rt.rows("customers", "emails") == [
        {"cid": "C1", "email": "ann@example.com"},
        {"cid": "C2", "email": "bob@example.com"},
    ]
    assert uuid.UUID(record.run_id).version == 7 and record.seq == 1 and record.mode == "run"
    assert record.inputs["crm"] == {
        "kind": "database",
        "system": "shop_db",
        "table": "customers",
        "url": "sqlite:///sources/shop.db",
        "rows": 2,
    }
    table = rt.table("customers")
    assert record.outputs["customers"]["version"] == table.version()
    assert record.row_counts == {"customers": 2, "emails": 2}
    assert record.duration_ms is not None and record.finished_at is not None
    assert record.checks["customers"]["ok"] is True
    # the commit carries the run: every row of this version leads back to the run record
    assert table.history(1)[0]["meshplane.runId"] == record.run_id
    assert table.transaction_version("meshplane:urn:dmb:dp:shop:customers:1:customers") == 1


def test_the_lineage_event_is_an_openlineage_complete_event(rt):
    record = rt.run("orders")
    event = record.lineage
    assert event["eventType"] == "COMPLETE" and event["run"]["runId"] == record.run_id
    assert event["job"] == {**event["job"], "namespace": "meshplane://rt/dev", "name": "urn:dmb:dp:shop:orders:1.build"}
    (source,) = event["inputs"]
    assert source["namespace"] == "file" and source["name"].endswith("sources/orders.csv")
    (output,) = event["outputs"]
    assert output["name"] == "urn:dmb:dp:shop:orders:1.orders"
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["order_id", "cid", "amount", "status"]
    assert output["facets"]["version"]["datasetVersion"] == str(record.outputs["orders"]["version"])
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 3
    lineage = output["facets"]["columnLineage"]["fields"]
    assert lineage["amount"]["inputFields"][0]["field"] == "amount"


def test_python_workload_reads_other_products_ports(rt):
    assert rt.run("customers").status.value == "SUCCEEDED"
    first_orders = rt.run("orders")
    record = rt.run("revenue")
    assert record.status.value == "SUCCEEDED", record.error
    assert rt.rows("revenue") == [
        {"cid": "C1", "orders": 2, "total": Decimal("30.50")},
        {"cid": "C2", "orders": 1, "total": Decimal("5.25")},
    ]
    assert record.inputs["orders"] == {
        "kind": "outputPort",
        "dataProduct": "urn:dmb:dp:shop:orders:1",
        "port": "orders",
        "version": first_orders.outputs["orders"]["version"],
        "rows": 3,
    }


def test_a_pinned_input_version_is_read_instead_of_the_latest(rt):
    rt.run("customers")
    old = rt.run("orders").outputs["orders"]["version"]
    write_orders(rt.root, [("9", "C2", "100.00", "paid")])
    assert rt.run("orders").status.value == "SUCCEEDED"
    latest = rt.run("revenue")
    assert {r["cid"]: r["orders"] for r in rt.rows("revenue")} == {"C1": 0, "C2": 1}
    backfill = rt.run("revenue", pins={"orders": old})
    assert backfill.mode == "backfill" and backfill.inputs["orders"]["version"] == old
    assert latest.inputs["orders"]["version"] == old + 1
    assert {r["cid"]: r["orders"] for r in rt.rows("revenue")} == {"C1": 2, "C2": 1}


def test_parquet_files_by_glob_feed_a_workload(rt):
    record = rt.run("addresses")
    assert record.status.value == "SUCCEEDED", record.error
    assert record.inputs["moves"]["files"][0]["path"] == "sources/moves/a.parquet"
    assert [(r["cid"], r["city"]) for r in rt.rows("addresses")] == [("C1", "Rome"), ("C2", "Oslo")]


def test_run_all_runs_upstream_first_and_skips_what_depends_on_a_failure(rt):
    with rt.session() as session:
        result = run_all(session)
    order = [r.dp_id.split(":")[4] for r in result.records]
    assert result.ok and sorted(order) == ["addresses", "clicks", "customers", "orders", "revenue"]
    assert order.index("revenue") > max(order.index("customers"), order.index("orders"))
    write_orders(rt.root, [("1", "C1", "-5.00", "paid")])  # breaks the orders contract
    with rt.session() as session:
        again = run_all(session)
    statuses = {r.dp_id.split(":")[4]: r.status.value for r in again.records}
    assert statuses["orders"] == "BLOCKED" and "revenue" not in statuses
    assert again.skipped == {"urn:dmb:dp:analytics:revenue:1": "upstream urn:dmb:dp:shop:orders:1 did not succeed"}
