"""District reports over a collect store, computed by DuckDB over its Parquet copy.

No Python loop walks the log lines: every figure is one SQL aggregate over
``minutes``/``events``. Python only shapes the (small) result rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from radiocli.aslog.collect import Store
from radiocli.errors import RadioError
from radiocli.report.numbers import fmt_int, fmt_num, headline
from radiocli.schedule.registry import Registry, targets_select


@dataclass
class Report:
    """What a report says: rows for tables, totals, a headline, what was left out."""

    kind: str
    start: date
    end: date
    lang: str
    columns: list[tuple[str, str]]  # (key, heading in the report's language)
    rows: list[dict[str, Any]]
    totals: dict[str, Any] = field(default_factory=dict)
    headline: str = ""
    title: str = ""
    notes: list[str] = field(default_factory=list)  # what was left out and why
    charts: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "headline": self.headline,
            **self.totals,
            "rows": self.rows,
            "notes": self.notes,
        }
        out.update(self.extra)
        return out


def H(lang: str, vi: str, en: str) -> str:
    return vi if lang == "vi" else en


def check_period(start: date, end: date) -> None:
    if end < start:
        raise RadioError(
            f"the period runs backwards: --from {start} is after --to {end}; swap them"
        )
    if (end - start).days > 3660:
        raise RadioError("the period is longer than ten years; choose a shorter one")


class Engine:
    """A DuckDB connection with ``minutes``, ``events`` and ``stations`` views."""

    def __init__(self, store: Store, registry: Registry, threads: int | None = None) -> None:
        import duckdb

        self.store = store
        self.registry = registry
        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        store.views(self.con)  # minutes and events over the published generation
        rows = []
        for code, st in sorted(registry.ever().items()):
            district = registry.districts.get(st.district)
            rows.append((code, st.name, st.kind, st.district, district.name if district else "",
                         district.kind if district else ""))
        self.con.execute(
            "CREATE TEMP TABLE stations (code VARCHAR, name VARCHAR, kind VARCHAR, "
            "district VARCHAR, district_name VARCHAR, district_kind VARCHAR)"
        )
        if rows:
            self.con.executemany("INSERT INTO stations VALUES (?, ?, ?, ?, ?, ?)", rows)

    start: date = date.min
    end: date = date.max

    def scope(self, district: str | None, station: str | None) -> tuple[str, list[Any]]:
        """SQL condition on a table with station/day columns, and its parameters."""
        cond = [f"day BETWEEN {lit(self.start)} AND {lit(self.end)}"]
        if district:
            cond.append(f"station IN (SELECT code FROM stations WHERE district = {lit(district)})")
        if station:
            cond.append(f"station = {lit(station)}")
        return " AND ".join(cond), []

    def scope_codes(self, district: str | None, station: str | None) -> list[str]:
        ever = self.registry.ever()
        if station:
            if station not in ever:
                raise RadioError(f"station {station} is not in the registry (see radiocli stations)")
            return [station]
        if district:
            if district not in self.registry.districts:
                raise RadioError(
                    f"district {district} is not in the registry (see radiocli stations)"
                )
            return [c for c, s in ever.items() if s.district == district]
        return list(ever)

    def left_out(self, start: date, end: date, codes: list[str], lang: str) -> list[str]:
        """What the store set aside for the period, in sentences."""
        notes: list[str] = []
        wanted = set(codes)
        cat = self.store.catalog

        def within(entry: dict[str, Any]) -> bool:
            return str(start) <= entry.get("date", "") <= str(end)

        rejected = [e for e in cat.get("rejected", []) if within(e) and e["station"] in wanted]
        if rejected:
            notes.append(H(lang,
                           f"{len(rejected)} tệp nhật ký bị loại vì chuỗi kiểm tra bị phá "
                           "(sửa, xóa, chèn hoặc đảo dòng): ",
                           f"{len(rejected)} log file(s) left out because their chain is broken "
                           "(edited, removed, inserted or reordered lines): ")
                         + ", ".join(f"{e['station']} {e['date']}" for e in rejected[:10]))
        conflicts = [e for e in cat.get("conflicts", []) if within(e) and e["station"] in wanted]
        if conflicts:
            notes.append(H(lang,
                           f"{len(conflicts)} bản sao khác nhau của cùng một ngày được để riêng; "
                           "bản thu thập trước được tính: ",
                           f"{len(conflicts)} different copies of an already collected day set "
                           "aside; the first copy counts: ")
                         + ", ".join(f"{e['station']} {e['date']}" for e in conflicts[:10]))
        unknown = [e for e in cat.get("unknown", {}).values() if within(e)]
        if unknown:
            names = sorted({e["station"] for e in unknown})
            notes.append(H(lang,
                           f"Nhật ký của {len(names)} đài không có trong danh mục không được tính: ",
                           f"Logs of {len(names)} station(s) not in the registry are not counted: ")
                         + ", ".join(names[:10]))
        counts = {st: c for st, c in self.store.log_counts(start, end).items() if st in wanted}
        truncated = sum(unsealed for _n, unsealed in counts.values())
        if truncated:
            notes.append(H(lang,
                           f"{truncated} tệp nhật ký không có dòng niêm phong (có thể bị "
                           "cắt cụt); các dòng có trong tệp vẫn được tính.",
                           f"{truncated} log file(s) lack their sealed line (possibly "
                           "truncated); the lines present are counted."))
        have = set(counts)
        silent = sorted(wanted - have)
        if silent:
            notes.append(H(lang,
                           f"{len(silent)} đài không có nhật ký nào trong kỳ: ",
                           f"{len(silent)} station(s) sent no log for the period: ")
                         + ", ".join(silent[:15]) + ("…" if len(silent) > 15 else ""))
        return notes


# --- summary ----------------------------------------------------------------------------


def summary(engine: Engine, start: date, end: date, lang: str = "vi",
            district: str | None = None, station: str | None = None) -> Report:
    check_period(start, end)
    codes = engine.scope_codes(district, station)
    engine.start, engine.end = start, end
    cond, params = engine.scope(district, station)
    days = (end - start).days + 1
    con = engine.con
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE per_station AS
        WITH m AS (SELECT station, sum(seconds) AS seconds, count(*) AS lines
                   FROM minutes WHERE {cond} GROUP BY station),
             e AS (SELECT station, count(*) FILTER (WHERE event = 'start') AS sessions
                   FROM events WHERE {cond} GROUP BY station)
        SELECT coalesce(m.station, e.station) AS station, coalesce(e.sessions, 0) AS sessions,
               coalesce(m.seconds, 0) AS seconds
        FROM m FULL OUTER JOIN e ON m.station = e.station
        """,
        [],
    )
    district_rows = con.execute(
        """
        SELECT s.district, any_value(s.district_name), count(*) AS stations,
               sum(p.sessions), sum(p.seconds)
        FROM per_station p JOIN stations s ON s.code = p.station
        GROUP BY s.district ORDER BY s.district
        """
    ).fetchall()
    stations_n, sessions, seconds = con.execute(
        "SELECT count(*), coalesce(sum(sessions), 0), coalesce(sum(seconds), 0) "
        "FROM per_station WHERE station IN (SELECT code FROM stations)"
    ).fetchone()
    per_day = con.execute(
        f"SELECT day, sum(seconds) FROM minutes WHERE {cond} "
        "AND station IN (SELECT code FROM stations) GROUP BY day ORDER BY day",
        [],
    ).fetchall()
    minutes = seconds / 60
    rows = []
    for code, name, n, s_sessions, s_seconds in district_rows:
        rows.append({
            "district": code,
            "district_name": name,
            "stations": int(n),
            "sessions": int(s_sessions),
            "minutes": round(s_seconds / 60, 1),
            "sessions_per_day": round(s_sessions / (n * days), 2) if n else 0.0,
            "minutes_per_day": round(s_seconds / 60 / (n * days), 1) if n else 0.0,
        })
    avg_sessions = sessions / (stations_n * days) if stations_n else 0.0
    avg_minutes = minutes / (stations_n * days) if stations_n else 0.0
    totals = {
        "sessions": int(sessions),
        "minutes": round(minutes, 1),
        "seconds": int(seconds),
        "stations": int(stations_n),
        "days": days,
        "sessions_per_station_day": round(avg_sessions, 2),
        "minutes_per_station_day": round(avg_minutes, 1),
    }
    columns = [
        ("district", H(lang, "Mã quận/huyện", "District code")),
        ("district_name", H(lang, "Quận/huyện", "District")),
        ("stations", H(lang, "Số đài", "Stations")),
        ("sessions", H(lang, "Số buổi phát", "Sessions")),
        ("minutes", H(lang, "Số phút phát", "Minutes")),
        ("sessions_per_day", H(lang, "Buổi/đài/ngày", "Sessions per station per day")),
        ("minutes_per_day", H(lang, "Phút/đài/ngày", "Minutes per station per day")),
    ]
    report = Report(
        "summary", start, end, lang, columns, rows, totals,
        headline=headline(lang, int(stations_n), int(sessions), minutes, avg_sessions,
                          avg_minutes) if stations_n else H(
            lang, "Không có nhật ký phát thanh nào trong kỳ.",
            "No as-run logs for the period."),
        title=H(lang, f"Báo cáo tổng hợp phát thanh từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
                f"Broadcast summary {start} to {end}"),
        notes=engine.left_out(start, end, codes, lang),
        charts={
            "per_day": [(str(d), round(s / 60, 1)) for d, s in per_day],
            "per_district": [(r["district_name"] or r["district"], r["minutes"]) for r in rows],
        },
    )
    report.extra["districts"] = rows
    report.extra["city"] = dict(totals)
    return report


