"""How commands reach a running daemon, and how they find it.

Under ``<home>/run``: ``<name>.pid`` (pid file, locked with flock while the daemon
lives; it says the daemon's clock too, so a command can stamp a request with the time
of a rehearsal's clock), and a folder ``<name>/`` with ``spool/`` (requests: alerts
and reloads, each a JSON file written to a temporary name, fsynced, then renamed, so a
restart cannot lose one), ``replies/`` (the daemon's answers), ``done/`` (alerts that
aired), ``rejected/`` (alerts refused, and whatever was set apart from the spool),
``alert-audio/`` (recordings sent with ``alert --file``), ``doorbell`` (a FIFO: a
command writes a byte to it after a spool write, and the daemon takes the request at
once instead of at its next look, every 100 ms), ``status.json`` (what is on air,
rewritten every second) and ``daemon.log``; and ``stations/<code>.lock`` (one per
station: the daemon serving it holds the lock).

Files are 0640 and folders 0750: owner and group only. The spool takes only regular
files of at most 64 KiB holding one JSON object without duplicate keys; a link, a FIFO,
a device, a folder or anything else put there is never opened for reading: it is
moved to ``rejected/`` and logged (a FIFO named like an alert would otherwise block
the daemon until someone opened it for writing).
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import json
import logging
import math
import os
import re
import secrets
import select
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from radiocli import fileio
from radiocli.errors import PlayoutError, TrustError
from radiocli.i18n import _, ngettext, number_text, reason as shown_reason

log = logging.getLogger("radiocli.play")

FILE_MODE = fileio.FILE_MODE  # 0640
DIR_MODE = fileio.DIR_MODE  # 0750
MAX_REQUEST_BYTES = 64 * 1024
MAX_ALERT_CHARS = 3000  # about 3 minutes of speech: an alert is read out at once
REPLY_POLL_S = 0.02
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,120}")
_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script: something to speak


class Request(enum.StrEnum):
    """What a request in the spool asks for."""

    ALERT = "alert"
    RELOAD = "reload"


# --- files and folders: owner and group only ---------------------------------------------


def make_folder(folder: Path) -> None:
    """``folder`` and its missing parents, each made 0750; an existing folder that an
    older version made 0755 is narrowed (a link is left alone)."""
    fileio.make_folder(folder, DIR_MODE, narrow=True)


def write_json_atomic(path: Path, data: Any, fsync: bool = True) -> None:
    """``data`` as JSON at ``path`` (0640), by a rename: a reader sees the old file or
    the new one, never half of one. ``fsync``: durable when this returns (a request in
    the spool); without it a power cut may lose it (a reply, ``status.json``)."""
    make_folder(path.parent)
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n"
    fileio.write_atomic(path, text, mode=FILE_MODE,
                        sync=fileio.Sync.FULL if fsync else fileio.Sync.NONE)


def narrow(path: Path) -> None:
    """Make a regular file kept in the run folder 0640 (never following a link, never
    opening anything else)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, FILE_MODE)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class RunDir:
    """The run folder of one daemon (``name``) under ``<home>/run``."""

    run: Path
    name: str = "main"

    @property
    def pid_file(self) -> Path:
        return self.run / f"{self.name}.pid"

    @property
    def folder(self) -> Path:
        return self.run / self.name

    @property
    def spool(self) -> Path:
        return self.folder / "spool"

    @property
    def replies(self) -> Path:
        return self.folder / "replies"

    @property
    def done(self) -> Path:
        return self.folder / "done"

    @property
    def rejected(self) -> Path:
        """Alerts refused (unsigned, bad signature, too old, out of scope, unspeakable)
        and whatever was set apart from the spool: never aired."""
        return self.folder / "rejected"

    @property
    def alert_audio(self) -> Path:
        """Recordings sent with ``radiocli alert --file``."""
        return self.folder / "alert-audio"

    @property
    def doorbell(self) -> Path:
        return self.folder / "doorbell"

    @property
    def status_file(self) -> Path:
        return self.folder / "status.json"

    @property
    def log_file(self) -> Path:
        return self.folder / "daemon.log"

    @property
    def stations(self) -> Path:
        """``<run>/stations``: one lock file per station (shared by every daemon)."""
        return self.run / "stations"

    def make(self) -> None:
        """The run folders, 0750 (folders an older version made 0755 are narrowed)."""
        for folder in (self.run, self.folder, self.spool, self.replies, self.done,
                       self.rejected, self.stations):
            make_folder(folder)
        if self.alert_audio.is_dir():
            make_folder(self.alert_audio)


