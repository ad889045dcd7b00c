"""The gateway core with hand-made grants over real Delta tables: names, masks, several grants on one port,
time travel, expiry, and the result formats."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from deltalake import DeltaTable, write_deltalake
from gateway_kit import EU_FILTER, PAYROLL, PEOPLE, World, build_world, cells, grant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError, PermissionDeniedError
from meshplane.gateway import AsOf, Gateway, Limits, PortRef, ResultFormat, Trace, render, to_document
from meshplane.gateway.names import Names, split_time_travel
from meshplane.gateway.policy import branches, prepare

SALT = "core-salt"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("gateway-core"))


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    gw = Gateway(salt=SALT)
    yield gw
    gw.close()


def run(gateway: Gateway, world: World, sql: str, grants: list, **kw: object):  # type: ignore[no-untyped-def]
    return gateway.run(sql, grants, world.directory(), environment="dev", **kw)  # type: ignore[arg-type]


# -- names ----------------------------------------------------------------------------------------
def test_time_travel_suffixes() -> None:
    assert split_time_travel("orders@v12") == ("orders", AsOf(version=12))
    assert split_time_travel("orders@3") == ("orders", AsOf(version=3))
    assert split_time_travel("orders@2026-01-01") == ("orders", AsOf(timestamp=datetime(2026, 1, 1, tzinfo=UTC)))
    at = split_time_travel("orders@2026-01-01T10:00:00+02:00")[1]
    assert at is not None and at.timestamp == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert split_time_travel("orders") == ("orders", None)
    for bad in ("orders@yesterday", "@v1", "orders@2026-13-45x"):
        with pytest.raises(InvalidInputError):
            split_time_travel(bad)


def test_a_product_name_reads_its_highest_granted_major() -> None:
    v1, v2 = PortRef("urn:dmb:dp:sales:orders:1", "orders"), PortRef("urn:dmb:dp:sales:orders:2", "orders")
    names = Names([v2, v1])
    assert names.resolve(("sales", "orders", "orders")) == (v2, None)
    assert names.resolve(("sales", "orders_v1", "orders")) == (v1, None)
    assert names.resolve(("sales", "orders_v2", "orders@v3")) == (v2, AsOf(version=3))
    assert names.resolve(("", "orders", "orders")) is None
    assert names.names() == ["sales.orders.orders", "sales.orders_v1.orders", "sales.orders_v2.orders"]
    assert PortRef("urn:dmb:dp:my-domain:x.y:1", "p").name == '"my-domain"."x.y".p'


# -- rows and masks -------------------------------------------------------------------------------
def test_filter_and_masks_apply(gateway: Gateway, world: World) -> None:
    result = run(gateway, world, "SELECT * FROM hr.staff.people ORDER BY id", [grant()])
    rows = result.table.to_pylist()
    assert [r["id"] for r in rows] == list(range(0, 20, 2))
    first = rows[0]
    assert first["name"] == hashlib.sha256(f"{SALT}Name-0-Secret".encode()).hexdigest()
    assert first["email"] == "****"
    assert first["ssn"] is None
    assert first["salary"] == 50_000 and first["region"] == "EU"
    schema = result.table.schema
    assert schema.field("ssn").type == pa.string() and schema.field("hired").type == pa.date32()
    assert [(r.name, r.version, r.grants) for r in result.reads] == [("hr.staff.people", 1, ("1",))]


def test_a_null_mask_keeps_the_column_type(gateway: Gateway, world: World) -> None:
    result = run(
        gateway,
        world,
        "SELECT salary, hired, updated_at FROM hr.staff.people",
        [grant(masks={"salary": "null", "hired": "null", "updated_at": "null"})],
    )
    assert result.table.schema.field("salary").type == pa.int64()
    assert result.table.schema.field("hired").type == pa.date32()
    assert pa.types.is_timestamp(result.table.schema.field("updated_at").type)
    assert set(result.table.column("salary").to_pylist()) == {None}


def test_a_masked_column_can_still_be_filtered_on_by_the_grant(gateway: Gateway, world: World) -> None:
    g = grant(row_filter="ssn <> 'SSN-0000-XYZ' AND region = 'EU'", masks={"ssn": "null"})
    result = run(gateway, world, "SELECT id, ssn FROM hr.staff.people ORDER BY id", [g])
    assert result.table.column("id").to_pylist() == list(range(2, 20, 2))
    assert set(result.table.column("ssn").to_pylist()) == {None}


def test_hidden_columns_are_not_even_scanned(world: World) -> None:
    dataset = DeltaTable(world.paths[PEOPLE]).to_pyarrow_dataset()
    (data,) = prepare(dataset, branches([grant()], "x"), types={"ssn": "VARCHAR"}, salt="")
    assert data.data is not None
    assert "email" not in data.data.schema.names and "ssn" not in data.data.schema.names
    assert "name" in data.data.schema.names  # hashed in the view, so the scan needs it


def test_several_grants_show_each_row_once_under_the_most_open_grant(gateway: Gateway, world: World) -> None:
    eu_clear = grant(row_filter=EU_FILTER, masks={}, grant_id="7")
    all_hashed = grant(row_filter=None, masks={"name": "hash", "email": "hash", "ssn": "hash"}, grant_id="8")
    result = run(gateway, world, "SELECT id, name, region FROM hr.staff.people ORDER BY id", [all_hashed, eu_clear])
    rows = result.table.to_pylist()
    assert [r["id"] for r in rows] == list(range(20))
    for r in rows:
        clear = r["name"] == f"Name-{r['id']}-Secret"
        assert clear == (r["region"] == "EU")
    assert result.reads[0].grants == ("8", "7")


def test_an_unknown_mask_fails_closed(gateway: Gateway, world: World) -> None:
    with pytest.raises(MeshplaneError, match="unknown kind"):
        run(gateway, world, "SELECT * FROM hr.staff.people", [grant(masks={"name": "scramble"})])


def test_expired_and_other_environment_grants_do_not_count(gateway: Gateway, world: World) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    for g in (grant(expires_at=past), grant(environment="prod")):
        with pytest.raises(PermissionDeniedError):
            run(gateway, world, "SELECT * FROM hr.staff.people", [g])
    future = grant(expires_at=datetime.now(UTC) + timedelta(days=1))
    assert run(gateway, world, "SELECT count(*) FROM hr.staff.people", [future]).table.num_rows == 1


def test_unknown_tables_name_what_can_be_queried(gateway: Gateway, world: World) -> None:
    with pytest.raises(NotFoundError) as caught:
        run(gateway, world, "SELECT * FROM hr.staff.peeple", [grant()])
    assert "hr.staff.people" in (caught.value.hint or "")
    with pytest.raises(NotFoundError, match=r"domain\.product\.port"):
        run(gateway, world, "SELECT * FROM people", [grant()])


def test_a_refusal_leaves_a_trace_for_the_audit(gateway: Gateway, world: World) -> None:
    trace = Trace()
    with pytest.raises(PermissionDeniedError):
        run(gateway, world, "SELECT * FROM hr.staff.people, hr.staff.payroll", [grant()], trace=trace)
    assert trace.tables == ["hr.staff.people", "hr.staff.payroll"] and trace.reads == []
    assert PAYROLL in world.paths


# -- time travel ------------------------------------------------------------------------------------
def test_time_travel_by_version_and_moment_keeps_filters_and_masks(gateway: Gateway, world: World) -> None:
    old = run(gateway, world, 'SELECT id, name, email FROM hr.staff."people@v0" ORDER BY id', [grant()])
    assert old.reads[0].version == 0 and old.table.num_rows == 10
    assert old.table.column("name")[0].as_py() == hashlib.sha256(f"{SALT}OLD-Name-0-Secret".encode()).hexdigest()
    assert set(old.table.column("email").to_pylist()) == {"****"}
    first_commit = next(h["timestamp"] for h in DeltaTable(world.paths[PEOPLE]).history() if h["version"] == 0)
    moment = datetime.fromtimestamp(first_commit // 1000, tz=UTC) + timedelta(milliseconds=first_commit % 1000)
    at = run(gateway, world, "SELECT count(*) FROM hr.staff.people", [grant()], as_of=AsOf(timestamp=moment))
    assert at.reads[0].version == 0
    iso = moment.isoformat().replace("+00:00", "Z")
    both = run(gateway, world, f'SELECT count(*) FROM hr.staff."people@{iso}" a, hr.staff.people b', [grant()])
    assert sorted(r.version for r in both.reads) == [0, 1] and both.table.column(0)[0].as_py() == 100


def test_time_travel_before_the_first_version_is_a_clear_error(gateway: Gateway, world: World) -> None:
    with pytest.raises(InvalidInputError, match="no data as of"):
        run(gateway, world, 'SELECT * FROM hr.staff."people@2001-01-01"', [grant()])


# -- limits and formats -------------------------------------------------------------------------------
def test_rows_stop_at_the_limit(gateway: Gateway, world: World) -> None:
    result = run(gateway, world, "SELECT * FROM hr.staff.people", [grant()], limits=Limits(max_rows=3))
    assert result.rows == 3 and result.truncated == "rows"


def test_limits_above_the_ceiling_are_refused(gateway: Gateway, world: World) -> None:
    with pytest.raises(InvalidInputError, match="timeout"):
        run(gateway, world, "SELECT 1", [], limits=Limits(timeout=10_000))


def test_result_formats(gateway: Gateway, world: World, tmp_path: Path) -> None:
    sql = (
        "SELECT id, hired, updated_at, 12345678901234567890::HUGEINT AS big, 1.25::DECIMAL(10,2) AS d "
        "FROM hr.staff.people ORDER BY id"
    )
    result = run(gateway, world, sql, [grant()], limits=Limits(max_rows=2))
    doc = json.loads(render(result, ResultFormat.JSON))
    assert doc == to_document(result) | {"durationMs": doc["durationMs"]}
    assert [c["name"] for c in doc["columns"]] == ["id", "hired", "updated_at", "big", "d"]
    assert doc["rows"][0] == [0, "2020-01-01", "2024-01-01T12:00:00+00:00", "12345678901234567890", "1.25"]
    assert doc["truncated"] is True and doc["truncatedBy"] == "rows" and doc["rowCount"] == 2
    csv_table = pacsv.read_csv(io.BytesIO(render(result, ResultFormat.CSV)))
    assert csv_table.num_rows == 2 and csv_table.column_names[0] == "id"
    arrow = pa.ipc.open_stream(render(result, ResultFormat.ARROW)).read_all()
    assert arrow.equals(result.table)


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, ResultFormat.JSON),
        ("text/csv", ResultFormat.CSV),
        ("application/vnd.apache.arrow.stream", ResultFormat.ARROW),
        ("text/csv;q=0.5, application/json", ResultFormat.JSON),
        ("text/html, */*", ResultFormat.JSON),
        ("application/vnd.apache.arrow.stream;q=0, text/csv;q=0.1", ResultFormat.CSV),
    ],
)
def test_accept_headers_pick_the_format(accept: str | None, fmt: ResultFormat) -> None:
    assert ResultFormat.negotiate(accept) is fmt


def test_a_new_commit_is_seen_by_the_next_query(gateway: Gateway, tmp_path: Path) -> None:
    path = tmp_path / "t"
    write_deltalake(str(path), pa.table({"region": ["EU"], "v": [1]}))
    ref = PortRef("urn:dmb:dp:x:y:1", "t")
    directory = World(tmp_path, {ref: str(path)}).directory()
    g = grant(ref, masks={})
    assert gateway.run("SELECT sum(v) FROM x.y.t", [g], directory, environment="dev").table.column(0)[0].as_py() == 1
    write_deltalake(str(path), pa.table({"region": ["EU", "US"], "v": [2, 40]}), mode="append")
    assert gateway.run("SELECT sum(v) FROM x.y.t", [g], directory, environment="dev").table.column(0)[0].as_py() == 3


# -- any input ----------------------------------------------------------------------------------------
TOKENS = [
    *("SELECT", "*", "FROM", "hr.staff.people", "hr.staff.payroll", "WHERE", "(", ")", "'x'", "1", ",", ";"),
    *("UNION", "ALL", "JOIN", "ON", "=", "AS", "WITH", "x", "--", "/*", "*/", "$$", '"', "hr", ".", "staff"),
    *("people", '"people@v0"', "read_csv", "range(3)", "GROUP BY", "ORDER BY", "LIMIT", "OVER", "PIVOT", "NULL"),
    *("CAST", "::", "[", "]", "{", "}", "->", "COLUMNS", "EXCLUDE", "?", "ATTACH", "SET", "\\", "\x00", "é"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sql=st.one_of(st.text(max_size=60), st.lists(st.sampled_from(TOKENS), max_size=20).map(" ".join)))
def test_any_text_is_answered_or_refused_cleanly(gateway: Gateway, world: World, sql: str) -> None:
    """Whatever arrives, the gateway answers with permitted data or refuses with a MeshplaneError (an API
    would answer 4xx) — never another exception (a 500), never a leak."""
    try:
        result = run(gateway, world, sql, [grant()])
    except MeshplaneError as exc:
        assert world.leaks([exc.message, exc.hint or ""]) == []
    else:
        assert world.leaks(cells(result.table)) == []


def test_the_sql_fallback_takes_any_filter_text(gateway: Gateway, world: World) -> None:
    """A filter with no Arrow form is applied in SQL before the consumer's query; braces and quotes in it are
    just text."""
    g = grant(row_filter="secret_code <> '{raw} ''x''' AND CAST(id AS VARCHAR) <> '{}' AND region = 'EU'")
    result = run(gateway, world, "SELECT count(*), max(salary) FROM hr.staff.people", [g])
    assert result.table.to_pylist()[0] == {"count_star()": 10, "max(salary)": 50_018}


def test_storage_paths_stay_out_of_messages(gateway: Gateway, tmp_path: Path) -> None:
    path = tmp_path / "hidden-storage" / "t"
    write_deltalake(str(path), pa.table({"region": ["EU"], "v": [1]}))
    ref = PortRef("urn:dmb:dp:x:y:1", "t")
    directory = World(tmp_path, {ref: str(path)}).directory()
    for parquet in path.glob("*.parquet"):
        parquet.unlink()  # as a VACUUM would: the log names a file that is gone
    with pytest.raises(MeshplaneError) as caught:
        gateway.run("SELECT * FROM x.y.t", [grant(ref, masks={})], directory, environment="dev")
    assert "hidden-storage" not in f"{caught.value.message} {caught.value.hint}"
    with pytest.raises(MeshplaneError) as missing:
        gateway.run('SELECT * FROM x.y."t@v7"', [grant(ref, masks={})], directory, environment="dev")
    assert "hidden-storage" not in f"{missing.value.message} {missing.value.hint}"


def test_deep_nesting_is_refused_not_a_crash(gateway: Gateway, world: World) -> None:
    with pytest.raises(InvalidInputError, match="nested too deeply"):
        run(gateway, world, "SELECT " + "(" * 400 + "1" + ")" * 400, [grant()])
