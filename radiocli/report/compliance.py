"""Compliance: the plan for the period against what the logs say aired, occurrence by
occurrence, and the policy in force checked on what aired.

An occurrence is **aired** when at least 90 % of its planned seconds aired. Otherwise
it is failed (a ``failed`` line), missed (a ``missed`` line and nothing aired),
preempted (cut by another program and not resumed), partial (some of it aired),
offline (no line at all from the station around its time) or missed (the station was
on but logged nothing for it); the reason comes from the log, or says which log is
missing. docs/reports.md states the same rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from radiocli import i18n
from radiocli.report.connection import NOTHING, Engine
from radiocli.report.model import (
    CODE, DATETIME, INT, NUM, PERCENT, TEXT, Column, Report, Table, check_period,
)
from radiocli.report.mapping import map_points
from radiocli.report.numbers import fmt_int, fmt_num
from radiocli.report.units import Row
from radiocli.report.words import (
    PROBLEMS, H, log_text, period, priority_text, reason_text, status_text,
)
from radiocli.schedule.model import Chime, Recording, Schedule

AIRED_SHARE = 0.9  # an occurrence is aired when this share of its planned seconds aired


# --- the plan, as a table, cached by everything it depends on ---------------------------


def plan_key(schedule: Schedule, start: date, end: date, codes: list[str],
             durations: Mapping[str, float] | None) -> str:
    """A digest of everything the plan depends on: the radiocli version, the period and
    stations, every schedule file's content, every audio file a program plays (content)
    and the rendered program lengths."""
    from radiocli import __version__
    from radiocli.schedule.audiofiles import chime_path, resolve_audio

    digest = hashlib.sha256(f"radiocli {__version__}\n{start}\n{end}\n".encode())
    digest.update(",".join(sorted(codes)).encode() + b"\n")
    root = Path(schedule.root)
    for path in sorted(Path(p) for p in schedule.files):
        try:
            name = str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            name = str(path)
        digest.update(f"file {name}\n".encode())
        digest.update(_file_digest(path))
    audio: set[str] = set()
    for program in schedule.programs.values():
        for segment in program.segments:
            if isinstance(segment, Recording):
                try:
                    audio.add(str(resolve_audio(schedule.audio_dir, segment.path)))
                except ValueError as exc:
                    audio.add(f"unusable {segment.path}: {exc}")
            elif isinstance(segment, Chime):
                found = chime_path(schedule.audio_dir, segment.name)
                audio.add(str(found) if found else f"no chime {segment.name}")
    for name in sorted(audio):
        digest.update(f"audio {name}\n".encode())
        if not name.startswith(("unusable ", "no chime ")):
            digest.update(_file_digest(Path(name)))
    for program_id, seconds in sorted((durations or {}).items()):
        digest.update(f"rendered {program_id} {seconds:.3f}\n".encode())
    return digest.hexdigest()[:40]


def _file_digest(path: Path) -> bytes:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        h.update(f"unreadable: {exc.strerror}".encode())
    return h.digest()


def load_plan(engine: Engine, schedule: Schedule, start: date, end: date, codes: list[str],
              durations: Mapping[str, float] | None = None,
              cache_dir: Path | None = None) -> None:
    """The ``planned`` table: every occurrence planned at these stations in the period,
    read from ``cache_dir`` when the same plan was made before."""
    from radiocli import TZ
    from radiocli.plan import plan

    con = engine.con
    cache = cache_dir / f"{plan_key(schedule, start, end, codes, durations)}.parquet" \
        if cache_dir is not None else None
    if cache is not None and cache.is_file():
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE planned AS SELECT * FROM read_parquet(?)",
                        [str(cache)])
            return
        except Exception:  # noqa: BLE001 - a damaged cache file is remade below
            cache.unlink(missing_ok=True)
    t0 = datetime.combine(start, time(0), TZ)
    t1 = datetime.combine(end + timedelta(days=1), time(0), TZ)
    _plan_table(con, plan(schedule, t0, t1, stations=codes, durations=durations))
    if cache is None:
        return
    from radiocli import fileio

    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_atomic(cache, lambda tmp: con.execute(
            "COPY planned TO ? (FORMAT parquet)", [str(tmp)]), mode=0o644, sync=fileio.Sync.NONE)
    except Exception:  # noqa: BLE001 - OSError or duckdb's errors: the cache only saves time
        pass


def _plan_table(con: Any, occurrences: list[Any]) -> None:
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


# --- planned against aired --------------------------------------------------------------


def outcomes(engine: Engine, cond: str, params: list[Any]) -> None:
    """The ``result`` table: one row per planned occurrence (and per unplanned airing)
    with its status code, from ``planned``, ``day_state`` (Engine.day_states) and the
    logs within ``cond``."""
    con = engine.con
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE aired AS
        SELECT station, occurrence, any_value(program) AS program, any_value(priority) AS priority,
               min(minute) AS first_minute, max(minute) AS last_minute,
               sum(seconds) AS seconds, min(day) AS day
        FROM minutes WHERE {cond} GROUP BY station, occurrence
        """,
        params,
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ev AS
        SELECT station, occurrence, any_value(program) AS program,
               any_value(priority) AS priority, min(coalesce(scheduled, "at")) AS first_at,
               count(*) FILTER (WHERE event = 'start') AS starts,
               count(*) FILTER (WHERE event = 'preempted') AS preempted,
               count(*) FILTER (WHERE event = 'resumed') AS resumed,
               count(*) FILTER (WHERE event = 'missed') AS missed,
               count(*) FILTER (WHERE event = 'failed') AS failed,
               string_agg(DISTINCT nullif(reason, ''), '; ' ORDER BY nullif(reason, ''))
                 AS reasons
        FROM events WHERE {cond} AND occurrence <> '' GROUP BY station, occurrence
        """,
        params,
    )
    # a planned occurrence is "offline" when its station wrote no line at all around its
    # time (minute lines count as the span of their occurrence; the bookkeeping `sealed`
    # line, written at midnight whatever happened, does not count)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE activity AS
        SELECT station, day, first_minute AS t0, last_minute + INTERVAL 1 MINUTE AS t1
        FROM aired
        UNION ALL SELECT station, day, "at", "at" FROM events
        WHERE {cond} AND event <> 'sealed'
        """,
        params,
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
               p.planned_seconds, coalesce(a.seconds, 0) AS aired_seconds, p.plan_status,
               CASE
                 WHEN coalesce(e.failed, 0) > 0 THEN 'failed'
                 WHEN coalesce(e.missed, 0) > 0 AND coalesce(a.seconds, 0) = 0 THEN 'missed'
                 WHEN coalesce(a.seconds, 0) > 0
                      AND a.seconds >= ? * p.planned_seconds THEN 'aired'
                 WHEN coalesce(e.preempted, 0) > coalesce(e.resumed, 0) THEN 'preempted'
                 WHEN coalesce(a.seconds, 0) > 0 OR coalesce(e.starts, 0) > 0 THEN 'partial'
                 WHEN o.station IS NULL THEN 'offline'
                 ELSE 'missed'
               END AS status,
               coalesce(e.reasons, '') AS reason,
               coalesce(d.state, 'no-log') AS day_state
        FROM planned p
        LEFT JOIN aired a ON a.station = p.station AND a.occurrence = p.occurrence
        LEFT JOIN ev e ON e.station = p.station AND e.occurrence = p.occurrence
        LEFT JOIN online o ON o.station = p.station AND o.occurrence = p.occurrence
        LEFT JOIN day_state d ON d.station = p.station
                             AND d.day = CAST(p.scheduled AS DATE)
        UNION ALL
        SELECT a.station, a.occurrence, a.program, coalesce(e.first_at, a.first_minute),
               a.priority, 0, a.seconds, '', 'unplanned', coalesce(e.reasons, ''), ''
        FROM aired a LEFT JOIN ev e ON e.station = a.station AND e.occurrence = a.occurrence
        WHERE NOT EXISTS (SELECT 1 FROM planned p WHERE p.station = a.station
                          AND p.occurrence = a.occurrence)
        UNION ALL
        SELECT e.station, e.occurrence, e.program, e.first_at, e.priority, 0, 0, '',
               CASE WHEN e.failed > 0 THEN 'failed' WHEN e.missed > 0 THEN 'missed'
                    ELSE 'unplanned' END, coalesce(e.reasons, ''), ''
        FROM ev e
        WHERE NOT EXISTS (SELECT 1 FROM planned p WHERE p.station = e.station
                          AND p.occurrence = e.occurrence)
          AND NOT EXISTS (SELECT 1 FROM aired a WHERE a.station = e.station
                          AND a.occurrence = e.occurrence)
        """,
        [AIRED_SHARE],
    )


def _reason(code: str, reason: str, day_state: str, planned_s: float, aired_s: float,
            lang: str) -> str:
    """The log's reason, or what the report knows when the log says nothing."""
    if code == "offline":
        if day_state == "empty":
            return H(lang, "cả ngày không có dòng nhật ký nào (nhật ký trống)",
                     "no line all day (the day's log is empty)")
        if day_state in ("no-log", "unsealed"):
            return H(lang, f"không có dòng nhật ký nào; nhật ký ngày: {log_text(day_state, lang)}",
                     f"no log line; the day's log: {log_text(day_state, lang)}")
        reason = reason_text(reason, lang)
        return reason or H(lang, "không có dòng nhật ký nào của đài quanh giờ phát",
                           "no line from the station around this time")
    if code == "missed" and not reason:
        return H(lang, "đài hoạt động nhưng không có dòng nào của buổi phát này",
                 "the station was on but logged nothing for this occurrence")
    reason = reason_text(reason, lang)
    if code in ("partial", "preempted"):
        share = H(lang, f"phát {fmt_num(round(aired_s / 60, 1), lang)} trên "
                  f"{fmt_num(round(planned_s / 60, 1), lang)} phút",
                  f"aired {fmt_num(round(aired_s / 60, 1), lang)} of "
                  f"{fmt_num(round(planned_s / 60, 1), lang)} minutes")
        return f"{share}; {reason}" if reason else share
    return reason


