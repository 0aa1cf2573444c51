#!/usr/bin/env python3
"""RSS of one daemon serving all 579 stations (issue 4: at most 200 MB) and its CPU
while idle.

The daemon runs the sample 2021 schedules (38 programs, 579 stations) with the null
sink and `--clock 2021-08-02 05:59:40`, so twenty seconds in every station starts the
06:00 relay of VOV news at once. Measured from /proc: RSS after start-up, peak RSS
while 579 stations are on air and minute lines are written, and CPU (user + system)
over 30 s on air with nothing starting or ending. Then the same daemon on the
machine's clock (APScheduler live, nothing due) for the idle CPU of a quiet day.

    .venv/bin/python benchmarks/bench_daemon_memory.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def starts(home: Path) -> int:
    """Start lines of the run (a --clock run is a rehearsal: <home>/rehearsal/logs)."""
    n = 0
    for path in (home / "rehearsal" / "logs").glob("*/*.jsonl"):
        n += path.read_bytes().count(b'"event":"start"')
    return n


def wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit("timed out")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="radiocli-bench-mem-"))
    base = [sys.executable, "-m", "radiocli", "--home", str(tmp / "home"), "-s",
            str(ROOT / "schedules")]
    proc: subprocess.Popen[bytes] | None = None
    try:
        t = time.monotonic()
        proc = subprocess.Popen(base + ["run", "--all", "--sink", "null", "--no-render",
                                        "--clock", "2021-08-02 05:59:40"],
                                stderr=subprocess.DEVNULL)
        status = tmp / "home" / "run" / "main" / "status.json"
        wait(status.exists, 120)
        startup = time.monotonic() - t
        after_start = rss_mb(proc.pid)
        wait(lambda: starts(tmp / "home") >= 579, 60)
        peak = after_start
        c0, t0 = cpu_s(proc.pid), time.monotonic()
        while time.monotonic() - t0 < 30:
            peak = max(peak, rss_mb(proc.pid))
            time.sleep(0.5)
        on_air_cpu = (cpu_s(proc.pid) - c0) / (time.monotonic() - t0) * 100
        proc.terminate()
        proc.wait(timeout=60)
        print(f"579 stations, sample schedules: start-up {startup:.1f} s, RSS after start "
              f"{after_start:.0f} MB, peak with 579 on air {peak:.0f} MB (limit 200 MB)")
        print(f"  CPU with 579 stations on air, nothing starting: {on_air_cpu:.1f}% of a core")
        shutil.rmtree(tmp / "home", ignore_errors=True)
        proc = subprocess.Popen(base + ["run", "--all", "--sink", "null", "--no-render"],
                                stderr=subprocess.DEVNULL)
        wait(status.exists, 120)
        time.sleep(3)
        c0, t0 = cpu_s(proc.pid), time.monotonic()
        time.sleep(30)
        idle = (cpu_s(proc.pid) - c0) / (time.monotonic() - t0) * 100
        print(f"  idle (live clock, APScheduler, nothing due): {idle:.2f}% of a core, "
              f"RSS {rss_mb(proc.pid):.0f} MB")
        proc.terminate()
        proc.wait(timeout=60)
    finally:
        if proc is not None and proc.poll() is None:  # a failed run leaves no daemon
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