def private_file(path: Path) -> None:
    """``path`` exists with mode 0640 (created empty, or an existing one fixed)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE))
    path.chmod(FILE_MODE)


class PidFile:
    """An flock-ed pid file: held while the daemon lives, so a second daemon with the
    same name refuses to start and ``status`` can tell a stale file from a live one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, info: dict[str, Any]) -> None:
        make_folder(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            other = read_json(self.path) or {}
            raise PlayoutError(_("a daemon is already running ({path}, pid {pid}); stop it "
                                 "first").format(path=self.path, pid=other.get("pid", "?"))
                               ) from None
        os.fchmod(fd, FILE_MODE)
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps({"pid": os.getpid(), **info}, default=str) + "\n").encode())
        os.fsync(fd)
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.fd = None


class StationLocks:
    """One daemon per station on a machine, whatever its name: ``<run>/stations/
    <code>.lock`` is flock-ed by the daemon that serves the station, for as long as it
    lives (the kernel lets go when it dies, even by kill -9), and holds its name and
    pid so that a second daemon can say which one serves it. Rehearsals lock
    ``<code>.rehearsal.lock`` (two rehearsals of a station would share one rehearsal
    log); a rehearsal that drives the station's real output (device, stream) takes
    the station's own lock too. Lock files are never deleted (a deleted lock file can
    be locked twice)."""

    def __init__(self, folder: Path, holder: dict[str, Any], kinds: tuple[str, ...] = ("",)
                 ) -> None:
        self.folder = folder
        self.holder = holder
        self.kinds = kinds  # "" the station's own lock, "rehearsal" a rehearsal's
        self.held: dict[str, list[int]] = {}  # code -> its fds

    def path(self, code: str, kind: str) -> Path:
        return self.folder / (f"{code}.{kind}.lock" if kind else f"{code}.lock")

    def take(self, codes: list[str]) -> dict[str, str]:
        """Lock the stations not held yet; returns the refused ones: code -> who serves
        it (what was taken stays taken)."""
        refused: dict[str, str] = {}
        text = (json.dumps({"pid": os.getpid(), **self.holder}, default=str) + "\n").encode()
        for code in codes:
            if code in self.held:
                continue
            fds: list[int] = []
            for kind in self.kinds:
                fd = self._lock(self.path(code, kind), text)
                if fd is None:
                    refused[code] = self.who(code, kind)
                    break
                fds.append(fd)
            if code in refused:
                for fd in fds:
                    _unlock(fd)
            else:
                self.held[code] = fds
        return refused

    def _lock(self, path: Path, text: bytes) -> int | None:
        if not self.folder.is_dir():
            make_folder(self.folder)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        os.fchmod(fd, FILE_MODE)
        os.ftruncate(fd, 0)
        os.pwrite(fd, text, 0)
        return fd

    def who(self, code: str, kind: str = "") -> str:
        info = read_json(self.path(code, kind))
        if not isinstance(info, dict):
            return _("another daemon")
        what = _("a rehearsal {name} (pid {pid})") if info.get("rehearsal") else \
            _("daemon {name} (pid {pid})")
        return what.format(name=repr(info.get("name", "?")), pid=info.get("pid", "?"))

    def release(self, codes: list[str] | None = None) -> None:
        for code in list(self.held) if codes is None else codes:
            for fd in self.held.pop(code, []):
                _unlock(fd)


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    os.close(fd)  # closing the only descriptor lets go of the flock


def refusal(refused: dict[str, str]) -> str:
    """'station 00001 is served by daemon 'main' (pid 12): ...' for up to 5 stations."""
    shown = [_("{code} by {who}").format(code=code, who=who)
             for code, who in sorted(refused.items())[:5]]
    more = _(" and {n} more").format(n=len(refused) - 5) if len(refused) > 5 else ""
    return ngettext("station already served on this machine: {stations}{more}; a station "
                    "is served by one daemon: stop that one first, or leave these stations "
                    "out",
                    "stations already served on this machine: {stations}{more}; a station "
                    "is served by one daemon: stop that one first, or leave these stations "
                    "out", len(refused)).format(stations=", ".join(shown), more=more)


