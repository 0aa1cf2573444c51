#!/usr/bin/env python3
"""Start lateness of the live daemon (issue 4), read from the as-run log: the `at` of
each start line minus its `scheduled`, for 1, 30 and 579 stations starting in the same
second (goal: p99 <= 50 ms, max <= 250 ms on 2 cores).

The daemon runs as a real process on the machine's clock (APScheduler, memory job
store), null sink. 1 station: one program; 30 stations: 30 programs (one per station);
579 stations: 30 programs (one per district) in the same second, then a city program
for all 579 (one job, 579 stations) 5 s later, after those ended: both the "many jobs"
and the "one job, many stations" cases are in the figures.

    .venv/bin/python benchmarks/bench_lateness.py [--sink null|file]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def registry() -> dict[str, list[str]]:
    import yaml

    data = yaml.safe_load((ROOT / "schedules/registry/units.yaml").read_text(encoding="utf-8"))
    by_district: dict[str, list[str]] = {}
    for unit in data["units"]:
        by_district.setdefault(str(unit["district"]), []).append(str(unit["code"]))
    return by_district


def program(pid: str, at: datetime, stations: list[str] | None, seconds: float) -> str:
    targets = ("all" if stations is None else
               "\n      stations: [" + ", ".join(f'"{c}"' for c in stations) + "]")
    return (f"  {pid}:\n    title: {pid}\n    targets: {targets}\n"
            f"    when:\n      once: [\"{at:%Y-%m-%d %H:%M:%S}\"]\n"
            f"    segments:\n      - silence: {seconds:g}s\n")


def run_case(n: int, sink: str, tmp: Path) -> list[float]:
    by_district = registry()
    every = [c for codes in by_district.values() for c in codes]
    sched = tmp / f"s{n}"
    (sched / "registry").mkdir(parents=True)
    shutil.copy(ROOT / "schedules/registry/units.yaml", sched / "registry")
    at = (datetime.now(TZ) + timedelta(seconds=8)).replace(microsecond=0)
    text = "programs:\n"
    if n == 1:
        chosen = every[:1]
        text += program("p1", at, chosen, 3)
    elif n == 30:
        chosen = every[:30]
        text += "".join(program(f"p{i}", at, [c], 3) for i, c in enumerate(chosen))
    else:
        chosen = every
        text += "".join(program(f"d{d}", at, codes, 3) for d, codes in by_district.items())
        text += program("city", at + timedelta(seconds=5), None, 2)
    (sched / "programs.yaml").write_text(text, encoding="utf-8")
    home = tmp / f"h{n}"
    argv = [sys.executable, "-m", "radiocli", "--home", str(home), "-s", str(sched), "run",
            "--sink", sink, "--no-render", "--until", f"{at + timedelta(seconds=10):%H:%M:%S}"]
    argv += ["--all"] if n == 579 else [x for c in chosen for x in ("--station", c)]
    subprocess.run(argv, check=True, stderr=subprocess.DEVNULL, timeout=120)
    late: list[float] = []
    for path in (home / "logs").glob("*/*.jsonl"):
        for raw in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(raw)
            if rec.get("event") == "start":
                delta = datetime.fromisoformat(rec["at"]) - datetime.fromisoformat(rec["scheduled"])
                late.append(delta.total_seconds() * 1000)
    return late


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sink", default="null", choices=["null", "file"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="radiocli-bench-late-"))
    try:
        for n in (1, 30, 579):
            t = time.perf_counter()
            late = run_case(n, args.sink, tmp)
            print(f"{n:4d} stations ({len(late)} starts, sink {args.sink}): "
                  f"p50 {statistics.median(late):6.1f} ms  p99 {pct(late, 99):6.1f} ms  "
                  f"max {max(late):6.1f} ms   (goal p99 <= 50, max <= 250)  "
                  f"[{time.perf_counter() - t:.0f} s]")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
