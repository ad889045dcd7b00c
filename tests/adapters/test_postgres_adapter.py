"""The PostgreSQL adapter against the real server, in a database created for this session."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from adapter_kit import ORDERS, ORDERS_QUALITY, product

from meshplane.adapters.base import Operation
from meshplane.adapters.evolution import BreakingChangeError
from meshplane.adapters.pg_common import redact, url_for
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError
from meshplane.spec.model import DataProduct

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]>=3.2')")
from psycopg import errors  # noqa: E402

from meshplane.adapters.postgres import PostgresAdapter  # noqa: E402

ADAPTER = PostgresAdapter()


def pg_product(columns=ORDERS, quality=ORDERS_QUALITY, **kw) -> DataProduct:
    """Each test its own domain (= schema), so tests share the session database without meeting."""
    kw.setdefault("domain", f"d{uuid.uuid4().hex[:8]}")
    return product(columns, quality, **kw)


def columns_of(pg, schema: str, table: str) -> list[tuple[str, str, bool]]:
    return pg.execute(
        "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (schema, table),
    ).fetchall()


def test_provision_creates_schema_table_keys_and_checks(pg_url, pg, make_request):
    dp = pg_product(description="One row per order")
    result = ADAPTER.provision(make_request(dp))

    schema, table = dp.domain, "orders_v1_orders"
    assert result.ok
    assert result.info["schema"] == schema and result.info["table"] == table
    assert columns_of(pg, schema, table) == [
        ("order_id", "text", False),
        ("amount", "numeric", False),
        ("status", "text", True),
    ]
    comment = pg.execute("SELECT obj_description(%s::regclass, 'pg_class')", (f'"{schema}"."{table}"',)).fetchone()
    assert comment == (f"urn:dmb:cmp:{schema}:orders:1:orders",)
    kinds = sorted(
        r[0]
        for r in pg.execute(f'SELECT contype FROM pg_constraint WHERE conrelid = \'"{schema}"."{table}"\'::regclass')
    )
    assert kinds == ["c", "c", "p"]

    insert = f'INSERT INTO "{schema}"."{table}" (order_id, amount, status) VALUES (%s, %s, %s)'
    pg.execute(insert, ("o1", Decimal("0.25"), "paid"))
    for values, error in [
        ((None, 1, "paid"), errors.NotNullViolation),
        (("o1", 1, "paid"), errors.UniqueViolation),
        (("o2", Decimal("0.24"), "paid"), errors.CheckViolation),
        (("o2", 101, "paid"), errors.CheckViolation),
        (("o2", 1, "lost"), errors.CheckViolation),
    ]:
        with pytest.raises(error):
            pg.execute(insert, values)
    assert pg.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone() == (1,)


def test_provisioning_twice_and_concurrently_converges(pg_url, make_request):
    dp = pg_product()
    request = make_request(dp)
    barrier = threading.Barrier(3)
    results, failures = [], []

    def provision() -> None:
        barrier.wait()
        try:
            results.append(ADAPTER.provision(request))
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=provision) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not failures and len(results) == 3
    assert sum(any(line.startswith("created table") for line in r.logs) for r in results) == 1
    assert ADAPTER.provision(request).logs == ["up to date"]


def test_plan_cases(pg_url, make_request):
    dp = pg_product()

    def plan(columns=ORDERS, quality=ORDERS_QUALITY, **kw) -> Operation:
        return ADAPTER.plan(make_request(pg_product(columns, quality, domain=dp.domain, **kw), previous=dp))

    assert ADAPTER.plan(make_request(dp)) is Operation.CREATE
    assert plan() is Operation.NOOP
    assert plan([*ORDERS, {"name": "note", "type": "string"}]) is Operation.UPDATE
    assert plan([{**c, "unique": c["name"] == "status"} for c in ORDERS]) is Operation.UPDATE
    assert plan([ORDERS[0], {**ORDERS[1], "physicalType": "DECIMAL(14,2)"}, ORDERS[2]]) is Operation.REPLACE
    assert plan(specific={"table": "elsewhere"}) is Operation.REPLACE


def test_additive_update_keeps_rows_and_breaking_changes_are_refused(pg_url, pg, make_request):
    dp = pg_product()
    ADAPTER.provision(make_request(dp))
    table = f'"{dp.domain}"."orders_v1_orders"'
    pg.execute(f"INSERT INTO {table} VALUES ('o1', 5, 'paid')")

    newer = pg_product([*ORDERS, {"name": "note", "type": "string", "description": "free text"}], domain=dp.domain)
    result = ADAPTER.provision(make_request(newer, previous=dp))

    assert "added column `note`" in result.logs
    assert pg.execute(f"SELECT order_id, amount, note FROM {table}").fetchall() == [("o1", Decimal("5.00"), None)]
    assert pg.execute(f"SELECT col_description('{table}'::regclass, 4)").fetchone() == ("free text",)

    retyped = pg_product([ORDERS[0], {"name": "amount", "type": "integer"}], [], domain=dp.domain)
    with pytest.raises(BreakingChangeError, match="new major version") as caught:
        ADAPTER.provision(make_request(retyped, previous=newer))
    assert "would change type from numeric(12,2) to bigint" in str(caught.value)
    assert len(columns_of(pg, dp.domain, "orders_v1_orders")) == 4, "nothing changed"


def test_a_constraint_existing_rows_break_is_refused_clearly(pg_url, pg, make_request):
    loose = pg_product(quality=[])
    ADAPTER.provision(make_request(loose))
    pg.execute(f"INSERT INTO \"{loose.domain}\".orders_v1_orders VALUES ('o1', 500, 'paid')")
    with pytest.raises(InvalidInputError, match="existing rows break the new constraint"):
        ADAPTER.provision(make_request(pg_product(domain=loose.domain), previous=loose))


def test_update_acl_grants_exactly_the_listed_principals(pg_url, pg, make_request, role_name):
    dp = pg_product()
    ADAPTER.provision(make_request(dp))
    reader, other = role_name("reader"), role_name("other")
    table = f'"{dp.domain}".orders_v1_orders'

    first = ADAPTER.update_acl(make_request(dp), [reader])
    assert first.info["createdRoles"] == [reader]
    with pg.transaction():
        pg.execute(f'SET LOCAL ROLE "{reader}"')
        assert pg.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)

    second = ADAPTER.update_acl(make_request(dp), [other])
    assert second.info == {"granted": [other], "revoked": [reader], "createdRoles": [other]}
    with pytest.raises(errors.InsufficientPrivilege), pg.transaction():
        pg.execute(f'SET LOCAL ROLE "{reader}"')
        pg.execute(f"SELECT count(*) FROM {table}")
    with pg.transaction():
        pg.execute(f'SET LOCAL ROLE "{other}"')
        assert pg.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    tracked = pg.execute(f'SELECT principal FROM "{dp.domain}".meshplane_grants').fetchall()
    assert tracked == [(other,)]


def test_update_acl_needs_the_table(pg_url, make_request, role_name):
    with pytest.raises(NotFoundError, match="provision the port first"):
        ADAPTER.update_acl(make_request(pg_product()), [role_name("x")])


def test_unprovision_revokes_and_drops_only_with_remove_data(pg_url, pg, make_request, role_name):
    dp = pg_product()
    ADAPTER.provision(make_request(dp))
    reader = role_name("reader")
    ADAPTER.update_acl(make_request(dp), [reader])

    kept = ADAPTER.unprovision(make_request(dp))
    assert kept.ok and any("revoked SELECT" in line for line in kept.logs)
    assert columns_of(pg, dp.domain, "orders_v1_orders")
    with pytest.raises(errors.InsufficientPrivilege), pg.transaction():
        pg.execute(f'SET LOCAL ROLE "{reader}"')
        pg.execute(f'SELECT 1 FROM "{dp.domain}".orders_v1_orders')

    dropped = ADAPTER.unprovision(make_request(dp, remove_data=True))
    assert dropped.ok and not columns_of(pg, dp.domain, "orders_v1_orders")
    assert ADAPTER.unprovision(make_request(dp, remove_data=True)).logs == ["no table to remove"]


def test_reverse_provisioning_reads_columns_and_keys(pg_url, pg):
    schema = f"s{uuid.uuid4().hex[:8]}"
    pg.execute(f'CREATE SCHEMA "{schema}"')
    pg.execute(
        f'CREATE TABLE "{schema}".accounts (id integer PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, '
        "balance numeric(12,2), opened timestamp, tags bigint[], extra jsonb, a text, b text, UNIQUE (a, b))"
    )
    pg.execute(f"COMMENT ON COLUMN \"{schema}\".accounts.balance IS 'in EUR'")

    component = ADAPTER.reverse_provision({"schema": schema, "table": "accounts"})

    assert component["infrastructureTemplateId"] == "postgres"
    assert component["specific"] == {"schema": schema, "table": "accounts"}
    contract = component["dataContract"]
    assert contract["columns"] == [
        {"name": "id", "type": "integer", "physicalType": "INT", "required": True, "primaryKey": True, "unique": True},
        {"name": "code", "type": "string", "physicalType": "VARCHAR(20)", "required": True, "unique": True},
        {"name": "balance", "type": "decimal", "physicalType": "DECIMAL(12,2)", "description": "in EUR"},
        {"name": "opened", "type": "timestamp", "physicalType": "TIMESTAMP_NTZ"},
        {"name": "tags", "type": "array", "physicalType": "ARRAY<BIGINT>"},
        {"name": "extra", "type": "object"},
        {"name": "a", "type": "string"},
        {"name": "b", "type": "string"},
    ]
    assert contract["quality"] == [{"type": "unique", "columns": ["a", "b"]}]
    with pytest.raises(NotFoundError):
        ADAPTER.reverse_provision({"schema": schema, "table": "nope"})


def test_provision_then_reverse_round_trips(pg_url, make_request):
    dp = pg_product()
    ADAPTER.provision(make_request(dp))
    back = ADAPTER.reverse_provision({"schema": dp.domain, "table": "orders_v1_orders"})
    assert [c["name"] for c in back["dataContract"]["columns"]] == ["order_id", "amount", "status"]
    assert back["dataContract"]["columns"][0] == {
        "name": "order_id",
        "type": "string",
        "required": True,
        "primaryKey": True,
        "unique": True,
    }
    assert back["dataContract"]["columns"][1]["physicalType"] == "DECIMAL(12,2)"


def test_validate(pg_url, make_request):
    assert ADAPTER.validate(make_request(pg_product())).valid
    events = ADAPTER.validate(make_request(pg_product(port_type="events")))
    assert not events.valid and "serves `sql` ports only" in events.errors[0]
    long = ADAPTER.validate(make_request(pg_product(specific={"table": "t" * 64})))
    assert not long.valid and "63" in long.errors[0]


def test_urls_come_from_the_port_then_the_environment(monkeypatch):
    monkeypatch.setenv("MESHPLANE_POSTGRES_URL", "postgresql://a@h1/db")
    monkeypatch.setenv("MESHPLANE_POSTGRES_URL_PROD", "postgresql://a@h2/db")
    assert url_for(None, "dev") == "postgresql://a@h1/db"
    assert url_for(None, "prod") == "postgresql://a@h2/db"
    assert url_for("postgresql+psycopg://a@h3/db", "prod") == "postgresql://a@h3/db"
    assert redact("postgresql://app:s3cret@db:5432/shop") == "postgresql://app@db:5432/shop"
    with pytest.raises(InvalidInputError, match="not a PostgreSQL URL"):
        url_for("mysql://a:pw@h/db")


def test_an_unreachable_server_is_a_clear_error(make_request):
    dp = pg_product(specific={"url": "postgresql://postgres@127.0.0.1:1/none"})
    with pytest.raises(
        MeshplaneError, match=r"cannot connect to PostgreSQL at postgresql://postgres@127\.0\.0\.1:1/none"
    ):
        ADAPTER.provision(make_request(dp))