def alive(pid_file: Path) -> dict[str, Any] | None:
    """The pid file's contents if its daemon is alive (the flock is held), else None."""
    info = read_json(pid_file)
    if not isinstance(info, dict):
        return None
    try:
        fd = os.open(pid_file, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        pass  # locked: somebody holds it
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # nobody holds the lock: stale
    finally:
        os.close(fd)
    pid = info.get("pid")
    if not isinstance(pid, int):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return info


def daemons(run: Path) -> Iterator[tuple[RunDir, dict[str, Any]]]:
    """Every live daemon under ``run``."""
    if not run.is_dir():
        return
    for pid_file in sorted(run.glob("*.pid")):
        info = alive(pid_file)
        if info is not None:
            yield RunDir(run, pid_file.stem), info


def daemon_now(info: dict[str, Any], machine_now: datetime) -> datetime:
    """The time on a daemon's clock when the machine's says ``machine_now``: a rehearsal
    (``run --clock``) runs at an offset its pid file gives (``clock_offset``, seconds)."""
    offset = info.get("clock_offset")
    if isinstance(offset, (int, float)) and not isinstance(offset, bool) and \
            math.isfinite(offset) and abs(offset) < 200 * 365 * 86400:
        return machine_now + timedelta(seconds=offset)
    return machine_now


# --- requests ----------------------------------------------------------------------------


def new_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def submit(rundir: RunDir, kind: Request, payload: dict[str, Any], now: datetime) -> str:
    """Put a request in the daemon's spool (``now`` on the daemon's clock: see
    :func:`daemon_now`) and ring its doorbell; returns the request's id."""
    request_id = new_id(now)
    write_json_atomic(rundir.spool / f"{kind}-{request_id}.json",
                      {"id": request_id, "kind": kind, "created": now.isoformat(), **payload})
    ring(rundir)
    return request_id


def wait_reply(rundir: RunDir, request_id: str, timeout: float) -> dict[str, Any] | None:
    """The daemon's reply to ``request_id``: its final one, or at the end of ``timeout``
    the last it wrote (``"final": false``: some stations had not answered yet), or None
    when it wrote none."""
    path = rundir.replies / f"{request_id}.json"
    deadline = time.monotonic() + timeout
    latest: dict[str, Any] | None = None
    while True:
        data = read_json(path)
        if isinstance(data, dict):
            latest = data
            if data.get("final", True):
                return data
        if time.monotonic() >= deadline:
            return latest
        time.sleep(REPLY_POLL_S)


def check_alert_text(text: object) -> str | None:
    """Why ``text`` cannot be an alert (too long, nothing speakable once normalized),
    or None. ``radiocli alert`` asks before it writes to the spool; the daemon asks
    again of every alert it takes."""
    if not isinstance(text, str) or not text.strip():
        return _("the alert text is empty")
    if len(text) > MAX_ALERT_CHARS:
        return _("the alert text has {n} characters, more than {limit} (about 3 minutes of "
                 "speech): an alert is read out at once; shorten it, or put a longer notice "
                 "in a program").format(
                     n=number_text(len(text)), limit=number_text(MAX_ALERT_CHARS))
    from radiocli.render.normalize import normalize_with_warnings

    spoken, _warnings = normalize_with_warnings(text)
    if not _LETTER.search(spoken):  # as the renderer judges it (render.speech.LETTER)
        return _("nothing in the alert text can be spoken ({text} has no words once "
                 "normalized); write the announcement in words").format(text=repr(text[:40]))
    return None


# --- the spool: only regular files, never blocking -----------------------------------------


@dataclass(frozen=True)
class SetApart:
    """Something in the spool that is not a request: moved out of the way, with why."""

    name: str
    reason: str
    moved_to: Path | None


def _kind_of(mode: int) -> str:
    from radiocli.trust.safe import kind_of

    return kind_of(mode)


def _read_request(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(the request, None), (None, why it is refused), or (None, None) when it is gone.
    Never follows a link and never opens what is not a regular file."""
    from radiocli.trust.safe import loads_strict

    try:
        first = path.lstat()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    if not stat.S_ISREG(first.st_mode):
        return None, f"{_kind_of(first.st_mode)}, not a regular file"
    if first.st_size > MAX_REQUEST_BYTES:
        return None, f"larger than {MAX_REQUEST_BYTES // 1024} KiB"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "a symbolic link, not a regular file"
        return None, f"cannot be read: {exc.strerror or exc}"
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):  # swapped since the lstat
            return None, f"{_kind_of(mode)}, not a regular file"
        raw = fh.read(MAX_REQUEST_BYTES + 1)
    if len(raw) > MAX_REQUEST_BYTES:
        return None, f"larger than {MAX_REQUEST_BYTES // 1024} KiB"
    try:
        data = loads_strict(raw, "the request")
    except TrustError as exc:
        return None, str(exc)
    if not isinstance(data, dict):
        return None, "the request is not a JSON object"
    return data, None


def set_apart(rundir: RunDir, path: Path, reason: str) -> SetApart:
    """Move ``path`` (whatever it is: it is never opened) out of the spool into
    ``rejected/``, log why, and answer a waiting command when the name is a request's."""
    from radiocli.trust.safe import shown

    name = path.name
    target: Path | None = None
    try:
        make_folder(rundir.rejected)
        target = rundir.rejected / name
        n = 1
        while target.exists() or target.is_symlink():
            target = rundir.rejected / f"{name}.{n}"
            n += 1
        os.rename(path, target)
        if stat.S_ISREG(target.lstat().st_mode):
            narrow(target)
    except OSError as exc:
        target = None
        try:
            path.unlink()
        except OSError:
            log.error(_("spool: cannot move or remove {name} ({error}); it is ignored").format(
                name=shown(name, 200), error=exc.strerror or exc))
    log.error(_("spool: {name} refused: {reason}; {what}").format(
        name=shown(name, 200), reason=shown_reason(reason),
        what=_("moved to {path}").format(path=target) if target else _("removed")))
    stem = name[: -len(".json")] if name.endswith(".json") else name
    if _SAFE_NAME.fullmatch(stem) and stem.split("-", 1)[0] in tuple(Request):
        with contextlib.suppress(OSError):
            write_json_atomic(rundir.replies / f"{stem}.json",
                              {"ok": False, "final": True, "outcome": "refused",
                               "reason": f"the request was refused: {reason}",
                               "stations": []}, fsync=False)
    return SetApart(name, reason, target)


def scan(rundir: RunDir) -> tuple[list[tuple[Path, dict[str, Any]]], list[SetApart]]:
    """The requests waiting in the spool, oldest first, and what was set apart now."""
    try:
        names = sorted(e.name for e in os.scandir(rundir.spool)
                       if e.name.endswith(".json") and not e.name.startswith("."))
    except OSError:
        return [], []
    requests, refused = [], []
    for name in names:
        path = rundir.spool / name
        data, why = _read_request(path)
        if data is not None:
            requests.append((path, data))
        elif why is not None:
            refused.append(set_apart(rundir, path, why))
    return requests, refused


def pending(rundir: RunDir) -> list[tuple[Path, dict[str, Any]]]:
    """Requests waiting in the spool, oldest first (what is not one is set apart)."""
    return scan(rundir)[0]


# --- the doorbell: a spool write wakes the daemon at once ---------------------------------


def ring(rundir: RunDir) -> bool:
    """Wake the daemon after a spool write; False when nobody listens (the daemon then
    finds the request at its next look at the spool)."""
    try:
        fd = os.open(rundir.doorbell, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW
                     | os.O_CLOEXEC)
    except OSError:
        return False  # no FIFO, or no daemon reading it (ENXIO)
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        os.write(fd, b"!")
        return True
    except OSError:
        return False  # full: a ring is already waiting
    finally:
        os.close(fd)


class Doorbell:
    """The daemon's side of :func:`ring`: a thread that calls ``on_ring`` whenever a
    command rings (several rings at once make one call)."""

    def __init__(self, path: Path, on_ring: Callable[[], None]) -> None:
        self.path = path
        self.on_ring = on_ring
        self.fd: int | None = None
        self.closing = False
        self.thread: threading.Thread | None = None

    def open(self) -> bool:
        """Make the FIFO (0620: the group may ring) and listen; False (logged) when it
        cannot be made: the daemon then only looks at the spool every 100 ms."""
        try:
            with contextlib.suppress(FileNotFoundError):
                if not stat.S_ISFIFO(self.path.lstat().st_mode):
                    self.path.unlink()
            if not self.path.exists():
                os.mkfifo(self.path, 0o620)
                os.chmod(self.path, 0o620)
            # read and write: the FIFO never reads as closed while the daemon listens
            fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(0, _("not a FIFO"))
        except OSError as exc:
            log.warning(_("doorbell {path}: {error}; requests are taken within 100 ms instead "
                          "of at once").format(path=self.path, error=exc.strerror or exc))
            return False
        self.fd = fd
        self.thread = threading.Thread(target=self._listen, name="doorbell", daemon=True)
        self.thread.start()
        return True

    def _listen(self) -> None:
        fd = self.fd
        assert fd is not None
        while not self.closing:
            try:
                ready, _w, _x = select.select([fd], [], [], 5.0)
                if not ready:
                    continue
                os.read(fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not self.closing:
                self.on_ring()

    def close(self) -> None:
        if self.fd is None:
            return
        self.closing = True
        with contextlib.suppress(OSError):
            os.write(self.fd, b"x")
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.fd = None
