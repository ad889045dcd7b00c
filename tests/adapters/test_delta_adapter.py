"""The Delta adapter against real Delta tables in a temporary mesh folder."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from adapter_kit import ORDERS, ORDERS_QUALITY, product
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError

from meshplane.adapters.base import Operation, ProvisionStatus
from meshplane.adapters.delta import DeltaStorageAdapter
from meshplane.adapters.evolution import BreakingChangeError
from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.spec.model import DataProduct

ADAPTER = DeltaStorageAdapter()
SCHEMA = pa.schema(
    [
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("amount", pa.decimal128(12, 2), nullable=False),
        pa.field("status", pa.string()),
    ]
)


def rows(*items: tuple[str | None, str, str | None], schema: pa.Schema = SCHEMA) -> pa.Table:
    return pa.table(
        {
            "order_id": [i[0] for i in items],
            "amount": [Decimal(i[1]) for i in items],
            "status": [i[2] for i in items],
        },
        schema=schema,
    )


def commits(path: str) -> list[dict]:
    return [json.loads(line) for f in sorted(Path(path, "_delta_log").glob("*.json")) for line in f.open()]


@pytest.fixture
def orders() -> DataProduct:
    return product(ORDERS, ORDERS_QUALITY, description="One row per order")


def test_provision_creates_the_table_where_the_layout_says(orders, make_request, mesh_root):
    result = ADAPTER.provision(make_request(orders))

    assert result.status is ProvisionStatus.COMPLETED
    path = mesh_root / "storage" / "dev" / "sales" / "orders" / "v1" / "orders"
    assert result.info["path"] == str(path)
    assert result.info["format"] == "delta"
    assert [c["name"] for c in result.info["columns"]] == ["order_id", "amount", "status"]
    table = DeltaTable(str(path))
    assert result.info["version"] == table.version()
    assert pa.schema(table.schema().to_arrow()) == SCHEMA
    meta = table.metadata()
    assert meta.name == "urn:dmb:cmp:sales:orders:1:orders"
    assert meta.description == "One row per order"
    assert meta.configuration["delta.enableChangeDataFeed"] == "true"
    assert sorted(
        k.split(".")[2].rsplit("_", 1)[0] for k in meta.configuration if k.startswith("delta.constraints")
    ) == [
        "mp_accepted_status",
        "mp_range_amount",
    ]


def test_the_table_rejects_rows_that_break_the_contract(orders, make_request):
    path = ADAPTER.provision(make_request(orders)).info["path"]

    write_deltalake(path, rows(("o1", "0.25", "paid"), ("o2", "100", None)), mode="append")
    for bad in [
        (None, "1", "paid"),  # required
        ("o3", "0.24", "paid"),  # below min (a decimal bound: see constraints.py on delta-rs literals)
        ("o3", "150", "paid"),  # above max
        ("o3", "1", "lost"),  # not an accepted value
    ]:
        with pytest.raises(DeltaError):
            write_deltalake(path, rows(bad, schema=SCHEMA.set(0, pa.field("order_id", pa.string()))), mode="append")
    assert DeltaTable(path).to_pyarrow_table().num_rows == 2


def test_provisioning_twice_changes_nothing(orders, make_request):
    first = ADAPTER.provision(make_request(orders))
    second = ADAPTER.provision(make_request(orders))

    assert second.info["version"] == first.info["version"]
    assert second.logs == ["up to date"]


def test_concurrent_provisioners_both_succeed_and_leave_one_table(orders, make_request):
    request = make_request(orders)
    barrier = threading.Barrier(4)
    results, failures = [], []

    def provision() -> None:
        barrier.wait()
        try:
            results.append(ADAPTER.provision(request))
        except Exception as exc:  # collected: the assertion below shows it
            failures.append(exc)

    threads = [threading.Thread(target=provision) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not failures
    assert all(r.ok for r in results) and len(results) == 4
    log = commits(results[0].info["path"])
    assert len({a["metaData"]["id"] for a in log if "metaData" in a}) == 1, "one table, never re-created"
    assert [a["commitInfo"]["operation"] for a in log if "commitInfo" in a].count("CREATE TABLE") == 1
    assert ADAPTER.provision(request).logs == ["up to date"]


def test_plan_cases(orders, make_request):
    def changed(columns=ORDERS, quality=ORDERS_QUALITY, **kw) -> Operation:
        return ADAPTER.plan(make_request(product(columns, quality, **kw), previous=orders))

    assert ADAPTER.plan(make_request(orders)) is Operation.CREATE
    assert changed(description="One row per order") is Operation.NOOP
    assert changed(description="Every order") is Operation.UPDATE
    assert changed([*ORDERS, {"name": "note", "type": "string"}], description="One row per order") is Operation.UPDATE
    assert changed(quality=ORDERS_QUALITY[:1], description="One row per order") is Operation.UPDATE
    relaxed = [ORDERS[0], {**ORDERS[1], "required": False}, ORDERS[2]]
    assert changed(relaxed, description="One row per order") is Operation.UPDATE
    retyped = [ORDERS[0], {**ORDERS[1], "physicalType": "DECIMAL(14,2)"}, ORDERS[2]]
    assert changed(retyped) is Operation.REPLACE
    assert changed(ORDERS[:2], ORDERS_QUALITY[:1]) is Operation.REPLACE
    tightened = [*ORDERS[:2], {**ORDERS[2], "required": True}]
    assert changed(tightened) is Operation.REPLACE
    assert changed([*ORDERS, {"name": "note", "type": "string", "required": True}]) is Operation.REPLACE


def test_additive_update_adds_a_column_and_keeps_the_rows(orders, make_request):
    path = ADAPTER.provision(make_request(orders)).info["path"]
    write_deltalake(path, rows(("o1", "5", "paid")), mode="append")
    relaxed = [ORDERS[0], {**ORDERS[1], "required": False}, ORDERS[2]]
    newer = product([*relaxed, {"name": "note", "type": "string", "description": "free text"}], ORDERS_QUALITY)

    result = ADAPTER.provision(make_request(newer, previous=orders))

    assert "added columns `note`" in result.logs
    assert "column `amount` is no longer required" in result.logs
    table = DeltaTable(path)
    assert table.to_pyarrow_table().to_pylist() == [
        {"order_id": "o1", "amount": Decimal("5.00"), "status": "paid", "note": None}
    ]
    assert table.schema().to_arrow().field("note").metadata == {b"comment": b"free text"}
    assert pa.schema(table.schema().to_arrow()).field("amount").nullable
    assert ADAPTER.provision(make_request(newer, previous=newer)).logs == ["up to date"]


def test_changed_expectations_replace_their_constraints(orders, make_request):
    path = ADAPTER.provision(make_request(orders)).info["path"]
    looser = [{"type": "range", "column": "amount", "min": 0.25, "max": 1000}, ORDERS_QUALITY[1]]

    result = ADAPTER.provision(make_request(product(ORDERS, looser), previous=orders))

    assert any(line.startswith("dropped constraint mp_range_amount_") for line in result.logs)
    assert any(line.startswith("added constraints mp_range_amount_") for line in result.logs)
    write_deltalake(path, rows(("o1", "500", "paid")), mode="append")  # allowed now


def test_a_breaking_change_is_refused_and_the_table_is_left_alone(orders, make_request):
    path = ADAPTER.provision(make_request(orders)).info["path"]
    version = DeltaTable(path).version()
    retyped = [ORDERS[0], {"name": "amount", "type": "number", "required": True}]

    with pytest.raises(BreakingChangeError) as caught:
        ADAPTER.provision(make_request(product(retyped), previous=orders))

    message = str(caught.value)
    assert "would change type from decimal128(12, 2) to double" in message
    assert "column `status` would be dropped" in message
    assert "new major version" in message and "2.0.0" in message
    assert DeltaTable(path).version() == version


def test_existing_rows_that_break_a_new_constraint_give_a_clear_error(make_request):
    loose = product(ORDERS)
    path = ADAPTER.provision(make_request(loose)).info["path"]
    write_deltalake(path, rows(("o1", "500", "paid")), mode="append")

    with pytest.raises(InvalidInputError, match="existing rows break the new constraints"):
        ADAPTER.provision(make_request(product(ORDERS, ORDERS_QUALITY), previous=loose))


def test_unprovision_keeps_data_unless_asked(orders, make_request, mesh_root):
    path = Path(ADAPTER.provision(make_request(orders)).info["path"])
    sibling = product(ORDERS, port="refunds")
    ADAPTER.provision(make_request(sibling))

    kept = ADAPTER.unprovision(make_request(orders))
    assert kept.ok and kept.info["kept"] is True and DeltaTable.is_deltatable(str(path))

    removed = ADAPTER.unprovision(make_request(orders, remove_data=True))
    assert removed.ok and removed.info["removed"] is True
    assert not path.exists()
    assert path.parent.is_dir(), "the sibling port keeps the data product folder"

    ADAPTER.unprovision(make_request(sibling, remove_data=True))
    assert not (mesh_root / "storage" / "dev").exists(), "empty parents go too"
    assert (mesh_root / "storage").is_dir(), "the storage root stays"
    assert ADAPTER.unprovision(make_request(orders, remove_data=True)).info["removed"] is False


def test_update_acl_has_nothing_to_grant_on_files(orders, make_request):
    result = ADAPTER.update_acl(make_request(orders), ["alice", "bob"])
    assert result.ok
    assert "query gateway" in result.info["note"]
    assert DeltaStorageAdapter.supports_acl is False


def test_events_ports_have_a_change_data_feed(make_request):
    events = product(ORDERS, port_type="events", port="order_events")
    path = ADAPTER.provision(make_request(events)).info["path"]
    write_deltalake(path, rows(("o1", "5", "paid"), ("o2", "6", None)), mode="append")

    table = DeltaTable(path)
    changes = pa.table(table.load_cdf(starting_version=0)).to_pylist()
    assert sorted((c["order_id"], c["_change_type"]) for c in changes) == [("o1", "insert"), ("o2", "insert")]


def test_reverse_provisioning_describes_an_existing_table(tmp_path):
    path = tmp_path / "Shop Orders"
    schema = pa.schema(
        [
            pa.field("id", pa.int32(), nullable=False),
            pa.field("total", pa.decimal128(10, 2)),
            pa.field("placed_at", pa.timestamp("us")),
            pa.field("tags", pa.list_(pa.int64())),
        ]
    )
    write_deltalake(str(path), pa.table({"id": [1], "total": [None], "placed_at": [None], "tags": [[1]]}, schema))

    component = ADAPTER.reverse_provision({"path": str(path)})

    assert component["kind"] == "outputPort"
    assert component["name"] == "Shop_Orders"
    assert component["dataContract"]["columns"] == [
        {"name": "id", "type": "integer", "physicalType": "INT", "required": True},
        {"name": "total", "type": "decimal", "physicalType": "DECIMAL(10,2)"},
        {"name": "placed_at", "type": "timestamp", "physicalType": "TIMESTAMP_NTZ"},
        {"name": "tags", "type": "array", "physicalType": "ARRAY<BIGINT>"},
    ]
    with pytest.raises(NotFoundError, match="no Delta table"):
        ADAPTER.reverse_provision({"path": str(tmp_path / "nothing")})


def test_provision_then_reverse_gives_the_contract_back(orders, make_request):
    path = ADAPTER.provision(make_request(orders)).info["path"]
    columns = ADAPTER.reverse_provision({"path": path})["dataContract"]["columns"]
    assert columns == [{k: v for k, v in c.items() if k != "primaryKey"} for c in ORDERS]


def test_validate_reports_what_would_fail(make_request):
    assert ADAPTER.validate(make_request(product(ORDERS))).valid
    bad = product(
        [
            {"name": "Id", "type": "string"},
            {"name": "id", "type": "string"},
            {"name": "n", "type": "integer", "physicalType": "VARCHAR(3)"},
        ],
        [{"type": "range", "column": "n", "min": "low"}],
    )
    errors = ADAPTER.validate(make_request(bad)).errors
    assert len(errors) == 3
    assert "differ only in case" in errors[0]
    assert "another type family" in errors[1]
    assert "no number" in errors[2]
    assert not ADAPTER.validate(make_request(product([]))).valid
    assert "not a valid name" in ADAPTER.validate(make_request(product(ORDERS), environment="../x")).errors[0]


def test_a_folder_with_other_files_is_not_overwritten(orders, make_request, mesh_root):
    folder = mesh_root / "storage" / "dev" / "sales" / "orders" / "v1" / "orders"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInputError, match="no Delta table"):
        ADAPTER.provision(make_request(orders))
    assert (folder / "notes.txt").read_text() == "mine"


def test_object_store_roots_pass_through(orders, make_request):
    request = make_request(orders)
    request.mesh.storage.root = "s3://bucket/mesh/"
    from meshplane.adapters.storage import port_location

    location = port_location(request)
    assert location.uri == "s3://bucket/mesh/dev/sales/orders/v1/orders"
    assert location.local is None
    request.mesh.storage.root = "ftp://host/x"
    assert not ADAPTER.validate(request).valid


def test_timestamps_are_utc_microseconds(make_request):
    dp = product([{"name": "at", "type": "timestamp", "required": True}], port="ticks")
    path = ADAPTER.provision(make_request(dp)).info["path"]
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    write_deltalake(path, pa.table({"at": pa.array([when], pa.timestamp("us", tz="UTC"))}), mode="append")
    assert DeltaTable(path).to_pyarrow_table().column("at").to_pylist() == [when]