# --- one station day by day -------------------------------------------------------------


def station_report(engine: Engine, station: str, start: date, end: date,
                   lang: str = "vi") -> Report:
    check_period(start, end)
    engine.scope_codes(None, station)
    rows_m = dict(
        engine.con.execute(
            "SELECT day, sum(seconds) FROM minutes WHERE station = ? AND day BETWEEN ? AND ? "
            "GROUP BY day", [station, start, end]).fetchall())
    rows_e = {
        d: (s, p, m, f)
        for d, s, p, m, f in engine.con.execute(
            "SELECT day, count(*) FILTER (WHERE event = 'start'), "
            "count(*) FILTER (WHERE event = 'preempted'), count(*) FILTER (WHERE event = 'missed'), "
            "count(*) FILTER (WHERE event = 'failed') FROM events "
            "WHERE station = ? AND day BETWEEN ? AND ? GROUP BY day", [station, start, end]
        ).fetchall()
    }
    files = {e["date"]: e for e in engine.store.logs(start, end, [station])}
    rows = []
    day = start
    while day <= end:
        s, p, m, f = rows_e.get(day, (0, 0, 0, 0))
        entry = files.get(str(day))
        state = ("ok" if entry and entry.get("sealed") else
                 "unsealed" if entry else "no-log")
        rows.append({
            "date": str(day), "sessions": int(s), "minutes": round(rows_m.get(day, 0) / 60, 1),
            "preempted": int(p), "missed": int(m), "failed": int(f),
            "log": H(lang, {"ok": "đủ", "unsealed": "chưa niêm phong", "no-log": "không có"}[state],
                     state),
        })
        day += timedelta(days=1)
    st = engine.registry.ever()[station]
    columns = [
        ("date", H(lang, "Ngày", "Date")),
        ("sessions", H(lang, "Số buổi phát", "Sessions")),
        ("minutes", H(lang, "Số phút phát", "Minutes")),
        ("preempted", H(lang, "Bị ngắt", "Preempted")),
        ("missed", H(lang, "Bỏ lỡ", "Missed")),
        ("failed", H(lang, "Lỗi", "Failed")),
        ("log", H(lang, "Nhật ký", "Log")),
    ]
    total_s = sum(r["sessions"] for r in rows)
    total_m = sum(rows_m.values()) / 60
    return Report(
        "station", start, end, lang, columns, rows,
        {"station": station, "name": st.name, "sessions": total_s,
         "minutes": round(total_m, 1), "days": len(rows)},
        headline=H(lang, f"{st.name} ({station}): {fmt_int(total_s)} buổi phát, "
                   f"{fmt_num(round(total_m, 1), 'vi')} phút trong {len(rows)} ngày.",
                   f"{st.name} ({station}): {fmt_int(total_s, 'en')} sessions, "
                   f"{fmt_num(round(total_m, 1), 'en')} minutes in {len(rows)} days."),
        title=H(lang, f"{st.name} ({station}): phát thanh từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
                f"{st.name} ({station}): broadcasts {start} to {end}"),
        notes=engine.left_out(start, end, [station], lang),
        charts={"per_day": [(r["date"], r["minutes"]) for r in rows]},
    )


