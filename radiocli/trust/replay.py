"""Alerts already taken, remembered across restarts for as long as a copy could pass.

A daemon under trust records each signed alert it accepts by its identity (the SHA-256
of what was signed, :func:`radiocli.trust.alerts.alert_identity`) and the last moment a
copy could still be accepted. A copy put back in the spool, however its JSON or base64
is spelled, and before or after a restart, is a replay and is refused.

The memory is one append-only file, ``alerts-taken.jsonl`` in the daemon's run folder
(0640 in a 0750 folder): one JSON line per alert, fsynced before the alert airs, so a
power cut cannot forget an alert that aired. A torn last line is ignored. When opened
the file is rewritten without the alerts no copy of which could pass any more.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import datetime, timedelta
from pathlib import Path

from radiocli import fileio
from radiocli.errors import TrustError
from radiocli.i18n import _

FILE_NAME = "alerts-taken.jsonl"
# kept a little past validity: a clock stepped back must not make a copy new again
MARGIN = timedelta(minutes=10)
MAX_BYTES = 64 * 1024 * 1024


class AlertMemory:
    """The signed alerts a daemon took, in ``folder`` (its run folder)."""

    def __init__(self, folder: Path, *, now: datetime) -> None:
        self.path = Path(folder) / FILE_NAME
        self.lock = threading.Lock()
        self.taken: dict[str, datetime] = {}
        # why the memory could not be read or trimmed (the daemon logs it and goes on:
        # an emergency must not wait for a disk)
        self.problem: str | None = None
        self._open(now)

    def _open(self, now: datetime) -> None:
        try:
            fileio.make_folder(self.path.parent)  # 0750
            lines = self._read()
        except (OSError, TrustError) as exc:
            self.problem = (f"{self.path}: cannot read the alerts already taken "
                            f"({getattr(exc, 'strerror', None) or exc}); copies of alerts "
                            "taken before this start would not be recognised")
            return
        for line in lines:
            try:
                item = json.loads(line)
                until = datetime.fromisoformat(item["until"])
                identity = str(item["id"])
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a power cut
            if until.tzinfo is not None and until + MARGIN > now:
                self.taken[identity] = max(until, self.taken.get(identity, until))
        try:
            self._rewrite()
        except OSError as exc:
            self.problem = (f"{self.path}: cannot trim the alerts already taken "
                            f"({exc.strerror or exc}); they are kept as they are")

    def _read(self) -> list[bytes]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return []
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise TrustError(_("{path}: not a regular file; remove it").format(
                    path=self.path))
            return fh.read(MAX_BYTES).splitlines()

    def _rewrite(self) -> None:
        """The file with only the alerts still remembered (atomically, 0640, durable)."""
        text = "".join(_line(i, u) for i, u in sorted(self.taken.items(), key=lambda x: x[1]))
        fileio.write_atomic(self.path, text, mode=0o640, sync=fileio.Sync.FULL)

    def seen(self, identity: str) -> bool:
        with self.lock:
            return identity in self.taken

    def take(self, identity: str, valid_until: datetime, *, now: datetime) -> str | None:
        """Record the alert ``identity`` (a copy of it could pass until ``valid_until``);
        TrustError when it was taken before (a replay). Returns None, or why it could not
        be written to disk: an emergency must not wait for a full disk, so it is then
        remembered in memory only (until the daemon stops) and the caller logs why."""
        with self.lock:
            if identity in self.taken:
                raise TrustError(_("this signed alert was already received (a replay)"))
            self.taken[identity] = valid_until
            for old in [i for i, u in self.taken.items() if u + MARGIN <= now]:
                del self.taken[old]
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK
                             | getattr(os, "O_NOFOLLOW", 0), 0o640)
                try:
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        raise OSError(0, _("not a regular file"))
                    os.write(fd, _line(identity, valid_until).encode("utf-8"))
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                return (f"{self.path}: cannot record the alert ({exc.strerror or exc}); "
                        "it is remembered until the daemon stops, so a copy put back after "
                        "a restart within its validity would not be recognised")
            return None


def _line(identity: str, until: datetime) -> str:
    return json.dumps({"id": identity, "until": until.isoformat()}) + "\n"
