"""Query gateway speed: consumer SQL through the gateway vs the same query written by hand in DuckDB.

A 10M-row Delta table (``id``, ``region``, ``email`` — the PII column —, ``amount``, ``created_at``),
generated with pyarrow and cached. The consumer's grant admits two regions of four (``region IN ('EU',
'US')``) and hashes ``email``. Three queries:

  aggregate      revenue per region
  filtered scan  every order above 990 (about 50,000 rows, e-mail hashed)
  point lookup   one order by id

``gateway`` is ``Gateway.run`` end to end: the SQL checked by both parsers, the latest snapshot opened, a
pooled sandbox with a fresh connection, the grant's filter in the Arrow scan and its mask in a view, the
rows streamed back. ``direct`` is a long-lived DuckDB connection with the same snapshot registered once and
the filter and mask written into the SQL by hand (``WHERE region IN (…)``, ``sha256(salt || email)``) —
the fastest a user could do it. The two run interleaved (alternating which goes first), REPS times after a
warm-up; medians and ratios are printed, with the gateway's time per phase. Results are checked equal.

    python benchmarks/bench_gateway.py [--rows 10000000] [--reps 15] [--cache DIR]

Target: the gateway at most 1.15x the direct time.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake

from meshplane.access.model import PortGrant
from meshplane.gateway import Gateway, Limits, PortRef, Trace

TARGET = 1.15
SALT = "bench-salt"
REF = PortRef("urn:dmb:dp:bench:orders:1", "orders")
NAME = "bench.orders.orders"
REGIONS = ["EU", "US", "APAC", "LATAM"]
FILTER = "region IN ('EU', 'US')"
MASK = f"sha256('{SALT}' || CAST(email AS VARCHAR))"
LIMITS = Limits(timeout=300, memory="4GB", threads=2, max_rows=1_000_000, max_bytes=1024 * 2**20)

QUERIES = {
    "aggregate": (
        f"SELECT region, count(*) AS orders, sum(amount) AS revenue FROM {NAME} GROUP BY region ORDER BY region",
        f"SELECT region, count(*) AS orders, sum(amount) AS revenue FROM t WHERE {FILTER} GROUP BY region "
        "ORDER BY region",
    ),
    "filtered scan": (
        f"SELECT id, email, amount FROM {NAME} WHERE amount > 990 ORDER BY id",
        f"SELECT id, {MASK} AS email, amount FROM t WHERE {FILTER} AND amount > 990 ORDER BY id",
    ),
    "point lookup": (
        f"SELECT * FROM {NAME} WHERE id = 4242424",
        f"SELECT id, region, {MASK} AS email, amount, created_at FROM t WHERE {FILTER} AND id = 4242424",
    ),
}


class OnePort:
    def __init__(self, path: str) -> None:
        self.path = path

    def location(self, ref: PortRef) -> str:
        return self.path

    def deployed(self) -> list[PortRef]:
        return [REF]

    def columns(self, ref: PortRef) -> frozenset[str] | None:
        return None  # no contracts here: consumers see what the table stores, masks applied


def ensure_table(cache: Path, rows: int) -> Path:
    path = cache / f"orders-{rows}"
    if DeltaTable.is_deltatable(str(path)):
        return path
    print(f"generating {rows:,} rows in {path} …", flush=True)
    ids = pa.array(range(rows), type=pa.int64())
    pick = pc.cast(pc.floor(pc.multiply(pc.random(rows, initializer=7), len(REGIONS))), pa.int32())
    start = pa.scalar(1_700_000_000_000_000, pa.int64())
    table = pa.table(
        {
            "id": ids,
            "region": pa.array(REGIONS).take(pick),
            "email": pc.binary_join_element_wise("customer", pc.cast(ids, pa.string()), "@example.com", ""),
            "amount": pc.round(pc.multiply(pc.random(rows, initializer=8), 1000), 2),
            "created_at": pc.cast(pc.add(start, pc.multiply(ids, 1000)), pa.timestamp("us", tz="UTC")),
        }
    )
    write_deltalake(str(path), table)
    return path


def same(a: pa.Table, b: pa.Table) -> bool:
    """Equal rows; floating sums may differ in the last digits (parallel aggregation adds in any order)."""
    if a.num_rows != b.num_rows or a.num_columns != b.num_columns:
        return False
    for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True):
        for u, v in zip(x.values(), y.values(), strict=True):
            if isinstance(u, float) and isinstance(v, float):
                if not math.isclose(u, v, rel_tol=1e-9):
                    return False
            elif u != v:
                return False
    return True


def timed(fn: Callable[[], pa.Table]) -> tuple[float, float, pa.Table]:
    """Wall and CPU milliseconds (CPU of the whole process: DuckDB's threads included; steadier than wall
    time on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--reps", type=int, default=15)
    default_cache = Path(
        os.environ.get("MESHPLANE_BENCH_CACHE", Path.home() / ".cache" / "meshplane" / "bench-gateway")
    )
    parser.add_argument("--cache", type=Path, default=default_cache)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    path = ensure_table(args.cache, args.rows)

    grant = PortGrant(REF.dp_id, REF.port, "dev", FILTER, MappingProxyType({"email": "hash"}), "1", None)
    gateway = Gateway(salt=SALT, ceiling=LIMITS, defaults=LIMITS)
    ports = OnePort(str(path))
    direct = duckdb.connect(config={"threads": LIMITS.threads, "memory_limit": LIMITS.memory})
    direct.execute("SET TimeZone = 'UTC'")
    direct.register("t", DeltaTable(str(path)).to_pyarrow_dataset())

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{machine}, DuckDB {duckdb.__version__}, deltalake, pyarrow {pa.__version__}")
    print(f"{args.rows:,} rows, grant: {FILTER}, email hashed; {args.reps} interleaved repetitions after a warm-up")
    print()
    header = f"{'query':<14} {'rows':>7} {'gateway ms':>11} {'direct ms':>10} {'ratio':>6}  {'overhead ms':>11}"
    header += f"  {'cpu gw':>8} {'cpu dir':>8} {'ratio':>6}  verdict (wall ratio)"
    print(header)
    print("-" * len(header))
    worst = 0.0
    phases_all: dict[str, dict[str, list[float]]] = {}
    for label, (ours, theirs) in QUERIES.items():
        traces: list[Trace] = []

        def through_gateway(sql: str = ours, kept: list[Trace] = traces) -> pa.Table:
            trace = Trace()
            result = gateway.run(sql, [grant], ports, environment="dev", trace=trace)
            kept.append(trace)
            return result.table

        def by_hand(sql: str = theirs) -> pa.Table:
            return direct.sql(sql).to_arrow_table()

        a = timed(through_gateway)[2]
        b = timed(by_hand)[2]
        if not same(a, b):
            print(f"{label}: RESULTS DIFFER ({a.num_rows} vs {b.num_rows} rows)", file=sys.stderr)
            return 1
        traces.clear()
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        for rep in range(args.reps):
            order = [(through_gateway, ours), (by_hand, theirs)]
            for fn, sink in order if rep % 2 == 0 else reversed(order):
                sink.append(timed(fn)[:2])
        g, d = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in theirs)
        gc, dc = statistics.median(c for _, c in ours), statistics.median(c for _, c in theirs)
        ratio = g / d
        worst = max(worst, ratio)
        verdict = "meets" if ratio <= TARGET else f"MISSES <= {TARGET}"
        line = f"{label:<14} {a.num_rows:>7,} {g:>11.1f} {d:>10.1f} {ratio:>6.2f}  {g - d:>11.1f}"
        print(f"{line}  {gc:>8.1f} {dc:>8.1f} {gc / dc:>6.2f}  {verdict}")
        phases_all[label] = {}
        for trace in traces:
            for phase, ms in trace.phases.items():
                phases_all[label].setdefault(phase, []).append(ms)

    print("\ngateway phases, median ms (check: sqlglot; sandbox: pooled database + fresh connection; verify: DuckDB's")
    print("parser; snapshots: open the Delta snapshot; views: register, filter, mask; run: the query and its rows)")
    names = ["check", "sandbox", "verify", "snapshots", "views", "run", "release"]
    print(f"{'query':<14} " + " ".join(f"{n:>9}" for n in names))
    for label, phases in phases_all.items():
        cells = " ".join(f"{statistics.median(phases.get(n, [0.0])):>9.2f}" for n in names)
        print(f"{label:<14} {cells}")
    print(f"\nworst ratio {worst:.2f} (target <= {TARGET})")
    gateway.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
