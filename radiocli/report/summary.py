"""The summary report: sessions and minutes aired, for the city, per district and per
commune (station), with daily averages and the sentence districts open their reports
with. One SQL aggregate per level; Python only shapes the rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from radiocli.report.connection import Engine
from radiocli.report.model import (
    CODE, DATE, INT, NUM, NUM2, TEXT, Column, Report, Table, check_period,
)
from radiocli.report.mapping import map_points
from radiocli.report.numbers import fmt_num, headline
from radiocli.report.words import H, period
from radiocli.schedule.registry import Station


def summary(engine: Engine, start: date, end: date, lang: str = "vi",
            district: str | None = None, station: str | None = None) -> Report:
    check_period(start, end)
    scope = engine.stations_in(start, end, district, station)
    cond, params = engine.scope(start, end, district, station)
    days = (end - start).days + 1
    con = engine.con
    per_station = {
        code: (int(sessions), int(seconds))
        for code, sessions, seconds in con.execute(
            f"""
            WITH m AS (SELECT station, sum(seconds) AS seconds FROM minutes
                       WHERE {cond} GROUP BY station),
                 e AS (SELECT station, count(*) FILTER (WHERE event = 'start') AS sessions
                       FROM events WHERE {cond} GROUP BY station)
            SELECT coalesce(m.station, e.station), coalesce(e.sessions, 0),
                   coalesce(m.seconds, 0)
            FROM m FULL OUTER JOIN e ON m.station = e.station
            WHERE coalesce(m.station, e.station) IN (SELECT code FROM stations)
            """,
            params + params,
        ).fetchall()
    }
    ever = engine.registry.ever()
    stations = dict(scope)
    for code in sorted(per_station):  # old logs of a station merged away meanwhile
        stations.setdefault(code, ever[code])
    states = engine.day_states(start, end, stations)
    incomplete = {code: days for code in stations}
    for (code, _day), state in states.items():
        if state in ("ok", "empty") and code in incomplete:
            incomplete[code] -= 1
    per_day = con.execute(
        f"""
        WITH m AS (SELECT day, sum(seconds) AS seconds FROM minutes
                   WHERE {cond} AND station IN (SELECT code FROM stations) GROUP BY day),
             e AS (SELECT day, count(*) FILTER (WHERE event = 'start') AS sessions
                   FROM events WHERE {cond} AND station IN (SELECT code FROM stations)
                   GROUP BY day)
        SELECT coalesce(m.day, e.day) AS day, coalesce(e.sessions, 0), coalesce(m.seconds, 0)
        FROM m FULL OUTER JOIN e ON m.day = e.day ORDER BY day
        """,
        params + params,
    ).fetchall()
    reporting_by_day: dict[date, int] = {}
    for (_code, day), state in states.items():
        reporting_by_day[day] = reporting_by_day.get(day, 0) + (state != "no-log")

    station_rows = [_station_row(st, per_station.get(code, (0, 0)), days, incomplete[code])
                    for code, st in stations.items()]
    district_rows = _district_rows(engine, station_rows, days)
    reporting = [code for code, (s, sec) in per_station.items() if s or sec]
    sessions = sum(s for s, _sec in per_station.values())
    seconds = sum(sec for _s, sec in per_station.values())
    minutes = seconds / 60
    n = len(reporting)
    avg_sessions = sessions / (n * days) if n else 0.0
    avg_minutes = minutes / (n * days) if n else 0.0
    totals = {
        "sessions": sessions,
        "minutes": round(minutes, 1),
        "seconds": seconds,
        "stations": n,
        "stations_in_scope": len(stations),
        "days": days,
        "sessions_per_station_day": round(avg_sessions, 2),
        "minutes_per_station_day": round(avg_minutes, 1),
        "incomplete_days": sum(incomplete.values()),
    }

    day_map = {d: (int(s), int(sec)) for d, s, sec in per_day}
    day_rows: list[dict[str, Any]] = []
    for k in range(days):
        day = start + timedelta(days=k)
        s, sec = day_map.get(day, (0, 0))
        day_rows.append({"stt": k + 1, "date": day, "stations": reporting_by_day.get(day, 0),
                         "sessions": s, "minutes": round(sec / 60, 1)})

    commune = Table("stations", H(lang, "Xã, phường, thị trấn", "Communes"),
                    _station_columns(lang, with_district=not district and not station),
                    _numbered(station_rows),
                    {"name": H(lang, "Tổng cộng", "Total"), "sessions": sessions,
                     "minutes": round(minutes, 1),
                     "sessions_per_day": round(avg_sessions, 2),
                     "minutes_per_day": round(avg_minutes, 1),
                     "complete_days": sum(r["complete_days"] for r in station_rows),
                     "incomplete_days": totals["incomplete_days"]})
    by_district = Table("districts", H(lang, "Quận, huyện", "Districts"),
                        _district_columns(lang), _numbered(district_rows),
                        {"district_name": H(lang, "Tổng cộng", "Total"),
                         "stations": len(stations), "reporting": n, "sessions": sessions,
                         "minutes": round(minutes, 1),
                         "sessions_per_day": round(avg_sessions, 2),
                         "minutes_per_day": round(avg_minutes, 1),
                         "incomplete_days": totals["incomplete_days"]})
    by_day = Table("days", H(lang, "Theo ngày", "By day"), [
        Column("stt", H(lang, "STT", "No."), INT),
        Column("date", H(lang, "Ngày", "Date"), DATE),
        Column("stations", H(lang, "Số đài có nhật ký", "Stations with a log"), INT),
        Column("sessions", H(lang, "Số buổi phát", "Sessions"), INT),
        Column("minutes", H(lang, "Số phút phát", "Minutes"), NUM),
    ], day_rows, {"date": H(lang, "Tổng cộng", "Total"), "sessions": sessions,
                  "minutes": round(minutes, 1)})
    if district or station:
        by_district.document = False
        tables = [commune, by_district, by_day]
    else:
        commune.document = False  # 579 rows: the annex has them
        tables = [by_district, commune, by_day]

    where = _where(engine, district, station, lang)
    charts: dict[str, list[tuple[str, float]]] = {
        "per_day": [(f"{r['date']:%d/%m}", float(r["minutes"])) for r in day_rows]}
    if district or station:
        charts["per_station"] = [(str(r["name"]), float(r["minutes"])) for r in station_rows]
    else:
        charts["per_district"] = [(str(r["district_name"] or r["district"]), float(r["minutes"]))
                                  for r in district_rows]
    report = Report(
        "summary", start, end, lang, tables, totals,
        headline=headline(lang, n, sessions, minutes, avg_sessions, avg_minutes) if n else H(
            lang, "Không có nhật ký phát thanh nào trong kỳ.", "No as-run logs for the period."),
        title=H(lang, f"Báo cáo tổng hợp phát thanh{where} từ {start:%d/%m/%Y} đến "
                f"{end:%d/%m/%Y}", f"Broadcast summary{where}, {start} to {end}"),
        subject=H(lang, "Kết quả hoạt động phát thanh của các đài truyền thanh cấp xã"
                  f"{where} {period(start, end, lang)}",
                  f"Broadcasting by the commune radio stations{where} "
                  f"{period(start, end, lang)}"),
        notes=engine.left_out(start, end, list(stations), lang, states),
        charts=charts,
    )
    report.figures = [
        (H(lang, "Số đài có phát thanh", "Stations that aired"), n, INT),
        (H(lang, "Số đài trong phạm vi báo cáo", "Stations in scope"), len(stations), INT),
        (H(lang, "Số ngày", "Days"), days, INT),
        (H(lang, "Số buổi phát", "Sessions"), sessions, INT),
        (H(lang, "Số phút phát", "Minutes aired"), round(minutes, 1), NUM),
        (H(lang, "Trung bình buổi/đài/ngày", "Sessions per station per day"),
         round(avg_sessions, 2), NUM2),
        (H(lang, "Trung bình phút/đài/ngày", "Minutes per station per day"),
         round(avg_minutes, 1), NUM),
        (H(lang, "Số ngày thiếu nhật ký (đài x ngày)", "Station-days without a complete log"),
         totals["incomplete_days"], INT),
    ]
    map_points(report, stations,
               {code: per_station.get(code, (0, 0))[1] / 60 for code in stations},
               {code: H(lang, f"{fmt_num(round(per_station.get(code, (0, 0))[1] / 60, 1))} phút",
                        f"{fmt_num(round(per_station.get(code, (0, 0))[1] / 60, 1), 'en')} "
                        "minutes") for code in stations},
               "minutes",
               H(lang, "Các đài truyền thanh cấp xã, màu theo số phút phát "
                 f"{period(start, end, lang)}; đỏ: không phát phút nào",
                 f"Commune stations coloured by minutes aired {period(start, end, lang)}; "
                 "red: nothing aired"),
               list(engine.registry.as_of(start).values()))
    report.extra["city"] = dict(totals)
    report.extra["scope"] = {"district": district or "", "station": station or ""}
    report.extra["station_minutes"] = {r["code"]: r["minutes"] for r in station_rows}
    return report


def _where(engine: Engine, district: str | None, station: str | None, lang: str) -> str:
    if station:
        st = engine.registry.ever()[station]
        return f" {st.name} ({station})" if lang == "vi" else f": {st.name} ({station})"
    if district:
        name = engine.registry.districts[district].name
        return H(lang, f" trên địa bàn {name}", f" in {name}")
    return H(lang, " trên địa bàn thành phố", "")


def _station_row(st: Station, figures: tuple[int, int], days: int, incomplete: int
                 ) -> dict[str, Any]:
    sessions, seconds = figures
    return {
        "district": st.district,
        "district_name": st.district_name,
        "code": st.code,
        "name": st.name,
        "sessions": sessions,
        "minutes": round(seconds / 60, 1),
        "sessions_per_day": round(sessions / days, 2),
        "minutes_per_day": round(seconds / 60 / days, 1),
        "complete_days": days - incomplete,
        "incomplete_days": incomplete,
        "_seconds": seconds,
    }


def _district_rows(engine: Engine, station_rows: list[dict[str, Any]], days: int
                   ) -> list[dict[str, Any]]:
    by: dict[str, list[dict[str, Any]]] = {}
    for row in station_rows:
        by.setdefault(row["district"], []).append(row)
    out = []
    for code in sorted(by):
        rows = by[code]
        reporting = [r for r in rows if r["sessions"] or r["_seconds"]]
        sessions = sum(r["sessions"] for r in rows)
        seconds = sum(r["_seconds"] for r in rows)
        n = len(reporting)
        district = engine.registry.districts.get(code)
        out.append({
            "district": code,
            "district_name": district.name if district else rows[0]["district_name"],
            "stations": len(rows),
            "reporting": n,
            "sessions": sessions,
            "minutes": round(seconds / 60, 1),
            "sessions_per_day": round(sessions / (n * days), 2) if n else 0.0,
            "minutes_per_day": round(seconds / 60 / (n * days), 1) if n else 0.0,
            "incomplete_days": sum(r["incomplete_days"] for r in rows),
        })
    for row in station_rows:
        row.pop("_seconds", None)
    return out


def _numbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"stt": i, **row} for i, row in enumerate(rows, start=1)]


def _station_columns(lang: str, with_district: bool) -> list[Column]:
    columns = [Column("stt", H(lang, "STT", "No."), INT)]
    if with_district:
        columns.append(Column("district_name", H(lang, "Quận/huyện", "District"), TEXT))
    columns += [
        Column("code", H(lang, "Mã đài", "Station code"), CODE, brief=False),
        Column("name", H(lang, "Xã, phường, thị trấn", "Commune"), TEXT),
        Column("sessions", H(lang, "Số buổi phát", "Sessions"), INT),
        Column("minutes", H(lang, "Số phút phát", "Minutes"), NUM),
        Column("sessions_per_day", H(lang, "Buổi/ngày", "Sessions per day"), NUM2),
        Column("minutes_per_day", H(lang, "Phút/ngày", "Minutes per day"), NUM),
        Column("complete_days", H(lang, "Ngày đủ nhật ký", "Days with a complete log"), INT,
               brief=False),
        Column("incomplete_days", H(lang, "Ngày thiếu nhật ký", "Days incomplete"), INT),
    ]
    return columns


def _district_columns(lang: str) -> list[Column]:
    return [
        Column("stt", H(lang, "STT", "No."), INT),
        Column("district", H(lang, "Mã quận/huyện", "District code"), CODE, brief=False),
        Column("district_name", H(lang, "Quận/huyện", "District"), TEXT),
        Column("stations", H(lang, "Số đài", "Stations"), INT),
        Column("reporting", H(lang, "Số đài có phát", "Stations that aired"), INT),
        Column("sessions", H(lang, "Số buổi phát", "Sessions"), INT),
        Column("minutes", H(lang, "Số phút phát", "Minutes"), NUM),
        Column("sessions_per_day", H(lang, "Buổi/đài/ngày", "Sessions per station per day"),
               NUM2),
        Column("minutes_per_day", H(lang, "Phút/đài/ngày", "Minutes per station per day"), NUM),
        Column("incomplete_days", H(lang, "Ngày thiếu nhật ký", "Days incomplete"), INT),
    ]