# --- compliance -------------------------------------------------------------------------

STATUS_VI = {
    "aired": "đã phát",
    "partial": "phát không đủ",
    "preempted": "bị ngắt",
    "missed": "bỏ lỡ",
    "failed": "lỗi",
    "offline": "đài không hoạt động",
    "unplanned": "ngoài kế hoạch",
}


def compliance(engine: Engine, schedule: Any, start: date, end: date, lang: str = "vi",
               district: str | None = None, station: str | None = None) -> Report:
    """Planned (radiocli.plan over the period) versus aired, per occurrence, and the
    policy checked on what aired."""
    from radiocli.plan import plan
    from radiocli.plan.triggers import TZ

    check_period(start, end)
    codes = engine.scope_codes(district, station)
    engine.start, engine.end = start, end
    cond, params = engine.scope(district, station)
    t0 = datetime.combine(start, time(0), TZ)
    t1 = datetime.combine(end + timedelta(days=1), time(0), TZ)
    con = engine.con
    cache = _plan_cache(engine, schedule, start, end, codes)
    if cache is not None and cache.exists():
        con.execute(f"CREATE OR REPLACE TEMP TABLE planned AS SELECT * FROM read_parquet({lit(cache)})")
    else:
        _plan_table(con, plan(schedule, t0, t1, stations=codes), TZ)
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp_cache = cache.with_suffix(".tmp")
                con.execute(f"COPY planned TO {lit(tmp_cache)} (FORMAT parquet)")
                os.replace(tmp_cache, cache)
            except (OSError, RuntimeError):
                pass
    _compare(engine, cond)
    return _compliance_report(engine, schedule, start, end, lang, codes)


