"""Run `meshplane test` through the Python API in a fresh process and print the report as JSON.

Used by bench_contract_test.py so the API path is timed (and its peak memory read) as a process, like the
other tools: ``python contract_runner.py CONTRACT DATA_FILE [--samples N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main() -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("contract")
    parser.add_argument("data")
    parser.add_argument("--samples", type=int, default=0)
    args = parser.parse_args()

    from meshplane.quality import test_target

    report = test_target(args.contract, path=args.data, samples=args.samples)
    data = report.to_dict()
    data["seconds_in_process"] = round(time.perf_counter() - started, 3)
    json.dump(data, sys.stdout, default=str)
    sys.stdout.write("\n")
    return 1 if report.blocking else 0


if __name__ == "__main__":
    sys.exit(main())
