#!/usr/bin/env python3
"""Foundation benchmarks (issue 2): validate + plan of the whole sample for one day, all
579 stations (target <= 1 s), and `radiocli --help` start-up (target <= 0.3 s).

    .venv/bin/python benchmarks/bench_foundation.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    radiocli = str(Path(sys.executable).parent / "radiocli")

    def in_process() -> None:
        from radiocli.plan import day_window, plan
        from radiocli.plan.validate import validate

        schedule, problems = validate(ROOT / "schedules")
        assert not [p for p in problems if p.severity == "error"]
        occurrences = plan(schedule, *day_window(date(2021, 8, 2)))
        assert len(occurrences) > 2800

    def cli_validate_plan() -> None:
        for cmd in (["validate"], ["plan", "--date", "2021-08-02", "--json"]):
            subprocess.run([radiocli, "--schedules", str(ROOT / "schedules"), *cmd],
                           check=True, capture_output=True)

    def cli_help() -> None:
        subprocess.run([radiocli, "--help"], check=True, capture_output=True)

    rows = [
        ("validate + plan, 579 stations, 1 day (in process)", timed(in_process, args.repeat), 1.0),
        ("radiocli validate; radiocli plan --json (2 processes)",
         timed(cli_validate_plan, args.repeat), 2.0),
        ("radiocli --help start-up", timed(cli_help, args.repeat), 0.3),
    ]
    for name, times, target in rows:
        best, median = min(times), statistics.median(times)
        verdict = "ok" if median <= target else "OVER"
        print(f"{name:55} median {median:6.3f} s  best {best:6.3f} s  "
              f"target {target:.1f} s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
