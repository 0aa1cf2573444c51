"""Report speed over a full collected period, beside a plain pandas summary.

    radiocli --home H simulate --from 2021-07-24 --to 2021-09-20 --all   # or any logs
    radiocli --home H logs collect H/logs --into STORE
    .venv/bin/python benchmarks/bench_reports.py STORE [--from 2021-07-24 --to 2021-09-20]

Targets: `report summary` and `report compliance` <= 3 s each over ~6.4 million minute
lines. The pandas column loads the same minute and event rows (through DuckDB, since
pyarrow is not installed) and aggregates them with groupby.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from radiocli.report.compliance import compliance
from radiocli.report.connection import open_engine
from radiocli.report.summary import summary
from radiocli.schedule import load

SCHEDULES = Path(__file__).resolve().parent.parent / "schedules"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--from", dest="start", default="2021-07-24")
    parser.add_argument("--to", dest="end", default="2021-09-20")
    parser.add_argument("--schedules", type=Path, default=SCHEDULES)
    args = parser.parse_args()
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    schedule = load(args.schedules)

    t = time.perf_counter()
    engine = open_engine(args.store, schedule.registry)
    report = summary(engine, start, end)
    t_summary = time.perf_counter() - t
    lines = engine.con.execute("SELECT count(*) FROM minutes").fetchall()[0][0]
    print(f"minute lines in store: {lines:,}")
    print(f"report summary   (DuckDB): {t_summary:6.2f} s  sessions={report.totals['sessions']:,} "
          f"minutes={report.totals['minutes']:,}")
    print("  " + report.headline)

    t = time.perf_counter()
    engine = open_engine(args.store, schedule.registry)
    comp = compliance(engine, schedule, start, end)
    t_comp = time.perf_counter() - t
    print(f"report compliance (DuckDB): {t_comp:6.2f} s  planned={comp.totals['planned']:,} "
          f"aired={comp.totals['aired']:,} violations={comp.totals['violation_count']:,}")

    import pandas as pd  # noqa: F401

    t = time.perf_counter()
    con = open_engine(args.store, schedule.registry).con
    minutes = con.execute(
        "SELECT station, district, day, seconds FROM minutes WHERE day BETWEEN ? AND ?",
        [start, end]).df()
    events = con.execute(
        "SELECT station, district, day, event FROM events WHERE day BETWEEN ? AND ?",
        [start, end]).df()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    sessions = events[events["event"] == "start"].groupby("district").size()
    seconds = minutes.groupby("district")["seconds"].sum()
    stations = minutes.groupby("district")["station"].nunique()
    table = pd.DataFrame({"stations": stations, "sessions": sessions, "minutes": seconds / 60})
    total_sessions = int(table["sessions"].sum())
    total_minutes = float(table["minutes"].sum())
    total_seconds = int(minutes["seconds"].sum())
    t_pandas = time.perf_counter() - t
    print(f"pandas summary: load {t_load:6.2f} s + groupby {t_pandas:6.2f} s  "
          f"sessions={total_sessions:,} minutes={round(total_minutes, 1):,}")
    assert total_sessions == report.totals["sessions"]
    assert total_seconds == report.totals["seconds"]
    print("pandas and DuckDB agree.")


if __name__ == "__main__":
    main()
