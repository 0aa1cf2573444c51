"""The summary report: sessions and minutes aired, for the city, per district and per
commune (station), with daily averages and the sentence districts open their reports
with. One SQL aggregate per level; Python only shapes the rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from radiocli.report.connection import NOTHING, Engine, Tally
from radiocli.report.model import (
    CODE, DATE, INT, NUM, NUM2, TEXT, Column, Report, Table, check_period,
)
from radiocli.report.mapping import map_points
from radiocli.report.numbers import fmt_num, headline
from radiocli.report.units import Frame, Row, Source
from radiocli.report.words import H, period


def summary(engine: Engine, start: date, end: date, lang: str = "vi",
            district: str | None = None, station: str | None = None,
            on: date | None = None) -> Report:
    """Sessions and minutes per unit, per district and per day. Each line counts for the
    unit that held its code that day (its code, name and district that day); with ``on``
    the units are rolled up to the units in force on ``on`` (radiocli.report.units)."""
    check_period(start, end)
    frame = engine.frame(start, end, on, district, station)
    engine.day_table(frame)
    per_source, per_day, unknown = engine.tallies(frame)
    days = frame.days

    # the units as they aired: the stations counted, their days, their logs
    counted = [s for s in frame.sources if s.in_force or per_source.get(s.id, NOTHING).logged]
    source_days = {s.id: s.in_force + per_source.get(s.id, NOTHING).stray for s in counted}
    aired = {s.key for s in counted
             if per_source.get(s.id, NOTHING).sessions or per_source.get(s.id, NOTHING).seconds}
    sessions = sum(t.sessions for t in per_source.values())
    seconds = sum(t.seconds for t in per_source.values())
    minutes = seconds / 60
    n = len(aired)
    station_days = sum(source_days[s.id] for s in counted if s.key in aired)
    avg_sessions = sessions / station_days if station_days else 0.0
    avg_minutes = minutes / station_days if station_days else 0.0
    incomplete_total = sum(source_days[s.id] - per_source.get(s.id, NOTHING).complete
                           for s in counted)
    totals: dict[str, Any] = {
        "sessions": sessions,
        "minutes": round(minutes, 1),
        "seconds": seconds,
        "stations": n,
        "stations_in_scope": len({s.key for s in counted}),
        "days": days,
        "station_days": station_days,
        "sessions_per_station_day": round(avg_sessions, 2),
        "minutes_per_station_day": round(avg_minutes, 1),
        "incomplete_days": incomplete_total,
    }
    if on is not None:
        totals["as_of"] = on.isoformat()
        totals["units_as_of"] = len(frame.rows)

    in_report = {s.id for s in counted}
    station_rows = []
    for row in frame.rows:
        mine = [frame.sources[i] for i in row.sources if i in in_report]
        if not mine and not row.listed:
            continue
        station_rows.append(_station_row(frame, row, mine, per_source, source_days, lang))
    with_districts = any(r["district"] for r in station_rows)  # none from 2025-07-01
    district_rows = _district_rows(engine, station_rows, lang) if with_districts else []
    spans = any(r["span"] for r in station_rows)

    day_rows: list[dict[str, Any]] = []
    for k in range(days):
        day = start + timedelta(days=k)
        t = per_day.get(day, NOTHING)
        day_rows.append({"stt": k + 1, "date": day, "stations": t.logged,
                         "sessions": t.sessions, "minutes": round(t.seconds / 60, 1)})

    total_row = {"sessions": sessions, "minutes": round(minutes, 1),
                 "sessions_per_day": round(avg_sessions, 2),
                 "minutes_per_day": round(avg_minutes, 1),
                 "incomplete_days": incomplete_total}
    commune = Table("communes", _units_title(frame, lang),
                    _station_columns(lang, with_district=with_districts and not district
                                     and not station, spans=spans, on=on),
                    _numbered(station_rows),
                    {"name": H(lang, "Tổng cộng", "Total"), **total_row,
                     "complete_days": sum(r["complete_days"] for r in station_rows)})
    by_district = Table("districts", H(lang, "Quận, huyện", "Districts"),
                        _district_columns(lang), _numbered(district_rows),
                        {"district_name": H(lang, "Tổng cộng", "Total"),
                         "stations": totals["stations_in_scope"], "reporting": n,
                         **total_row})
    by_day = Table("days", H(lang, "Theo ngày", "By day"), [
        Column("stt", H(lang, "STT", "No."), INT),
        Column("date", H(lang, "Ngày", "Date"), DATE),
        Column("stations", H(lang, "Số đài có nhật ký", "Stations with a log"), INT),
        Column("sessions", H(lang, "Số buổi phát", "Sessions"), INT),
        Column("minutes", H(lang, "Số phút phát", "Minutes"), NUM),
    ], day_rows, {"date": H(lang, "Tổng cộng", "Total"), "sessions": sessions,
                  "minutes": round(minutes, 1)})
    if not with_districts:  # no district level (the units of 2025-07-01 on)
        tables = [commune, by_day]
    elif district or station:
        by_district.document = False
        tables = [commune, by_district, by_day]
    else:
        commune.document = False  # 579 rows: the annex has them
        tables = [by_district, commune, by_day]

    where = _where(engine, frame, lang)
    charts: dict[str, list[tuple[str, float]]] = {
        "per_day": [(f"{r['date']:%d/%m}", float(r["minutes"])) for r in day_rows]}
    if district or station or not with_districts:
        charts["per_station"] = [(str(r["name"]), float(r["minutes"])) for r in station_rows]
    else:
        charts["per_district"] = [(str(r["district_name"] or r["district"]), float(r["minutes"]))
                                  for r in district_rows]
    as_of = H(lang, f", quy về các đơn vị ngày {on:%d/%m/%Y}",
              f", as of the units of {on}") if on else ""
    report = Report(
        "summary", start, end, lang, tables, totals,
        headline=headline(lang, n, sessions, minutes, avg_sessions, avg_minutes) if n else H(
            lang, "Không có nhật ký phát thanh nào trong kỳ.", "No as-run logs for the period."),
        title=H(lang, f"Báo cáo tổng hợp phát thanh{where} từ {start:%d/%m/%Y} đến "
                f"{end:%d/%m/%Y}{as_of}", f"Broadcast summary{where}, {start} to {end}{as_of}"),
        subject=H(lang, "Kết quả hoạt động phát thanh của các đài truyền thanh cấp xã"
                  f"{where} {period(start, end, lang)}",
                  f"Broadcasting by the commune radio stations{where} "
                  f"{period(start, end, lang)}"),
        notes=engine.left_out(frame, lang, per_source, unknown),
        charts=charts,
    )
    report.figures = [
        (H(lang, "Số đài có phát thanh", "Stations that aired"), n, INT),
        (H(lang, "Số đài trong phạm vi báo cáo", "Stations in scope"),
         totals["stations_in_scope"], INT),
    ]
    if on is not None:
        report.figures.append((H(lang, f"Số đơn vị hành chính ngày {on:%d/%m/%Y}",
                                 f"Administrative units of {on}"), len(frame.rows), INT))
    report.figures += [
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
    points = [(row.station, r["minutes"],
               H(lang, f"{fmt_num(r['minutes'])} phút", f"{fmt_num(r['minutes'], 'en')} minutes"))
              for row, r in zip(_shown_rows(frame, station_rows), station_rows, strict=True)]
    map_points(report, points, "minutes",
               H(lang, "Các đài truyền thanh cấp xã, màu theo số phút phát "
                 f"{period(start, end, lang)}; đỏ: không phát phút nào",
                 f"Commune stations coloured by minutes aired {period(start, end, lang)}; "
                 "red: nothing aired"),
               list(engine.registry.as_of(on or start).values()))
    report.extra["city"] = dict(totals)
    report.extra["scope"] = {"district": district or "", "station": station or "",
                             "as_of": on.isoformat() if on else ""}
    return report


def _units_title(frame: Frame, lang: str) -> str:
    if frame.on is not None:
        return H(lang, f"Đơn vị ngày {frame.on:%d/%m/%Y}", f"Units of {frame.on}")
    return H(lang, "Xã, phường, thị trấn", "Communes")


def _shown_rows(frame: Frame, station_rows: list[dict[str, Any]]) -> list[Row]:
    return [frame.rows[r["_row"]] for r in station_rows]


def _where(engine: Engine, frame: Frame, lang: str) -> str:
    if frame.station:
        names = list(dict.fromkeys(row.station.name for row in frame.rows))
        text = ", ".join(names) if names else frame.station
        return f" {text} ({frame.station})" if lang == "vi" else f": {text} ({frame.station})"
    if frame.district:
        name = engine.registry.districts[frame.district].name
        return H(lang, f" trên địa bàn {name}", f" in {name}")
    return H(lang, " trên địa bàn thành phố", "")


def _station_row(frame: Frame, row: Row, sources: list[Source],
                 per_source: dict[int, Tally], source_days: dict[int, int], lang: str
                 ) -> dict[str, Any]:
    st = row.station
    tallies = [per_source.get(s.id, NOTHING) for s in sources]
    sessions = sum(t.sessions for t in tallies)
    seconds = sum(t.seconds for t in tallies)
    station_days = sum(source_days[s.id] for s in sources)
    complete = sum(t.complete for t in tallies)
    if frame.on is None:  # one unit as it aired: per day of its days in the period
        days = station_days or frame.days
        span = frame.span_text(sources[0], lang) if sources else ""
    else:  # a unit of the as-of date: per day of the period, whatever it carries
        days = frame.days
        span = ""
    out: dict[str, Any] = {
        "district": st.district,
        "district_name": st.district_name,
        "code": st.code,
        "name": st.name,
        "span": span,
        "sessions": sessions,
        "minutes": round(seconds / 60, 1),
        "sessions_per_day": round(sessions / days, 2),
        "minutes_per_day": round(seconds / 60 / days, 1),
        "complete_days": complete,
        "incomplete_days": station_days - complete,
        "_seconds": seconds,
        "_days": station_days,
        "_aired": {s.key for s, t in zip(sources, tallies, strict=True) if t.sessions or t.seconds},
        "_units": {s.key for s in sources},
        "_row": row.id,
    }
    if frame.on is not None:
        out["units"] = len({s.key for s in sources if s.in_force})
        out["sources"] = ", ".join(dict.fromkeys(
            f"{s.station.name} ({s.station.code})" for s in sources
            if s.in_force or s.key in out["_aired"]))
    return out


def _district_rows(engine: Engine, station_rows: list[dict[str, Any]], lang: str
                   ) -> list[dict[str, Any]]:
    """One row per district of the station rows; the rows of units without a district
    (from the day districts were abolished) make one row of their own."""
    by: dict[str, list[dict[str, Any]]] = {}
    for row in station_rows:
        by.setdefault(row["district"], []).append(row)
    out = []
    for code in sorted(by, key=lambda c: (c == "", c)):
        rows = by[code]
        aired: set[Any] = set().union(*(r["_aired"] for r in rows))
        sessions = sum(r["sessions"] for r in rows)
        seconds = sum(r["_seconds"] for r in rows)
        station_days = sum(r["_days"] for r in rows if r["_aired"])
        district = engine.registry.districts.get(code)
        name = district.name if district else rows[0]["district_name"]
        out.append({
            "district": code,
            "district_name": name or H(lang, "Không thuộc quận, huyện",
                                       "No district"),
            "stations": len(set().union(*(r["_units"] for r in rows))),
            "reporting": len(aired),
            "sessions": sessions,
            "minutes": round(seconds / 60, 1),
            "sessions_per_day": round(sessions / station_days, 2) if station_days else 0.0,
            "minutes_per_day": round(seconds / 60 / station_days, 1) if station_days else 0.0,
            "incomplete_days": sum(r["incomplete_days"] for r in rows),
        })
    return out


def _numbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows numbered, without the keys (``_...``) that only the report's making uses."""
    return [{"stt": i, **{k: v for k, v in row.items() if not k.startswith("_")}}
            for i, row in enumerate(rows, start=1)]


