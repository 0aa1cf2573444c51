"""The columnar copy of collected logs: Parquet parts, written with DuckDB.

A :class:`Batch` gathers the lines of accepted logs as columns (from the fast reader,
:mod:`radiocli.aslog.scan`); :meth:`Batch.write` turns one month of it into a part:
one Parquet file of minute lines, one of event lines. Codes are strings in the files
(``station``, ``district``), each file carries its own schema, and folders are not
``key=value`` partitions, so every engine reads the same types (docs/store.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from radiocli.aslog.scan import EVENT_NAMES, Scan, unpack
from radiocli.aslog.store import DAYS_SQL

MINUTES_SQL = """
SELECT f.station, DATE '1970-01-01' + f.day AS day,
       DATE '1970-01-01' + f.day + to_minutes(m.minute_of_day::BIGINT) AS minute,
       k.program, k.occurrence, k.segment, k.priority, m.seconds::INTEGER AS seconds,
       f.district
FROM _m m JOIN _f f USING (file) JOIN _k k USING (kind)
ORDER BY m.seq
"""
EVENTS_SQL = """
SELECT f.station, DATE '1970-01-01' + f.day AS day, n.event,
       DATE '1970-01-01' + f.day + to_milliseconds(e.ms::BIGINT) AS "at",
       TRY_CAST(substr(o.scheduled, 1, 19) AS TIMESTAMP) AS scheduled, o.program,
       o.occurrence, o.priority, r.reason,
       CASE WHEN e.lines < 0 THEN NULL ELSE e.lines END::INTEGER AS lines, f.district
FROM _e e JOIN _f f USING (file) JOIN _o o USING (occ) JOIN _r r USING (reason_id)
     JOIN _n n USING (name)
ORDER BY e.seq
"""


class Batch:
    """The accepted logs of one round of a collect, as columns."""

    def __init__(self) -> None:
        self.files: list[tuple[str, date, str]] = []  # station, day, district
        self.scans: list[Scan] = []
        self.dropped: set[int] = set()
        self.lines = 0

    def add(self, station: str, day: date, district: str, found: Scan) -> int:
        """Add a log's lines; returns its number in the batch."""
        self.files.append((station, day, district))
        self.scans.append(found)
        self.lines += found.minutes + found.events
        return len(self.files) - 1

    def drop(self, number: int) -> None:
        """Leave out a log added before (a longer copy came in the same batch)."""
        self.dropped.add(number)

    def months(self) -> list[str]:
        return sorted({f"{day:%Y-%m}" for i, (_s, day, _d) in enumerate(self.files)
                       if i not in self.dropped})

    def write(self, con: Any, month: str, targets: list[Path]) -> tuple[int, int, int]:
        """Write the month's lines as one part (``targets``: its minutes, events and days
        files). Returns (minute rows, event rows, bytes of the minutes file)."""
        minutes_path, events_path, days_path = targets
        import numpy as np

        numbers = [i for i, (_s, day, _d) in enumerate(self.files)
                   if i not in self.dropped and f"{day:%Y-%m}" == month]
        scans = [self.scans[i] for i in numbers]
        u32 = np.uint32
        kind_base = np.cumsum([0] + [len(s.kinds) for s in scans])[:-1]
        occ_base = np.cumsum([0] + [len(s.occurrences) for s in scans])[:-1]
        reason_base = np.cumsum([0] + [len(s.reasons) for s in scans])[:-1]

        def joined(parts: list[Any], dtype: Any) -> Any:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        packed = joined([np.frombuffer(s.minute_lines, np.int64) + (int(kind_base[j]) << 17)
                         for j, s in enumerate(scans)], np.int64)
        kind, seconds, minute_of_day = unpack(packed)
        minutes = {
            "file": joined([np.full(s.minutes, i, u32) for i, s in zip(numbers, scans,
                                                                       strict=True)], u32),
            "minute_of_day": minute_of_day.astype(np.uint16),
            "kind": kind.astype(u32),
            "seconds": seconds.astype(np.uint8),
        }
        minutes["seq"] = np.arange(len(minutes["file"]), dtype=np.int64)
        kinds = [k for s in scans for k in s.kinds]
        kind_table = {
            "kind": np.arange(len(kinds), dtype=u32),
            "program": np.array([k[0] for k in kinds], dtype=object),
            "occurrence": np.array([k[1] for k in kinds], dtype=object),
            "segment": np.array([k[2] for k in kinds], dtype=np.int32),
            "priority": np.array([k[3] for k in kinds], dtype=object),
        }
        events = {
            "file": joined([np.full(s.events, i, u32) for i, s in zip(numbers, scans,
                                                                      strict=True)], u32),
            "ms": joined([np.frombuffer(s.event_ms, u32) for s in scans], u32),
            "name": joined([np.frombuffer(s.event_name, np.uint8) for s in scans], np.uint8),
            "occ": joined([np.frombuffer(s.event_occ, u32) + u32(occ_base[j])
                           for j, s in enumerate(scans)], u32),
            "reason_id": joined([np.frombuffer(s.event_reason, u32) + u32(reason_base[j])
                                 for j, s in enumerate(scans)], u32),
            "lines": joined([np.frombuffer(s.event_lines, np.int32) for s in scans], np.int32),
        }
        events["seq"] = np.arange(len(events["file"]), dtype=np.int64)
        occurrences = [o for s in scans for o in s.occurrences]
        reasons = [r for s in scans for r in s.reasons]
        tables = {
            "_m": minutes,
            "_k": kind_table,
            "_e": events,
            "_f": {
                "file": np.array(numbers, dtype=u32),
                "station": np.array([self.files[i][0] for i in numbers], dtype=object),
                "day": _epoch_days([self.files[i][1] for i in numbers]),
                "district": np.array([self.files[i][2] for i in numbers], dtype=object),
            },
            "_o": {
                "occ": np.arange(len(occurrences), dtype=u32),
                "scheduled": np.array([o[0] for o in occurrences], dtype=object),
                "program": np.array([o[1] for o in occurrences], dtype=object),
                "occurrence": np.array([o[2] for o in occurrences], dtype=object),
                "priority": np.array([o[3] for o in occurrences], dtype=object),
            },
            "_r": {"reason_id": np.arange(len(reasons), dtype=u32),
                   "reason": np.array(reasons, dtype=object)},
            "_n": {"name": np.arange(len(EVENT_NAMES), dtype=np.uint8),
                   "event": np.array(EVENT_NAMES, dtype=object)},
        }
        for name, columns in tables.items():
            con.register(name, columns)
        try:
            con.sql(MINUTES_SQL).write_parquet(str(minutes_path), compression="zstd")
            con.sql(EVENTS_SQL).write_parquet(str(events_path), compression="zstd")
        finally:
            for name in tables:
                con.unregister(name)
        write_days(con, minutes_path, events_path, days_path)
        return len(minutes["file"]), len(events["file"]), minutes_path.stat().st_size


