"""An adversarial review of the gateway: attempts the security suite does not make, with DuckDB 2.x in mind.

Same world as the suite (``gateway_kit``): the consumer holds ``hr.staff.people``, EU rows only, ``name``
hashed, ``email`` redacted, ``ssn`` nulled; ``hr.staff.payroll`` is not granted. A leak is anything the suite
counts as one, and also the salt of hash masks (with it, hashed PII can be looked up in a list of candidates)
or an internal ``__mp_…`` name. Each attempt runs on the Arrow-scan filter and on the SQL fallback.

Found by this review and fixed:
* ``catalog-*``: a CTE named like a catalog view (``duckdb_views``, ``pg_class``…) that is out of scope where
  it is referenced — or referenced inside its own body — makes DuckDB read the catalog view itself;
  ``duckdb_views`` showed the SQL of the consumer's views, mask salt included.
* ``time-travel-*``: a past version shows only the columns the port has now; a column dropped since (e.g.
  because it was PII) came back unmasked, and so did a struct field.
* an unknown kind of table reference in DuckDB's parse is refused instead of skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from gateway_kit import (
    EU_FILTER,
    EU_FILTER_FALLBACK,
    PAYROLL,
    PEOPLE,
    World,
    build_world,
    cells,
    grant,
)

from meshplane.access.model import OWNER_GRANT, PortGrant
from meshplane.errors import InvalidInputError, MeshplaneError
from meshplane.gateway import AsOf, Gateway, Limits, PortRef, SandboxPool
from meshplane.gateway.sqlcheck import _is_table_ref, verify_with_duckdb

SALT = "review-salt-7f3a9c1e5b2d4680"
_INTERNAL = re.compile(r"__mp_[0-9a-f]{16}_")
_FAKE_TOKEN = "__mp_0123456789abcdef_"  # the one attempts write themselves
HISTORY = PortRef("urn:dmb:dp:hr:staff:1", "history")

#: (id, sql): every one must be refused or answer with permitted data only; "refused" ones must be refused.
REFUSED = [
    # -- the catalog through CTE scoping (leaked the salt before the fix) -----------------------------------
    (
        "catalog-out-of-scope-cte",
        "SELECT DISTINCT v.sql FROM hr.staff.people p, (WITH duckdb_views AS (SELECT 1) SELECT 1) x, duckdb_views v",
    ),
    ("catalog-self-reference", "WITH duckdb_views AS (SELECT sql FROM duckdb_views) SELECT * FROM duckdb_views"),
    (
        "catalog-self-reference-with-port",
        "WITH duckdb_views AS (SELECT sql FROM duckdb_views) SELECT d.*, p.id FROM duckdb_views d, hr.staff.people p",
    ),
    ("catalog-recursive", "WITH RECURSIVE pg_views AS (SELECT * FROM pg_views) SELECT * FROM pg_views"),
    ("catalog-materialized", "WITH pg_class AS MATERIALIZED (SELECT * FROM pg_class) SELECT * FROM pg_class"),
    ("catalog-scalar-subquery", "SELECT (WITH pg_settings AS (SELECT 1) SELECT 1), * FROM pg_settings"),
    ("catalog-quoted-upper", 'WITH "DUCKDB_VIEWS" AS (SELECT sql FROM "DUCKDB_VIEWS") SELECT * FROM "DUCKDB_VIEWS"'),
    ("catalog-sqlite-master", "WITH sqlite_master AS (SELECT * FROM sqlite_master) SELECT * FROM sqlite_master"),
    ("catalog-internal-name", "WITH __mp_0123456789abcdef_1 AS (SELECT 1) SELECT * FROM __mp_0123456789abcdef_1"),
    ("catalog-later-cte", "WITH a AS (SELECT * FROM duckdb_tables), duckdb_tables AS (SELECT 1) SELECT * FROM a"),
    # -- the catalog by name ------------------------------------------------------------------------------------
    ("bare-catalog-view", "SELECT * FROM duckdb_views"),
    ("two-part-catalog-view", "SELECT * FROM main.duckdb_views"),
    ("three-part-catalog-view", "SELECT * FROM system.main.duckdb_views"),
    ("pg-catalog-settings", "SELECT * FROM pg_catalog.pg_settings"),
    ("information-schema-views", "SELECT view_definition FROM information_schema.views"),
    ("describe-subquery", "SELECT * FROM (DESCRIBE hr.staff.people)"),
    ("summarize-subquery", "SELECT * FROM (SUMMARIZE hr.staff.people)"),
    ("show-subquery", "FROM (SHOW ALL TABLES)"),
    ("pivot-statement-subquery", "SELECT * FROM (PIVOT hr.staff.people ON region USING count(*))"),
    # -- table functions not on the allow list ----------------------------------------------------------------
    ("summary", "SELECT * FROM summary((SELECT 1))"),
    ("json-each", "SELECT * FROM json_each('[1]')"),
    ("repeat-row", "SELECT * FROM repeat_row(1, num_rows := 2)"),
    ("test-all-types", "SELECT * FROM test_all_types()"),
    ("seq-scan", "SELECT * FROM seq_scan()"),
    ("enable-profiling", "SELECT * FROM enable_profiling()"),
    ("external-resource", "SELECT * FROM register_external_resource('x')"),
    ("histogram-table-macro", "SELECT * FROM histogram(hr.staff.payroll, iban)"),
    ("histogram-values-macro", "SELECT * FROM histogram_values(hr.staff.people, salary)"),
    ("duckdb-settings", "SELECT * FROM duckdb_settings()"),
    ("duckdb-secrets", "SELECT * FROM duckdb_secrets()"),
    ("duckdb-functions", "SELECT * FROM duckdb_functions()"),
    ("which-secret", "SELECT which_secret('s3://x', 's3')"),
    ("read-blob", "SELECT * FROM read_blob('{people}/_delta_log/*.json')"),
    ("read-json-auto", "SELECT * FROM read_json_auto('{people}/_delta_log/*.json')"),
    ("parquet-metadata", "SELECT * FROM parquet_metadata('{people}/*.parquet')"),
    ("sniff-csv", "SELECT * FROM sniff_csv('/etc/passwd')"),
    ("getenv", "SELECT getenv('HOME')"),
    ("current-setting", "SELECT current_setting('threads')"),
    ("checkpoint-function", "SELECT * FROM checkpoint()"),
    ("qualified-function", "SELECT system.main.version()"),
    ("qualified-table-function", "SELECT * FROM system.main.range(3)"),
    ("query-table-string", "SELECT * FROM query_table('hr.staff.payroll')"),
    ("table-name-string", "SELECT * FROM 'hr.staff.payroll'"),
    # -- statements and parsing tricks ------------------------------------------------------------------------
    ("prepare", "PREPARE p AS SELECT * FROM hr.staff.payroll"),
    ("execute", "EXECUTE p"),
    ("deallocate", "DEALLOCATE p"),
    ("temp-macro", "CREATE TEMP MACRO m(x) AS x"),
    ("temp-view", "CREATE TEMP VIEW v AS SELECT * FROM hr.staff.people"),
    ("use", "USE hr.staff"),
    ("set-search-path", "SET search_path = 'hr.staff'"),
    ("nul-second-statement", "SELECT 1\x00; SELECT * FROM hr.staff.payroll"),
    ("fullwidth-semicolon", "SELECT * FROM hr.staff.people WHERE id = 1 \uff1b ATTACH ':memory:' AS x"),
    ("comment-split", "SELECT * FROM hr.staff.people /* ; */ ; /* */ SELECT * FROM hr.staff.payroll"),
    ("zero-width-name", 'SELECT * FROM hr.staff."payroll\u200b"'),
    ("dotted-quoted-name", 'SELECT * FROM hr."staff.payroll"'),
    ("at-timestamp", "SELECT * FROM hr.staff.people AT (TIMESTAMP => now())"),
    ("lambda-subquery", "SELECT list_transform([1], x -> (SELECT max(iban) FROM hr.staff.payroll))"),
    ("unnest-subquery", "SELECT * FROM unnest((SELECT list(iban) FROM hr.staff.payroll))"),
    ("time-travel-ungranted", 'SELECT * FROM hr.staff."payroll@2000-01-01"'),
]
ANSWERED = [
    # -- casts that fail show a value: only of permitted rows, and masked columns show their masks ----------
    ("cast-order-by", "SELECT * FROM hr.staff.people ORDER BY CAST(secret_code AS INT)"),
    ("cast-join-on", "SELECT * FROM hr.staff.people a JOIN hr.staff.people b ON CAST(a.secret_code AS INT) = b.id"),
    ("cast-filter-clause", "SELECT count(*) FILTER (WHERE CAST(secret_code AS INT) > 0) FROM hr.staff.people"),
    ("cast-group-by", "SELECT CAST(secret_code AS INT) FROM hr.staff.people GROUP BY 1"),
    ("cast-having", "SELECT region FROM hr.staff.people GROUP BY region HAVING max(CAST(secret_code AS INT)) > 0"),
    ("cast-window", "SELECT sum(CAST(secret_code AS INT)) OVER (PARTITION BY region) FROM hr.staff.people"),
    ("cast-lambda", "SELECT list_transform([secret_code], x -> CAST(x AS INT)) FROM hr.staff.people"),
    ("cast-masked", "SELECT CAST(name AS INT), CAST(email AS INT), CAST(ssn AS INT) FROM hr.staff.people"),
    ("error-in-join", "SELECT * FROM hr.staff.people a JOIN hr.staff.people b ON error(a.secret_code)"),
    ("error-in-case", "SELECT CASE WHEN salary > 1000000 THEN error(secret_code) END FROM hr.staff.people"),
    ("try-error", "SELECT try(CAST(secret_code AS INT)) FROM hr.staff.people"),
    ("assert-true", "SELECT assert_true(region = 'EU') FROM hr.staff.people"),
    # -- syntax variants read the same masked, filtered view ------------------------------------------------
    ("table-statement", "TABLE hr.staff.people"),
    ("from-only", "FROM hr.staff.people"),
    ("unpivot-subquery", "SELECT * FROM (UNPIVOT hr.staff.people ON name, email, ssn INTO NAME k VALUE v)"),
    ("column-aliases", "SELECT * FROM hr.staff.people p(a, b, c, d)"),
    ("row-as-struct", "SELECT p, to_json(p) FROM hr.staff.people p"),
    ("union-by-name", "SELECT ssn, email FROM hr.staff.people UNION BY NAME SELECT 'x' AS ssn"),
    ("positional-join", 'SELECT * FROM hr.staff.people POSITIONAL JOIN hr.staff."people@v0"'),
    ("asof-join", 'SELECT * FROM hr.staff.people ASOF JOIN hr.staff."people@v0" USING (id)'),
    ("columns-regex", "SELECT COLUMNS('.*') FROM hr.staff.people"),
    ("alias-as-catalog-name", "SELECT * FROM hr.staff.people AS duckdb_views"),
    ("cte-ordinary-name", "WITH people AS (SELECT * FROM hr.staff.people) SELECT * FROM people"),
    ("upper-time-travel", 'SELECT * FROM hr.staff."PEOPLE@V0"'),
    ("setseed", "SELECT setseed(0.5)"),
    ("current-query", "SELECT current_query(), current_database(), current_user, version()"),
    ("nextval", "SELECT nextval('s')"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = build_world(tmp_path_factory.mktemp("gateway-review"))
    history = made.root / "history"
    # version 0: a PII column and a struct field the port dropped in version 1
    old = {"id": [0, 1], "region": ["EU", "US"], "tax_id": ["TAX-SECRET-0", "TAX-SECRET-1"]}
    contact = [{"phone": "1", "email": "MAIL-SECRET-0"}, {"phone": "2", "email": "MAIL-SECRET-1"}]
    write_deltalake(str(history), pa.table(old | {"contact": contact}))
    new = pa.table({"id": [0, 1], "region": ["EU", "US"], "contact": [{"phone": "1"}, {"phone": "2"}]})
    write_deltalake(str(history), new, mode="overwrite", schema_mode="overwrite")
    made.paths[HISTORY] = str(history)
    made.pii |= {"TAX-SECRET", "MAIL-SECRET"}
    return made


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    gw = Gateway(salt=SALT, defaults=Limits(timeout=10, memory="512MB", threads=2, max_rows=100_000))
    yield gw
    gw.close()


@pytest.fixture(scope="module", params=["arrow-scan-filter", "sql-fallback-filter"])
def grants(request: pytest.FixtureRequest) -> list[PortGrant]:
    return [grant(PEOPLE, row_filter=EU_FILTER if request.param == "arrow-scan-filter" else EU_FILTER_FALLBACK)]


def leaks(world: World, values: list[Any]) -> list[str]:
    found = world.leaks(values)
    for value in values:
        if isinstance(value, str) and (SALT in value or _INTERNAL.search(value.replace(_FAKE_TOKEN, ""))):
            found.append(value)
    return found


def outcome(gateway: Gateway, world: World, grants: list[PortGrant], sql: str) -> tuple[bool, list[str], str]:
    """(refused, leaks, what happened)."""
    sql = sql.replace("{people}", world.paths[PEOPLE])
    try:
        result = gateway.run(sql, grants, world.directory(), environment="dev")
    except MeshplaneError as exc:
        text = f"{exc.message} {exc.hint or ''}"
        return True, leaks(world, [text]), f"{type(exc).__name__}: {text}"
    values = cells(result.table)
    for i, column in enumerate(result.table.column_names):
        if column == "region":
            assert set(result.table.column(i).to_pylist()) <= {"EU"}
    return False, leaks(world, values), f"{result.rows} row(s)"


@pytest.mark.parametrize(("name", "sql"), REFUSED, ids=[a[0] for a in REFUSED])
def test_refused(gateway: Gateway, world: World, grants: list[PortGrant], name: str, sql: str) -> None:
    refused, found, what = outcome(gateway, world, grants, sql)
    assert found == [], f"{name} leaked {found}"
    assert refused, f"{name} should be refused, got {what}"


@pytest.mark.parametrize(("name", "sql"), ANSWERED, ids=[a[0] for a in ANSWERED])
def test_answered_or_refused_without_a_leak(
    gateway: Gateway, world: World, grants: list[PortGrant], name: str, sql: str
) -> None:
    _, found, _ = outcome(gateway, world, grants, sql)
    assert found == [], f"{name} leaked {found}"


def test_review_counts(
    gateway: Gateway, world: World, grants: list[PortGrant], capsys: pytest.CaptureFixture[str]
) -> None:
    """All attempts once more, counted, like the security suite."""
    refused = 0
    found: list[str] = []
    for name, sql in REFUSED + ANSWERED:
        was_refused, leaked, _ = outcome(gateway, world, grants, sql)
        refused += was_refused
        found += [f"{name}: {leak}" for leak in leaked]
    with capsys.disabled():
        total = len(REFUSED) + len(ANSWERED)
        print(f"\ngateway review: {total} attempts, {refused} refused, {len(found)} leaks")
    assert found == []


def test_ordinary_ctes_still_work(gateway: Gateway, world: World, grants: list[PortGrant]) -> None:
    sql = (
        "WITH eu AS (SELECT * FROM hr.staff.people), tables AS (SELECT id FROM eu), columns AS (SELECT 1 AS c) "
        "SELECT count(*) FROM tables, columns"
    )
    result = gateway.run(sql, grants, world.directory(), environment="dev")
    assert result.table.column(0).to_pylist() == [10]


# -- time travel shows today's columns -------------------------------------------------------------------------


def test_time_travel_does_not_bring_back_a_dropped_column(gateway: Gateway, world: World) -> None:
    consumer = [grant(HISTORY, row_filter=EU_FILTER, masks={})]
    result = gateway.run('SELECT * FROM hr.staff."history@v0"', consumer, world.directory(), environment="dev")
    assert result.table.column_names == ["id", "region"]  # tax_id dropped; contact lost a field: both hidden
    assert leaks(world, cells(result.table)) == []
    by_moment = gateway.run(
        "SELECT * FROM hr.staff.history", consumer, world.directory(), environment="dev", as_of=_first_moment(world)
    )
    assert "tax_id" not in by_moment.table.column_names and leaks(world, cells(by_moment.table)) == []
    latest = gateway.run("SELECT * FROM hr.staff.history", consumer, world.directory(), environment="dev")
    assert latest.table.column_names == ["id", "region", "contact"]


def test_a_filter_on_a_column_a_past_version_lacks_refuses_the_read(gateway: Gateway, world: World) -> None:
    """Version 0 of ``history`` has no ``contact``: a filter on it cannot be applied, so nothing is shown."""
    consumer = [grant(HISTORY, row_filter="contact IS NOT NULL AND region = 'EU'", masks={})]
    latest = gateway.run("SELECT * FROM hr.staff.history", consumer, world.directory(), environment="dev")
    assert latest.rows == 1
    narrowed = [grant(HISTORY, row_filter="tax_id = 'none'", masks={})]  # a column only the past has
    for sql in ('SELECT * FROM hr.staff."history@v0"', "SELECT * FROM hr.staff.history"):
        with pytest.raises(MeshplaneError) as caught:
            gateway.run(sql, narrowed, world.directory(), environment="dev")
        assert leaks(world, [caught.value.message, caught.value.hint or ""]) == []


def test_owners_read_the_history_as_it_was(gateway: Gateway, world: World) -> None:
    owner = [grant(HISTORY, row_filter=None, masks={}, grant_id=OWNER_GRANT)]
    result = gateway.run('SELECT * FROM hr.staff."history@v0"', owner, world.directory(), environment="dev")
    assert "tax_id" in result.table.column_names


def _first_moment(world: World) -> AsOf:
    history = DeltaTable(world.paths[HISTORY]).history()
    first = min(int(h["timestamp"]) for h in history if int(h["version"]) == 0)
    return AsOf(timestamp=datetime.fromtimestamp(first / 1000, tz=UTC))


# -- the pool: nothing of one identity's request reaches the next ---------------------------------------------


def test_a_pooled_database_carries_nothing_to_the_next_identity(world: World) -> None:
    pool = SandboxPool(idle=1)
    gw = Gateway(pool=pool, salt=SALT, defaults=Limits(timeout=10, memory="256MB", threads=1, max_rows=1000))
    try:
        owner = [
            grant(PEOPLE, row_filter=None, masks={}, grant_id=OWNER_GRANT),
            grant(PAYROLL, row_filter=None, masks={}, grant_id=OWNER_GRANT),
        ]
        consumer = [grant(PEOPLE)]
        seen = gw.run(
            "SELECT p.ssn, s.iban FROM hr.staff.people p JOIN hr.staff.payroll s USING (id)",
            owner,
            world.directory(),
            environment="dev",
        )
        assert seen.rows == 20
        box = pool.acquire(Limits(timeout=10, memory="256MB", threads=1, max_rows=1000))
        try:  # the very database the owner used, now empty
            attached = box.con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
            assert sorted(r[0] for r in attached) == ["memory", "system", "temp"]
            assert box.con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall() == [(0,)]
        finally:
            pool.release(box)
        attempts = [
            "SELECT * FROM hr.staff.payroll",
            "SELECT * FROM hr.staff.people p, (WITH duckdb_views AS (SELECT 1) SELECT 1) x, duckdb_views v",
            "SELECT getvariable('x')",
        ]
        for sql in attempts:
            with pytest.raises(MeshplaneError) as caught:
                gw.run(sql, consumer, world.directory(), environment="dev")
            assert leaks(world, [caught.value.message, caught.value.hint or ""]) == []
        after = gw.run("SELECT * FROM hr.staff.people", consumer, world.directory(), environment="dev")
        assert after.rows == 10 and leaks(world, cells(after.table)) == []
    finally:
        gw.close()


# -- DuckDB's parse, fail-closed --------------------------------------------------------------------------------


class _FakeParse:
    """A connection whose ``json_serialize_sql`` returns a fixed tree (and the catalog query, no names)."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree
        self.rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, params: list[Any] | None = None) -> _FakeParse:
        self.rows = [(json.dumps(self.tree),)] if "json_serialize_sql" in sql else []
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


