#!/usr/bin/env python3
"""A store slice at national scale (issue 11, item 6): 3,321 communes (Vietnam since
2025-07-01, 34 provinces) for one month, collected, with the cost per file and the peak
memory, extrapolated to a year.

Synthetic logs (five sessions a day per station, 195 minutes on air, as Hanoi in 2021)
are written for ``--units`` stations over ``--days`` days plus one more day. Then:

- a third of the month is collected into a fresh store, and the whole month into
  another: the peak memory of the two collects shows whether memory grows with the
  number of files (it must not);
- one more day is collected into the month's store: the daily collect of a national
  network, incremental (the catalog is not rewritten);
- sizes: catalog bytes per file, Parquet bytes per minute line, parts after merging.

    .venv/bin/python benchmarks/bench_national.py                 # 3,321 units, 30 days
    .venv/bin/python benchmarks/bench_national.py --units 40 --days 3   # seconds

Needs about 10 GB of free disk at full size (logs, raw copies, Parquet) under --work
(default: a temporary folder, removed at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROVINCES = 34
UNITS_BEFORE_2025 = 10_599
FIRST = date(2026, 1, 1)
SESSIONS = ((6, 45), (11, 30), (16, 45), (17, 45), (20, 30))  # 195 minutes a day


def codes(units: int) -> list[tuple[str, str]]:
    """(station, province) codes: 5-digit commune codes spread over the provinces."""
    out = []
    for n in range(units):
        province = n % PROVINCES
        out.append((f"{10000 + n * 3:05d}", f"{province * 3 + 1:02d}"))
    return out


def registry(units: int):  # noqa: ANN201
    from radiocli.schedule.registry import District, Registry, Station

    provinces = {p for _c, p in codes(units)}
    districts = [District(p, f"Tỉnh {p}", "tỉnh") for p in sorted(provinces)]
    stations = [Station(c, f"Xã {c}", "xã", p, f"Tỉnh {p}", "tỉnh") for c, p in codes(units)]
    return Registry(stations, districts)


def write_station_days(args: tuple[str, list[str], date, int]) -> int:
    """Write the logs of some stations for some days; returns the lines written."""
    from radiocli.aslog import LogBook

    logs, stations, first, days = args
    lines = 0
    with LogBook(Path(logs), durable=False) as book:
        for k in range(days):
            day = first + timedelta(days=k)
            for n, code in enumerate(stations):
                for hh, minutes in SESSIONS:
                    start = datetime(day.year, day.month, day.day, hh, 0, n % 50, tzinfo=TZ)
                    occ = f"tin-{hh}@{day}T{hh:02d}:00"
                    book.event(code, "start", start, start, f"tin-{hh}", occ, "normal")
                    lines += 2 + book.minutes(code, start, start + timedelta(minutes=minutes),
                                              f"tin-{hh}", occ, "normal")
                    book.event(code, "end", start + timedelta(minutes=minutes), start,
                               f"tin-{hh}", occ, "normal")
                book.seal(code, day)
                lines += 1
    return lines


def generate(logs: Path, units: int, first: date, days: int, workers: int) -> int:
    stations = [c for c, _p in codes(units)]
    shares = [stations[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(write_station_days,
                            [(str(logs), share, first, days) for share in shares]))


def child(args: argparse.Namespace) -> int:
    """Run one collect and print what it cost (a process of its own, for its memory)."""
    from radiocli.aslog.collect import collect

    reg = registry(args.units)
    started = time.perf_counter()
    cpu = time.process_time()
    result = collect([Path(s) for s in args.sources], Path(args.store), reg,
                     today=date(2100, 1, 1))
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu + workers.ru_utime + workers.ru_stime,
        "files": result.added + result.replaced,
        "minutes": result.minutes,
        "set_apart": result.set_apart,
        "peak_main_kib": own.ru_maxrss,
        "peak_worker_kib": workers.ru_maxrss,
    }))
    return 0


def run_collect(units: int, sources: list[Path], store: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--units", str(units),
                          "--store", str(store), *map(str, sources)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"collect failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def slice_of(logs: Path, target: Path, days: list[date]) -> Path:
    """Hard links to the logs of some days (a folder per station, as a home has)."""
    names = {f"{d}.jsonl" for d in days}
    for station in logs.iterdir():
        (target / station.name).mkdir(parents=True, exist_ok=True)
        for path in station.iterdir():
            if path.name in names:
                os.link(path, target / station.name / path.name)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("sources", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-national-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return measure(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> int:
    units, days = args.units, args.days
    logs = work / "logs"
    started = time.perf_counter()
    lines = generate(logs, units, FIRST, days + 1, args.workers)
    month = [FIRST + timedelta(days=k) for k in range(days)]
    extra = FIRST + timedelta(days=days)
    print(f"{units:,} stations in {PROVINCES} provinces, {days} days + 1: {lines:,} lines, "
          f"{folder_bytes(logs) / 1e9:.2f} GB of logs written in "
          f"{time.perf_counter() - started:.0f} s")
    third = slice_of(logs, work / "third", month[: max(1, days // 3)])
    whole = slice_of(logs, work / "month", month)
    daily = slice_of(logs, work / "daily", [extra])
    small = run_collect(units, [third], work / "store-third")
    full = run_collect(units, [whole], work / "store")
    day = run_collect(units, [daily], work / "store")
    store = work / "store"
    import sqlite3

    db = sqlite3.connect(store / "catalog.sqlite")
    parts = db.execute("SELECT count(*) FROM parts").fetchone()[0]
    files = db.execute("SELECT count(*) FROM logs").fetchone()[0]
    db.close()
    catalog = (store / "catalog.sqlite").stat().st_size
    generation = os.path.realpath(store / "current")
    parquet = folder_bytes(Path(generation))
    minutes = full["minutes"] + day["minutes"]

    def row(label: str, r: dict) -> str:
        return (f"{label:<28}{r['files']:>9,} files {r['seconds']:8.1f} s "
                f"({1e3 * r['seconds'] / max(r['files'], 1):6.2f} ms/file, cpu "
                f"{1e3 * r['cpu'] / max(r['files'], 1):5.2f} ms/file)  peak memory "
                f"{r['peak_main_kib'] / 1024:6.0f} MiB (+ workers "
                f"{r['peak_worker_kib'] / 1024:4.0f} MiB each)")

    print(row("collect a third of a month", small))
    print(row("collect the month", full))
    print(row("collect one more day", day))
    grow = (full["peak_main_kib"] - small["peak_main_kib"]) / max(
        full["files"] - small["files"], 1)
    print(f"memory per file: {grow * 1024:+.0f} bytes (peak of the month minus peak of a "
          "third, per file more; format 1 needed about 5.6 KiB)")
    print(f"catalog: {catalog / 1e6:.1f} MB for {files:,} logs = {catalog / files:.0f} bytes a "
          f"file (SQLite; the format 1 catalog.json took about 560 bytes a file on disk, "
          f"2.5 KiB in memory, rewritten whole at every collect)")
    print(f"Parquet: {parquet / 1e6:.1f} MB for {minutes:,} minute lines = "
          f"{parquet / max(minutes, 1):.1f} bytes a line, {parts} part(s) after merging")
    for label, stations in ((f"{units:,} units", units),
                            (f"{UNITS_BEFORE_2025:,} units (before 2025)", UNITS_BEFORE_2025)):
        year_files = stations * 365
        year_lines = year_files * minutes / max(files, 1)
        print(f"a year of {label}: {year_files / 1e6:.2f} M files, {year_lines / 1e6:,.0f} M "
              f"minute lines; catalog {catalog / files * year_files / 1e9:.2f} GB; Parquet "
              f"{parquet / max(minutes, 1) * year_lines / 1e9:.1f} GB; first collect of it all "
              f"{full['seconds'] / full['files'] * year_files / 3600:.1f} h on this machine; "
              f"a day's collect {day['seconds'] / max(day['files'], 1) * stations / 60:.1f} min; "
              f"peak memory measured: {full['peak_main_kib'] / 1024:.0f} MiB for "
              f"{full['files']:,} files")
    print("(memory per file above is what the run measured; it is independent of the number "
          "of files only where it is near zero, as at full size: check it before extrapolating)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
