"""One station day by day: what was planned, what aired, what did not, and whether the
day's log is complete (sealed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from radiocli.report.compliance import load_plan, outcomes
from radiocli.report.connection import Engine
from radiocli.report.model import DATE, INT, NUM, TEXT, Column, Report, Table, check_period
from radiocli.report.mapping import map_points
from radiocli.report.numbers import fmt_int, fmt_num
from radiocli.report.words import H, log_text, period
from radiocli.schedule.model import Schedule

NOT_AIRED = ("missed", "offline", "failed")
SHORT = ("partial", "preempted")


def station_report(engine: Engine, station: str, start: date, end: date, lang: str = "vi",
                   schedule: Schedule | None = None,
                   durations: Mapping[str, float] | None = None,
                   plan_cache: Path | None = None) -> Report:
    check_period(start, end)
    engine.check_scope(None, station)
    con = engine.con
    cond, params = engine.scope(start, end, None, station)
    seconds = dict(con.execute(
        f"SELECT day, sum(seconds) FROM minutes WHERE {cond} GROUP BY day", params).fetchall())
    events = {
        d: (int(s), int(p), int(m), int(f))
        for d, s, p, m, f in con.execute(
            "SELECT day, count(*) FILTER (WHERE event = 'start'), "
            "count(*) FILTER (WHERE event = 'preempted'), "
            "count(*) FILTER (WHERE event = 'missed'), "
            f"count(*) FILTER (WHERE event = 'failed') FROM events WHERE {cond} GROUP BY day",
            params).fetchall()
    }
    states = engine.day_states(start, end, [station])
    outcome: dict[date, dict[str, int]] = {}
    if schedule is not None:
        load_plan(engine, schedule, start, end, [station], durations, plan_cache)
        outcomes(engine, cond, params)
        for day, code, n in con.execute(
                "SELECT CAST(scheduled AS DATE), status, count(*) FROM result "
                "GROUP BY ALL").fetchall():
            outcome.setdefault(day, {})[code] = int(n)

    rows: list[dict[str, Any]] = []
    day = start
    while day <= end:
        sessions, preempted, missed_lines, failed_lines = events.get(day, (0, 0, 0, 0))
        state = states.get((station, day), "no-log")
        row: dict[str, Any] = {"stt": len(rows) + 1, "date": day}
        if schedule is not None:
            tally = outcome.get(day, {})
            row.update({
                "planned": sum(v for k, v in tally.items() if k != "unplanned"),
                "aired": tally.get("aired", 0),
                "missed": sum(tally.get(k, 0) for k in NOT_AIRED),
                "partial": sum(tally.get(k, 0) for k in SHORT),
            })
        row.update({
            "sessions": sessions,
            "minutes": round(seconds.get(day, 0) / 60, 1),
            "preempted": preempted,
            "missed_lines": missed_lines,
            "failed": failed_lines,
            "log": log_text(state, lang),
            "log_code": state,
        })
        rows.append(row)
        day += timedelta(days=1)

    st = engine.registry.ever()[station]
    columns = [Column("stt", H(lang, "STT", "No."), INT),
               Column("date", H(lang, "Ngày", "Date"), DATE)]
    if schedule is not None:
        columns += [
            Column("planned", H(lang, "Kế hoạch", "Planned"), INT),
            Column("aired", H(lang, "Đã phát", "Aired"), INT),
            Column("missed", H(lang, "Không phát", "Not aired"), INT),
            Column("partial", H(lang, "Phát không đủ", "Partly aired"), INT),
        ]
    columns += [
        Column("sessions", H(lang, "Số buổi phát", "Sessions"), INT),
        Column("minutes", H(lang, "Số phút phát", "Minutes"), NUM),
        Column("log", H(lang, "Nhật ký", "Log"), TEXT),
    ]
    total_sessions = sum(r["sessions"] for r in rows)
    total_minutes = sum(seconds.values()) / 60
    incomplete = sum(1 for r in rows if r["log_code"] in ("unsealed", "no-log"))
    totals: dict[str, Any] = {"station": station, "name": st.name, "sessions": total_sessions,
                              "minutes": round(total_minutes, 1), "days": len(rows),
                              "incomplete_days": incomplete}
    total_row: dict[str, Any] = {"date": H(lang, "Tổng cộng", "Total"),
                                 "sessions": total_sessions, "minutes": round(total_minutes, 1)}
    plan_text = ""
    if schedule is not None:
        for key in ("planned", "aired", "missed", "partial"):
            totals[key] = total_row[key] = sum(r[key] for r in rows)
        plan_text = H(lang, f"; đã phát {fmt_int(totals['aired'])} trên "
                      f"{fmt_int(totals['planned'])} buổi theo kế hoạch, "
                      f"{fmt_int(totals['missed'])} buổi không phát",
                      f"; aired {totals['aired']} of {totals['planned']} planned, "
                      f"{totals['missed']} not aired")
    gaps = H(lang, f"; {incomplete} ngày thiếu nhật ký", f"; {incomplete} day(s) without a "
             "complete log") if incomplete else ""
    report = Report(
        "station", start, end, lang,
        [Table("days", H(lang, "Theo ngày", "By day"), columns, rows, total_row)],
        totals,
        headline=H(lang, f"{st.name} ({station}): {fmt_int(total_sessions)} buổi phát, "
                   f"{fmt_num(round(total_minutes, 1), 'vi')} phút trong {len(rows)} ngày"
                   f"{plan_text}{gaps}.",
                   f"{st.name} ({station}): {fmt_int(total_sessions, 'en')} sessions, "
                   f"{fmt_num(round(total_minutes, 1), 'en')} minutes in {len(rows)} days"
                   f"{plan_text}{gaps}."),
        title=H(lang, f"{st.name} ({station}): phát thanh từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
                f"{st.name} ({station}): broadcasts {start} to {end}"),
        subject=H(lang, f"Kết quả phát thanh của đài truyền thanh {st.name} "
                  f"{period(start, end, lang)}",
                  f"Broadcasting by the {st.name} station {period(start, end, lang)}"),
        notes=engine.left_out(start, end, [station], lang, states),
        charts={"per_day": [(f"{r['date']:%d/%m}", r["minutes"]) for r in rows]},
    )
    report.figures = [(H(lang, "Số buổi phát", "Sessions"), total_sessions, INT),
                      (H(lang, "Số phút phát", "Minutes aired"), round(total_minutes, 1), NUM)]
    if schedule is not None:
        report.figures += [(H(lang, "Buổi theo kế hoạch", "Planned"), totals["planned"], INT),
                           (H(lang, "Đã phát đủ", "Aired in full"), totals["aired"], INT),
                           (H(lang, "Không phát", "Not aired"), totals["missed"], INT),
                           (H(lang, "Phát không đủ", "Partly aired"), totals["partial"], INT)]
    report.figures.append((H(lang, "Số ngày thiếu nhật ký", "Days without a complete log"),
                           incomplete, INT))
    report.extra["scope"] = {"district": st.district, "station": station}
    map_points(report, {station: st}, {station: total_minutes},
               {station: H(lang, f"{fmt_num(round(total_minutes, 1))} phút",
                           f"{fmt_num(round(total_minutes, 1), 'en')} minutes")},
               "minutes", H(lang, f"Vị trí đài {st.name} ({station})",
                            f"Where {st.name} ({station}) is"),
               [s for s in engine.registry.as_of(start).values() if s.district == st.district])
    return report
