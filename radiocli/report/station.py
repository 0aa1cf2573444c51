"""One station day by day: what was planned, what aired, what did not, and whether the
day's log is complete (sealed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from radiocli.report.compliance import load_plan, outcomes, scope_plan
from radiocli.report.connection import NOTHING, Engine, Tally
from radiocli.report.model import DATE, INT, NUM, TEXT, Column, Report, Table, check_period
from radiocli.report.mapping import map_points
from radiocli.report.numbers import fmt_int, fmt_num
from radiocli.report.words import H, log_text, period
from radiocli.report.units import Frame
from radiocli.schedule.model import Schedule
from radiocli.schedule.registry import Station

NOT_AIRED = ("missed", "offline", "failed")
SHORT = ("partial", "preempted")


def station_report(engine: Engine, station: str, start: date, end: date, lang: str = "vi",
                   schedule: Schedule | None = None,
                   durations: Mapping[str, float] | None = None,
                   plan_cache: Path | None = None, on: date | None = None) -> Report:
    """One station day by day. ``station`` is a code: by default every unit that held it in
    the period, each day under the unit of that day; with ``on``, the unit holding it on
    ``on`` and every unit whose history it carries (radiocli.report.units)."""
    check_period(start, end)
    frame = engine.frame(start, end, on, None, station)
    con = engine.con
    cond, params = engine.condition()
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
    states = engine.day_states(frame)
    per_source, _per_day, _unknown = engine.tallies(frame)
    outcome: dict[date, dict[str, int]] = {}
    if schedule is not None:
        load_plan(engine, schedule, start, end, frame.listed_codes(), durations, plan_cache)
        scope_plan(engine)
        outcomes(engine, cond, params)
        for day, code, n in con.execute(
                "SELECT CAST(scheduled AS DATE), status, count(*) FROM result "
                "GROUP BY ALL").fetchall():
            outcome.setdefault(day, {})[code] = int(n)

    names = len({(row.station.name, row.station.key) for row in frame.rows}) > 1
    rows: list[dict[str, Any]] = []
    day = start
    while day <= end:
        sessions, preempted, missed_lines, failed_lines = events.get(day, (0, 0, 0, 0))
        state, shown = _log_state(frame, states, day, lang)
        row: dict[str, Any] = {"stt": len(rows) + 1, "date": day}
        if names:
            row["unit"] = _unit_that_day(frame, states, day)
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
            "log": shown,
            "log_code": state,
        })
        rows.append(row)
        day += timedelta(days=1)

    st = _named(frame)
    label = _label(frame)
    columns = [Column("stt", H(lang, "STT", "No."), INT),
               Column("date", H(lang, "Ngày", "Date"), DATE)]
    if names:
        columns.append(Column("unit", H(lang, "Đơn vị", "Unit"), TEXT))
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
    totals: dict[str, Any] = {"station": station, "name": label, "sessions": total_sessions,
                              "minutes": round(total_minutes, 1), "days": len(rows),
                              "incomplete_days": incomplete,
                              "units": [{"code": row.code, "name": row.station.name,
                                         "valid_from": _iso(row.station.valid_from),
                                         "valid_to": _iso(row.station.valid_to)}
                                        for row in frame.rows]}
    if on is not None:
        totals["as_of"] = on.isoformat()
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
    as_of = H(lang, f", quy về đơn vị ngày {on:%d/%m/%Y}", f", as of {on}") if on else ""
    report = Report(
        "station", start, end, lang,
        [Table("days", H(lang, "Theo ngày", "By day"), columns, rows, total_row)],
        totals,
        headline=H(lang, f"{label} ({station}): {fmt_int(total_sessions)} buổi phát, "
                   f"{fmt_num(round(total_minutes, 1), 'vi')} phút trong {len(rows)} ngày"
                   f"{plan_text}{gaps}.",
                   f"{label} ({station}): {fmt_int(total_sessions, 'en')} sessions, "
                   f"{fmt_num(round(total_minutes, 1), 'en')} minutes in {len(rows)} days"
                   f"{plan_text}{gaps}."),
        title=H(lang, f"{label} ({station}): phát thanh từ {start:%d/%m/%Y} đến "
                f"{end:%d/%m/%Y}{as_of}",
                f"{label} ({station}): broadcasts {start} to {end}{as_of}"),
        subject=H(lang, f"Kết quả phát thanh của đài truyền thanh {label} "
                  f"{period(start, end, lang)}",
                  f"Broadcasting by the {label} station {period(start, end, lang)}"),
        notes=engine.left_out(frame, lang, per_source),
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
    report.extra["scope"] = {"district": st.district, "station": station,
                             "as_of": on.isoformat() if on else ""}
    by_row = _minutes_per_row(frame, per_source)
    map_points(report, [(row.station, by_row.get(row.id, 0.0),
                         H(lang, f"{fmt_num(round(by_row.get(row.id, 0.0), 1))} phút",
                           f"{fmt_num(round(by_row.get(row.id, 0.0), 1), 'en')} minutes"))
                        for row in frame.rows],
               "minutes", H(lang, f"Vị trí đài {label} ({station})",
                            f"Where {label} ({station}) is"),
               [s for s in engine.registry.as_of(on or start).values()
                if s.district == st.district])
    return report


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _named(frame: Frame) -> Station:
    """The unit the report is named after: the unit of the as-of date, else the last unit
    of the period to hold the code."""
    if frame.rows:
        return frame.rows[-1].station if frame.on is None else frame.rows[0].station
    found = frame.registry.holder(str(frame.station), frame.end)
    assert found is not None  # Frame checked the code
    return found


def _label(frame: Frame) -> str:
    """Every name the code had in the period, oldest first ("Phường Trúc Bạch, Phường Ba
    Đình"), or the unit of the as-of date."""
    if frame.on is not None or not frame.rows:
        return _named(frame).name
    ordered = sorted(frame.rows, key=lambda r: min(
        (frame.sources[i].first or frame.end for i in r.sources), default=frame.end))
    return ", ".join(dict.fromkeys(row.station.name for row in ordered))


def _unit_that_day(frame: Frame, states: dict[tuple[str, date], str], day: date) -> str:
    found = [s for s in frame.sources if s.first is not None and s.last is not None
             and s.first <= day <= s.last]
    if not found:  # lines only (a station writing under an ended unit's code)
        found = [src for (code, d) in states if d == day
                 if (src := frame.source_of(code, d)) is not None]
    return ", ".join(dict.fromkeys(s.station.name for s in found))


LOG_ORDER = ("no-log", "unsealed", "empty", "ok")  # the worst first


def _log_state(frame: Frame, states: dict[tuple[str, date], str], day: date, lang: str
               ) -> tuple[str, str]:
    """The day's log: its state code and the words shown. Several stations on one day (a
    unit of the as-of date carrying several): the worst state, with how many had it."""
    codes = {s.station.code for s in frame.sources if s.first is not None
             and s.last is not None and s.first <= day <= s.last}
    codes |= {code for (code, d) in states if d == day}
    if not codes:  # no unit of the report was in force that day, and nothing was logged
        return "not-in-force", H(lang, "(không có hiệu lực)", "(not in force)")
    found = [states.get((code, day), "no-log") for code in sorted(codes)]
    worst = min(found, key=LOG_ORDER.index)
    if len(found) == 1:
        return worst, log_text(worst, lang)
    return worst, f"{log_text(worst, lang)} ({found.count(worst)}/{len(found)})"


def _minutes_per_row(frame: Frame, per_source: dict[int, Tally]) -> dict[int, float]:
    out: dict[int, float] = {}
    for source in frame.sources:
        out[source.row] = out.get(source.row, 0.0) + per_source.get(source.id, NOTHING).seconds / 60
    return out
