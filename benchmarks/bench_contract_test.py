"""Contract testing speed: `meshplane test` vs `datacontract test` vs one hand-written DuckDB query.

On the orders benchmark of ../shared/bench/contract-tests (6 columns, 20-odd checks), for 1M- and 10M-row
Parquet files generated with its gen_orders.py, interleaved, REPS times each:

  ours-api      python benchmarks/contract_runner.py   (meshplane.quality.test_target in a fresh process)
  ours-cli      the meshplane CLI's `test` command     (what a user or CI runs; includes CLI start-up)
  datacontract  datacontract test --server orders_<size>   (datacontract-cli[duckdb,parquet], own venv)
  duckdb        python duckdb_checks.py FILE            (the same checks as one hand-written query)

plus ours in this process (engine time only, against duckdb_checks' own `seconds_in_process`). Wall time is
the minimum over the repetitions, and so is CPU time (user + sys, steadier than wall time on a shared host);
peak RSS is each process's own (``os.wait4``), the maximum seen. Then every
tool runs once on a 1M-row file with planted violations (1,000 of each kind) and the violation counts per
check kind are compared: MATCH or MISMATCH.

    python benchmarks/bench_contract_test.py [--sizes 1m,10m] [--reps 3] [--cache DIR] [--no-datacontract]

Data and the datacontract-cli virtual environment live in a cache folder (default
~/.cache/meshplane/bench-contract, or $MESHPLANE_BENCH_CACHE) and are reused across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "bench" / "contract-tests"
SIZES = {"1k": 1_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
TARGETS = {"ours-api": 1.1, "ours-cli": 1.1}


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    rc: int
    stdout: str
    stderr: str


@dataclass
class Tool:
    name: str
    cmd: list[str]
    cwd: Path
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)


def run(cmd: list[str], cwd: Path) -> Run:
    """Run ``cmd``; wall clock and the process's own peak RSS (from ``wait4``, no /usr/bin/time needed)."""
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1", PYTHONWARNINGS="ignore")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Run(wall, cpu, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read())


def ensure_data(cache: Path, size: str, corrupt: bool = False) -> Path:
    name = f"orders_{size}{'_corrupt' if corrupt else ''}.parquet"
    path = cache / "data" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "gen_orders.py", str(SIZES[size]), str(path), *(["--corrupt"] if corrupt else [])]
        print(f"generating {name} …", flush=True)
        subprocess.run(cmd, cwd=SHARED, check=True, stdout=subprocess.DEVNULL)
    return path


def ensure_datacontract(cache: Path) -> Path | None:
    """datacontract-cli in its own venv (its duckdb and pandas pins stay out of ours); ``None`` if it fails."""
    venv = cache / "venv"
    exe = venv / "bin" / "datacontract"
    if exe.exists():
        return exe
    print("installing datacontract-cli[duckdb,parquet] into", venv, "…", flush=True)
    log = cache / "datacontract-install.log"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        with log.open("w") as handle:
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "datacontract-cli[duckdb,parquet]"],
                check=True,
                stdout=handle,
                stderr=subprocess.STDOUT,
                timeout=900,
            )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"datacontract-cli could not be installed ({exc}); see {log}. Its column is skipped.")
        return None
    return exe if exe.exists() else None


def versions(exe: Path | None) -> str:
    import duckdb

    found = [f"duckdb {duckdb.__version__} (ours and the hand-written query)"]
    if exe is not None:
        code = "import importlib.metadata as m; print(m.version('datacontract-cli'), m.version('duckdb'))"
        got = subprocess.run([str(exe.parent / "python"), "-c", code], capture_output=True, text=True).stdout.split()
        if len(got) == 2:
            found.append(f"datacontract-cli {got[0]} (its duckdb {got[1]})")
    return ", ".join(found)


# -- violation counts per check kind ------------------------------------------------------------------------------

KINDS = ["required", "unique", "minimum", "acceptedValues", "pattern", "rowCount", "sql", "freshness"]


def counts_ours(stdout: str) -> dict[str, Any]:
    data = json.loads(stdout.strip().splitlines()[-1] if stdout.strip().startswith("{") else stdout)
    by_id = {c["id"]: c for c in data["checks"]}
    return {
        "required": sum(c["failed"] or 0 for c in data["checks"] if c["kind"] == "required"),
        "unique": by_id["unique:order_id"]["failed"],
        "minimum": by_id["range:amount"]["failed"],
        "acceptedValues": by_id["acceptedValues:status"]["failed"],
        "pattern": by_id["pattern:email"]["failed"],
        "rowCount": int(by_id["rowCount"]["value"]),
        "sql": int(by_id["sql"]["value"]),
        "freshness": by_id["freshness:created_at"]["status"] == "pass",
    }