def _plan_cache(engine: Engine, schedule: Any, start: date, end: date,
                codes: list[str]) -> Path | None:
    """Where the plan for this schedule, period and scope is kept (planning 59 days for
    579 stations takes longer than the whole report); None when it cannot be keyed."""
    import hashlib

    digest = hashlib.sha256(f"{start}:{end}:".encode())
    digest.update(",".join(sorted(codes)).encode())
    try:
        for path in sorted(getattr(schedule, "files", []) or []):
            digest.update(str(path).encode())
            digest.update(Path(path).read_bytes())
    except OSError:
        return None
    if not getattr(schedule, "files", None):
        return None
    return engine.store.root / ".plans" / f"{digest.hexdigest()[:32]}.parquet"


def _plan_table(con: Any, occurrences: list[Any], TZ: Any) -> None:
    """The planned occurrences as a DuckDB table (times as Hanoi wall-clock TIMESTAMPs).

    The columns cross as NumPy arrays (no text round trip for 170,000 rows); times as
    wall-clock epoch seconds, which become TIMESTAMPs in SQL."""
    import numpy as np

    wall: dict[datetime, int] = {}  # most times are shared by many stations

    def epoch(moment: datetime) -> int:
        found = wall.get(moment)
        if found is None:
            offset = moment.utcoffset()
            found = wall[moment] = int(moment.timestamp() + (
                offset.total_seconds() if offset is not None else 0))
        return found

    scheduled = [epoch(o.scheduled) for o in occurrences]
    starts = [epoch(o.start) if o.start else s for o, s in zip(occurrences, scheduled,
                                                                 strict=True)]
    ends = [epoch(o.end) if o.end else int(st + o.duration_s)
            for o, st in zip(occurrences, starts, strict=True)]
    columns = {
        "station": np.array([o.station for o in occurrences], dtype=object),
        "occurrence": np.array([o.occurrence_id for o in occurrences], dtype=object),
        "program": np.array([o.program for o in occurrences], dtype=object),
        "scheduled": np.array(scheduled, dtype=np.int64),
        "planned_start": np.array(starts, dtype=np.int64),
        "planned_end": np.array(ends, dtype=np.int64),
        "planned_seconds": np.array([round(o.duration_s, 1) for o in occurrences],
                                    dtype=np.float64),
        "priority": np.array([o.priority.label for o in occurrences], dtype=object),
        "plan_status": np.array([o.status for o in occurrences], dtype=object),
    }
    con.register("planned_columns", columns)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE planned AS SELECT "
            "CAST(station AS VARCHAR) AS station, CAST(occurrence AS VARCHAR) AS occurrence, "
            "CAST(program AS VARCHAR) AS program, "
            "make_timestamp(scheduled * 1000000) AS scheduled, "
            "make_timestamp(planned_start * 1000000) AS planned_start, "
            "make_timestamp(planned_end * 1000000) AS planned_end, "
            "planned_seconds, CAST(priority AS VARCHAR) AS priority, "
            "CAST(plan_status AS VARCHAR) AS plan_status FROM planned_columns"
        )
    finally:
        con.unregister("planned_columns")


