"""Cold render of one sample day for all 579 stations, then the warm re-render (<= 1 s).

    python benchmarks/bench_render.py [--date 2021-08-02]

Runs the real CLI (`radiocli render --date D --all`) with a fresh temporary home.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run(home: str, day: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "radiocli", "--home", home, "--schedules",
                           str(ROOT / "schedules"), "render", "--date", day, "--all"],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    return seconds, proc.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--date", default="2021-08-02")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        cold, cold_line = run(home, args.date)
        warm, warm_line = run(home, args.date)
        size = sum(p.stat().st_size for p in Path(home).rglob("*") if p.is_file())
    print(f"cold render {args.date}, all stations: {cold:6.2f} s  ({cold_line})")
    print(f"warm re-render:                      {warm:6.2f} s  ({warm_line})"
          f"  target <= 1 s: {'ok' if warm <= 1.0 else 'MISSED'}")
    print(f"cache size: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
