"""Input kinds: incremental watermarks, PostgreSQL tables, JSON files, and what is refused."""

from __future__ import annotations

import json
import os
import uuid

import pytest

ADMIN_URL = os.environ.get("MESHPLANE_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def test_an_incremental_source_reads_only_rows_above_the_last_watermark(rt):
    first = rt.run("clicks")
    assert first.inputs["log"]["rows"] == 2
    assert first.inputs["log"]["watermark"]["to"] == {"type": "integer", "value": 2}
    rt.sql("INSERT INTO clicks VALUES (3, '/pay'), (4, '/done')")
    second = rt.run("clicks")
    assert second.inputs["log"]["rows"] == 2  # only 3 and 4
    assert second.inputs["log"]["watermark"]["from"] == {"type": "integer", "value": 2}
    assert [r["id"] for r in rt.rows("clicks")] == [1, 2, 3, 4]  # an events port appends
    idle = rt.run("clicks")
    assert idle.inputs["log"]["rows"] == 0 and idle.inputs["log"]["watermark"]["to"]["value"] == 4
    assert [r["id"] for r in rt.rows("clicks")] == [1, 2, 3, 4]
    rt.sql("INSERT INTO clicks VALUES (5, '/again')")
    assert [r["id"] for r in rt.rows("clicks")] == [1, 2, 3, 4]
    assert rt.run("clicks").inputs["log"]["rows"] == 1


def test_a_blocked_run_does_not_move_the_watermark(rt):
    rt.run("clicks")
    rt.sql("INSERT INTO clicks VALUES (3, '/x')")
    rt.edit("shop/clicks", lambda d: d["components"][2].update(sql={"clicks": "SELECT id, NULL AS page FROM log"}))
    assert rt.run("clicks").status.value == "BLOCKED"
    rt.edit("shop/clicks", lambda d: d["components"][2].update(sql={"clicks": "SELECT id, page FROM log"}))
    fixed = rt.run("clicks")
    assert fixed.inputs["log"]["rows"] == 1 and [r["id"] for r in rt.rows("clicks")] == [1, 2, 3]


def test_an_append_port_with_a_key_never_adds_a_key_twice(rt):
    rt.edit("shop/clicks", lambda d: d["components"][0]["source"].pop("incremental"))
    rt.run("clicks")
    rt.sql("INSERT INTO clicks VALUES (3, '/x')")
    second = rt.run("clicks")  # re-reads 1 and 2 as well: a full source
    assert second.inputs["log"]["rows"] == 3 and second.outputs["clicks"]["rows"] == 1
    assert [r["id"] for r in rt.rows("clicks")] == [1, 2, 3]


def test_json_files_are_read(rt):
    (rt.root / "sources/orders.json").write_text(
        "\n".join(json.dumps({"order_id": i, "cid": "C1", "amount": 1.5, "status": "paid"}) for i in (1, 2))
    )
    rt.edit("shop/orders", lambda d: d["components"][0]["source"].update(path="sources/orders.json", format="json"))
    record = rt.run("orders")
    assert record.status.value == "SUCCEEDED", record.error
    assert [r["order_id"] for r in rt.rows("orders")] == ["1", "2"]


def test_an_events_source_is_refused_with_a_reason(rt):
    source = {"type": "events", "system": "shop_db", "stream": "clicks"}
    rt.edit("shop/clicks", lambda d: d["components"][0].update(source=source))
    record = rt.run("clicks")
    assert record.status.value == "FAILED" and "event sources are pushed" in (record.error or "")


@pytest.fixture
def pg_url():
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_URL}: {str(exc).strip()}")
    name = f"meshplane_runtime_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA crm")
        conn.execute(
            "CREATE TABLE crm.customers (id int PRIMARY KEY, email text, created timestamptz NOT NULL, "
            "score numeric(5,2), tags jsonb)"
        )
        conn.execute(
            "INSERT INTO crm.customers VALUES (1, 'Ann@Example.com', '2024-01-01 10:00Z', 1.5, '[\"a\"]'), "
            "(2, 'bob@example.com', '2024-02-01 11:00Z', NULL, NULL)"
        )
    try:
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_postgresql_table_is_read_fully_then_incrementally(rt, pg_url):
    import psycopg

    def use_pg(d):
        d["components"][0]["source"].update(
            url=pg_url, table="crm.customers", incremental={"watermarkColumn": "created"}
        )

    rt.edit("shop/customers", use_pg)
    first = rt.run("customers")
    assert first.status.value == "SUCCEEDED", first.error
    assert [(r["cid"], r["email"]) for r in rt.rows("customers")] == [
        ("C1", "ann@example.com"),
        ("C2", "bob@example.com"),
    ]
    assert first.inputs["crm"]["url"] == pg_url and first.inputs["crm"]["rows"] == 2
    assert first.inputs["crm"]["watermark"]["to"] == {"type": "timestamp", "value": "2024-02-01T11:00:00+00:00"}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO crm.customers VALUES (3, 'cy@example.com', '2024-03-01 09:00Z', 2, NULL)")
    second = rt.run("customers")
    assert second.inputs["crm"]["rows"] == 1  # only the row above the watermark
    assert [r["cid"] for r in rt.rows("customers")] == ["C3"]  # an overwrite port holds this run's snapshot
    assert first.lineage["inputs"][0]["namespace"] == "postgres://127.0.0.1:5432"
