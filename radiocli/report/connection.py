"""The DuckDB connection every report runs on: ``minutes`` and ``events`` over the
store's Parquet copy, ``stations`` from the registry, and what the store set aside.

Values reach SQL only as prepared parameters; the store makes the two views from the
part files of its published generation (DuckDB's relation API, no SQL text).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from radiocli.aslog.collect import Store
from radiocli.errors import RadioError
from radiocli.i18n import _
from radiocli.report.words import H
from radiocli.schedule.registry import Registry, Station

class Engine:
    """A DuckDB connection with ``minutes``, ``events`` and ``stations``."""

    def __init__(self, store: Store, registry: Registry, threads: int | None = None) -> None:
        import duckdb

        self.store = store
        self.registry = registry
        self.con: Any = duckdb.connect()
        if threads:
            self.con.execute("SET threads = ?", [int(threads)])
        store.views(self.con)  # minutes and events over the published generation
        known = [s for _code, s in sorted(registry.ever().items())]
        load_table(self.con, "stations", {
            name: [getattr(s, name) for s in known]
            for name in ("code", "name", "kind", "district", "district_name", "district_kind")})

    # --- scope ---------------------------------------------------------------------------

    def scope(self, start: date, end: date, district: str | None = None,
              station: str | None = None) -> tuple[str, list[Any]]:
        """A condition on a table with ``station`` and ``day`` columns, and its
        parameters (in order)."""
        cond = ["day BETWEEN ? AND ?"]
        params: list[Any] = [start, end]
        if district:
            cond.append("station IN (SELECT code FROM stations WHERE district = ?)")
            params.append(district)
        if station:
            cond.append("station = ?")
            params.append(station)
        return " AND ".join(cond), params

    def check_scope(self, district: str | None, station: str | None) -> None:
        if station and station not in self.registry.ever():
            raise RadioError(_("unknown station code {code} (see radiocli stations list)").format(
                code=station))
        if district and district not in self.registry.districts:
            raise RadioError(_("unknown district code {code} (see radiocli stations list)").format(
                code=district))

    def stations_in(self, start: date, end: date, district: str | None = None,
                    station: str | None = None) -> dict[str, Station]:
        """The stations in scope that existed on some day of the period (as they were
        named at its start), sorted by district and code."""
        self.check_scope(district, station)
        days = [start] + [c.day for c in self.registry.changes if start < c.day <= end]
        found: dict[str, Station] = {}
        for day in days:
            for code, st in self.registry.as_of(day).items():
                found.setdefault(code, st)
        if station:
            st = found.get(station) or self.registry.ever()[station]
            return {station: st}
        chosen = [s for s in found.values() if not district or s.district == district]
        return {s.code: s for s in sorted(chosen, key=lambda s: (s.district, s.code))}

    # --- the state of each station's log, day by day -------------------------------------

    def day_states(self, start: date, end: date, codes: Iterable[str]) -> dict[tuple[str, date],
                                                                              str]:
        """(station, day) -> ok | empty | unsealed | no-log, from the collected lines:
        a day is complete only when its ``sealed`` line was collected. Also left in the
        ``day_state`` table (days without any line are absent: no-log)."""
        load_table(self.con, "wanted_codes", {"code": list(codes)})
        self.con.execute(
            """
            CREATE OR REPLACE TEMP TABLE day_state AS
            WITH e AS (
              SELECT station, day, count(*) FILTER (WHERE event = 'sealed') AS seals,
                     max(lines) FILTER (WHERE event = 'sealed') AS sealed_lines,
                     count(*) AS lines
              FROM events WHERE day BETWEEN ? AND ?
                AND station IN (SELECT code FROM wanted_codes) GROUP BY station, day),
            m AS (
              SELECT station, day, count(*) AS lines FROM minutes WHERE day BETWEEN ? AND ?
                AND station IN (SELECT code FROM wanted_codes) GROUP BY station, day)
            SELECT coalesce(e.station, m.station) AS station, coalesce(e.day, m.day) AS day,
                   CASE WHEN coalesce(e.seals, 0) = 0 THEN 'unsealed'
                        WHEN coalesce(e.sealed_lines, 0) > 0
                          OR coalesce(e.lines, 0) + coalesce(m.lines, 0) > e.seals THEN 'ok'
                        ELSE 'empty' END AS state
            FROM e FULL OUTER JOIN m ON e.station = m.station AND e.day = m.day
            """,
            [start, end, start, end],
        )
        rows = self.con.execute("SELECT station, day, state FROM day_state").fetchall()
        return {(station, day): state for station, day, state in rows}

    # --- what was left out ---------------------------------------------------------------

    def left_out(self, start: date, end: date, codes: list[str], lang: str,
                 states: dict[tuple[str, date], str] | None = None) -> list[str]:
        """What the report could not count for the period, in sentences."""
        notes = set_aside(self.store, start, end, codes, lang)
        if states is None:
            states = self.day_states(start, end, codes)
        unsealed = sorted((st, d) for (st, d), s in states.items() if s == "unsealed")
        if unsealed:
            notes.append(H(lang,
                           f"{len(unsealed)} ngày nhật ký không có dòng niêm phong (có thể bị "
                           "cắt cụt; chưa đủ): ",
                           f"{len(unsealed)} day log(s) lack their sealed line (possibly "
                           "truncated; incomplete): ")
                         + _first(f"{st} {d}" for st, d in unsealed))
        have = {st for st, _d in states}
        days = (end - start).days + 1
        missing = sum(1 for code in codes for k in range(days)
                      if (code, start + timedelta(days=k)) not in states)
        silent = [c for c in codes if c not in have]
        if silent:
            notes.append(H(lang,
                           f"{len(silent)} đài không có nhật ký nào trong kỳ: ",
                           f"{len(silent)} station(s) sent no log for the period: ")
                         + _first(silent, 15))
        partly = missing - len(silent) * days
        if partly > 0:
            notes.append(H(lang,
                           f"{partly} ngày không có nhật ký ở các đài còn lại (chưa đủ).",
                           f"{partly} station-day(s) without any log at the other stations "
                           "(incomplete)."))
        return notes


def load_table(con: Any, name: str, columns: dict[str, list[Any]]) -> None:
    """A temporary table of text columns from Python lists, in one step (the lists
    cross as NumPy arrays; row-by-row inserts take seconds for tens of thousands)."""
    import numpy as np

    con.register("_rows", {k: np.array(v, dtype=object) for k, v in columns.items()})
    try:
        select = ", ".join(f"CAST({k} AS VARCHAR) AS {k}" for k in columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select} FROM _rows")
    finally:
        con.unregister("_rows")


def _first(items: Iterable[str], n: int = 10) -> str:
    items = list(items)
    return ", ".join(items[:n]) + ("…" if len(items) > n else "")


def set_aside(store: Store, start: date, end: date, codes: list[str], lang: str) -> list[str]:
    """Copies the store kept apart for the period (broken chains, unreadable files,
    minutes written twice, conflicting copies, unknown stations), in sentences."""
    wanted = set(codes)
    aside = store.set_aside(start, end)

    def of(*kinds: str) -> list[dict[str, Any]]:
        return [e for e in aside if e["kind"] in kinds and e.get("station") in wanted]

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
