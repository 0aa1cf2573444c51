"""How commands reach a running daemon, and how they find it.

Under ``<home>/run``: ``<name>.pid`` (pid file, locked with flock while the daemon
lives), and a folder ``<name>/`` with ``spool/`` (requests: alerts and reloads, each a
JSON file written to a temporary name, fsynced, then renamed, so a restart cannot
lose one), ``replies/`` (the daemon's answers), ``done/`` (alerts that aired), ``rejected/`` (alerts refused under
trust),
``status.json`` (what is on air, rewritten every second) and ``daemon.log``.
The daemon polls ``spool/`` every 100 ms (no inotify needed).
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


class Request(enum.StrEnum):
    """What a request in the spool asks for."""

    ALERT = "alert"
    RELOAD = "reload"


def write_json_atomic(path: Path, data: Any, fsync: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}-{secrets.token_hex(3)}")
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    with open(tmp, "w", encoding="utf-8") as fh:
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

    def make(self) -> None:
        for folder in (self.spool, self.replies, self.done):
            folder.mkdir(parents=True, exist_ok=True, mode=0o750)


class PidFile:
    """An flock-ed pid file: held while the daemon lives, so a second daemon with the
    same name refuses to start and ``status`` can tell a stale file from a live one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, info: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            other = read_json(self.path) or {}
            raise PlayoutError(f"a daemon is already running ({self.path}, pid "
                               f"{other.get('pid', '?')}); stop it first") from None
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
