"""The sandbox on its own, with both parsers out of the way: what DuckDB's settings stop by themselves.

If a parser ever lets something through, these are the walls behind it: no file access, no ATTACH of files,
no extensions, a locked configuration, no Python replacement scans; limits that stop a query; and pooled
databases that carry nothing from one request to the next.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pytest

from meshplane.errors import InvalidInputError
from meshplane.gateway import Limits, QueryMemoryError, QueryTimeoutError, SandboxPool
from meshplane.gateway.sandbox import parse_size

LIMITS = Limits(timeout=5, memory="256MB", threads=2, max_rows=1000)


@pytest.fixture
def pool() -> SandboxPool:
    made = SandboxPool(idle=2)
    yield made
    made.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM '/etc/passwd'",
        "COPY (SELECT 1) TO '{tmp}/out.csv'",
        "EXPORT DATABASE '{tmp}/dump'",
        "ATTACH '{tmp}/x.duckdb' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET lock_configuration",
        "SET memory_limit = '64GB'",
        "SET threads = 64",
        "SET python_enable_replacements = true",
        "SELECT * FROM secret_rows",
    ],
)
def test_settings_stop_it_without_the_parsers(pool: SandboxPool, tmp_path: Path, sql: str) -> None:
    secret_rows = pa.table({"x": ["SECRET"]})  # a Python variable: a replacement scan would find it
    assert secret_rows.num_rows == 1
    with pool.sandbox(LIMITS) as box, pytest.raises(InvalidInputError):
        box.run(sql.replace("{tmp}", str(tmp_path)))
    assert list(tmp_path.iterdir()) == []


def test_a_timeout_stops_the_query(pool: SandboxPool) -> None:
    started = time.monotonic()
    with pool.sandbox(Limits(timeout=0.3, memory="256MB")) as box, pytest.raises(QueryTimeoutError) as caught:
        box.run("SELECT count(*) FROM range(100000000000)")
    assert time.monotonic() - started < 3
    assert "0.3 s" in caught.value.message


def test_a_memory_limit_stops_the_query(pool: SandboxPool) -> None:
    with pool.sandbox(Limits(timeout=20, memory="64MB")) as box, pytest.raises(QueryMemoryError) as caught:
        box.run("SELECT list(range) FROM range(100000000)")
    assert "64MB" in caught.value.message


def test_rows_and_bytes_are_capped(pool: SandboxPool) -> None:
    with pool.sandbox(Limits(max_rows=10)) as box:
        out = box.run("SELECT * FROM range(1000)")
    assert (out.table.num_rows, out.truncated) == (10, "rows")
    with pool.sandbox(Limits(max_rows=1000, max_bytes=10_000)) as box:
        out = box.run("SELECT repeat('x', 1000) AS s FROM range(1000)")
    assert out.truncated == "bytes" and out.table.num_rows < 1000
    with pool.sandbox(Limits(max_rows=1000)) as box:
        out = box.run("SELECT * FROM range(5)")
    assert (out.table.num_rows, out.truncated) == (5, None)


def test_a_pooled_database_carries_nothing_over(pool: SandboxPool) -> None:
    with pool.sandbox(LIMITS) as box:
        name = box.register(pa.table({"v": ["first request"]}))
        box.create_view(("hr", "staff", "people"), f"SELECT * FROM {name}")
        assert box.run("SELECT * FROM hr.staff.people").table.num_rows == 1
    assert sum(len(dbs) for dbs in pool._idle.values()) == 1  # reused, not rebuilt
    with pool.sandbox(LIMITS) as box:
        for sql in ("SELECT * FROM hr.staff.people", f"SELECT * FROM {name}", f"SELECT * FROM temp.main.{name}"):
            with pytest.raises(InvalidInputError):
                box.run(sql)


def test_after_a_limit_the_database_is_replaced(pool: SandboxPool) -> None:
    with pool.sandbox(Limits(timeout=0.2)) as box, pytest.raises(QueryTimeoutError):
        box.run("SELECT count(*) FROM range(100000000000)")
    assert sum(len(dbs) for dbs in pool._idle.values()) == 0


def test_internal_names_never_reach_a_message(pool: SandboxPool) -> None:
    with pool.sandbox(LIMITS) as box:
        name = box.register(pa.table({"v": [1]}))
        with pytest.raises(InvalidInputError) as caught:
            box.run(f"SELECT CAST('x' || v AS INTEGER) FROM {name}")  # DuckDB quotes the query line
    assert name not in str(caught.value) and "<internal>" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "size"), [("512MB", 512 * 10**6), ("2GB", 2 * 10**9), ("1.5 GiB", int(1.5 * 2**30)), ("100", 100)]
)
def test_sizes_read_like_duckdb(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_limits_stay_under_the_ceiling() -> None:
    ceiling = Limits(timeout=10, memory="1GB", threads=2, max_rows=100)
    assert Limits(timeout=5, memory="512MB", threads=1, max_rows=10).within(ceiling)
    for bad in (Limits(timeout=11), Limits(memory="2GB"), Limits(threads=4), Limits(max_rows=101), Limits(timeout=0)):
        with pytest.raises(InvalidInputError):
            bad.within(ceiling)
    with pytest.raises(InvalidInputError):
        Limits(memory="lots").within(ceiling)
