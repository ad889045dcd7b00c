"""The quality gate: failing data never reaches a port; it is quarantined with reasons; warnings are kept."""

from __future__ import annotations

from runtime_kit import write_orders

from meshplane.runtime import service


def test_a_blocking_failure_commits_nothing_and_quarantines_the_rows_with_reasons(rt):
    good = rt.run("orders")
    version = rt.table("orders").version()
    write_orders(rt.root, [("1", "C1", "10.00", "paid"), ("2", "C1", "-3.00", "lost"), ("3", "C2", "4.00", "bogus")])
    record = rt.run("orders")
    assert record.status.value == "BLOCKED"
    assert "contract checks failed: port `orders`" in (record.error or "")
    assert rt.table("orders").version() == version  # the port still shows the last good run's data
    assert rt.rows("orders") == rt.rows("orders", version=good.outputs["orders"]["version"])
    assert record.outputs["orders"]["quarantined"] == 2 and record.outputs["orders"]["version"] is None
    failed = {c["id"]: c for c in record.checks["orders"]["checks"] if c["status"] == "fail"}
    assert set(failed) == {"acceptedValues:status", "range:amount"}
    assert failed["acceptedValues:status"]["failed"] == 2
    with rt.session() as session:
        (found,) = service.quarantined(session, "orders", run_id=record.run_id[:12])
    rows = {r["order_id"]: r for r in found.rows.to_pylist()}
    assert set(rows) == {"2", "3"}
    assert sorted(rows["2"]["_meshplane_reasons"]) == ["acceptedValues:status", "range:amount"]
    assert rows["3"]["_meshplane_reasons"] == ["acceptedValues:status"]
    assert {r["_meshplane_run_id"] for r in rows.values()} == {record.run_id}
    quarantine_file = rt.root / ".meshplane/storage/dev/shop/orders/v1/_quarantine/orders" / f"{record.run_id}.parquet"
    assert quarantine_file.is_file()
    assert record.lineage["eventType"] == "FAIL"


def test_a_failure_no_row_can_be_blamed_for_sets_the_whole_batch_aside(rt):
    check = {"type": "sql", "name": "no_bob", "query": "SELECT count(*) FROM customers WHERE email LIKE 'bob%'"}
    rt.edit("shop/customers", lambda d: d["components"][1]["dataContract"]["quality"].append(check))
    record = rt.run("customers")
    assert record.status.value == "BLOCKED" and "no_bob" in (record.error or "")
    assert rt.rows("customers") == []  # never written: the table is as deploy left it
    assert record.outputs["customers"]["quarantined"] == 2  # the whole batch, with the table-level reason
    with rt.session() as session:
        (found,) = service.quarantined(session, "customers", port="customers")
    assert [r["_meshplane_reasons"] for r in found.rows.to_pylist()] == [["sql:no_bob"], ["sql:no_bob"]]


def test_an_empty_result_below_the_row_count_is_blocked(rt):
    rt.sql("DELETE FROM customers")
    record = rt.run("customers")
    assert record.status.value == "BLOCKED" and "0 rows; must be at least 1" in (record.error or "")
    assert record.outputs["customers"]["quarantined"] == 0


def test_one_blocked_port_holds_back_the_other_ports_of_the_run(rt):
    rt.run("customers")
    before = rt.table("customers", "emails").version()
    rt.sql("INSERT INTO customers VALUES (3, 'c@example.com', NULL)")  # `since` is required
    record = rt.run("customers")
    assert record.status.value == "BLOCKED"
    assert set(record.outputs) == {"customers"}  # only the failing port has rejected rows
    assert rt.table("customers", "emails").version() == before  # the passing port is not committed either


def test_warnings_are_recorded_and_do_not_block(rt):
    write_orders(rt.root, [("1", "C1", "900.00", "paid")])
    rt.sql("UPDATE customers SET email = 'no-at-sign' WHERE id = 2")
    orders = rt.run("orders")
    customers = rt.run("customers")
    assert orders.status.value == customers.status.value == "SUCCEEDED"
    assert orders.outputs["orders"]["warnings"] == 1
    (warning,) = [c for c in orders.checks["orders"]["checks"] if c["status"] == "warn"]
    assert warning["kind"] == "range" and warning["failed"] == 1 and warning["samples"][0]["order_id"] == "1"
    assert customers.outputs["customers"]["warnings"] == 1
    assert [r["amount"] for r in rt.rows("orders")] == [900]
