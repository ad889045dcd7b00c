"""Versions, restore, reads as of a version or a time, --overwrite, and bi-temporal late corrections."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from runtime_kit import write_moves, write_orders

from meshplane.errors import MeshplaneError
from meshplane.runtime import service


def test_versions_name_the_runs_and_restore_brings_an_old_version_back(rt):
    first = rt.run("orders")
    write_orders(rt.root, [("7", "C2", "1.00", "paid")])
    second = rt.run("orders")
    with rt.session() as session:
        name, found = service.versions(session, "orders.orders")
    assert name == "urn:dmb:dp:shop:orders:1.orders"
    latest, previous = found[0], found[1]
    assert (latest.version, latest.run_id, latest.operation, latest.rows, latest.written) == (
        second.outputs["orders"]["version"],
        second.run_id,
        "WRITE",
        1,
        1,
    )
    assert (previous.run_id, previous.rows) == (first.run_id, 3)
    assert found[-1].operation == "CREATE TABLE"
    with rt.session() as session:
        _, new = service.restore(session, "orders.orders", previous.version)
        audit = session.registry.audit_log(target="urn:dmb:dp:shop:orders:1.orders")
    assert new == latest.version + 1
    assert [r["order_id"] for r in rt.rows("orders")] == ["1", "2", "3"]
    assert audit[0].action == "port.restored" and audit[0].details["restored"] == previous.version
    with rt.session() as session:
        assert service.versions(session, "orders.orders")[1][0].operation == "RESTORE"
        with pytest.raises(MeshplaneError, match="has no version 99"):
            service.restore(session, "orders.orders", 99)


def test_read_as_of_a_version_or_a_time(rt):
    first = rt.run("orders")
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    write_orders(rt.root, [("7", "C2", "1.00", "paid")])
    rt.run("orders")
    with rt.session() as session:
        _, at, rows = service.read(session, "orders.orders", version=first.outputs["orders"]["version"])
        assert at == first.outputs["orders"]["version"] and rows.num_rows == 3
        _, at, rows = service.read(session, "urn:dmb:dp:shop:orders:1.orders", as_of=between.isoformat())
        assert at == first.outputs["orders"]["version"] and rows.num_rows == 3
        _, _, rows = service.read(session, "orders.orders")
        assert rows.column("order_id").to_pylist() == ["7"]
        with pytest.raises(MeshplaneError, match="not bi-temporal"):
            service.read(session, "orders.orders", valid_at="2024-01-01")


def test_overwrite_replays_a_run_over_its_pinned_inputs_with_patched_code(rt):
    rt.run("customers")
    pinned_orders = rt.run("orders").outputs["orders"]["version"]
    original = rt.run("revenue")
    write_orders(rt.root, [("8", "C1", "3.00", "paid")])
    rt.run("orders")  # new upstream data after the run we will replace
    transform = rt.root / "analytics/revenue/transform.py"
    transform.write_text(transform.read_text().replace("sum(amount)", "sum(amount) * 2"))  # the hotfix
    replaced = rt.run("revenue", overwrite_run=original.run_id[:13])
    assert replaced.status.value == "SUCCEEDED", replaced.error
    assert replaced.mode == "overwrite" and replaced.overwrites == original.run_id
    assert replaced.inputs["orders"]["version"] == pinned_orders  # the inputs the replaced run saw
    assert rt.rows("revenue") == [
        {"cid": "C1", "orders": 2, "total": Decimal("61.00")},
        {"cid": "C2", "orders": 1, "total": Decimal("10.50")},
    ]
    # the replaced run's version stays in the history
    assert rt.rows("revenue", version=original.outputs["revenue"]["version"])[0]["total"] == Decimal("30.50")
    rt.run("revenue")
    with pytest.raises(MeshplaneError, match="only the latest run can be overwritten"):
        rt.run("revenue", overwrite_run=replaced.run_id)


def test_overwrite_of_an_append_port_replaces_only_that_runs_rows(rt):
    rt.run("clicks")
    rt.sql("INSERT INTO clicks VALUES (3, '/pay')")
    second = rt.run("clicks")
    assert second.inputs["log"]["watermark"] == {
        "column": "id",
        "from": {"type": "integer", "value": 2},
        "to": {"type": "integer", "value": 3},
    }
    rt.edit(
        "shop/clicks", lambda d: d["components"][2].update(sql={"clicks": "SELECT id, upper(page) AS page FROM log"})
    )
    replaced = rt.run("clicks", overwrite_run=second.run_id)
    assert replaced.status.value == "SUCCEEDED", replaced.error
    assert [(r["id"], r["page"]) for r in rt.rows("clicks")] == [(1, "/"), (2, "/cart"), (3, "/PAY")]


def test_bitemporal_port_keeps_valid_time_and_answers_as_known_at_a_version(rt):
    v1 = rt.run("addresses").outputs["addresses"]["version"]
    write_moves(rt.root, "b", [("C1", "Milan", "2024-03-01")])
    v2 = rt.run("addresses").outputs["addresses"]["version"]
    # a late correction: C1 lived in Turin from February, which the source learned only now
    write_moves(rt.root, "c", [("C1", "Turin", "2024-02-01")])
    third = rt.run("addresses")
    v3 = third.outputs["addresses"]["version"]
    assert third.outputs["addresses"]["rows"] == 2  # Turin inserted, Rome closed earlier: one merge commit
    assert rt.table("addresses").history(1)[0]["operation"] == "MERGE"

    def city(valid_at, version):
        with rt.session() as session:
            _, _, rows = service.read(session, "addresses.addresses", version=version, valid_at=valid_at)
        return {r["cid"]: r["city"] for r in rows.to_pylist()}

    assert city("2024-02-15", v1) == {"C1": "Rome", "C2": "Oslo"}
    assert city("2024-02-15", v2) == {"C1": "Rome", "C2": "Oslo"}
    assert city("2024-02-15", v3) == {"C1": "Turin", "C2": "Oslo"}
    assert city("2024-04-01", v1) == {"C1": "Rome", "C2": "Oslo"}
    assert city("2024-04-01", v3) == {"C1": "Milan", "C2": "Oslo"}
    assert city("2023-12-31", v3) == {}
    timeline = [(r["city"], str(r["valid_from"]), str(r["valid_to"])) for r in rt.rows("addresses") if r["cid"] == "C1"]
    assert sorted(timeline, key=lambda t: t[1]) == [
        ("Rome", "2024-01-01", "2024-02-01"),
        ("Turin", "2024-02-01", "2024-03-01"),
        ("Milan", "2024-03-01", "None"),
    ]
    # nothing changed: no rows rewritten, but the run still leaves its one commit
    again = rt.run("addresses")
    assert again.outputs["addresses"]["rows"] == 0 and rt.table("addresses").version() == v3 + 1
    # a correction of an existing period replaces that row in place
    write_moves(rt.root, "a", [("C1", "Rome", "2024-01-01"), ("C2", "Bergen", "2024-01-15")])
    fixed = rt.run("addresses").outputs["addresses"]["version"]
    assert city("2024-02-15", fixed)["C2"] == "Bergen" and city("2024-02-15", v3)["C2"] == "Oslo"


def test_overwrite_of_a_bitemporal_port_rebuilds_the_timeline_from_before_the_run(rt):
    rt.run("addresses")
    write_moves(rt.root, "b", [("C1", "Milan", "2024-03-01")])
    second = rt.run("addresses")
    sql = {"addresses": "SELECT cid, upper(city) AS city, valid_from FROM moves"}
    rt.edit("shop/addresses", lambda d: d["components"][2].update(sql=sql))
    replaced = rt.run("addresses", overwrite_run=second.run_id)
    assert replaced.status.value == "SUCCEEDED", replaced.error
    assert [(r["cid"], r["city"], str(r["valid_from"]), str(r["valid_to"])) for r in rt.rows("addresses")] == [
        ("C1", "MILAN", "2024-03-01", "None"),
        ("C1", "ROME", "2024-01-01", "2024-03-01"),
        ("C2", "OSLO", "2024-01-15", "None"),
    ]


def test_a_contract_column_the_table_lacks_asks_for_a_deploy(rt):
    rt.edit(
        "shop/orders",
        lambda d: d["components"][1]["dataContract"]["columns"].append({"name": "note", "type": "string"}),
    )
    record = rt.run("orders")
    assert record.status.value == "FAILED" and "the contract has column(s) note that its table does not" in (
        record.error or ""
    )
