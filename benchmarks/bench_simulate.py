#!/usr/bin/env python3
"""Simulate the whole 2021 distancing period (2021-07-24..2021-09-20) for all 579
stations (issue 5: at most 60 s on 2 cores, goal 30 s) and print the city's figures.

    .venv/bin/python benchmarks/bench_simulate.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="simulate into this home and keep it")
    args = parser.parse_args()
    home = args.keep or Path(tempfile.mkdtemp(prefix="radiocli-bench-"))
    radiocli = str(Path(sys.executable).parent / "radiocli")
    t = time.perf_counter()
    out = subprocess.run([radiocli, "--home", str(home), "--schedules", str(ROOT / "schedules"),
                          "simulate", "--from", "2021-07-24", "--to", "2021-09-20", "--all",
                          "--json"], check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    totals = json.loads(out.stdout)
    per = totals["stations"] * totals["days"]
    print(f"simulate 2021-07-24..2021-09-20, {totals['stations']} stations: {elapsed:.1f} s "
          f"(target <= 60 s, goal 30 s)")
    print(f"  sessions {totals['sessions']:,}  minutes {totals['minutes']:,}  "
          f"minute lines {totals['minute_lines']:,}")
    print(f"  per station per day: {totals['sessions'] / per:.2f} sessions, "
          f"{totals['minutes'] / per:.1f} minutes (city 2021: 5 and 195)")
    if args.keep is None:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
