#!/usr/bin/env python3
"""Simulate the whole 2021 distancing period (2021-07-24..2021-09-20) for all 579
stations, beside a reference that writes the same chained lines without planning
anything (issue 13 item 4: at most 1.5x the reference's CPU; issue 5: at most 60 s).

    .venv/bin/python benchmarks/bench_simulate.py [--keep DIR] [--days N] [--profile]

The product: ``radiocli simulate --from 2021-07-24 --to 2021-09-20 --all`` as a user
runs it (a subprocess: start-up, schedule loading, planning, the priority rules, the
minute ledger, the log writer), once with the default workers and once with
``--workers 1``. CPU seconds are the subprocess's and its workers' (user + system,
``RUSAGE_CHILDREN``).

The reference: the floor of the same work, the lines alone. It reads the logs the
product wrote (not timed) and writes them again into another folder through the same
:class:`~radiocli.aslog.writer.LogBook` (line format, hash chain, buffering, the final
sync), with no schedule, no plan, no Timeline and no ledger: each run of minute lines
of one occurrence on air without a break becomes one ``LogBook.minutes`` call (as the
product's ledger hands them on), each event one ``LogBook.event``, each day's end one
``LogBook.seal``. Only those calls and the final ``close`` are timed, in this process,
one station at a time. The reference's folder is then compared with the product's,
file by file: they must be byte-identical, so the reference did exactly the same
writing (the benchmark fails otherwise).

A plain generator of lines (an f-string and a hash per line) was considered and not
chosen: it would not be the same lines unless it re-implemented the writer, and then
it would measure that re-implementation rather than the floor the product stands on.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = date(2021, 7, 24)
LAST = date(2021, 9, 20)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_product(home: Path, logs: Path, last: date, workers: int | None
                ) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds, totals) of one ``radiocli simulate`` run."""
    radiocli = str(Path(sys.executable).parent / "radiocli")
    args = [radiocli, "--home", str(home), "--schedules", str(ROOT / "schedules"),
            "simulate", "--from", FIRST.isoformat(), "--to", last.isoformat(), "--all",
            "--logs", str(logs), "--json"]
    if workers is not None:
        args += ["--workers", str(workers)]
    cpu = children_cpu()
    wall = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True,
                         env={**os.environ, "TZ": "UTC"})
    wall = time.perf_counter() - wall
    return wall, children_cpu() - cpu, json.loads(out.stdout)


def profile(home: Path, logs: Path, last: date, top: int = 25) -> str:
    """The top of a cProfile of ``simulate --workers 1`` (by own time), not timed."""
    import cProfile
    import contextlib
    import io
    import pstats

    from radiocli.cli import cli

    out = io.StringIO()
    profiler = cProfile.Profile()
    args = ["--home", str(home), "--schedules", str(ROOT / "schedules"), "simulate", "--from",
            FIRST.isoformat(), "--to", last.isoformat(), "--all", "--logs", str(logs),
            "--workers", "1", "--json"]
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        profiler.enable()
        try:
            cli.main(args, standalone_mode=False)
        finally:
            profiler.disable()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def read_station(folder: Path) -> list[tuple[str, tuple]]:
    """The calls that write a station's files again, in file order: ("minutes", args),
    ("event", args) or ("seal", args)."""
    calls: list[tuple[str, tuple]] = []
    for path in sorted(folder.glob("*.jsonl")):
        run: list[dict] = []
        with open(path, encoding="utf-8") as fh:
            for text in fh:
                obj = json.loads(text)
                if "minute" in obj:
                    if run and not _continues(run, obj):
                        calls.append(_minutes_call(run))
                        run = []
                    run.append(obj)
                    continue
                if run:
                    calls.append(_minutes_call(run))
                    run = []
                if obj["event"] == "sealed":
                    calls.append(("seal", (obj["station"], date.fromisoformat(path.stem),
                                           datetime.fromisoformat(obj["at"]))))
                else:
                    scheduled = obj["scheduled"]
                    calls.append(("event", (obj["station"], obj["event"],
                                            datetime.fromisoformat(obj["at"]),
                                            datetime.fromisoformat(scheduled) if scheduled
                                            else None, obj["program"], obj["occurrence"],
                                            obj["priority"], obj["reason"])))
        if run:
            calls.append(_minutes_call(run))
    return calls