def _station_columns(lang: str, with_district: bool, spans: bool = False,
                     on: date | None = None) -> list[Column]:
    columns = [Column("stt", H(lang, "STT", "No."), INT)]
    if with_district:
        columns.append(Column("district_name", H(lang, "Quận/huyện", "District"), TEXT))
    columns += [
        Column("code", H(lang, "Mã đài", "Station code"), CODE, brief=False),
        Column("name", H(lang, "Xã, phường, thị trấn", "Commune"), TEXT),
    ]
    if spans:  # units that changed within the period: the days each row covers
        columns.append(Column("span", H(lang, "Thời gian", "Days"), TEXT))
    if on is not None:
        columns += [
            Column("units", H(lang, "Số đơn vị trong kỳ", "Units of the period"), INT),
            Column("sources", H(lang, "Gồm các đơn vị", "Made of"), TEXT, brief=False),
        ]
    station_days = on is not None
    columns += [
        Column("sessions", H(lang, "Số buổi phát", "Sessions"), INT),
        Column("minutes", H(lang, "Số phút phát", "Minutes"), NUM),
        Column("sessions_per_day", H(lang, "Buổi/ngày", "Sessions per day"), NUM2),
        Column("minutes_per_day", H(lang, "Phút/ngày", "Minutes per day"), NUM),
        Column("complete_days", H(lang, "Đài x ngày đủ nhật ký", "Station-days with a complete "
                                  "log") if station_days else
               H(lang, "Ngày đủ nhật ký", "Days with a complete log"), INT, brief=False),
        Column("incomplete_days", H(lang, "Đài x ngày thiếu nhật ký", "Station-days "
                                    "incomplete") if station_days else
               H(lang, "Ngày thiếu nhật ký", "Days incomplete"), INT),
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
