"""How commands reach a running daemon, and how they find it.

Under ``<home>/run``: ``<name>.pid`` (pid file, locked with flock while the daemon
lives), and a folder ``<name>/`` with ``spool/`` (requests: alerts and reloads, each a
JSON file written to a temporary name, fsynced, then renamed, so a restart cannot
lose one), ``replies/`` (the daemon's answers), ``done/`` (alerts that aired), ``rejected/`` (alerts refused under
trust),
``status.json`` (what is on air, rewritten every second) and ``daemon.log``; and
``stations/<code>.lock`` (one per station: the daemon serving it holds the lock).
The daemon polls ``spool/`` every 100 ms (no inotify needed).

Files are 0640 and folders 0750 (owner and group, as SECURITY.md says), whatever the
umask.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli.errors import PlayoutError

FILE_MODE = 0o640
FOLDER_MODE = 0o750


class Request(enum.StrEnum):
    """What a request in the spool asks for."""

    ALERT = "alert"
    RELOAD = "reload"


def write_json_atomic(path: Path, data: Any, fsync: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}-{secrets.token_hex(3)}")
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # whatever the umask
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    if fsync:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
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
        """Alerts refused under trust (unsigned, bad signature, too old): never aired."""
        return self.folder / "rejected"

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
        for folder in (self.run, self.folder, self.spool, self.replies, self.done,
                       self.stations):
            make_folder(folder)


def make_folder(folder: Path) -> None:
    """``folder`` (and its parents) exists with mode 0750 (an existing one is fixed)."""
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    if folder.stat().st_mode & 0o7777 != FOLDER_MODE:
        folder.chmod(FOLDER_MODE)


def private_file(path: Path) -> None:
    """``path`` exists with mode 0640 (created empty, or an existing one fixed)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE))
    path.chmod(FILE_MODE)


class PidFile:
    """An flock-ed pid file: held while the daemon lives, so a second daemon with the
    same name refuses to start and ``status`` can tell a stale file from a live one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, info: dict[str, Any]) -> None:
        make_folder(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            other = read_json(self.path) or {}
            raise PlayoutError(f"a daemon is already running ({self.path}, pid "
                               f"{other.get('pid', '?')}); stop it first") from None
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
            return "another daemon"
        what = "a rehearsal" if info.get("rehearsal") else "daemon"
        return f"{what} {info.get('name', '?')!r} (pid {info.get('pid', '?')})"

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
    shown = [f"{code} by {who}" for code, who in sorted(refused.items())[:5]]
    more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
    noun = "station" if len(refused) == 1 else "stations"
    return (f"{noun} already served on this machine: {', '.join(shown)}{more}; a station "
            "is served by one daemon: stop that one first, or leave these stations out")


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


def new_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def submit(rundir: RunDir, kind: Request, payload: dict[str, Any], now: datetime) -> str:
    """Put a request in the daemon's spool; returns its id."""
    request_id = new_id(now)
    rundir.spool.mkdir(parents=True, exist_ok=True)
    write_json_atomic(rundir.spool / f"{kind}-{request_id}.json",
                      {"id": request_id, "kind": kind, "created": now.isoformat(), **payload})
    return request_id


def wait_reply(rundir: RunDir, request_id: str, timeout: float) -> dict[str, Any] | None:
    path = rundir.replies / f"{request_id}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = read_json(path)
        if isinstance(data, dict):
            return data
        time.sleep(0.05)
    return None


def pending(rundir: RunDir) -> list[tuple[Path, dict[str, Any]]]:
    """Requests waiting in the spool, oldest first."""
    try:
        names = sorted(p for p in rundir.spool.iterdir()
                       if p.suffix == ".json" and not p.name.startswith("."))
    except OSError:
        return []
    out = []
    for path in names:
        data = read_json(path)
        if isinstance(data, dict):
            out.append((path, data))
    return out
