#!/usr/bin/env python3
"""Spark reads the store unchanged and gets the figures `report summary` gives
(issue 11, item 7).

It reads ``minutes`` and ``events`` (the lines) and ``days`` (what reports read).

Spark guesses the types of ``key=value`` folder names (format 1 had
``district=001/station=00001``: 001 became the integer 1, and a query touching
``station`` failed). This store's codes are strings inside the Parquet files, and its
folders (months) are not partitions, so Spark reads them as written.

    pip install pyspark            # not a dependency of radiocli; needs Java 17+
    .venv/bin/python benchmarks/spark_read.py --home /tmp/store-bench \\
        --from 2021-07-24 --to 2021-09-20 [--store DIR]

Without ``--store`` it reads ``<home>/store`` (``report summary`` makes it). Exit 0 when
Spark's totals equal the report's, 1 otherwise, 2 when pyspark or Java is missing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/store-bench"))
    parser.add_argument("--store", type=Path)
    parser.add_argument("--from", dest="start", default="2021-07-24")
    parser.add_argument("--to", dest="end", default="2021-09-20")
    args = parser.parse_args()
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql import functions as F
    except ImportError:
        print("pyspark is not installed (pip install pyspark)", file=sys.stderr)
        return 2
    if shutil.which("java") is None:
        print("Java is not installed (Spark needs Java 17 or later)", file=sys.stderr)
        return 2
    store = args.store or args.home / "store"
    radiocli = [sys.executable, "-m", "radiocli", "--home", str(args.home), "-s",
                str(ROOT / "schedules"), "--lang", "en", "report", "summary", "--from",
                args.start, "--to", args.end, "--json"]
    if args.store:
        radiocli += ["--store", str(args.store)]
    out = subprocess.run(radiocli, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    report = json.loads(out.stdout)
    started = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").appName("radiocli-store")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        minutes = spark.read.parquet(str(store / "minutes"))
        events = spark.read.parquet(str(store / "events"))
        print("minutes schema: " + ", ".join(f"{f.name} {f.dataType.simpleString()}"
                                            for f in minutes.schema.fields))
        print("events schema:  " + ", ".join(f"{f.name} {f.dataType.simpleString()}"
                                            for f in events.schema.fields))
        period = (F.col("day") >= F.lit(args.start).cast("date")) & (
            F.col("day") <= F.lit(args.end).cast("date"))
        seconds, stations = minutes.where(period).agg(
            F.sum("seconds"), F.countDistinct("station")).first()
        sessions = events.where(period & (F.col("event") == "start")).count()
        days = spark.read.parquet(str(store / "days"))  # what reports read
        day_sessions, day_seconds, day_stations = days.where(period).agg(
            F.sum("sessions"), F.sum("seconds"), F.countDistinct("station")).first()
        districts = [r[0] for r in minutes.select("district").distinct().orderBy("district")
                     .limit(5).collect()]
        one = minutes.where(F.col("station") == "00001").where(period).agg(
            F.sum("seconds")).first()[0]
        elapsed = time.perf_counter() - started
    finally:
        spark.stop()
    print(f"first districts, as Spark reads them: {districts}")
    print(f"station 00001 (a query that touches station): {one / 60:,.1f} minutes")
    print(f"Spark:           {sessions:,} sessions, {seconds:,} seconds "
          f"({seconds / 60:,.1f} minutes), {stations} stations ({elapsed:.1f} s)")
    print(f"Spark, days:     {day_sessions:,} sessions, {day_seconds:,} seconds "
          f"({day_seconds / 60:,.1f} minutes), {day_stations} stations")
    print(f"report summary:  {report['sessions']:,} sessions, {report['seconds']:,} seconds "
          f"({report['minutes']:,} minutes), {report['stations']} stations")
    expected = (report["sessions"], report["seconds"], report["stations"])
    same = (sessions, seconds, stations) == (day_sessions, day_seconds, day_stations) \
        == expected
    print("RESULT: " + ("SAME" if same else "DIFFERENT"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