def scope_plan(engine: Engine) -> None:
    """Keep in ``planned`` only the occurrences of the engine's scope: a code is in scope
    on the days its unit is (a district's ward until the district ceased, a reused code
    under one of its units), by the day each was scheduled."""
    cond, params = engine.condition()
    engine.con.execute(
        "CREATE OR REPLACE TEMP TABLE planned AS SELECT * EXCLUDE (day) FROM "
        f"(SELECT *, CAST(scheduled AS DATE) AS day FROM planned) WHERE {cond}", params)


def compliance(engine: Engine, schedule: Schedule, start: date, end: date, lang: str = "vi",
               district: str | None = None, station: str | None = None,
               durations: Mapping[str, float] | None = None,
               plan_cache: Path | None = None, on: date | None = None) -> Report:
    """Planned (radiocli.plan over the period, with the rendered program lengths the
    playout used) versus aired, per occurrence, and the policy checked on what aired.
    Each occurrence counts for the unit that held its station's code that day, or with
    ``on`` for the unit of ``on`` that carries its history (radiocli.report.units)."""
    from radiocli import TZ
    from radiocli.report.policy_check import aired_violations

    check_period(start, end)
    frame = engine.frame(start, end, on, district, station)
    codes = frame.listed_codes()
    cond, params = engine.condition()
    load_plan(engine, schedule, start, end, codes, durations, plan_cache)
    scope_plan(engine)
    engine.day_table(frame)
    per_source, _per_day, _unknown = engine.tallies(frame)
    outcomes(engine, cond, params)
    titles = {pid: p.title or pid for pid, p in schedule.programs.items()}

    rank = {code: i for i, code in enumerate(PROBLEMS)}
    rows: list[dict[str, Any]] = []
    for (st, occ, program, scheduled, priority, planned_s, aired_s, _plan_status, code,
         reason, day_state) in engine.con.execute(
            "SELECT station, occurrence, program, scheduled, priority, planned_seconds, "
            "aired_seconds, plan_status, status, reason, day_state FROM result").fetchall():
        source = frame.source_of(st, scheduled.date()) if scheduled else None
        if source is None:  # an unplanned airing with no time: its first day in scope
            source = next((frame.source_of(st, d) for d in _days(start, end)
                           if frame.source_of(st, d) is not None), None)
        if source is None:
            continue
        unit = frame.rows[source.row].station
        rows.append({
            "district": unit.district,
            "station": st,
            "station_name": source.station.name,
            "_row": source.row,
            "occurrence": occ,
            "program": program,
            "program_title": titles.get(program, program),
            "scheduled": scheduled.replace(tzinfo=TZ) if scheduled else None,
            "priority": priority_text(priority, lang),
            "planned_minutes": round(planned_s / 60, 1),
            "aired_minutes": round(aired_s / 60, 1),
            "status": status_text(code, lang),
            "code": code,
            "reason": _reason(code, reason, day_state, planned_s, aired_s, lang),
        })
        if on is not None:
            rows[-1]["unit"] = f"{unit.name} ({unit.code})"
    never = datetime.max.replace(tzinfo=TZ)
    rows.sort(key=lambda r: (0 if r["code"] in PROBLEMS[:-1] else 1 if r["code"] == "unplanned"
                             else 2, r["district"], r["station"], r["scheduled"] or never,
                             rank.get(r["code"], 9), r["occurrence"]))
    problems = [r for r in rows if r["code"] != "aired"]
    normal = [r for r in rows if r["code"] == "aired"]
    for i, row in enumerate(problems, start=1):
        row["stt"] = i
    for i, row in enumerate(normal, start=1):
        row["stt"] = i

    counts: dict[str, int] = {}
    per_row: dict[int, dict[str, int]] = {}
    for row in rows:
        counts[row["code"]] = counts.get(row["code"], 0) + 1
        tally = per_row.setdefault(row.pop("_row"), {})
        tally[row["code"]] = tally.get(row["code"], 0) + 1
    planned_n = sum(v for k, v in counts.items() if k != "unplanned")
    aired_n = counts.get("aired", 0)
    incomplete: dict[int, int] = {}
    for source in frame.sources:
        t = per_source.get(source.id, NOTHING)
        if source.in_force or t.logged:
            incomplete[source.row] = incomplete.get(source.row, 0) + (
                source.in_force + t.stray - t.complete)
    with i18n.using(lang):  # the policy's messages, in the report's language
        violations = aired_violations(engine, schedule, cond, params, lang)
    totals = {
        "planned": planned_n,
        "aired": aired_n,
        "counts": {k: v for k, v in sorted(counts.items())},
        "violation_count": len(violations),
        "compliance": round(100 * aired_n / planned_n, 1) if planned_n else 0.0,  # percent
        "incomplete_days": sum(incomplete.values()),
    }
    if on is not None:
        totals["as_of"] = on.isoformat()
    station_rows: list[dict[str, Any]] = []
    shown_units: list[Row] = []
    for unit_row in frame.rows:
        if unit_row.id not in per_row and not unit_row.listed:
            continue
        tally = per_row.get(unit_row.id, {})
        info = unit_row.station
        planned = sum(v for k, v in tally.items() if k != "unplanned")
        station_rows.append({
            "district_name": info.district_name,
            "station": info.code,
            "station_name": info.name,
            "span": frame.span_text(frame.sources[unit_row.sources[0]], lang)
            if on is None and unit_row.sources else "",
            "planned": planned,
            "aired": tally.get("aired", 0),
            **{k: tally.get(k, 0) for k in PROBLEMS},
            "compliance": round(100 * tally.get("aired", 0) / planned, 1) if planned else None,
            "incomplete_days": incomplete.get(unit_row.id, 0),
        })
        shown_units.append(unit_row)
    order = sorted(range(len(station_rows)), key=lambda i: (
        station_rows[i]["compliance"] if station_rows[i]["compliance"] is not None else 101,
        station_rows[i]["station"], i))
    station_rows = [station_rows[i] for i in order]
    shown_units = [shown_units[i] for i in order]
    for i, row in enumerate(station_rows, start=1):
        row["stt"] = i

    occurrence_columns = [
        Column("stt", H(lang, "STT", "No."), INT),
        Column("station", H(lang, "Mã đài", "Station"), CODE, brief=False),
        Column("station_name", H(lang, "Tên đài", "Station name"), TEXT),
    ]
    if on is not None:
        occurrence_columns.append(Column("unit", H(lang, f"Đơn vị ngày {on:%d/%m/%Y}",
                                                   f"Unit of {on}"), TEXT, brief=False))
    occurrence_columns += [
        Column("occurrence", H(lang, "Buổi phát (mã)", "Occurrence"), TEXT, brief=False),
        Column("program_title", H(lang, "Chương trình", "Program"), TEXT),
        Column("scheduled", H(lang, "Giờ theo kế hoạch", "Scheduled"), DATETIME),
        Column("priority", H(lang, "Mức ưu tiên", "Priority"), TEXT, brief=False),
        Column("planned_minutes", H(lang, "Phút kế hoạch", "Planned minutes"), NUM),
        Column("aired_minutes", H(lang, "Phút đã phát", "Aired minutes"), NUM),
        Column("status", H(lang, "Kết quả", "Status"), TEXT),
        Column("reason", H(lang, "Lý do", "Reason"), TEXT),
    ]
    station_columns = [Column("stt", H(lang, "STT", "No."), INT)]
    if frame.has_districts:
        station_columns.append(Column("district_name", H(lang, "Quận/huyện", "District"), TEXT,
                                      brief=False))
    station_columns += [
        Column("station", H(lang, "Mã đài", "Station"), CODE, brief=False),
        Column("station_name", H(lang, "Tên đài", "Station name"), TEXT),
    ]
    if any(r["span"] for r in station_rows):
        station_columns.append(Column("span", H(lang, "Thời gian", "Days"), TEXT))
    station_columns += [
        Column("planned", H(lang, "Kế hoạch", "Planned"), INT),
        Column("aired", status_text("aired", lang).capitalize(), INT),
        *[Column(k, status_text(k, lang).capitalize(), INT,
                 brief=k in ("missed", "offline", "failed")) for k in PROBLEMS],
        Column("compliance", H(lang, "Tỷ lệ đã phát (%)", "Aired (%)"), PERCENT),
        Column("incomplete_days", H(lang, "Ngày thiếu nhật ký", "Days incomplete"), INT,
               brief=False),
    ]
    sum_keys = ("planned", "aired", *PROBLEMS, "incomplete_days")
    tables = [
        Table("problems", H(lang, "Cần chú ý", "Problems"), occurrence_columns, problems,
              group="station"),
        Table("stations", H(lang, "Theo đài", "By station"), station_columns, station_rows,
              {"station_name": H(lang, "Tổng cộng", "Total"),
               **{k: sum(r[k] for r in station_rows) for k in sum_keys},
               "compliance": totals["compliance"]}),
        Table("aired", H(lang, "Đã phát đủ", "Aired in full"), occurrence_columns, normal,
              document=False),
    ]
    if station:
        label = ", ".join(dict.fromkeys(row.station.name for row in frame.rows)) or station
        where = f" {label} ({station})"
    elif district:
        name = engine.registry.districts[district].name
        where = H(lang, f" trên địa bàn {name}", f" in {name}")
    else:
        where = H(lang, " trên địa bàn thành phố", "")
    as_of = H(lang, f", quy về các đơn vị ngày {on:%d/%m/%Y}",
              f", as of the units of {on}") if on else ""
    status_chart = [(status_text(k, lang), float(v)) for k, v in sorted(counts.items())]
    share = round(100 * aired_n / planned_n, 1) if planned_n else 0.0
    report = Report(
        "compliance", start, end, lang, tables, totals,
        headline=H(lang,
                   f"Đã phát {fmt_int(aired_n)} trên {fmt_int(planned_n)} buổi theo "
                   f"kế hoạch ({fmt_num(share)}%); {len(violations)} vi phạm "
                   "quy định.",
                   f"Aired {aired_n:,} of {planned_n:,} planned sessions "
                   f"({share}%); {len(violations)} policy violation(s)."),
        title=H(lang, f"Đối chiếu kế hoạch và thực hiện{where} từ {start:%d/%m/%Y} đến "
                f"{end:%d/%m/%Y}{as_of}", f"Compliance{where}, {start} to {end}{as_of}"),
        subject=H(lang, f"Kết quả thực hiện kế hoạch phát thanh{where} "
                  f"{period(start, end, lang)}",
                  f"Planned against aired broadcasts{where} {period(start, end, lang)}"),
        notes=engine.left_out(frame, lang, per_source),
        charts={"status": status_chart},
        extra={"violations": violations},
    )
    report.main_keys = ("problems", "aired")
    report.figures = [
        (H(lang, "Buổi phát theo kế hoạch", "Planned occurrences"), planned_n, INT),
        *[(status_text(k, lang).capitalize(), counts.get(k, 0), INT)
          for k in ("aired", *PROBLEMS) if counts.get(k, 0) or k == "aired"],
        (H(lang, "Tỷ lệ đã phát", "Aired"), totals["compliance"], PERCENT),
        (H(lang, "Vi phạm quy định", "Policy violations"), len(violations), INT),
        (H(lang, "Số ngày thiếu nhật ký (đài x ngày)", "Station-days without a complete log"),
         totals["incomplete_days"], INT),
    ]
    report.extra["scope"] = {"district": district or "", "station": station or "",
                             "as_of": on.isoformat() if on else ""}
    map_points(report, [
        (unit_row.station, r["compliance"],
         H(lang, f"{fmt_num(r['compliance'] or 0)}% ({r['aired']}/{r['planned']} buổi)",
           f"{r['compliance'] or 0}% ({r['aired']}/{r['planned']})"))
        for unit_row, r in zip(shown_units, station_rows, strict=True)],
        "compliance",
        H(lang, "Các đài truyền thanh cấp xã, màu theo tỷ lệ buổi phát theo kế hoạch "
          f"đã phát đủ {period(start, end, lang)}",
          f"Commune stations coloured by the share of planned occurrences aired in "
          f"full {period(start, end, lang)}"),
        list(engine.registry.as_of(on or start).values()))
    return report


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=k) for k in range((end - start).days + 1)]
