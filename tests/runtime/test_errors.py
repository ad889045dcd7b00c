"""Bad input: a clear error naming the file and the fix, nothing committed, the previous data intact."""

from __future__ import annotations

import shutil

import pytest

from meshplane.errors import MeshplaneError
from meshplane.runtime import runner


def test_bad_sql_names_the_descriptor_the_sql_file_and_duckdbs_error(rt):
    rt.run("customers")
    version = rt.table("customers").version()
    (rt.root / "shop/customers/sql/customers.sql").write_text("SELECT no_such_column FROM crm")
    record = rt.run("customers")
    assert record.status.value == "FAILED"
    error = record.error or ""
    assert str(rt.root / "shop/customers/dataproduct.yaml") in error
    assert str(rt.root / "shop/customers/sql/customers.sql") in error
    assert "DuckDB says" in error and "no_such_column" in error
    assert rt.table("customers").version() == version and len(rt.rows("customers")) == 2
    assert record.lineage["eventType"] == "FAIL"
    assert record.lineage["run"]["facets"]["errorMessage"]["message"] == error


def test_a_workload_cannot_read_files_behind_its_inputs(rt):
    rt.edit("shop/orders", lambda d: d["components"][2].update(sql={"orders": "SELECT * FROM read_csv('/etc/passwd')"}))
    record = rt.run("orders")
    assert record.status.value == "FAILED" and "inline SQL of `orders`" in (record.error or "")
    assert "file system operations are disabled" in (record.error or "")


def test_a_result_that_does_not_match_the_contract_is_refused(rt):
    rt.run("orders")
    version = rt.table("orders").version()
    sql = {"orders": "SELECT CAST(order_id AS VARCHAR) AS order_id, cid, amount, 'x' AS extra FROM raw"}
    rt.edit("shop/orders", lambda d: d["components"][2].update(sql=sql))
    record = rt.run("orders")
    assert record.status.value == "FAILED"
    assert "missing `status`; not in the contract: `extra`" in (record.error or "")
    assert rt.table("orders").version() == version


def test_a_value_that_does_not_fit_the_column_type_is_refused(rt):
    sql = {"orders": "SELECT order_id::VARCHAR AS order_id, cid, 'lots' AS amount, status FROM raw"}
    rt.edit("shop/orders", lambda d: d["components"][2].update(sql=sql))
    record = rt.run("orders")
    assert record.status.value == "FAILED" and "column `amount` is string" in (record.error or "")


def test_a_python_error_names_the_function(rt):
    rt.run("customers")
    rt.run("orders")
    (rt.root / "analytics/revenue/transform.py").write_text("def build(inputs):\n    return 1 / 0\n")
    record = rt.run("revenue")
    assert record.status.value == "FAILED"
    assert "(transform.py:build) raised ZeroDivisionError" in (record.error or "")


def test_a_missing_source_fails_the_run_and_keeps_the_data(rt):
    rt.run("orders")
    before = rt.rows("orders")
    (rt.root / "sources/orders.csv").unlink()
    record = rt.run("orders")
    assert record.status.value == "FAILED" and "input `raw`: no csv file at" in (record.error or "")
    assert rt.rows("orders") == before


def test_a_source_disappearing_mid_run_fails_the_run_and_commits_nothing(rt, monkeypatch):
    rt.run("customers")
    rt.run("orders")
    rt.run("revenue")
    before = rt.table("revenue").version()
    read = runner.read_input

    def read_then_lose_the_next_source(port, **kwargs):
        found = read(port, **kwargs)
        if port.name == "customers":  # orders is read next: its table vanishes meanwhile
            shutil.rmtree(rt.root / ".meshplane/storage/dev/shop/orders")
        return found

    monkeypatch.setattr(runner, "read_input", read_then_lose_the_next_source)
    record = rt.run("revenue")
    assert record.status.value == "FAILED"
    assert "input `orders` reads urn:dmb:dp:shop:orders:1 port `orders`, which has no table" in (record.error or "")
    assert rt.table("revenue").version() == before and record.outputs == {}


def test_an_upstream_port_that_does_not_match_its_contract_is_refused(rt):
    rt.run("customers")
    rt.run("orders")
    column = {"name": "channel", "type": "string"}
    rt.edit("shop/orders", lambda d: d["components"][1]["dataContract"]["columns"].append(column))
    record = rt.run("revenue")
    assert record.status.value == "FAILED"
    assert "does not match its contract: missing column(s) channel" in (record.error or "")


def test_a_product_that_is_not_deployed_cannot_run(rt):
    shutil.rmtree(rt.root / ".meshplane/storage/dev/shop/orders")
    with pytest.raises(MeshplaneError, match="deploy the data product first"):
        rt.run("orders")


def test_pins_are_validated(rt):
    with pytest.raises(MeshplaneError, match="no input port `nope`"):
        rt.run("revenue", pins={"nope": 1})
    with pytest.raises(MeshplaneError, match="only output-port inputs have versions"):
        rt.run("orders", pins={"raw": 1})
    rt.run("customers")
    record = rt.run("revenue", pins={"orders": 42})
    assert record.status.value == "FAILED" and "has no version 42" in (record.error or "")
