"""The quality gate on DuckDB: planted violations found with the right counts, quarantine, and every kind of
target `meshplane test` accepts (a file, a contract's server, a DuckDB database, a deployed Delta port)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from quality_kit import orders_sql

from meshplane.contracts import REASONS, Status, compile_contract
from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.quality import quarantine, run_checks, test_target
from meshplane.spec.codecs import import_file

EXPECTED_FAILING = {
    "required:customer_id": 10,
    "unique:order_id": 10,
    "primaryKey:order_id": 10,
    "range:amount": 10,
    "acceptedValues:status": 10,
    "pattern:email": 10,
}


def _failing(report) -> dict[str, int]:
    return {r.check.id: r.failed for r in report.results if r.status is Status.FAIL}


def test_the_bench_contract_finds_the_planted_violations(shared_dir: Path, corrupt_orders: Path):
    contract_file = shared_dir / "bench" / "contract-tests" / "orders.odcs.yaml"
    if not contract_file.is_file():
        pytest.skip("../shared/bench/contract-tests/orders.odcs.yaml is absent")
    report = test_target(str(contract_file), path=str(corrupt_orders), samples=2)
    assert _failing(report) == EXPECTED_FAILING
    assert report.blocking
    assert report.total == 10_000
    assert report.result("sql").status is Status.PASS
    assert report.result("freshness:created_at").status is Status.PASS
    assert report.result("rowCount").status is Status.PASS
    assert [s["customer_id"] for s in report.result("required:customer_id").samples] == [None, None]
    assert report.result("unique:order_id").samples[0] == {"order_id": "ORD-0000000018", "_meshplane_count": 2}


def test_run_checks_on_a_connection_and_quarantine_what_fails(corrupt_orders: Path, contract_dir: Path):
    (name, contract), *_ = import_file(contract_dir / "orders.odcs.yaml", "odcs").contracts
    con = duckdb.connect()
    con.execute(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{corrupt_orders}')")
    report = run_checks(con, '"orders"', contract, samples=1, table_names={name})
    assert _failing(report) == EXPECTED_FAILING
    json.dumps(report.to_dict())  # plain JSON: timestamps and decimals in samples are converted

    assert report.plan is not None
    assert quarantine(con, '"orders"', report.plan).num_rows == 60
    plan = compile_contract(contract, '"orders"')
    bad = quarantine(con, '"orders"', plan)
    assert isinstance(bad, pa.Table)
    assert bad.num_rows == 60  # 40 single violations + both rows of each of the 10 duplicated ids
    reasons = bad.column(REASONS).to_pylist()
    assert sum("required:customer_id" in r for r in reasons) == 10
    assert sum("unique:order_id" in r for r in reasons) == 20
    with pytest.raises(Exception, match="compiled for"):
        quarantine(con, '"other"', plan)


def test_a_clean_table_passes(tmp_path: Path, contract_dir: Path):
    clean = tmp_path / "clean.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM ({orders_sql(2_000)}) WHERE order_id NOT IN ('ORD-0000000018', 'ORD-0000001018') "
        f"AND customer_id IS NOT NULL AND amount >= 0 AND status <> 'unknown' AND email <> 'not-an-email') "
        f"TO '{clean}' (FORMAT PARQUET)"
    )
    report = test_target(str(contract_dir / "orders.odcs.yaml"), path=str(clean))
    assert not report.blocking, [r.message for r in report.results if r.status is not Status.PASS]
    assert report.counts["fail"] == 0


def test_a_server_of_the_contract_resolves_against_its_folder(contract_dir: Path, monkeypatch):
    monkeypatch.chdir("/")
    report = test_target(str(contract_dir / "orders.odcs.yaml"), server="local")
    assert _failing(report) == EXPECTED_FAILING
    assert report.source.endswith("data/orders.parquet")


def test_csv_files_are_read_with_their_types_inferred(contract_dir: Path):
    report = test_target(str(contract_dir / "orders.odcs.yaml"), server="csv")
    assert _failing(report) == EXPECTED_FAILING


def test_which_server_must_be_said_when_there_are_several(contract_dir: Path):
    with pytest.raises(InvalidInputError, match="2 servers"):
        test_target(str(contract_dir / "orders.odcs.yaml"))
    with pytest.raises(NotFoundError, match="no server `locl`") as info:
        test_target(str(contract_dir / "orders.odcs.yaml"), server="locl")
    assert "local" in str(info.value.hint)


def test_a_table_in_a_duckdb_database_file(contract_dir: Path, corrupt_orders: Path, tmp_path: Path):
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE sales_orders AS SELECT * FROM read_parquet('{corrupt_orders}')")
    con.close()
    report = test_target(str(contract_dir / "orders.odcs.yaml"), path=str(db), table="sales_orders")
    assert _failing(report) == EXPECTED_FAILING
    with pytest.raises(NotFoundError, match="no table `sales`"):
        test_target(str(contract_dir / "orders.odcs.yaml"), path=str(db), table="sales")


def test_missing_columns_and_text_values_in_a_csv(tmp_path: Path, contract_dir: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "order_id,customer_id,amount,status,created_at\n"
        "o1,c1,10.5,paid,2024-01-01 10:00:00\n"
        "o2,c2,lots,paid,2024-01-02 10:00:00\n"
        "o3,c3,-2,paid,2024-01-03 10:00:00\n"
    )
    report = test_target(str(contract_dir / "orders.odcs.yaml"), path=str(bad))
    assert report.result("schema:email").status is Status.FAIL
    assert report.result("pattern:email").status is Status.SKIP
    assert report.result("schema:amount").status is Status.PASS  # text, checked value by value
    assert report.result("type:amount").failed == 1
    assert report.result("range:amount").failed == 1


def test_a_deployed_output_port_is_read_from_its_delta_table(mini_mesh: Path):
    from deltalake import write_deltalake

    location = mini_mesh / ".meshplane" / "storage" / "dev" / "customer" / "customers" / "v1" / "customers"
    data = pa.table({"customer_id": ["c1", "c2", "c2", None], "email": ["a@x", "b@x", "nope", "d@x"]})
    write_deltalake(str(location), data)
    report = test_target("customers.customers", mesh=mini_mesh)
    assert report.result("required:customer_id").failed == 1
    assert report.result("unique:customer_id").failed == 1
    assert report.result("primaryKey:customer_id").failed == 2
    assert report.result("pattern:email").status is Status.WARN  # severity warning in the descriptor
    assert report.blocking


def test_an_undeployed_port_says_so(mini_mesh: Path):
    with pytest.raises(NotFoundError, match="no Delta table"):
        test_target("customers.customers", mesh=mini_mesh)
    with pytest.raises(NotFoundError, match="no output port `custmers`"):
        test_target("customers.custmers", mesh=mini_mesh)


def test_a_delta_table_folder_as_the_path(tmp_path: Path, contract_dir: Path, corrupt_orders: Path):
    from deltalake import write_deltalake

    table = duckdb.connect().sql(f"SELECT * FROM read_parquet('{corrupt_orders}')").to_arrow_table()
    write_deltalake(str(tmp_path / "orders_delta"), table)
    report = test_target(str(contract_dir / "orders.odcs.yaml"), path=str(tmp_path / "orders_delta"))
    assert _failing(report) == EXPECTED_FAILING


def test_a_glob_of_parquet_files(tmp_path: Path, contract_dir: Path, corrupt_orders: Path):
    for part in ("a", "b"):
        (tmp_path / f"part-{part}.parquet").write_bytes(corrupt_orders.read_bytes())
    report = test_target(str(contract_dir / "orders.odcs.yaml"), path=str(tmp_path / "part-*.parquet"))
    assert report.total == 20_000
    assert report.result("required:customer_id").failed == 20
    assert report.result("unique:order_id").failed == 10_010  # every id of the second part repeats the first


def test_samples_with_zoned_timestamps():
    """Samples come through Arrow: DuckDB's own conversion of TIMESTAMPTZ would need pytz."""
    from meshplane.spec.model import DataContract

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT TIMESTAMPTZ '2024-01-01 10:00:00+00' AS ts, NULL::VARCHAR AS id")
    contract = DataContract.model_validate(
        {"columns": [{"name": "ts", "type": "timestamp"}, {"name": "id", "type": "string", "required": True}]}
    )
    report = run_checks(con, '"t"', contract)
    (sample,) = report.result("required:id").samples
    assert sample["ts"].year == 2024 and sample["ts"].utcoffset() is not None
    assert json.loads(json.dumps(report.to_dict()))["checks"]