def _compare(engine: Engine, cond: str) -> None:
    con = engine.con
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE aired AS
        SELECT station, occurrence, any_value(program) AS program, any_value(priority) AS priority,
               min(minute) AS first_minute, max(minute) AS last_minute,
               sum(seconds) AS seconds, min(day) AS day
        FROM minutes WHERE {cond} GROUP BY station, occurrence
        """,
        [],
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ev AS
        SELECT station, occurrence,
               count(*) FILTER (WHERE event = 'start') AS starts,
               count(*) FILTER (WHERE event = 'end') AS ends,
               count(*) FILTER (WHERE event = 'preempted') AS preempted,
               count(*) FILTER (WHERE event = 'resumed') AS resumed,
               count(*) FILTER (WHERE event = 'missed') AS missed,
               count(*) FILTER (WHERE event = 'failed') AS failed,
               string_agg(DISTINCT nullif(reason, ''), '; ') AS reasons
        FROM events WHERE {cond} AND occurrence <> '' GROUP BY station, occurrence
        """,
        [],
    )
    # planned occurrences with some line from their station around their time; the
    # others are "offline". Minute lines are taken as the spans of their occurrences.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE activity AS
        SELECT station, day, first_minute AS t0, last_minute + INTERVAL 1 MINUTE AS t1
        FROM aired
        UNION ALL SELECT station, day, "at", "at" FROM events WHERE {cond}
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE online AS
        SELECT DISTINCT p.station, p.occurrence
        FROM planned p JOIN activity x
          ON x.station = p.station
         AND x.day = CAST(p.planned_start AS DATE)
         AND x.t1 >= p.planned_start - INTERVAL 1 MINUTE
         AND x.t0 <= p.planned_end + INTERVAL 1 MINUTE
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE result AS
        SELECT p.station, p.occurrence, p.program, p.scheduled, p.priority,
               round(p.planned_seconds / 60, 1) AS planned_minutes,
               round(coalesce(a.seconds, 0) / 60, 1) AS aired_minutes,
               p.plan_status,
               CASE
                 WHEN coalesce(e.failed, 0) > 0 THEN 'failed'
                 WHEN coalesce(e.missed, 0) > 0 THEN 'missed'
                 WHEN coalesce(a.seconds, 0) >= 0.9 * p.planned_seconds - 60 THEN 'aired'
                 WHEN coalesce(e.preempted, 0) > coalesce(e.resumed, 0) THEN 'preempted'
                 WHEN coalesce(a.seconds, 0) > 0 OR coalesce(e.starts, 0) > 0 THEN 'partial'
                 WHEN o.station IS NULL THEN 'offline'
                 ELSE 'missed'
               END AS status,
               coalesce(e.reasons, '') AS reason
        FROM planned p
        LEFT JOIN aired a ON a.station = p.station AND a.occurrence = p.occurrence
        LEFT JOIN ev e ON e.station = p.station AND e.occurrence = p.occurrence
        LEFT JOIN online o ON o.station = p.station AND o.occurrence = p.occurrence
        UNION ALL
        SELECT a.station, a.occurrence, a.program, a.first_minute, a.priority, 0,
               round(a.seconds / 60, 1), '', 'unplanned', coalesce(e.reasons, '')
        FROM aired a LEFT JOIN ev e ON e.station = a.station AND e.occurrence = a.occurrence
        WHERE NOT EXISTS (SELECT 1 FROM planned p WHERE p.station = a.station
                          AND p.occurrence = a.occurrence)
        UNION ALL
        SELECT e.station, e.occurrence, '', NULL, '', 0, 0, '',
               CASE WHEN e.failed > 0 THEN 'failed' WHEN e.missed > 0 THEN 'missed'
                    ELSE 'partial' END, coalesce(e.reasons, '')
        FROM ev e
        WHERE NOT EXISTS (SELECT 1 FROM planned p WHERE p.station = e.station
                          AND p.occurrence = e.occurrence)
          AND NOT EXISTS (SELECT 1 FROM aired a WHERE a.station = e.station
                          AND a.occurrence = e.occurrence)
        """
    )


def _compliance_report(engine: Engine, schedule: Any, start: date, end: date, lang: str,
                       codes: list[str]) -> Report:
    con = engine.con
    violations = policy_violations(engine, schedule, lang)
    counts = dict(con.execute("SELECT status, count(*) FROM result GROUP BY status").fetchall())
    rows = []
    status_text = "status" if lang != "vi" else "CASE status " + " ".join(
        f"WHEN {lit(k)} THEN {lit(v)}" for k, v in STATUS_VI.items()) + " ELSE status END"
    keys = ("station", "occurrence", "program", "scheduled", "priority", "planned_minutes",
            "aired_minutes", "status", "code", "reason")
    rows = [dict(zip(keys, row, strict=True)) for row in con.execute(
        "SELECT station, occurrence, program, "
        "coalesce(strftime(scheduled, '%Y-%m-%d %H:%M'), '') AS scheduled, priority, "
        f"planned_minutes, aired_minutes, {status_text}, status AS code, reason "
        "FROM result ORDER BY result.scheduled NULLS LAST, station, occurrence").fetchall()]
    planned_n = sum(v for k, v in counts.items() if k != "unplanned")
    totals = {
        "planned": int(planned_n),
        "aired": int(counts.get("aired", 0)),
        "counts": {k: int(v) for k, v in sorted(counts.items())},
        "violations": len(violations),
        "compliance": round(100 * counts.get("aired", 0) / planned_n, 1) if planned_n else 0.0,
    }
    columns = [
        ("station", H(lang, "Đài", "Station")),
        ("occurrence", H(lang, "Buổi phát (mã)", "Occurrence")),
        ("scheduled", H(lang, "Giờ theo kế hoạch", "Scheduled")),
        ("priority", H(lang, "Mức ưu tiên", "Priority")),
        ("planned_minutes", H(lang, "Phút kế hoạch", "Planned minutes")),
        ("aired_minutes", H(lang, "Phút đã phát", "Aired minutes")),
        ("status", H(lang, "Kết quả", "Status")),
        ("reason", H(lang, "Lý do", "Reason")),
    ]
    status_chart = [(STATUS_VI.get(k, k) if lang == "vi" else k, float(v))
                    for k, v in sorted(counts.items())]
    return Report(
        "compliance", start, end, lang, columns, rows, totals,
        headline=H(lang,
                   f"Đã phát {fmt_int(totals['aired'])} trên {fmt_int(planned_n)} buổi theo "
                   f"kế hoạch ({fmt_num(totals['compliance'])}%); {len(violations)} vi phạm "
                   "quy định.",
                   f"Aired {totals['aired']:,} of {planned_n:,} planned sessions "
                   f"({totals['compliance']}%); {len(violations)} policy violation(s)."),
        title=H(lang, f"Đối chiếu kế hoạch và thực hiện từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}",
                f"Compliance {start} to {end}"),
        notes=engine.left_out(start, end, codes, lang),
        charts={"status": status_chart},
        extra={"violations": violations},
    )


def policy_violations(engine: Engine, schedule: Any, lang: str) -> list[dict[str, Any]]:
    """The policy in force checked on the sessions that aired (``aired`` table)."""
    policy = getattr(schedule, "policy", None)
    if policy is None:
        return []
    con = engine.con
    exempt = sorted(_label(p) for p in policy.exempt_priorities)
    con.execute("CREATE OR REPLACE TEMP TABLE exempt_days (day DATE)")
    days = [r[0] for r in con.execute("SELECT DISTINCT day FROM aired").fetchall()]
    exempt_days = [(d,) for d in days if policy.exempt_on(d)]
    if exempt_days:
        con.executemany("INSERT INTO exempt_days VALUES (?)", exempt_days)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sess AS
        SELECT station, occurrence, program, day, first_minute AS s_start,
               last_minute + INTERVAL 1 MINUTE AS s_end, seconds / 60.0 AS minutes,
               day IN (SELECT day FROM exempt_days) AS exempt_day
        FROM aired WHERE priority NOT IN ({", ".join(lit(x) for x in exempt) or "''"})
        """
    )
    out: list[dict[str, Any]] = []

    def collect(rule: str, code: str, query: str, params: list[Any], message: str) -> None:
        for st, occ, day in con.execute(query, params).fetchall():
            out.append({"rule": rule, "code": code, "station": st, "occurrence": occ,
                        "date": str(day), "message": message})

    if policy.quiet_hours:
        q0, q1 = policy.quiet_hours
        inside = ("(CAST(m.minute AS TIME) >= ? OR CAST(m.minute AS TIME) < ?)" if q1 <= q0
                  else "(CAST(m.minute AS TIME) >= ? AND CAST(m.minute AS TIME) < ?)")
        collect("quiet-hours", "quiet-hours",
                f"""SELECT DISTINCT s.station, s.occurrence, s.day FROM sess s
                    JOIN minutes m ON m.station = s.station AND m.occurrence = s.occurrence
                    WHERE {inside}""",
                [q0, q1], H(lang, f"phát trong giờ yên tĩnh {q0:%H:%M}-{q1:%H:%M}",
                            f"airs in the quiet hours {q0:%H:%M}-{q1:%H:%M}"))
    ever = engine.registry.ever()
    for rule in policy.rules:
        codes = [c for c, s in ever.items() if targets_select(rule.targets, s)]
        if not codes:
            continue
        con.execute("CREATE OR REPLACE TEMP TABLE rule_st (code VARCHAR)")
        con.executemany("INSERT INTO rule_st VALUES (?)", [(c,) for c in codes])
        base = ("FROM sess s WHERE NOT s.exempt_day AND s.station IN (SELECT code FROM rule_st)")
        sel = "SELECT s.station, s.occurrence, s.day "
        if rule.emergency_only:
            collect(rule.name, "emergency-only", sel + base, [],
                    H(lang, "chỉ được phát khi khẩn cấp", "only emergencies may air here"))
            continue
        if rule.max_session_minutes is not None:
            limit = rule.max_session_minutes
            collect(rule.name, "max-minutes", sel + base + " AND s.minutes > ?", [limit + 0.5],
                    H(lang, f"buổi phát dài hơn {limit:g} phút",
                      f"a session longer than {limit:g} minutes"))
        if rule.days is not None:
            allowed = [d + 1 for d in rule.days]
            collect(rule.name, "day",
                    sel + base + " AND isodow(s.day) NOT IN (SELECT unnest(?::INTEGER[]))",
                    [allowed], H(lang, "phát vào ngày không được phép",
                                 "airs on a day not allowed"))
        if rule.windows:
            fits = " OR ".join(
                "(CAST(s.s_start AS TIME) >= ? AND CAST(s.s_end - INTERVAL 1 SECOND AS TIME)"
                " <= ? + INTERVAL 59 SECOND)" for _w in rule.windows)
            params = [x for w in rule.windows for x in w]
            spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in rule.windows)
            collect(rule.name, "window", sel + base + f" AND NOT ({fits})", params,
                    H(lang, f"phát ngoài khung giờ {spans}", f"airs outside {spans}"))
        if rule.max_sessions_per_day is not None:
            n = rule.max_sessions_per_day
            collect(rule.name, "max-sessions",
                    "SELECT s.station, string_agg(s.occurrence, ', '), s.day " + base
                    + " GROUP BY s.station, s.day HAVING count(*) > ?", [n],
                    H(lang, f"quá {n} buổi trong ngày", f"more than {n} sessions in a day"))
    return out


def _label(priority: Any) -> str:
    label = getattr(priority, "label", None)
    if label:
        return str(label)
    try:
        from radiocli.schedule.model import Priority

        return Priority(int(priority)).label
    except (ValueError, TypeError):
        return str(priority)


def lit(value: Any) -> str:
    """A SQL literal (DDL statements cannot take prepared parameters)."""
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def open_engine(store_dir: Path, registry: Registry, threads: int | None = None) -> Engine:
    return Engine(Store(store_dir), registry, threads)
