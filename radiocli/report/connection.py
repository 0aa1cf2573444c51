"""The DuckDB connection every report runs on: ``minutes`` and ``events`` over the
store's Parquet copy, ``units`` (which unit each line counts for: a code *and* a day, see
:mod:`radiocli.report.units`), and what the store set aside.

Values reach SQL only as prepared parameters; the store makes the two views from the
part files of its published generation (DuckDB's relation API, no SQL text).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from radiocli.aslog.store import Store
from radiocli.report.numbers import fmt_num
from radiocli.report.units import Frame
from radiocli.report.words import H
from radiocli.schedule.registry import Registry

class Engine:
    """A DuckDB connection with ``minutes`` and ``events``, and the ``units`` of the
    report being made (:meth:`frame`)."""

    def __init__(self, store: Store, registry: Registry, threads: int | None = None) -> None:
        import duckdb

        self.store = store
        self.registry = registry
        self.con: Any = duckdb.connect()
        if threads:
            self.con.execute("SET threads = ?", [int(threads)])
        store.views(self.con)  # minutes and events over the published generation
        self.units: Frame | None = None
        self._cond: tuple[str, list[Any]] = ("", [])  # the scope of self.units, as a condition on station and day

    # --- scope ---------------------------------------------------------------------------

    def frame(self, start: date, end: date, on: date | None = None,
              district: str | None = None, station: str | None = None) -> Frame:
        """The units of a report (:class:`radiocli.report.units.Frame`), made the engine's
        scope: the ``units`` table (``code``, ``since``, ``until``, ``source``, ``row``,
        ``in_force``: a line under ``code`` on a day within ``since``..``until`` counts for
        ``source``) and :meth:`condition`."""
        frame = Frame(self.registry, start, end, on, district, station)
        spans = frame.spans
        rows = [frame.sources[source].row for _c, _f, _l, source, _i in spans]
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE units AS SELECT unnest(?::VARCHAR[]) AS code, "
            "unnest(?::DATE[]) AS since, unnest(?::DATE[]) AS until, "
            "unnest(?::INTEGER[]) AS source, unnest(?::INTEGER[]) AS row, "
            "unnest(?::BOOLEAN[]) AS in_force",
            [[s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans],
             [s[3] for s in spans], rows, [s[4] for s in spans]])
        # codes whose every day of the period is in scope are matched by code alone (a
        # hash lookup); the others (a district that ceased, a reused code) day by day
        days: dict[str, int] = {}
        for code, first, last, _source, _in_force in spans:
            days[code] = days.get(code, 0) + (last - first).days + 1
        whole = sorted(code for code, n in days.items() if n >= frame.days)
        part = [(code, first, last) for code, first, last, _s, _i in spans
                if days[code] < frame.days]
        self.con.execute("CREATE OR REPLACE TEMP TABLE scope_codes AS "
                         "SELECT unnest(?::VARCHAR[]) AS code", [whole])
        cond = "day BETWEEN ? AND ? AND (station IN (SELECT code FROM scope_codes)"
        if part:
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE scope_days AS SELECT code AS station, "
                "CAST(unnest(generate_series(since, until, INTERVAL 1 DAY)) AS DATE) AS day "
                "FROM (SELECT unnest(?::VARCHAR[]) AS code, unnest(?::DATE[]) AS since, "
                "unnest(?::DATE[]) AS until)",
                [[p[0] for p in part], [p[1] for p in part], [p[2] for p in part]])
            cond += " OR (station, day) IN (SELECT station, day FROM scope_days)"
        self._cond = (cond + ")", [start, end])
        self.units = frame
        return frame

    def condition(self) -> tuple[str, list[Any]]:
        """A condition on a table with ``station`` and ``day`` columns that keeps the
        lines of the current frame's scope, and its parameters (in order)."""
        if self.units is None:
            raise RuntimeError("no frame: call Engine.frame first")
        cond, params = self._cond
        return cond, list(params)

    def scope(self, start: date, end: date, district: str | None = None,
              station: str | None = None, on: date | None = None) -> tuple[str, list[Any]]:
        """The frame of these arguments made the scope (see :meth:`frame`), as a condition
        on a table with ``station`` and ``day`` columns, and its parameters (in order)."""
        units = self.units
        if units is None or (units.start, units.end, units.on, units.district,
                             units.station) != (start, end, on, district, station):
            self.frame(start, end, on, district, station)
        return self.condition()

    # --- the state of each station's log, day by day -------------------------------------

    def day_states(self, frame: Frame | None = None) -> dict[tuple[str, date], str]:
        """(station, day) -> ok | empty | unsealed, from the collected lines of the
        frame's scope: a day is complete only when its ``sealed`` line was collected
        (days without any line are absent: no-log). Also left in the ``day_state`` table,
        with each day's sessions and seconds and the source it counts for."""
        self.day_table(frame)
        rows = self.con.execute("SELECT station, day, state FROM day_state").fetchall()
        return {(station, day): state for station, day, state in rows}

    def day_table(self, frame: Frame | None = None) -> None:
        """The ``day_state`` table: station, day, state, sessions, seconds, source and
        in_force (the source's unit was in force that day) for every station-day of the
        frame's scope with a line, from the store's ``days`` (its lines added up per
        station and day). A frame of the whole city keeps lines under codes the registry
        does not know, with a NULL source, so that a report can say so."""
        if frame is not None and frame is not self.units:
            raise ValueError("day_table: the frame is not the engine's scope")
        frame = self.units
        if frame is None:
            raise RuntimeError("no frame: call Engine.frame first")
        cond, params = self.condition()
        everything = not frame.district and not frame.station and frame.on is None
        if everything:  # unknown codes are counted in order to be reported
            cond, params = "day BETWEEN ? AND ?", [frame.start, frame.end]
        self.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE day_state AS
            WITH t AS (
              SELECT station, day, sum(seals) AS seals, max(sealed_lines) AS sealed_lines,
                     sum(sessions) AS sessions, sum(event_lines + minute_lines) AS lines,
                     sum(seconds) AS seconds
              FROM days WHERE {cond} GROUP BY station, day),
            d AS (
              SELECT station, day,
                     CASE WHEN seals = 0 THEN 'unsealed'
                          WHEN coalesce(sealed_lines, 0) > 0 OR lines > seals THEN 'ok'
                          ELSE 'empty' END AS state,
                     sessions, CAST(seconds AS BIGINT) AS seconds
              FROM t)
            SELECT d.*, u.source, u.row, coalesce(u.in_force, false) AS in_force
            FROM d {"LEFT " if everything else ""}JOIN units u
              ON u.code = d.station AND d.day BETWEEN u.since AND u.until
            """,
            params,
        )

    def tallies(self, frame: Frame) -> tuple[dict[int, Tally], dict[date, Tally],
                                             dict[str, Tally]]:
        """From the ``day_state`` table (:meth:`day_table`): per source and per day,
        sessions, seconds and days with a log; and per code the registry does not know,
        what its lines would have added."""
        figures = ("sum(sessions), sum(seconds), count(*), "
                   "count(*) FILTER (WHERE state IN ('ok', 'empty')), "
                   "count(*) FILTER (WHERE NOT in_force)")
        per_source: dict[int, Tally] = {}
        unknown: dict[str, Tally] = {}
        for source, station, *numbers in self.con.execute(
                f"SELECT source, CASE WHEN source IS NULL THEN station END AS code, {figures} "
                "FROM day_state GROUP BY ALL").fetchall():
            tally = Tally(*(int(n) for n in numbers))
            if source is not None:
                per_source[int(source)] = tally
            else:
                unknown[str(station)] = tally
        per_day = {day: Tally(*(int(n) for n in numbers)) for day, *numbers in self.con.execute(
            f"SELECT day, {figures} FROM day_state WHERE source IS NOT NULL GROUP BY day"
        ).fetchall()}
        return per_source, per_day, unknown

    # --- what was left out ---------------------------------------------------------------

    def left_out(self, frame: Frame, lang: str, per_source: dict[int, Tally] | None = None,
                 unknown: dict[str, Tally] | None = None) -> list[str]:
        """What the report must say about its units (the frame's notes), then what it
        could not count for the period, in sentences."""
        notes = frame.notes(lang)
        notes += set_aside(self.store, frame, lang)
        if per_source is None:
            per_source, _days, unknown = self.tallies(frame)
        unsealed = self.con.execute(
            "SELECT station, day FROM day_state WHERE state = 'unsealed' AND source IS NOT NULL "
            "ORDER BY station, day").fetchall()
        if unsealed:
            notes.append(H(lang,
                           f"{len(unsealed)} ngày nhật ký không có dòng niêm phong (có thể bị "
                           "cắt cụt; chưa đủ): ",
                           f"{len(unsealed)} day log(s) lack their sealed line (possibly "
                           "truncated; incomplete): ")
                         + _first(f"{st} {d}" for st, d in unsealed))
        # per unit (a renamed unit is several sources): its days in force, and how many
        # of them have a log
        units: dict[Any, list[int]] = {}
        for s in frame.sources:
            if s.in_force:
                t = per_source.get(s.id, NOTHING)
                days = units.setdefault(s.key, [0, 0])
                days[0] += s.in_force
                days[1] += t.logged - t.stray
        silent = sorted({key[0] for key, (_days, logged) in units.items() if logged == 0})
        if silent:
            notes.append(H(lang,
                           f"{len(silent)} đài không có nhật ký nào trong kỳ: ",
                           f"{len(silent)} station(s) sent no log for the period: ")
                         + _first(silent, 15))
        partly = sum(days - logged for days, logged in units.values() if logged)
        if partly > 0:
            notes.append(H(lang,
                           f"{partly} ngày không có nhật ký ở các đài còn lại (chưa đủ).",
                           f"{partly} station-day(s) without any log at the other stations "
                           "(incomplete)."))
        if unknown:
            sessions = sum(t.sessions for t in unknown.values())
            minutes = sum(t.seconds for t in unknown.values()) / 60
            notes.append(H(lang,
                           f"Nhật ký của {len(unknown)} mã đài không có trong danh mục đơn vị "
                           f"không được tính ({sessions} buổi, {fmt_num(round(minutes, 1))} "
                           "phút): ",
                           f"Logs under {len(unknown)} code(s) not in the registry are not "
                           f"counted ({sessions} sessions, {fmt_num(round(minutes, 1), 'en')} "
                           "minutes): ") + _first(sorted(unknown)))
        return notes


@dataclass(frozen=True)
class Tally:
    """What the lines of a source (or a day) add up to."""

    sessions: int = 0
    seconds: int = 0
    logged: int = 0  # station-days with a line
    complete: int = 0  # ... with a complete log (sealed)
    stray: int = 0  # ... outside the days its unit was in force (a late writer)


NOTHING = Tally()


def _first(items: Iterable[str], n: int = 10) -> str:
    items = list(items)
    return ", ".join(items[:n]) + ("…" if len(items) > n else "")


def set_aside(store: Store, frame: Frame, lang: str) -> list[str]:
    """Copies the store kept apart for the frame's period and scope (broken chains,
    unreadable files, minutes written twice, conflicting copies, unknown stations), in
    sentences."""
    aside = store.set_aside(frame.start, frame.end)

    def in_scope(entry: dict[str, Any]) -> bool:
        try:
            day = date.fromisoformat(str(entry.get("date")))
        except ValueError:
            return False
        return frame.source_of(str(entry.get("station")), day) is not None

    def of(*kinds: str) -> list[dict[str, Any]]:
        return [e for e in aside if e["kind"] in kinds and in_scope(e)]

    def days(entries: list[dict[str, Any]]) -> str:
        return _first(f"{e['station']} {e['date']}" for e in entries)

    notes: list[str] = []
    rejected = of("rejected")
    if rejected:
        notes.append(H(lang,
                       f"{len(rejected)} tệp nhật ký bị loại vì chuỗi kiểm tra bị phá "
                       "(sửa, xóa, chèn hoặc đảo dòng): ",
                       f"{len(rejected)} log file(s) left out because their chain is broken "
                       "(edited, removed, inserted or reordered lines): ") + days(rejected))
    unreadable = of("quarantined")
    if unreadable:
        notes.append(H(lang,
                       f"{len(unreadable)} tệp nhật ký không đọc được (rỗng hoặc sai định "
                       "dạng) bị để riêng: ",
                       f"{len(unreadable)} log file(s) that cannot be read (empty or not "
                       "as-run lines) set aside: ") + days(unreadable))
    doubled = of("duplicate")
    if doubled:
        notes.append(H(lang,
                       f"{len(doubled)} tệp nhật ký ghi một phút hai lần bị loại: ",
                       f"{len(doubled)} log file(s) that write a minute twice left out: ")
                     + days(doubled))
    conflicts = of("conflict")
    if conflicts:
        notes.append(H(lang,
                       f"{len(conflicts)} bản sao khác nhau của cùng một ngày được để riêng; "
                       "bản thu thập trước được tính: ",
                       f"{len(conflicts)} different copies of an already collected day set "
                       "aside; the first copy counts: ") + days(conflicts))
    unknown = sorted({str(e.get("station")) for e in aside if e["kind"] == "unknown"})
    if unknown:
        notes.append(H(lang,
                       f"Nhật ký của {len(unknown)} đài không có trong danh mục không được tính: ",
                       f"Logs of {len(unknown)} station(s) not in the registry are not counted: ")
                     + _first(unknown))
    return notes


def open_engine(store_dir: Path, registry: Registry, threads: int | None = None) -> Engine:
    return Engine(Store(store_dir), registry, threads)