def counts_datacontract(report: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"required": 0}
    names = {
        "field_unique": "unique",
        "field_minimum": "minimum",
        "field_invalid_values": "acceptedValues",
        "field_regex": "pattern",
        "row_count": "rowCount",
        "model_quality_sql": "sql",
    }
    for check in report.get("checks", []):
        diag = check.get("diagnostics") or {}
        kind = check.get("type")
        if kind == "field_required":
            found["required"] += int(diag.get("value", 0))
        elif kind in names:
            found[names[kind]] = int(diag["value"]) if "value" in diag else None
        elif kind == "servicelevel_freshness":
            found["freshness"] = check.get("result") == "passed"
    return found


def counts_duckdb(stdout: str) -> dict[str, Any]:
    m = json.loads(stdout.splitlines()[0])["metrics"]
    return {
        "required": sum(v for k, v in m.items() if k.endswith("_nulls")),
        "unique": m["order_id_duplicates"],
        "minimum": m["amount_below_min"],
        "acceptedValues": m["status_invalid"],
        "pattern": m["email_pattern_invalid"],
        "rowCount": m["row_count"],
        "sql": m["created_in_future"],
        "freshness": m["freshness_seconds"] is not None and m["freshness_seconds"] <= 3650 * 86400,
    }


# -- the run ---------------------------------------------------------------------------------------------------------


def tools_for(size: str, data: Path, contract: Path, dc: Path | None, cache: Path) -> list[Tool]:
    py = sys.executable
    found = [
        Tool("ours-api", [py, str(HERE / "contract_runner.py"), str(contract), str(data)], ROOT),
        Tool("ours-cli", [py, str(HERE / "contract_cli.py"), "test", str(contract), "--path", str(data)], ROOT),
        Tool("duckdb", [py, "duckdb_checks.py", str(data)], SHARED),
    ]
    if dc is not None:
        # the contract's servers say ./data/orders_<size>.parquet: run where that is the cache's data folder
        found.insert(2, Tool("datacontract", [str(dc), "test", "--server", f"orders_{size}", str(contract)], cache))
    return found


def in_process(contract: Path, data: Path) -> float:
    from meshplane.quality import test_target

    started = time.perf_counter()
    test_target(str(contract), path=str(data), samples=0)
    return time.perf_counter() - started


