"""The as-run log writer: one chained JSON-lines file per station per local day.

Live playout and the simulation both write through :class:`LogBook`; only ``durable``
differs. The bytes of every line are exactly those of docs/asrun-log.md, i.e. what
``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` gives for the keys in the
documented order; lines are formatted by hand here because the simulation writes
millions of them.

Thread safety: one lock per station; any number of threads may write to different
stations at once, and several threads may write to the same station.

Failures (full disk, read-only folder) raise :class:`LogWriteError` *after* every line of
the call has been formatted and chained; the lines stay in memory and land, byte for
byte the same, on the next write or on :meth:`LogBook.flush_pending`.

This module is the format and the chain; how bytes reach the disk (appends, fsync
policy, bytes kept until they land, torn lines set aside) is
:class:`radiocli.aslog.durable.DayFiles`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, time as dtime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from radiocli import TZ
from radiocli.aslog.durable import DayFile, DayFiles, LogWriteError, last_is_sealed
from radiocli.aslog.format import (
    ALL_EVENTS,
    FSYNC_EVENTS,
    HASH_HEX,
    valid_station,
)
from radiocli.errors import LogError

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_sha256 = hashlib.sha256


class LogBook:
    """As-run logs under ``root``: ``<root>/<station>/<YYYY-MM-DD>.jsonl``.

    ``durable=True`` (live playout): one ``write()`` per line, fsync at least every
    ``fsync_interval`` seconds of ``monotonic()`` and at once after start, end, missed,
    failed, sealed and recovered events. ``durable=False`` (simulation): lines are
    buffered and everything is written and synced at :meth:`close`; same bytes.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        durable: bool = True,
        fsync_interval: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        tz: tzinfo = TZ,
        buffer_bytes: int = 256 << 20,
    ) -> None:
        self.root = Path(root)
        self.durable = durable
        self.tz = tz
        self._disk = DayFiles(self.root, durable=durable, fsync_interval=fsync_interval,
                              monotonic=monotonic, buffer_bytes=buffer_bytes)
        self._files = self._disk.files  # (station, day ordinal) -> its open file
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        self._json: dict[str, str] = {}
        self._days: dict[int, tuple[date, list[str]]] = {}
        self.lines_written = 0
        self.seconds_written = 0  # the seconds of every minute line written, as they say

    # --- public API ---------------------------------------------------------------------

    def event(
        self,
        station: str,
        event: str,
        at: datetime,
        scheduled: datetime | None,
        program: str,
        occurrence: str,
        priority: Any,
        reason: str = "",
    ) -> None:
        """Write one event line (start, end, preempted, resumed, missed, failed)."""
        if event not in ALL_EVENTS or event == "sealed":
            raise ValueError(f"unknown as-run event {event!r}")
        self._check_station(station)
        local = self._local(at)
        at_text = local.isoformat(timespec="milliseconds")
        sched_text = self._local(scheduled).isoformat(timespec="seconds") if scheduled else ""
        head = (
            f'{{"station":"{station}","event":"{event}","at":"{at_text}",'
            f'"scheduled":"{sched_text}","program":{self._js(program)},'
            f'"occurrence":{self._js(occurrence)},"priority":"{_label(priority)}",'
            f'"reason":{_jsfree(reason)},"prev":"'
        )
        failures: list[OSError] = []
        with self._lock(station):
            f = self._file(station, local.date(), at_text, failures)
            line = f"{head}{f.prev}\"}}".encode()
            f.prev = _sha256(line).hexdigest()[:HASH_HEX]
            f.sealed = False  # a late write reopens a sealed day; the next seal closes it
            self._disk.emit(f, line, failures, fsync=event in FSYNC_EVENTS)
            if not self.durable:
                self._disk.bound([f], failures, self._lock)
        self._disk.raise_failures(failures)

    def minutes(
        self,
        station: str,
        start: datetime,
        end: datetime,
        program: str,
        occurrence: str,
        priority: Any,
        segments: Iterable[tuple[datetime, int]] | None = None,
    ) -> int:
        """Write one minute line for every minute that [start, end) overlaps, with the
        seconds on air in it. ``segments`` are change points (time, segment index); a
        minute line names the segment on air at the start of its part. Returns the
        number of lines written."""
        self._check_station(station)
        t0 = start.timestamp()
        t1 = end.timestamp()
        if t1 <= t0:
            return 0
        points = sorted((s.timestamp(), int(i)) for s, i in (segments or ((start, 0),)))
        if not points:
            points = [(t0, 0)]
        offset = self._local(start).utcoffset()
        off = int(offset.total_seconds()) if offset is not None else 0
        end_offset = self._local(end).utcoffset()
        if end_offset is not None and int(end_offset.total_seconds()) != off:
            # A UTC offset change inside the occurrence (not in Hanoi): split it.
            cut = self._offset_change(start, end)
            n = self.minutes(station, start, cut, program, occurrence, priority, segments)
            return n + self.minutes(station, cut, end, program, occurrence, priority, segments)
        head = f'{{"station":"{station}","minute":"'
        middle = (
            f'","program":{self._js(program)},"occurrence":{self._js(occurrence)},"segment":'
        )
        tail = f',"priority":"{_label(priority)}","seconds":'
        mids: dict[int, str] = {}
        failures: list[OSError] = []
        sha = _sha256
        n = 0
        m = math.floor(t0 / 60) * 60
        si = 0
        npoints = len(points)
        cur_ord = -1
        f: DayFile | None = None
        mins: list[str] = []
        touched: list[DayFile] = []
        added = 0
        total = 0
        with self._lock(station):
            while m < t1:
                a = t0 if t0 > m else m
                b = t1 if t1 < m + 60 else m + 60
                secs = int(b - a + 0.5)
                if secs < 1:
                    secs = 1
                elif secs > 60:
                    secs = 60
                while si + 1 < npoints and points[si + 1][0] <= a:
                    si += 1
                seg = points[si][1]
                mid = mids.get(seg)
                if mid is None:
                    mid = mids[seg] = f"{middle}{seg}{tail}"
                local = int(m) + off
                ordinal = _EPOCH_ORDINAL + local // 86400
                if ordinal != cur_ord:
                    day, mins = self._day(ordinal)
                    f = self._file(station, day, mins[local % 86400 // 60][:16] + ":00.000"
                                   + mins[0][16:], failures)
                    cur_ord = ordinal
                    touched.append(f)
                    f.sealed = False  # a late write reopens a sealed day
                assert f is not None
                total += secs
                line = f'{head}{mins[local % 86400 // 60]}{mid}{secs},"prev":"{f.prev}"}}'.encode()
                f.prev = sha(line).hexdigest()[:HASH_HEX]
                if self.durable:
                    self._disk.emit(f, line, failures, fsync=False)
                else:
                    f.buf.append(line)
                    f.buf_bytes += len(line) + 1
                    added += len(line) + 1
                    f.lines += 1
                n += 1
                m += 60
            if not self.durable:
                self._disk.buffered += added
                self._disk.bound(touched, failures, self._lock)
        self.lines_written += n
        self.seconds_written += total
        self._disk.raise_failures(failures)
        return n

    def seal(self, station: str, day: date, at: datetime | None = None) -> None:
        """Write the day's ``sealed`` line (``lines``: how many lines precede it) and
        close the file. ``at`` defaults to the last millisecond of the day."""
        self._check_station(station)
        if at is None:
            end = datetime.combine(day, dtime(23, 59, 59, 999000), tzinfo=self.tz)
            at_text = end.isoformat(timespec="milliseconds")
        else:
            local = self._local(at)
            if local.date() != day:
                raise ValueError(f"seal of {day} at {local} belongs to another day")
            at_text = local.isoformat(timespec="milliseconds")
        failures: list[OSError] = []
        with self._lock(station):
            f = self._file(station, day, at_text, failures)
            if not f.sealed:
                line = (
                    f'{{"station":"{station}","event":"sealed","at":"{at_text}",'
                    f'"scheduled":"","program":"","occurrence":"","priority":"",'
                    f'"reason":"","lines":{f.lines},"prev":"{f.prev}"}}'
                ).encode()
                f.prev = _sha256(line).hexdigest()[:HASH_HEX]
                self._disk.emit(f, line, failures, fsync=True)
                f.sealed = True
            self._disk.release(f, failures)
        self._disk.raise_failures(failures)

    def seal_before(self, day: date, stations: Iterable[str] | None = None) -> int:
        """Seal every open file of a day before ``day`` (the simulation calls this at
        each virtual midnight). Returns how many files were sealed."""
        wanted = set(stations) if stations is not None else None
        keys = [
            (f.station, f.day.toordinal())
            for f in self._disk.snapshot()
            if f.day < day and not f.sealed and (wanted is None or f.station in wanted)
        ]
        for station, ordinal in keys:
            self.seal(station, date.fromordinal(ordinal))
        return len(keys)

    def seal_stale(self, station: str, today: date) -> list[date]:
        """Seal the station's files on disk of days before ``today`` that were left
        unsealed (a daemon that stopped before midnight); returns those days."""
        self._check_station(station)
        folder = self.root / station
        days: list[date] = []
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            return days
        except OSError as exc:
            raise LogError(f"{folder}: cannot list the station's logs: {exc.strerror}") from exc
        for name in names:
            if not name.endswith(".jsonl") or len(name) != 16:
                continue
            try:
                day = date.fromisoformat(name[:10])
            except ValueError:
                continue
            if day >= today:
                continue
            with self._lock(station):
                key = (station, day.toordinal())
                open_state = self._files.get(key)
                sealed = open_state.sealed if open_state else last_is_sealed(folder / name)
            if not sealed:
                self.seal(station, day)
                days.append(day)
        return days

    def flush_pending(self) -> int:
        """Try again to write lines that failed to land; returns how many landed.
        Raises :class:`LogWriteError` if some still cannot be written."""
        failures: list[OSError] = []
        landed = self._disk.flush_pending(failures, self._lock)
        self._disk.raise_failures(failures)
        return landed

    def pending(self) -> int:
        """How many lines are waiting in memory for the disk."""
        return self._disk.pending()

    def flush(self) -> None:
        """Write buffered lines and fsync every open file now."""
        failures: list[OSError] = []
        self._disk.flush(failures, self._lock)
        self._disk.raise_failures(failures)

    def close(self) -> None:
        """Write everything, fsync, close the files. Unsealed days stay open on disk
        (the next run continues their chains)."""
        failures: list[OSError] = []
        self._disk.close(failures, self._lock)
        self._disk.raise_failures(failures)

    def __enter__(self) -> LogBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ------------------------------------------------------------------------

    def _check_station(self, station: str) -> None:
        if not valid_station(station):
            raise ValueError(f"not a station code: {station!r}")

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError(f"as-run times must be timezone-aware, got {moment}")
        return moment.astimezone(self.tz)

    def _offset_change(self, start: datetime, end: datetime) -> datetime:
        lo, hi = start, end
        base = self._local(start).utcoffset()
        while hi - lo > timedelta(minutes=1):
            mid = lo + (hi - lo) / 2
            if self._local(mid).utcoffset() == base:
                lo = mid
            else:
                hi = mid
        return hi.replace(second=0, microsecond=0)

    def _js(self, text: str) -> str:
        cached = self._json.get(text)
        if cached is None:
            cached = _jsfree(text)
            if len(self._json) < 200_000:
                self._json[text] = cached
        return cached

    def _day(self, ordinal: int) -> tuple[date, list[str]]:
        cached = self._days.get(ordinal)
        if cached is None:
            day = date.fromordinal(ordinal)
            midnight = datetime.combine(day, dtime(0, 0), tzinfo=self.tz)
            prefix = day.isoformat()
            mins = []
            for i in range(1440):
                moment = (midnight + timedelta(minutes=i)).astimezone(self.tz)
                mins.append(f"{prefix}T{i // 60:02d}:{i % 60:02d}" + moment.isoformat()[19:])
            cached = self._days[ordinal] = (day, mins)
        return cached

    def _lock(self, station: str) -> threading.RLock:
        lock = self._locks.get(station)
        if lock is None:
            with self._guard:
                lock = self._locks.setdefault(station, threading.RLock())
        return lock

    def _file(self, station: str, day: date, at_text: str, failures: list[OSError]
              ) -> DayFile:
        """The open state of a station's day file (caller holds the station lock); a
        torn last line found on disk is set aside and a ``recovered`` line says where."""
        f, torn = self._disk.open(station, day, failures)
        if torn is not None:
            line = (
                f'{{"station":"{station}","event":"recovered","at":"{at_text}",'
                f'"scheduled":"","program":"","occurrence":"","priority":"",'
                f'"reason":{_jsfree(torn)},"prev":"{f.prev}"}}'
            ).encode()
            f.prev = _sha256(line).hexdigest()[:HASH_HEX]
            f.sealed = False
            self._disk.emit(f, line, failures, fsync=True)
        return f


# --- helpers ----------------------------------------------------------------------------


def _label(priority: Any) -> str:
    label = getattr(priority, "label", priority)
    return str(label)


def _jsfree(text: str) -> str:
    """A JSON string literal as json.dumps(ensure_ascii=False) writes it (lone
    surrogates, which UTF-8 cannot carry, become U+FFFD)."""
    out = json.dumps(text, ensure_ascii=False)
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        out = json.dumps(
            text.encode("utf-8", "replace").decode("utf-8"), ensure_ascii=False
        )
    return out


__all__ = ["LogBook", "LogWriteError"]