def _minutes_call(run: list[dict]) -> tuple[str, tuple]:
    """One ``LogBook.minutes`` call for minute lines of one occurrence without a break:
    the first line ends at its minute's end, the last starts at its minute's start (a
    lone line starts on its minute); the segment changes where a line names another."""
    head, tail = run[0], run[-1]
    lead = 60 - head["seconds"] if len(run) > 1 else 0
    start = _minute(head) + timedelta(seconds=lead)
    end = _minute(tail) + timedelta(seconds=tail["seconds"])
    points = [(start, head["segment"])]
    for before, line in zip(run, run[1:], strict=False):
        if line["segment"] != before["segment"]:
            points.append((_minute(line), line["segment"]))
    return ("minutes", (head["station"], start, end, head["program"], head["occurrence"],
                        head["priority"], points))


def _minute(obj: dict) -> datetime:
    return datetime.fromisoformat(obj["minute"])


def _continues(run: list[dict], obj: dict) -> bool:
    """Is ``obj`` the next minute of the run on air without a break?"""
    last = run[-1]
    return (obj["occurrence"] == last["occurrence"] and obj["station"] == last["station"]
            and (len(run) == 1 or last["seconds"] == 60)
            and _minute(obj) - _minute(last) == timedelta(minutes=1))


def run_reference(source: Path, target: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, lines) of writing ``source``'s lines into ``target``."""
    from radiocli.aslog.writer import LogBook

    wall = cpu = 0.0
    book = LogBook(target, durable=False)
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        calls = read_station(folder)
        w, c = time.perf_counter(), time.process_time()
        for kind, args in calls:
            if kind == "minutes":
                book.minutes(*args[:6], segments=args[6])
            elif kind == "event":
                book.event(*args)
            else:
                book.seal(*args)
        wall += time.perf_counter() - w
        cpu += time.process_time() - c
    w, c = time.perf_counter(), time.process_time()
    book.close()
    wall += time.perf_counter() - w
    cpu += time.process_time() - c
    return wall, cpu, book.lines_written


def same_trees(a: Path, b: Path) -> list[str]:
    """Files that differ or exist on one side only."""
    out = []
    names_a = {p.relative_to(a) for p in a.rglob("*.jsonl")}
    names_b = {p.relative_to(b) for p in b.rglob("*.jsonl")}
    out += [str(n) for n in sorted(names_a ^ names_b)]
    for name in sorted(names_a & names_b):
        if not filecmp.cmp(a / name, b / name, shallow=False):
            out.append(str(name))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--days", type=int, default=(LAST - FIRST).days + 1,
                        help="simulate only the first N days of the period")
    parser.add_argument("--profile", action="store_true",
                        help="also print the top of a cProfile of simulate --workers 1")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="radiocli-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    last = FIRST + timedelta(days=args.days - 1)
    try:
        wall, cpu, totals = run_product(work / "home", work / "logs", last, None)
        wall1, cpu1, totals1 = run_product(work / "home", work / "logs-w1", last, 1)
        ref_wall, ref_cpu, ref_lines = run_reference(work / "logs", work / "reference")
        differ = same_trees(work / "logs", work / "reference")
        differ1 = same_trees(work / "logs", work / "logs-w1")
        profiled = profile(work / "home", work / "logs-profiled", last) if args.profile else ""
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    per = totals["stations"] * totals["days"]
    print(f"simulate {FIRST}..{last}, {totals['stations']} stations, {os.cpu_count()} cores")
    print(f"  sessions {totals['sessions']:,}  minutes {totals['minutes']:,}  "
          f"minute lines {totals['minute_lines']:,}")
    print(f"  per station per day: {totals['sessions'] / per:.2f} sessions, "
          f"{totals['minutes'] / per:.1f} minutes (city 2021: 5 and 195)")
    print(f"  {'':28} {'wall s':>8} {'CPU s':>8} {'CPU ratio':>10} {'wall ratio':>11}"
          "  (the reference runs in one process)")
    print(f"  {'reference (lines alone)':28} {ref_wall:8.2f} {ref_cpu:8.2f}")
    print(f"  {'simulate (default workers)':28} {wall:8.2f} {cpu:8.2f} {cpu / ref_cpu:9.2f}x "
          f"{wall / ref_wall:10.2f}x")
    print(f"  {'simulate --workers 1':28} {wall1:8.2f} {cpu1:8.2f} {cpu1 / ref_cpu:9.2f}x "
          f"{wall1 / ref_wall:10.2f}x")
    print("  goal: CPU ratio at most 1.5x; issue 5: wall at most 60 s on 2 cores")
    lines = totals["minute_lines"]
    ok = not differ and not differ1 and totals1 == {**totals, "logs": totals1["logs"]}
    print(f"  reference wrote {ref_lines:,} lines; byte-identical to simulate's: "
          f"{'yes' if not differ else 'NO: ' + ', '.join(differ[:5])}; --workers 1 "
          f"identical: {'yes' if not differ1 else 'NO: ' + ', '.join(differ1[:5])}")
    assert ref_lines >= lines
    if profiled:
        print(profiled)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