def compare(cache: Path, contract: Path, dc: Path | None) -> bool:
    data = ensure_data(cache, "1m", corrupt=True)
    print("\n== violation counts on orders_1m_corrupt (1,000 planted per kind)")
    columns: dict[str, dict[str, Any]] = {}
    ours = run([sys.executable, str(HERE / "contract_runner.py"), str(contract), str(data)], ROOT)
    columns["ours"] = counts_ours(ours.stdout)
    if dc is not None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "dc.json"
            cmd = [str(dc), "test", "--server", "orders_1m_corrupt", str(contract), "--output", str(out)]
            run([*cmd, "--output-format", "json"], cache)
            columns["datacontract"] = counts_datacontract(json.loads(out.read_text())) if out.exists() else {}
    hand = run([sys.executable, "duckdb_checks.py", str(data)], SHARED)
    columns["duckdb"] = counts_duckdb(hand.stdout)
    names = list(columns)
    print(f"| check kind | {' | '.join(names)} | verdict |")
    print(f"|---|{'---:|' * len(names)}---|")
    all_match = True
    for kind in KINDS:
        values = [columns[n].get(kind) for n in names]
        same = len({json.dumps(v) for v in values}) == 1
        all_match &= same
        shown = " | ".join(f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in values)
        print(f"| {kind} | {shown} | {'MATCH' if same else 'MISMATCH'} |")
    print(f"\nverdict: {'MATCH' if all_match else 'MISMATCH'} across {', '.join(names)}")
    return all_match


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--reps", type=int, default=3)
    default_cache = os.environ.get("MESHPLANE_BENCH_CACHE") or str(Path.home() / ".cache/meshplane/bench-contract")
    parser.add_argument("--cache", default=default_cache, help="where data and the datacontract venv are kept")
    parser.add_argument("--no-datacontract", action="store_true", help="skip the datacontract-cli column")
    args = parser.parse_args()
    if not (SHARED / "gen_orders.py").is_file():
        print(f"skipped: {SHARED} is absent (the peer baseline lives in ../shared beside the project)")
        return 0
    cache = Path(args.cache).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    contract = SHARED / "orders.odcs.yaml"
    dc = None if args.no_datacontract else ensure_datacontract(cache)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    print(f"host: {platform.platform()}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"versions: {versions(dc)}; reps {args.reps}, interleaved; load1 {os.getloadavg()[0]:.2f}\n")

    summary: list[str] = []
    for size in sizes:
        data = ensure_data(cache, size)
        tools = tools_for(size, data, contract, dc, cache)
        inproc: list[float] = []
        hand_inproc: list[float] = []
        for rep in range(1, args.reps + 1):
            for tool in tools:
                got = run(tool.cmd, tool.cwd)
                tool.walls.append(got.wall)
                tool.cpus.append(got.cpu)
                tool.rss.append(got.rss_mb)
                tool.codes.add(got.rc)
                if tool.name == "duckdb" and got.stdout.startswith("{"):
                    hand_inproc.append(float(json.loads(got.stdout.splitlines()[0])["seconds_in_process"]))
                if got.rc not in (0, 1):
                    print(f"  {tool.name} failed (exit {got.rc}): {got.stderr.strip()[-500:]}")
            inproc.append(in_process(contract, data))
            line = ", ".join(f"{t.name} {t.walls[-1]:.2f}s" for t in tools)
            print(f"{size:>4} rep {rep}: {line}, ours in-process {inproc[-1]:.2f}s", flush=True)
        best = {t.name: min(t.walls) for t in tools}
        cpu = {t.name: min(t.cpus) for t in tools}
        peak = {t.name: max(t.rss) for t in tools}
        summary.append(f"\n== {size} rows ({SIZES[size]:,}), {data.stat().st_size / 2**20:.0f} MB Parquet")
        summary.append("| tool | wall s (min) | CPU s user+sys (min) | peak RSS MB | exit codes |")
        summary.append("|---|---:|---:|---:|---|")
        for t in tools:
            row = f"{best[t.name]:.2f} | {cpu[t.name]:.2f} | {peak[t.name]:.0f} | {sorted(t.codes)}"
            summary.append(f"| {t.name} | {row} |")
        summary.append(f"| ours in-process (engine only) | {min(inproc):.2f} | — | — | — |")
        summary.append(f"| duckdb in-process (its seconds_in_process) | {min(hand_inproc):.2f} | — | — | — |")
        summary.append("ratios (min wall):")
        for ours in ("ours-api", "ours-cli"):
            ratio = best[ours] / best["duckdb"]
            verdict = "meets" if ratio <= TARGETS[ours] else "MISSES"
            summary.append(f"  {ours}/duckdb = {ratio:.2f} ({verdict} the ≤ {TARGETS[ours]} target)")
        ratio = min(inproc) / min(hand_inproc)
        summary.append(f"  ours/duckdb in-process = {ratio:.2f} ({'meets' if ratio <= 1.1 else 'MISSES'} ≤ 1.1)")
        shared = ", ".join(f"{n}/duckdb {cpu[n] / cpu['duckdb']:.2f}" for n in ("ours-api", "ours-cli"))
        if "datacontract" in cpu:
            shared += ", " + ", ".join(f"{n}/datacontract {cpu[n] / cpu['datacontract']:.2f}" for n in ("ours-api",))
        summary.append(f"  CPU time (less sensitive to a busy host): {shared}")
        if "datacontract" in best:
            for ours in ("ours-api", "ours-cli"):
                ratio = best[ours] / best["datacontract"]
                verdict = "meets" if ratio <= 0.5 else "MISSES"
                summary.append(f"  {ours}/datacontract = {ratio:.2f} ({verdict} the ≤ 0.5 target)")
        else:
            summary.append("  datacontract: skipped")
        memory = ", ".join(f"{n} {peak[n]:.0f} MB" for n in peak)
        summary.append(f"peak memory: {memory}")
        if "datacontract" in peak:
            summary.append(f"  ours-api/datacontract memory = {peak['ours-api'] / peak['datacontract']:.2f}")
        summary.append(f"  ours-api/duckdb memory = {peak['ours-api'] / peak['duckdb']:.2f}")
    print("\n".join(summary))
    return 0 if compare(cache, contract, dc) else 1


if __name__ == "__main__":
    sys.exit(main())