def test_an_unknown_kind_of_table_reference_is_refused() -> None:
    new_kind = {"type": "SOME_FUTURE_SCAN", "alias": "", "sample": None, "query_location": 0}
    tree = {"error": False, "statements": [{"node": {"type": "SELECT_NODE", "from_table": new_kind}}]}
    assert _is_table_ref(new_kind)
    with pytest.raises(InvalidInputError, match="some future scan"):
        verify_with_duckdb(_FakeParse(tree), "SELECT 1", set())  # type: ignore[arg-type]


def test_query_nodes_and_modifiers_are_not_table_references() -> None:
    assert not _is_table_ref({"type": "SELECT_NODE", "modifiers": []})
    assert not _is_table_ref({"type": "ORDER_MODIFIER", "orders": []})
    assert _is_table_ref({"type": "BASE_TABLE", "alias": "", "sample": None})


def test_the_salt_stays_out_of_messages_even_quoted(world: World) -> None:
    quoted = "it's-a-salt-1234567890abcdef"
    gw = Gateway(salt=quoted)
    try:
        with pytest.raises(MeshplaneError) as caught:
            gw.run(
                "SELECT CAST(name AS INT) FROM hr.staff.people", [grant(PEOPLE)], world.directory(), environment="dev"
            )
        text = caught.value.message
        assert quoted not in text and quoted.replace("'", "''") not in text
    finally:
        gw.close()


def test_a_granted_port_path_is_never_a_file_the_query_can_name(world: World, tmp_path: Path) -> None:
    """``FROM '<path of the port>'`` is a replacement scan of a file: refused, and the path stays unnamed."""
    gw = Gateway(salt=SALT)
    try:
        with pytest.raises(MeshplaneError) as caught:
            gw.run(
                f"SELECT * FROM hr.staff.people, '{world.paths[PEOPLE]}/_delta_log/00000000000000000000.json'",
                [grant(PEOPLE)],
                world.directory(),
                environment="dev",
            )
        assert leaks(world, [caught.value.message]) == []
    finally:
        gw.close()
