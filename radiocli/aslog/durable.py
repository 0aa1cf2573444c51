"""Durable files: the small steps that make a write survive a crash or a power cut.

The as-run log's file layer (:class:`DayFiles`: append, fsync by policy, keep what
failed until it lands, set torn bytes aside) and the collect store's steps (sync the
file system, point a link at a generation with one atomic rename). Replace-writes,
new files, folders and folder fsyncs are :mod:`radiocli.fileio`'s; the format and the
chain of the lines are :mod:`radiocli.aslog.writer`'s.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from radiocli import fileio
from radiocli.aslog.format import genesis, line_hash
from radiocli.errors import LogError


def sync_filesystem(root: Path | str) -> None:
    """Make everything written on the file system holding ``root`` durable: one
    ``syncfs()`` instead of thousands of ``fsync()`` calls (Linux); elsewhere
    ``os.sync()``. Raises OSError when it cannot be opened."""
    fd = os.open(root, os.O_RDONLY)
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


def replace_symlink(link: Path, target: str) -> None:
    """Point the symbolic link ``link`` at ``target`` atomically (a new link renamed
    over the old one), durably."""
    tmp = link.with_name(f".{link.name}.new-{os.getpid()}")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fileio.fsync_dir(link.parent)


# --- the day files of an as-run log folder ------------------------------------------------


class LogWriteError(LogError):
    """Lines could not reach the disk (full, read-only, permissions); they are kept in
    memory and land unchanged on the next write or :meth:`LogBook.flush_pending`."""

    def __init__(self, message: str, pending: int = 0, errno_: int | None = None) -> None:
        super().__init__(message)
        self.pending = pending
        self.errno = errno_


class DayFile:
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


Locks = Callable[[str], Any]  # station -> its lock (a context manager)


class DayFiles:
    """The open day files of a log folder, ``<root>/<station>/<YYYY-MM-DD>.jsonl``, and
    how bytes reach them: appended with one ``write()`` per line and fsynced by policy
    (``durable``), or buffered and written in large pieces (simulation). Failed writes
    keep their bytes, in order, until they land. Callers hold the station's lock for
    a file's methods; ``locks`` gives it for the methods that visit every file."""

    def __init__(
        self,
        root: Path,
        *,
        durable: bool,
        fsync_interval: float,
        monotonic: Callable[[], float],
        buffer_bytes: int,
    ) -> None:
        self.root = root
        self.durable = durable
        self.fsync_interval = fsync_interval
        self.monotonic = monotonic
        self.buffer_limit = buffer_bytes
        self.files: dict[tuple[str, int], DayFile] = {}
        self.guard = threading.Lock()
        self.buffered = 0
        self._dirs: set[str] = set()

    def snapshot(self) -> list[DayFile]:
        with self.guard:
            return list(self.files.values())

    def open(self, station: str, day: date, failures: list[OSError]
             ) -> tuple[DayFile, str | None]:
        """The state of a station's day file, continuing the chain on disk; and, when
        its last line was torn, where the torn bytes went (the caller logs it)."""
        key = (station, day.toordinal())
        f = self.files.get(key)
        if f is not None:
            return f, None
        path = self.root / station / f"{day.isoformat()}.jsonl"
        f = DayFile(station, day, path)
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
            good, torn = split_torn(data)
            lines = data[:good].split(b"\n")[:-1] if good else []
            f.lines = len(lines)
            if lines:
                f.prev = line_hash(lines[-1])
                f.sealed = is_sealed_line(lines[-1])
        reason = self._set_aside(f, torn) if torn is not None else None
        if self.durable:
            self._open(f, failures)
        with self.guard:
            self.files[key] = f
        return f, reason

    def _set_aside(self, f: DayFile, torn: tuple[int, bytes]) -> str:
        """Move the torn bytes to ``<file>.torn-<n>`` and cut the file before them."""
        offset, data = torn
        n = 1
        while True:
            target = f.path.with_name(f"{f.path.name}.torn-{n}")
            if not target.exists():
                break
            n += 1
        try:
            fileio.write_new(target, data, mode=0o640, sync=fileio.Sync.FULL)
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

    def _open(self, f: DayFile, failures: list[OSError]) -> bool:
        if f.fd is not None:
            return True
        try:
            folder = str(f.path.parent)
            if folder not in self._dirs:
                fileio.make_folder(f.path.parent, 0o750)
                self._dirs.add(folder)
            f.fd = os.open(f.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            f.last_fsync = self.monotonic()
            return True
        except OSError as exc:
            failures.append(_located(exc, f.path))
            return False

    def emit(self, f: DayFile, line: bytes, failures: list[OSError], fsync: bool) -> None:
        """Write one line (without its ``\\n``)."""
        f.lines += 1
        if not self.durable:
            f.buf.append(line)
            f.buf_bytes += len(line) + 1
            self.buffered += len(line) + 1
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

    def _drain(self, f: DayFile, failures: list[OSError]) -> None:
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

    def _fsync(self, f: DayFile, failures: list[OSError]) -> None:
        if f.fd is None or not f.unsynced:
            return
        try:
            os.fsync(f.fd)
        except OSError as exc:
            failures.append(_located(exc, f.path))
            return
        f.unsynced = False
        f.last_fsync = self.monotonic()

    def bound(self, touched: list[DayFile], failures: list[OSError], locks: Locks) -> None:
        """Non-durable mode: write out buffers so memory stays bounded (the caller
        holds the station lock of ``touched``)."""
        for f in touched:
            if f.buf_bytes >= (1 << 20):
                self._write_buffer(f, failures)
        if self.buffered < self.buffer_limit:
            return
        for f in self.snapshot():
            if f.buf:
                with locks(f.station):
                    self._write_buffer(f, failures)
        self.buffered = max(0, self.buffered)

    def _write_buffer(self, f: DayFile, failures: list[OSError], sync: bool = False) -> None:
        data = b"\n".join(f.buf) + b"\n"
        self.buffered -= f.buf_bytes
        f.buf = []
        f.buf_bytes = 0
        f.pending.append(data)
        opened_here = f.fd is None
        self._drain(f, failures)
        if sync:
            self._fsync(f, failures)
        if opened_here and not self.durable and f.fd is not None and not f.pending:
            _close(f)

    def _write_out(self, f: DayFile, failures: list[OSError]) -> None:
        """Write what ``f`` holds in memory: its buffered lines, then what is still
        pending (not synced)."""
        if f.buf:
            self._write_buffer(f, failures)
        if f.pending:
            self._drain(f, failures)

    def _forget(self, f: DayFile) -> None:
        with self.guard:
            self.files.pop((f.station, f.day.toordinal()), None)

    def release(self, f: DayFile, failures: list[OSError]) -> None:
        """After a seal: write, sync and forget the file unless lines are pending."""
        self._write_out(f, failures)
        if self.durable:
            self._fsync(f, failures)
        if f.pending or f.buf:
            return
        if f.fd is not None:
            _close(f)
        self._forget(f)

    def flush_pending(self, failures: list[OSError], locks: Locks) -> int:
        """Write again what failed to land; returns how many lines landed."""
        landed = 0
        for f in self.snapshot():
            with locks(f.station):
                before = len(f.pending)
                self._write_out(f, failures)
                landed += before - len(f.pending)
        return landed

    def pending(self) -> int:
        """How many lines are waiting in memory for the disk."""
        return sum(len(f.pending) + len(f.buf) for f in self.snapshot())

    def flush(self, failures: list[OSError], locks: Locks) -> None:
        """Write buffered lines and fsync every open file now."""
        for f in self.snapshot():
            with locks(f.station):
                self._write_out(f, failures)
                self._fsync(f, failures)

    def close(self, failures: list[OSError], locks: Locks) -> None:
        """Write everything, fsync, close the files (those with lines still pending
        stay open)."""
        for f in self.snapshot():
            with locks(f.station):
                self._write_out(f, failures)
                if self.durable:
                    self._fsync(f, failures)
                if f.fd is not None and not f.pending:
                    _close(f)
                if not f.pending and not f.buf:
                    self._forget(f)
        if not self.durable:
            try:
                sync_filesystem(self.root)
            except OSError:
                pass

    def raise_failures(self, failures: list[OSError]) -> None:
        """Raise :class:`LogWriteError` for the first failure, saying what waits."""
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


def split_torn(data: bytes) -> tuple[int, tuple[int, bytes] | None]:
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


def is_sealed_line(line: bytes) -> bool:
    return b'"event":"sealed"' in line[:80]


def last_is_sealed(path: Path) -> bool:
    """Whether a log file on disk ends with its sealed line."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read()
    except OSError:
        return False
    lines = tail.rstrip(b"\n").rsplit(b"\n", 1)
    return bool(tail.endswith(b"\n")) and is_sealed_line(lines[-1])


def _located(exc: OSError, path: Path) -> OSError:
    if exc.filename is None:
        exc.filename = str(path)
    return exc


def _close(f: DayFile) -> None:
    try:
        os.close(f.fd)  # type: ignore[arg-type]
    except OSError:
        pass
    f.fd = None
