"""The security suite: a partially granted consumer tries to get at what it may not see.

The consumer holds one grant: ``hr.staff.people``, EU rows only, ``name`` hashed, ``email`` redacted,
``ssn`` nulled; ``hr.staff.payroll`` exists and is not granted. Every attempt must be refused with a clear
error (a ``MeshplaneError``, never a crash) or answer with permitted rows and masked values only. A leak is
any unmasked PII, any value only a US row carries, or any payroll secret — in the rows *or in an error
message*. The suite runs twice: with the row filter applied in the Arrow scan, and on the SQL fallback path.
``test_suite_counts`` prints the totals and fails on any leak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest
from gateway_kit import EU_FILTER, EU_FILTER_FALLBACK, PEOPLE, World, build_world, cells, grant, people

from meshplane.access.model import PortGrant
from meshplane.errors import MeshplaneError, PermissionDeniedError
from meshplane.gateway import Gateway, Limits, QueryLimitError

QUICK = Limits(timeout=0.5, memory="128MB", threads=2, max_rows=100_000)


@dataclass(frozen=True)
class Attempt:
    id: str
    sql: str
    #: "refused", "answer" (must run and show only permitted data), or "either".
    expect: str
    check: Callable[[pa.Table], None] | None = None
    limits: Limits | None = None


def rows_are(n: int) -> Callable[[pa.Table], None]:
    def check(table: pa.Table) -> None:
        assert table.num_rows == n, f"expected {n} rows, got {table.num_rows}"

    return check


def first_cell_is(value: object) -> Callable[[pa.Table], None]:
    def check(table: pa.Table) -> None:
        assert table.column(0).to_pylist()[0] == value

    return check


def only_eu(table: pa.Table) -> None:
    for i, name in enumerate(table.column_names):
        if name == "region":
            assert set(table.column(i).to_pylist()) <= {"EU"}


ATTEMPTS = [
    # -- ports without a grant ----------------------------------------------------------------------
    Attempt("ungranted-port", "SELECT * FROM hr.staff.payroll", "refused"),
    Attempt("ungranted-join", "SELECT * FROM hr.staff.people p JOIN hr.staff.payroll s USING (id)", "refused"),
    Attempt("ungranted-subquery", "SELECT (SELECT max(iban) FROM hr.staff.payroll)", "refused"),
    Attempt("ungranted-time-travel", 'SELECT * FROM hr.staff."payroll@v0"', "refused"),
    Attempt("ungranted-major-alias", "SELECT * FROM hr.staff_v1.payroll", "refused"),
    # -- files ---------------------------------------------------------------------------------------
    Attempt("read-parquet", "SELECT * FROM read_parquet('{people}/*.parquet')", "refused"),
    Attempt("read-csv", "SELECT * FROM read_csv('/etc/passwd')", "refused"),
    Attempt("read-text", "SELECT * FROM read_text('/etc/hostname')", "refused"),
    Attempt("glob", "SELECT * FROM glob('{people}/*')", "refused"),
    Attempt("file-as-table", "SELECT * FROM '{people}/_delta_log/00000000000000000000.json'", "refused"),
    Attempt("copy-out", "COPY (SELECT * FROM hr.staff.people) TO '{tmp}/out.csv'", "refused"),
    Attempt("export-database", "EXPORT DATABASE '{tmp}/dump'", "refused"),
    Attempt("import-database", "IMPORT DATABASE '{tmp}/dump'", "refused"),
    # -- attach, extensions, settings -----------------------------------------------------------------
    Attempt("attach-file", "ATTACH '{tmp}/x.duckdb' AS x", "refused"),
    Attempt("attach-memory", "ATTACH ':memory:' AS x", "refused"),
    Attempt("detach", "DETACH hr", "refused"),
    Attempt("install", "INSTALL httpfs", "refused"),
    Attempt("load", "LOAD httpfs", "refused"),
    Attempt("set-external-access", "SET enable_external_access = true", "refused"),
    Attempt("reset-lock", "RESET lock_configuration", "refused"),
    Attempt("set-memory", "SET memory_limit = '100GB'", "refused"),
    Attempt("set-variable", "SET VARIABLE leak = 1", "refused"),
    Attempt("pragma", "PRAGMA database_list", "refused"),
    Attempt("call", "CALL pragma_version()", "refused"),
    Attempt("current-setting", "SELECT current_setting('temp_directory')", "refused"),
    Attempt("getvariable", "SELECT getvariable('leak')", "refused"),
    Attempt("create-table", "CREATE TABLE t AS SELECT * FROM hr.staff.people", "refused"),
    Attempt("create-macro", "CREATE MACRO m() AS 1", "refused"),
    Attempt("multi-statement", "SELECT 1; ATTACH ':memory:' AS x", "refused"),
    # -- metadata and internals -------------------------------------------------------------------------
    Attempt("duckdb-tables", "SELECT * FROM duckdb_tables()", "refused"),
    Attempt("duckdb-views", "SELECT sql FROM duckdb_views()", "refused"),
    Attempt("duckdb-columns", "SELECT * FROM duckdb_columns()", "refused"),
    Attempt("information-schema", "SELECT * FROM information_schema.tables", "refused"),
    Attempt("pg-catalog", "SELECT * FROM pg_catalog.pg_views", "refused"),
    Attempt("pg-viewdef", "SELECT pg_get_viewdef(1)", "refused"),
    Attempt("serialize-plan", "SELECT json_serialize_plan('SELECT * FROM hr.staff.people')", "refused"),
    Attempt("query-function", "SELECT * FROM query('SELECT * FROM hr.staff.payroll')", "refused"),
    Attempt("query-table", "SELECT * FROM query_table('hr.staff.people')", "refused"),
    Attempt("stats", "SELECT stats(ssn) FROM hr.staff.people", "refused"),
    Attempt("internal-name", "SELECT * FROM temp.main.__mp_0000000000000000_1", "refused"),
    Attempt("memory-catalog", "SELECT * FROM memory.main.people", "refused"),
    Attempt("python-variable", "SELECT * FROM people_raw", "refused"),
    Attempt("describe", "DESCRIBE hr.staff.people", "refused"),
    Attempt("summarize", "SUMMARIZE hr.staff.people", "refused"),
    Attempt("at-clause", "SELECT * FROM hr.staff.people AT (VERSION => 0)", "refused"),
    Attempt("parameter", "SELECT * FROM hr.staff.people WHERE id = ?", "refused"),
    # -- escaping the row filter and the masks ---------------------------------------------------------------
    Attempt("plain", "SELECT * FROM hr.staff.people", "answer", rows_are(10)),
    Attempt("where-us", "SELECT * FROM hr.staff.people WHERE region = 'US'", "answer", rows_are(0)),
    Attempt("or-true", "SELECT * FROM hr.staff.people WHERE true OR region = 'US'", "answer", rows_are(10)),
    Attempt("count", "SELECT count(*) FROM hr.staff.people", "answer", first_cell_is(10)),
    Attempt(
        "aggregates",
        "SELECT sum(salary), max(secret_code), string_agg(name, ','), string_agg(ssn, ',') FROM hr.staff.people",
        "answer",
    ),
    Attempt("self-join", "SELECT a.*, b.* FROM hr.staff.people a JOIN hr.staff.people b ON a.id + 1 = b.id", "answer"),
    Attempt("cross-join", "SELECT a.id, b.* FROM hr.staff.people a, hr.staff.people b", "answer", rows_are(100)),
    Attempt("subquery", "SELECT * FROM (SELECT * FROM hr.staff.people) s WHERE name IS NOT NULL", "answer"),
    Attempt("scalar-subquery", "SELECT (SELECT max(salary) FROM hr.staff.people)", "answer", first_cell_is(50_018)),
    Attempt(
        "exists", "SELECT EXISTS (SELECT 1 FROM hr.staff.people WHERE region = 'US')", "answer", first_cell_is(False)
    ),
    Attempt("cte", "WITH x AS (SELECT * FROM hr.staff.people) SELECT * FROM x", "answer", rows_are(10)),
    Attempt(
        "recursive-cte",
        "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 30) "
        "SELECT p.* FROM r JOIN hr.staff.people p ON p.id = r.i",
        "answer",
        rows_are(10),
    ),
    Attempt(
        "union", "SELECT name FROM hr.staff.people UNION ALL SELECT email FROM hr.staff.people", "answer", rows_are(20)
    ),
    Attempt("union-ssn", "SELECT ssn FROM hr.staff.people UNION SELECT secret_code FROM hr.staff.people", "answer"),
    Attempt(
        "window",
        "SELECT id, lag(name) OVER (ORDER BY id), count(*) OVER (), first_value(ssn) OVER () FROM hr.staff.people",
        "answer",
    ),
    Attempt(
        "lateral",
        "SELECT p.id, l.* FROM hr.staff.people p, LATERAL (SELECT q.ssn, q.email FROM hr.staff.people q "
        "WHERE q.id = p.id + 1) l",
        "answer",
        rows_are(0),
    ),
    Attempt(
        "pivot",
        "SELECT * FROM (SELECT region FROM hr.staff.people) PIVOT (count(*) FOR region IN ('EU', 'US'))",
        "answer",
        lambda t: assert_pivot(t),
    ),
    Attempt("qualify", "SELECT * FROM hr.staff.people QUALIFY row_number() OVER () < 100", "answer", rows_are(10)),
    Attempt("from-first", "FROM hr.staff.people SELECT *", "answer", rows_are(10)),
    Attempt("qualified-column", "SELECT hr.staff.people.ssn, people.name FROM hr.staff.people", "answer"),
    Attempt("case-variants", 'SELECT * FROM "HR"."Staff"."PEOPLE"', "answer", rows_are(10)),
    Attempt("major-alias", "SELECT * FROM hr.staff_v1.people", "answer", rows_are(10)),
    Attempt("masked-casts", "SELECT CAST(ssn AS VARCHAR), name || '', upper(email) FROM hr.staff.people", "answer"),
    Attempt("unnest-masked", "SELECT unnest([name, email, ssn]) FROM hr.staff.people", "answer"),
    Attempt("struct-pack", "SELECT {'n': name, 's': ssn, 'e': email} FROM hr.staff.people", "answer"),
    Attempt("sample", "SELECT * FROM hr.staff.people USING SAMPLE 100%", "answer"),
    Attempt("comment-trick", "SELECT * FROM hr.staff.people -- ; SELECT * FROM hr.staff.payroll", "answer"),
    Attempt("dollar-quote", "SELECT $$; ATTACH 'x' AS y; $$ AS s", "answer"),
    Attempt("hash-guess", "SELECT count(*) FROM hr.staff.people WHERE name = sha256('Name-0-Secret')", "answer"),
    Attempt("time-travel-v0", 'SELECT * FROM hr.staff."people@v0"', "answer", rows_are(10)),
    Attempt(
        "time-travel-join",
        'SELECT a.ssn, b.name, b.region FROM hr.staff."people@v0" a JOIN hr.staff.people b USING (id)',
        "answer",
    ),
    Attempt("time-travel-missing", 'SELECT * FROM hr.staff."people@v99"', "refused"),
    # -- leaky-view tricks: a predicate that fails on a row outside the filter would show its value ----------
    Attempt("cast-error", "SELECT * FROM hr.staff.people WHERE CAST(secret_code AS INTEGER) = 1", "either"),
    Attempt(
        "error-on-us",
        "SELECT * FROM hr.staff.people WHERE CASE WHEN region = 'US' THEN error(secret_code) ELSE true END",
        "either",
    ),
    Attempt("error-everywhere", "SELECT * FROM hr.staff.people WHERE error(secret_code || ssn || email)", "either"),
    Attempt("error-select", "SELECT error(secret_code) FROM hr.staff.people WHERE region <> 'EU'", "either"),
    # -- exhausting memory and time ---------------------------------------------------------------------
    Attempt("huge-list", "SELECT list(r) FROM range(2000000000) t(r)", "refused", limits=QUICK),
    Attempt(
        "endless-recursion",
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r",
        "refused",
        limits=QUICK,
    ),
    Attempt(
        "cross-join-bomb",
        "SELECT count(*) FROM hr.staff.people a, hr.staff.people b, hr.staff.people c, hr.staff.people d, "
        "hr.staff.people e, hr.staff.people f, hr.staff.people g, hr.staff.people h, hr.staff.people i, "
        "hr.staff.people j, hr.staff.people k",
        "refused",
        limits=QUICK,
    ),
    Attempt("range-bomb", "SELECT sum(a.range * b.range) FROM range(100000) a, range(100000) b", "refused", QUICK),
]
ATTEMPTS[-1] = Attempt(ATTEMPTS[-1].id, ATTEMPTS[-1].sql, "refused", limits=QUICK)


def assert_pivot(table: pa.Table) -> None:
    counts = table.to_pylist()[0]
    assert counts["EU"] == 10 and counts["US"] == 0


@dataclass
class Outcome:
    refused: bool
    message: str
    leaks: list[str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("gateway-security"))


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    gw = Gateway(salt="suite-salt", defaults=Limits(timeout=10, memory="512MB", threads=2, max_rows=100_000))
    yield gw
    gw.close()


@pytest.fixture(scope="module", params=["arrow-scan-filter", "sql-fallback-filter"])
def grants(request: pytest.FixtureRequest) -> list[PortGrant]:
    return [grant(PEOPLE, row_filter=EU_FILTER if request.param == "arrow-scan-filter" else EU_FILTER_FALLBACK)]


def attempt(gateway: Gateway, world: World, grants: list[PortGrant], a: Attempt) -> Outcome:
    people_raw = people(1)  # a Python variable a replacement scan would find: the sandbox must not
    assert people_raw.num_rows
    sql = a.sql.replace("{people}", world.paths[PEOPLE]).replace("{tmp}", str(world.root))
    try:
        result = gateway.run(sql, grants, world.directory(), environment="dev", limits=a.limits)
    except MeshplaneError as exc:
        text = f"{exc.message} {exc.hint or ''}"
        return Outcome(True, f"{type(exc).__name__}: {text}", world.leaks([text]))
    leaks = world.leaks(cells(result.table))
    if a.check is not None:
        a.check(result.table)
    only_eu(result.table)
    return Outcome(False, f"{result.rows} row(s)", leaks)


@pytest.mark.parametrize("a", ATTEMPTS, ids=[a.id for a in ATTEMPTS])
def test_attempt(gateway: Gateway, world: World, grants: list[PortGrant], a: Attempt) -> None:
    outcome = attempt(gateway, world, grants, a)
    assert outcome.leaks == [], f"{a.id} leaked {outcome.leaks} ({outcome.message})"
    if a.expect == "refused":
        assert outcome.refused, f"{a.id} should be refused, got {outcome.message}"
    elif a.expect == "answer":
        assert not outcome.refused, f"{a.id} should run, got {outcome.message}"
    if a.limits is QUICK:
        assert "limit" in outcome.message


def test_limits_are_named(gateway: Gateway, world: World, grants: list[PortGrant]) -> None:
    with pytest.raises(QueryLimitError) as caught:
        gateway.run(
            "SELECT sum(a.range * b.range) FROM range(100000) a, range(100000) b",
            grants,
            world.directory(),
            environment="dev",
            limits=QUICK,
        )
    assert caught.value.limit in ("time", "memory")


def test_refused_port_says_how_to_ask(gateway: Gateway, world: World, grants: list[PortGrant]) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        gateway.run("SELECT * FROM hr.staff.payroll", grants, world.directory(), environment="dev")
    assert "meshplane access request hr.staff.payroll --purpose" in (caught.value.hint or "")


def test_suite_counts(
    gateway: Gateway,
    world: World,
    grants: list[PortGrant],
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    """Every attempt once more, counted: attempts, refused, answered, leaks. Fails on any leak."""
    refused = answered = 0
    leaks: list[str] = []
    for a in ATTEMPTS:
        outcome = attempt(gateway, world, grants, a)
        refused += outcome.refused
        answered += not outcome.refused
        leaks += [f"{a.id}: {leak}" for leak in outcome.leaks]
    mode = request.node.callspec.params.get("grants", "")
    line = (
        f"gateway security suite [{mode}]: {len(ATTEMPTS)} attempts, {refused} refused, "
        f"{answered} answered with permitted data only, {len(leaks)} leaks"
    )
    request.node.user_properties.append(("gateway_security", line))
    with capsys.disabled():
        print(f"\n{line}")
    assert len(ATTEMPTS) >= 40
    assert leaks == []


def test_grant_path_is_real(world: World) -> None:
    """The suite's data is what it claims: 20 rows at version 1, older PII at version 0."""
    from deltalake import DeltaTable

    table = DeltaTable(world.paths[PEOPLE])
    assert table.version() == 1
    assert Path(world.paths[PEOPLE]).is_dir()
    assert DeltaTable(world.paths[PEOPLE], version=0).to_pyarrow_table().column("name")[0].as_py().startswith("OLD-")