def write_days(con: Any, minutes: Path, events: Path, target: Path) -> None:
    """A part's days file, added up from its minutes and events files (store.DAYS_SQL)."""
    con.sql(DAYS_SQL.format(minutes="read_parquet($minutes)", events="read_parquet($events)"),
            params={"minutes": str(minutes), "events": str(events)}
            ).write_parquet(str(target), compression="zstd")


def rewrite(con: Any, sources: list[Path], targets: list[Path],
            drop: list[tuple[str, str]]) -> tuple[int, int, int]:
    """Write a part again without the rows of the (station, day) keys in ``drop``
    (``sources``: its minutes and events files; ``targets``: the new part's minutes,
    events and days files). Returns (minute rows, event rows, bytes of the minutes
    file)."""
    import numpy as np

    con.register("_drop", {"station": np.array([s for s, _d in drop], dtype=object),
                           "day": _epoch_days([date.fromisoformat(d) for _s, d in drop])})
    try:
        for source, target in zip(sources, targets[:2], strict=True):
            con.sql(
                "SELECT * FROM read_parquet(?) t WHERE NOT EXISTS (SELECT 1 FROM _drop d "
                "WHERE d.station = t.station AND DATE '1970-01-01' + d.day = t.day)",
                params=[str(source)],
            ).write_parquet(str(target), compression="zstd")
    finally:
        con.unregister("_drop")
    write_days(con, *targets)
    return _counts(con, targets[:2])


def merge(con: Any, sources: list[list[Path]], targets: list[Path]) -> tuple[int, int, int]:
    """Write several parts as one (no sort, no order kept: the rows stream through);
    ``sources``: the parts' minutes files, then their events files; ``targets``: the new
    part's minutes, events and days files. Returns (minute rows, event rows, bytes of
    the minutes file)."""
    con.execute("SET preserve_insertion_order=false")  # rows stream through
    try:
        for files, target in zip(sources, targets[:2], strict=True):
            con.sql("SELECT * FROM read_parquet(?)",
                    params=[[str(f) for f in files]]).write_parquet(str(target),
                                                                     compression="zstd")
    finally:
        con.execute("SET preserve_insertion_order=true")
    write_days(con, *targets)
    return _counts(con, targets[:2])


_EPOCH = date(1970, 1, 1).toordinal()


def _epoch_days(days: list[date]) -> Any:
    """Days as int32 days since 1970-01-01 (DuckDB: DATE '1970-01-01' + n)."""
    import numpy as np

    return np.array([d.toordinal() - _EPOCH for d in days], dtype=np.int32)


def _counts(con: Any, targets: list[Path]) -> tuple[int, int, int]:
    rows = [con.execute("SELECT count(*) FROM read_parquet(?)", [str(t)]).fetchall()[0][0]
            for t in targets]
    return int(rows[0]), int(rows[1]), targets[0].stat().st_size
