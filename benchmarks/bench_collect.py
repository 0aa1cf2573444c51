#!/usr/bin/env python3
"""How fast `logs collect` is against the work itself (issue 11, item 5).

Side by side, on the same machine and the same files:

- reference: the least any collect must do: a SHA-256 of every line (the chain) in
  one process, plus DuckDB ``read_json`` of every file into one Parquet file;
- first collect: ``radiocli logs collect LOGS --into STORE`` into an empty store
  (verify every chain, copy the raw logs, write the Parquet parts, publish);
- warm collect: the same again, nothing new (the incremental check);
- warm report: ``radiocli report summary`` from the home (collects the home's logs
  first, quickly: docs/store.md) against ``report summary --store`` (no collect) and
  against one DuckDB query over the store's minutes.

    .venv/bin/radiocli --home /tmp/store-bench simulate --from 2021-07-24 --to 2021-09-20 --all
    .venv/bin/python benchmarks/bench_collect.py --home /tmp/store-bench [--rounds 2]

Targets: first collect at most 2x the reference; warm report at most 2x one DuckDB
query.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import command_env

ROOT = Path(__file__).resolve().parent.parent
RADIOCLI = str(Path(sys.executable).parent / "radiocli")
COLUMNS = ("{'station':'VARCHAR','minute':'VARCHAR','event':'VARCHAR','at':'VARCHAR',"
           "'scheduled':'VARCHAR','program':'VARCHAR','occurrence':'VARCHAR',"
           "'segment':'INTEGER','priority':'VARCHAR','seconds':'INTEGER','reason':'VARCHAR',"
           "'lines':'INTEGER','prev':'VARCHAR'}")


def log_files(logs: Path) -> list[str]:
    files = []
    for station in sorted(os.listdir(logs)):
        folder = logs / station
        if folder.is_dir():
            files.extend(str(folder / n) for n in sorted(os.listdir(folder))
                         if n.endswith(".jsonl"))
    return files


def reference(files: list[str], out: Path) -> tuple[float, int]:
    """SHA-256 of every line, then DuckDB read_json of every file into Parquet."""
    import duckdb

    started = time.perf_counter()
    lines = 0
    sha = hashlib.sha256
    for path in files:
        with open(path, "rb") as fh:
            data = fh.read()
        for line in data.split(b"\n")[:-1]:
            sha(line).digest()
            lines += 1
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_json(?, format='newline_delimited', columns={COLUMNS})) "
        f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)", [files])
    con.close()
    return time.perf_counter() - started, lines


ENV: dict[str, str] = {}  # radiocli's bytecode kept, as on a station (bytecode.py)


def run(*args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([RADIOCLI, *args], capture_output=True, text=True, env=ENV or None)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"radiocli {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


QUERY = ("SELECT station, sum(seconds) FROM read_parquet('{store}/minutes/*.parquet') "
         "GROUP BY station")


def duckdb_query(store: Path) -> float:
    """One DuckDB query over the store's minutes, as a program of its own (Python
    start-up and the DuckDB import included, as for any command)."""
    code = f"import duckdb; duckdb.sql({QUERY.format(store=store)!r}).fetchall()"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV or None)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/store-bench"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--from", dest="start", default="2021-07-24")
    parser.add_argument("--to", dest="end", default="2021-09-20")
    args = parser.parse_args()
    logs = args.home / "logs"
    if not logs.is_dir():
        sys.exit(f"{logs}: no logs; make them with: radiocli --home {args.home} simulate "
                 "--from 2021-07-24 --to 2021-09-20 --all")
    files = log_files(logs)
    size = sum(os.path.getsize(f) for f in files)
    print(f"{len(files):,} files, {size / 1e9:.2f} GB, {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}")
    work = Path(tempfile.mkdtemp(prefix="bench-collect-"))
    ENV.update(command_env(work))
    try:
        for round_ in range(1, args.rounds + 1):
            ref, lines = reference(files, work / "reference.parquet")
            store = work / f"store-{round_}"
            first = run("--home", str(args.home), "logs", "collect", str(logs),
                        "--into", str(store))
            warm = run("--home", str(args.home), "logs", "collect", str(logs),
                       "--into", str(store))
            print(f"round {round_}: {lines:,} lines")
            print(f"  reference (SHA-256 of every line + DuckDB read_json -> Parquet): "
                  f"{ref:6.1f} s")
            print(f"  first collect:                                                  "
                  f"{first:6.1f} s  = {first / ref:.2f} x reference (target <= 2)")
            print(f"  warm collect (nothing new):                                     "
                  f"{warm:6.2f} s")
            shutil.rmtree(store)
        # warm report from the home: its store is <home>/store
        home_store = args.home / "store"
        period = ["--from", args.start, "--to", args.end]
        run("--home", str(args.home), "report", "summary", *period)  # collects, first time
        home = min(run("--home", str(args.home), "report", "summary", *period)
                   for _ in range(3))
        direct = min(run("--home", str(args.home), "report", "summary", *period,
                         "--store", str(home_store)) for _ in range(3))
        query = min(duckdb_query(home_store) for _ in range(3))
        print("warm report summary from the home (a quick collect first):         "
              f"{home:.2f} s  = {home / query:.2f} x one query (target <= 2)")
        print(f"report summary --store (no collect):                                {direct:.2f} s"
              f"  -> the quick collect costs {home - direct:.2f} s")
        print(f"one DuckDB query over the store's minutes, as a program:           {query:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
