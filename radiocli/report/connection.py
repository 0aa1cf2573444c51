"""The DuckDB connection every report runs on: ``minutes`` and ``events`` over the
store's Parquet copy, ``stations`` from the registry, and what the store set aside.

Values reach SQL only as prepared parameters. The two views cannot take parameters
(DuckDB refuses them in CREATE VIEW), so the Parquet globs go in through ``SET VARIABLE
... = ?`` and the views read them with ``getvariable``: no value is ever spliced into
SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from radiocli.aslog.collect import Store, empty_tables
from radiocli.errors import RadioError
from radiocli.i18n import _
from radiocli.report.words import H
from radiocli.schedule.registry import Registry, Station

_VIEW = ("CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet("
         "getvariable('{name}_glob'), hive_partitioning = true, "
         "hive_types = {{'district': VARCHAR}})")


class Engine:
    """A DuckDB connection with ``minutes``, ``events`` and ``stations``."""

    def __init__(self, store: Store, registry: Registry, threads: int | None = None) -> None:
        import duckdb

        self.store = store
        self.registry = registry
        self.con: Any = duckdb.connect()
        if threads:
            self.con.execute("SET threads = ?", [int(threads)])
        globs = {"minutes": store.minutes_glob, "events": store.events_glob}
        present = {name: any(Path(store.root).glob(f"{name}/*/*.parquet")) for name in globs}
        empty_tables(self.con, minutes=not present["minutes"], events=not present["events"])
        for name, glob in globs.items():
            if present[name]:
                self.con.execute(f"SET VARIABLE {name}_glob = ?", [glob])
                self.con.execute(_VIEW.format(name=name))
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
    """Files the store kept apart (broken chains, conflicting copies, unknown stations)
    for the period. The only place that reads the store's catalog."""
    catalog = getattr(store, "catalog", None)
    if not isinstance(catalog, dict):
        return []
    wanted = set(codes)

    def within(entry: Any) -> bool:
        return isinstance(entry, dict) and str(start) <= str(entry.get("date", "")) <= str(end)

    def entries(key: str) -> list[dict[str, Any]]:
        found = catalog.get(key) or []
        values = found.values() if isinstance(found, dict) else found
        return [e for e in values if within(e)]

    notes: list[str] = []
    rejected = [e for e in entries("rejected") if e.get("station") in wanted]
    if rejected:
        notes.append(H(lang,
                       f"{len(rejected)} tệp nhật ký bị loại vì chuỗi kiểm tra bị phá "
                       "(sửa, xóa, chèn hoặc đảo dòng): ",
                       f"{len(rejected)} log file(s) left out because their chain is broken "
                       "(edited, removed, inserted or reordered lines): ")
                     + _first(f"{e['station']} {e['date']}" for e in rejected))
    conflicts = [e for e in entries("conflicts") if e.get("station") in wanted]
    if conflicts:
        notes.append(H(lang,
                       f"{len(conflicts)} bản sao khác nhau của cùng một ngày được để riêng; "
                       "bản thu thập trước được tính: ",
                       f"{len(conflicts)} different copies of an already collected day set "
                       "aside; the first copy counts: ")
                     + _first(f"{e['station']} {e['date']}" for e in conflicts))
    unknown = sorted({str(e.get("station")) for e in entries("unknown")})
    if unknown:
        notes.append(H(lang,
                       f"Nhật ký của {len(unknown)} đài không có trong danh mục không được tính: ",
                       f"Logs of {len(unknown)} station(s) not in the registry are not counted: ")
                     + _first(unknown))
    return notes


def open_engine(store_dir: Path, registry: Registry, threads: int | None = None) -> Engine:
    return Engine(Store(store_dir), registry, threads)
