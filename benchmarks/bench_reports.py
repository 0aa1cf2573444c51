"""Report speed over a full collected period, beside a plain pandas summary.

    radiocli --home H simulate --from 2021-07-24 --to 2021-09-20 --all   # or any logs
    radiocli --home H logs collect H/logs --into STORE
    .venv/bin/python benchmarks/bench_reports.py STORE [--from 2021-07-24 --to 2021-09-20]

Targets: `report summary` and `report compliance` <= 3 s each over ~6.4 million minute
lines. The pandas line loads the same minute and event rows (through DuckDB) and
aggregates them with groupby: the reference measured in the same run. Also timed: the
policy check on what aired (plan.policy.check over every occurrence), compliance with a
cached plan, and the district documents (DOCX, XLSX, HTML) of one month.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from radiocli.report.compliance import compliance
from radiocli.report.connection import open_engine
from radiocli.report.summary import summary
from radiocli.schedule.load import load

SCHEDULES = Path(__file__).resolve().parent.parent / "schedules"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--from", dest="start", default="2021-07-24")
    parser.add_argument("--to", dest="end", default="2021-09-20")
    parser.add_argument("--schedules", type=Path, default=SCHEDULES)
    parser.add_argument("--district", default="017", help="for the documents")
    args = parser.parse_args()
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    schedule = load(args.schedules)

    t = time.perf_counter()
    engine = open_engine(args.store, schedule.registry)
    report = summary(engine, start, end)
    t_summary = time.perf_counter() - t
    lines = engine.con.execute("SELECT count(*) FROM minutes").fetchall()[0][0]
    print(f"minute lines in store: {lines:,}")
    print(f"report summary    (DuckDB): {t_summary:6.2f} s  "
          f"sessions={report.totals['sessions']:,} minutes={report.totals['minutes']:,}")
    print("  " + report.headline)

    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        engine = open_engine(args.store, schedule.registry)
        comp = compliance(engine, schedule, start, end, plan_cache=Path(cache))
        t_cold = time.perf_counter() - t
        t = time.perf_counter()
        engine = open_engine(args.store, schedule.registry)
        comp = compliance(engine, schedule, start, end, plan_cache=Path(cache))
        t_warm = time.perf_counter() - t
    print(f"report compliance (plan made):   {t_cold:6.2f} s  planned={comp.totals['planned']:,} "
          f"aired={comp.totals['aired']:,} violations={comp.totals['violation_count']:,}")
    print(f"report compliance (plan cached): {t_warm:6.2f} s")

    from radiocli.plan.policy import Session
    from radiocli.report.policy_check import aired_sessions, check_aired

    cond, params = engine.scope(start, end)
    t = time.perf_counter()
    per_occurrence, per_piece, _which = aired_sessions(engine, cond, params)
    t_sessions = time.perf_counter() - t
    assert schedule.policy is not None
    t = time.perf_counter()
    found = check_aired(schedule.policy, schedule, per_occurrence, per_piece)
    t_check = time.perf_counter() - t
    airings = sum(len(s.stations) for s in per_occurrence)
    print(f"  of which the policy: sessions from DuckDB {t_sessions:5.2f} s + plan.policy.check "
          f"{t_check:5.2f} s ({airings:,} airings in {len(per_occurrence):,} sessions, "
          f"{len(found):,} violations)")
    # live logs have start times that differ by milliseconds between stations, so no two
    # stations share a session: check() then sees one session per airing
    single = [Session((code,), s.program, s.start, s.end, s.priority)
              for s in per_occurrence for code in s.stations]
    t = time.perf_counter()
    found = check_aired(schedule.policy, schedule, single, single)
    t_single = time.perf_counter() - t
    print(f"  plan.policy.check with one session per airing (as live logs give): "
          f"{t_single:5.2f} s ({len(found):,} violations)")
    from dataclasses import replace

    strict = replace(schedule.policy, exemptions=())  # every rule applies every day
    t = time.perf_counter()
    found = check_aired(strict, schedule, single, single)
    t_strict = time.perf_counter() - t
    print(f"  the same without the 2021 exemption (every rule checked): {t_strict:5.2f} s "
          f"({len(found):,} violations)")

    import pandas as pd

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
    total_seconds = int(minutes["seconds"].sum())
    t_pandas = time.perf_counter() - t
    print(f"pandas summary (reference): load {t_load:6.2f} s + groupby {t_pandas:6.2f} s  "
          f"sessions={total_sessions:,}")
    assert total_sessions == report.totals["sessions"]
    assert total_seconds == report.totals["seconds"]
    print("pandas and DuckDB agree.")

    from radiocli.report.document import to_docx
    from radiocli.report.page import to_html
    from radiocli.report.settings import OfficeSettings
    from radiocli.report.spreadsheet import to_xlsx

    month = (date(2021, 8, 1), date(2021, 8, 31))
    with tempfile.TemporaryDirectory() as out:
        for name, make in (("summary", lambda e: summary(e, *month, district=args.district)),
                           ("compliance", lambda e: compliance(
                               e, schedule, *month, district=args.district))):
            t = time.perf_counter()
            rep = make(open_engine(args.store, schedule.registry))
            t_make = time.perf_counter() - t
            t = time.perf_counter()
            to_xlsx(rep, Path(out) / "a.xlsx")
            t_xlsx = time.perf_counter() - t
            t = time.perf_counter()
            to_docx(rep, Path(out) / "a.docx", OfficeSettings(), date(2021, 9, 5))
            t_docx = time.perf_counter() - t
            t = time.perf_counter()
            (Path(out) / "a.html").write_text(to_html(rep), encoding="utf-8")
            t_html = time.perf_counter() - t
            print(f"district {args.district}, August, {name}: report {t_make:5.2f} s, "
                  f"XLSX {t_xlsx:5.2f} s, DOCX {t_docx:5.2f} s, HTML {t_html:5.2f} s")


if __name__ == "__main__":
    main()
