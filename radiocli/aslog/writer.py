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
"""

from __future__ import annotations

import errno
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

from radiocli.aslog.format import (
    ALL_EVENTS,
    FSYNC_EVENTS,
    HANOI,
    HASH_HEX,
    genesis,
    valid_station,
)
from radiocli.errors import LogError

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_sha256 = hashlib.sha256


class LogWriteError(LogError):
    """Lines could not reach the disk (full, read-only, permissions); they are kept in
    memory and land unchanged on the next write or :meth:`LogBook.flush_pending`."""

    def __init__(self, message: str, pending: int = 0, errno_: int | None = None) -> None:
        super().__init__(message)
        self.pending = pending
        self.errno = errno_


class _File:
    """The state of one station's file for one day."""

    __slots__ = (
        "station",
        "day",
        "path",
        "prev",
        "lines",
        "sealed",
        "fd",
        "buf",
        "buf_bytes",
        "pending",
        "last_fsync",
        "unsynced",
        "exists",
    )

    def __init__(self, station: str, day: date, path: Path) -> None:
        self.station = station
        self.day = day
        self.path = path
        self.prev = genesis(station, day)
        self.lines = 0
        self.sealed = False
        self.fd: int | None = None
        self.buf: list[bytes] = []  # non-durable: lines (without \n) not yet written
        self.buf_bytes = 0
        self.pending: list[bytes] = []  # bytes (with \n) that failed to land, in order
        self.last_fsync = 0.0
        self.unsynced = False
        self.exists = False


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
        tz: tzinfo = HANOI,
        buffer_bytes: int = 256 << 20,
    ) -> None:
        self.root = Path(root)
        self.durable = durable
        self.fsync_interval = fsync_interval
        self.monotonic = monotonic
        self.tz = tz
        self.buffer_limit = buffer_bytes
        self._files: dict[tuple[str, int], _File] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        self._json: dict[str, str] = {}
        self._days: dict[int, tuple[date, list[str]]] = {}
        self._dirs: set[str] = set()
        self._buffered = 0
        self._closed = False
        self.lines_written = 0

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
            self._emit(f, line, failures, fsync=event in FSYNC_EVENTS)
            if not self.durable:
                self._bound([f], failures)
        self._raise(failures)

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
        f: _File | None = None
        mins: list[str] = []
        touched: list[_File] = []
        added = 0
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
                line = f'{head}{mins[local % 86400 // 60]}{mid}{secs},"prev":"{f.prev}"}}'.encode()
                f.prev = sha(line).hexdigest()[:HASH_HEX]
                if self.durable:
                    self._emit(f, line, failures, fsync=False)
                else:
                    f.buf.append(line)
                    f.buf_bytes += len(line) + 1
                    added += len(line) + 1
                    f.lines += 1
                n += 1
                m += 60
            if not self.durable:
                self._buffered += added
                self._bound(touched, failures)
        self.lines_written += n
        self._raise(failures)
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
                self._emit(f, line, failures, fsync=True)
                f.sealed = True
            self._release(f, failures)
        self._raise(failures)

    def seal_before(self, day: date, stations: Iterable[str] | None = None) -> int:
        """Seal every open file of a day before ``day`` (the simulation calls this at
        each virtual midnight). Returns how many files were sealed."""
        wanted = set(stations) if stations is not None else None
        with self._guard:
            keys = [
                k
                for k, f in self._files.items()
                if f.day < day and not f.sealed and (wanted is None or k[0] in wanted)
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
                sealed = open_state.sealed if open_state else _last_is_sealed(folder / name)
            if not sealed:
                self.seal(station, day)
                days.append(day)
        return days

    def flush_pending(self) -> int:
        """Try again to write lines that failed to land; returns how many landed.
        Raises :class:`LogWriteError` if some still cannot be written."""
        landed = 0
        failures: list[OSError] = []
        for f in self._snapshot():
            with self._lock(f.station):
                before = len(f.pending)
                if f.buf:
                    self._write_buffer(f, failures)
                if f.pending:
                    self._drain(f, failures)
                landed += before - len(f.pending)
        self._raise(failures)
        return landed

    def pending(self) -> int:
        """How many lines are waiting in memory for the disk."""
        return sum(len(f.pending) + len(f.buf) for f in self._snapshot())

    def flush(self) -> None:
        """Write buffered lines and fsync every open file now."""
        failures: list[OSError] = []
        for f in self._snapshot():
            with self._lock(f.station):
                if f.buf:
                    self._write_buffer(f, failures)
                if f.pending:
                    self._drain(f, failures)
                self._fsync(f, failures)
        self._raise(failures)

    def close(self) -> None:
        """Write everything, fsync, close the files. Unsealed days stay open on disk
        (the next run continues their chains)."""
        failures: list[OSError] = []
        for f in self._snapshot():
            with self._lock(f.station):
                if f.buf:
                    self._write_buffer(f, failures, sync=False)
                if f.pending:
                    self._drain(f, failures)
                if self.durable:
                    self._fsync(f, failures)
                if f.fd is not None and not f.pending:
                    _close(f)
                if not f.pending and not f.buf:
                    with self._guard:
                        self._files.pop((f.station, f.day.toordinal()), None)
        if not self.durable:
            _sync_tree(self.root, failures)
        self._raise(failures)

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

    def _snapshot(self) -> list[_File]:
        with self._guard:
            return list(self._files.values())

    def _file(self, station: str, day: date, at_text: str, failures: list[OSError]) -> _File:
        """The open state of a station's day file (caller holds the station lock)."""
        key = (station, day.toordinal())
        f = self._files.get(key)
        if f is not None:
            return f
        folder = self.root / station
        path = folder / f"{day.isoformat()}.jsonl"
        f = _File(station, day, path)
        torn: tuple[int, bytes] | None = None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = None
        except OSError as exc:
            raise LogError(
                f"{path}: cannot read the as-run log to continue its chain: {exc.strerror}"
            ) from exc
        if data is not None:
            f.exists = True
            good, torn = _split_torn(data)
            lines = data[:good].split(b"\n")[:-1] if good else []
            f.lines = len(lines)
            if lines:
                f.prev = _sha256(lines[-1]).hexdigest()[:HASH_HEX]
                f.sealed = _is_sealed_line(lines[-1])
        reason = ""
        if torn is not None:
            reason = self._recover(f, torn)
        if self.durable:
            self._open(f, failures)
        with self._guard:
            self._files[key] = f
        if torn is not None:
            line = (
                f'{{"station":"{station}","event":"recovered","at":"{at_text}",'
                f'"scheduled":"","program":"","occurrence":"","priority":"",'
                f'"reason":{_jsfree(reason)},"prev":"{f.prev}"}}'
            ).encode()
            f.prev = _sha256(line).hexdigest()[:HASH_HEX]
            f.sealed = False
            self._emit(f, line, failures, fsync=True)
        return f

    def _recover(self, f: _File, torn: tuple[int, bytes]) -> str:
        """Move the torn bytes to ``<file>.torn-<n>`` and cut the file before them."""
        offset, data = torn
        n = 1
        while True:
            target = f.path.with_name(f"{f.path.name}.torn-{n}")
            if not target.exists():
                break
            n += 1
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            with open(f.path, "r+b") as fh:
                fh.truncate(offset)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise LogWriteError(
                f"{f.path}: the last line is torn and cannot be set aside: {exc.strerror}",
                errno_=exc.errno,
            ) from exc
        return f"torn: {len(data)} bytes at offset {offset} moved to {target.name}"

    def _open(self, f: _File, failures: list[OSError]) -> bool:
        if f.fd is not None:
            return True
        try:
            folder = str(f.path.parent)
            if folder not in self._dirs:
                _mkdirs(f.path.parent, self.root)
                self._dirs.add(folder)
            f.fd = os.open(f.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            f.last_fsync = self.monotonic()
            return True
        except OSError as exc:
            failures.append(_located(exc, f.path))
            return False

    def _emit(self, f: _File, line: bytes, failures: list[OSError], fsync: bool) -> None:
        """Write one line (caller holds the station lock)."""
        f.lines += 1
        if not self.durable:
            f.buf.append(line)
            f.buf_bytes += len(line) + 1
            self._buffered += len(line) + 1
            return
        data = line + b"\n"
        if f.pending:
            f.pending.append(data)
            self._drain(f, failures)
        else:
            if f.fd is None and not self._open(f, failures):
                f.pending.append(data)
                return
            try:
                written = os.write(f.fd, data)  # type: ignore[arg-type]
            except OSError as exc:
                failures.append(_located(exc, f.path))
                f.pending.append(data)
                return
            if written < len(data):
                f.pending.append(data[written:])
                self._drain(f, failures)
        f.unsynced = True
        if fsync or self.monotonic() - f.last_fsync >= self.fsync_interval:
            self._fsync(f, failures)

    def _drain(self, f: _File, failures: list[OSError]) -> None:
        if f.fd is None and not self._open(f, failures):
            return
        while f.pending:
            data = f.pending[0]
            try:
                written = os.write(f.fd, data)  # type: ignore[arg-type]
            except OSError as exc:
                failures.append(_located(exc, f.path))
                return
            if written < len(data):
                f.pending[0] = data[written:]
                continue
            f.pending.pop(0)
        f.unsynced = True

    def _fsync(self, f: _File, failures: list[OSError]) -> None:
        if f.fd is None or not f.unsynced:
            return
        try:
            os.fsync(f.fd)
        except OSError as exc:
            failures.append(_located(exc, f.path))
            return
        f.unsynced = False
        f.last_fsync = self.monotonic()

    def _bound(self, touched: list[_File], failures: list[OSError]) -> None:
        """Non-durable mode: write out buffers so memory stays bounded (caller holds
        the station lock of ``touched``)."""
        for f in touched:
            if f.buf_bytes >= (1 << 20):
                self._write_buffer(f, failures)
        if self._buffered < self.buffer_limit:
            return
        for f in self._snapshot():
            if f.buf:
                with self._lock(f.station):
                    self._write_buffer(f, failures)
        self._buffered = max(0, self._buffered)

    def _write_buffer(self, f: _File, failures: list[OSError], sync: bool = False) -> None:
        data = b"\n".join(f.buf) + b"\n"
        self._buffered -= f.buf_bytes
        f.buf = []
        f.buf_bytes = 0
        f.pending.append(data)
        opened_here = f.fd is None
        self._drain(f, failures)
        if sync:
            self._fsync(f, failures)
        if opened_here and not self.durable and f.fd is not None and not f.pending:
            _close(f)

    def _release(self, f: _File, failures: list[OSError]) -> None:
        """After a seal: write, sync and forget the file unless lines are pending."""
        if f.buf:
            self._write_buffer(f, failures, sync=False)
        if f.pending:
            self._drain(f, failures)
        if self.durable:
            self._fsync(f, failures)
        if f.pending or f.buf:
            return
        if f.fd is not None:
            _close(f)
        with self._guard:
            self._files.pop((f.station, f.day.toordinal()), None)

    def _raise(self, failures: list[OSError]) -> None:
        if not failures:
            return
        exc = failures[0]
        pending = self.pending()
        what = {
            errno.ENOSPC: "the disk is full",
            errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.EDQUOT: "the disk quota is exceeded",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        raise LogWriteError(
            f"{exc.filename}: cannot write the as-run log: {what}; "
            f"{pending} line(s) kept in memory until it can be written",
            pending=pending,
            errno_=exc.errno,
        )


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


def _split_torn(data: bytes) -> tuple[int, tuple[int, bytes] | None]:
    """(length of the good part, (offset, torn bytes) or None)."""
    if not data:
        return 0, None
    if not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        return cut, (cut, data[cut:])
    start = data.rfind(b"\n", 0, len(data) - 1) + 1
    last = data[start:-1]
    try:
        obj = json.loads(last.decode("utf-8"))
        ok = isinstance(obj, dict)
    except (UnicodeDecodeError, ValueError):
        ok = False
    if ok:
        return len(data), None
    return start, (start, data[start:])


def _is_sealed_line(line: bytes) -> bool:
    return b'"event":"sealed"' in line[:80]


def _last_is_sealed(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read()
    except OSError:
        return False
    lines = tail.rstrip(b"\n").rsplit(b"\n", 1)
    return bool(tail.endswith(b"\n")) and _is_sealed_line(lines[-1])


def _mkdirs(folder: Path, root: Path) -> None:
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe == probe.parent:
            break
        probe = probe.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o750)
        except FileExistsError:
            pass


def _located(exc: OSError, path: Path) -> OSError:
    if exc.filename is None:
        exc.filename = str(path)
    return exc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _close(f: _File) -> None:
    try:
        os.close(f.fd)  # type: ignore[arg-type]
    except OSError:
        pass
    f.fd = None


def _sync_tree(root: Path, failures: list[OSError]) -> None:
    """Sync the file system holding the logs: one syncfs() instead of thousands of
    fsync() calls (Linux); elsewhere os.sync()."""
    try:
        fd = os.open(root, os.O_RDONLY)
    except OSError:
        return
    try:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syncfs(fd) == 0:
                return
        except (OSError, AttributeError):
            pass
        os.sync()
    finally:
        os.close(fd)
