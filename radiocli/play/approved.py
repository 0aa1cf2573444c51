"""Only approved content airs: the daemon's private copy of an approved bundle.

With ``run --trust DIR`` the daemon verifies ``<schedules>/approved.json`` at start and
at every reload, then copies the approved schedule files and the audio they play into
``<home>/approved/<SHA-256 of the bundle>/`` (``approved.json``, ``schedules/``,
``audio/``; files 0640 in 0750 folders) and loads the schedule from that copy. Each copied file's
SHA-256 is checked again against the bundle while it is copied, and the finished copy
is verified as a whole, so a file swapped between the check and the copy is caught and
later edits of the working folders cannot reach the air until they are approved again.

``current.json`` names the copy in use, so a daemon that restarts while the working
folders do not verify can air the last approved schedule while it is still valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from radiocli import fileio
from radiocli.errors import RadioError, ScheduleError, TrustError
from radiocli.i18n import _, os_reason
from radiocli.schedule.model import Schedule
from radiocli.trust.bundle import VerifiedBundle

BUNDLE = "approved.json"
CURRENT = "current.json"
KEEP = 3  # copies kept besides the one in use


@dataclass(frozen=True)
class Approved:
    """An approved schedule the daemon may air, loaded from its private copy."""

    sha256: str
    folder: Path
    valid_from: datetime
    valid_to: datetime
    key: str
    approver: str
    schedule: Schedule
    # program id -> the end of the approval that governs its file (several levels sign
    # one bundle: a district approval may end before the city's)
    program_valid_to: dict[str, datetime] = field(default_factory=dict, compare=False)

    def valid_to_of(self, program_id: str) -> datetime:
        """When the approval of ``program_id`` ends (``valid_to``, the earliest of all,
        for a program it does not know)."""
        return self.program_valid_to.get(program_id, self.valid_to)

    def describe(self) -> str:
        who = self.approver or self.key
        return (f"approved bundle {self.sha256[:12]} (by {who}, valid to "
                f"{self.valid_to.isoformat()})")


def load_approved(schedules: Path, trusted: Path, root: Path, *, now: datetime) -> Approved:
    """Verify ``<schedules>/approved.json`` against the working folders, copy what it
    approves into ``root/<sha256>/`` and load the schedule from the copy. TrustError
    (or ScheduleError for a schedule with errors) with the reason otherwise, whatever
    went wrong (a link or a FIFO in the folder, an unreadable file): the caller keeps
    airing the last approved copy. Nothing is copied then."""
    from radiocli.trust import verify_bundle
    from radiocli.trust.bundle import read_bundle

    bundle = schedules / BUNDLE
    with _refusing(bundle):
        data = read_bundle(bundle)
        sha = hashlib.sha256(data).hexdigest()
        verified = verify_bundle(bundle, trusted, schedules, now=now, data=data)
        folder = root / sha
        try:
            approved = _open_copy(folder, trusted, now)
        except (TrustError, ScheduleError):
            approved = _make_copy(verified, folder, trusted, now)
        os.utime(folder)
        _set_current(root, approved, now)
        _prune(root, sha)
        return approved


@contextlib.contextmanager
def _refusing(bundle: Path) -> Iterator[None]:
    """Any failure while checking or copying becomes a TrustError naming the bundle, so
    that the daemon refuses the new schedules and keeps airing the approved ones instead
    of stopping on an error it did not expect."""
    try:
        yield
    except (TrustError, ScheduleError):
        raise
    except RadioError as exc:
        raise TrustError(str(exc)) from exc
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        raise TrustError(_("{bundle}: cannot check the approved schedules ({error})").format(
            bundle=bundle, error=f"{type(exc).__name__}: {exc}")) from exc


def _make_copy(verified: VerifiedBundle, folder: Path, trusted: Path, now: datetime
               ) -> Approved:
    root = folder.parent
    root.parent.mkdir(parents=True, exist_ok=True)
    _mkdir(root)
    try:
        # made whole beside ``folder``, verified, fsynced, then renamed into place
        with fileio.staged_folder(folder, mode=0o750, replace=True) as tmp:
            _write(tmp / BUNDLE, verified.data)
            for rel, digest in verified.schedules.items():
                _copy(verified.root / rel, tmp / "schedules", rel, digest, "schedule")
            for rel, digest in verified.audio.items():
                _copy(verified.audio_dir / rel, tmp / "audio", rel, digest, "audio")
            approved = _open_copy(tmp, trusted, now)
    except OSError as exc:
        raise TrustError(_("{folder}: cannot make the private copy of the approved "
                           "schedules: {reason}").format(folder=folder, reason=os_reason(exc))
                         ) from exc
    return Approved(approved.sha256, folder, approved.valid_from, approved.valid_to,
                    approved.key, approved.approver, _read(folder),
                    approved.program_valid_to)


def last_approved(trusted: Path, root: Path, *, now: datetime) -> Approved:
    """The copy named by ``current.json``, verified again (trusted key, signature,
    validity at ``now``, every file's SHA-256). TrustError when there is none or it
    does not verify any more."""
    try:
        current = json.loads((root / CURRENT).read_text(encoding="utf-8"))
        sha = str(current["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        raise TrustError(_("no earlier approved schedule in {root}").format(root=root)
                         ) from None
    if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
        raise TrustError(_("{path}: not a bundle's SHA-256").format(path=root / CURRENT))
    with _refusing(root / sha / BUNDLE):
        return _open_copy(root / sha, trusted, now)


def _open_copy(folder: Path, trusted: Path, now: datetime) -> Approved:
    from radiocli.trust import verify_bundle
    from radiocli.trust.bundle import read_bundle

    bundle = folder / BUNDLE
    if not bundle.is_file():
        raise TrustError(_("{folder}: no approved copy there").format(folder=folder))
    data = read_bundle(bundle)
    verified = verify_bundle(bundle, trusted, folder / "schedules", now=now,
                             audio_dir=folder / "audio", data=data)
    schedule = _read(folder)
    ends = {rel: a.valid_to for a in verified.approvals for rel in a.schedules}
    return Approved(hashlib.sha256(data).hexdigest(), folder, verified.valid_from,
                    verified.valid_to, ", ".join(a.key.name for a in verified.approvals),
                    verified.approver, schedule, _program_ends(schedule, folder, ends))


def _program_ends(schedule: Schedule, folder: Path, ends: dict[str, datetime]
                  ) -> dict[str, datetime]:
    """Program id -> the end of the approval of its file (``ends``: file -> end)."""
    base = (folder / "schedules").resolve()
    out = {}
    for program in schedule.programs.values():
        try:
            rel = Path(program.where.file).resolve().relative_to(base).as_posix()
        except ValueError:
            continue
        if rel in ends:
            out[program.id] = ends[rel]
    return out


def _read(folder: Path) -> Schedule:
    from radiocli.schedule.load import read

    schedule, problems = read(folder / "schedules")
    if any(p.severity == "error" for p in problems):
        raise ScheduleError(problems)
    schedule.audio_dir = folder / "audio"  # only the approved copies, whatever settings say
    return schedule


def _mkdir(path: Path) -> None:
    """``path`` as a folder, 0750 (owner and group), whatever the umask."""
    try:
        path.mkdir(mode=0o750)
    except FileExistsError:
        if path.is_symlink() or not path.is_dir():
            raise TrustError(_("{path}: not a folder; remove it").format(path=path)) from None
        return
    os.chmod(path, 0o750)


def _mkdirs(base: Path, rel: str) -> Path:
    """The folder of ``base/rel`` (``rel`` a manifest path), each level made 0750."""
    folder = base
    _mkdir(folder)
    for part in PurePosixPath(rel).parts[:-1]:
        folder = folder / part
        _mkdir(folder)
    return folder / PurePosixPath(rel).name


def _write(target: Path, data: bytes) -> None:
    """A new file of the copy (0640; fsynced with the whole copy)."""
    fileio.write_new(target, data, mode=0o640, sync=fileio.Sync.NONE)


def _copy(source: Path, base: Path, rel: str, expected: str, kind: str) -> None:
    """Copy ``source`` to ``base/rel`` (0640 in 0750 folders), hashing the bytes copied;
    TrustError when they are not the approved ones (the file changed after it was
    checked) or the source is not a regular file (a schedule file not even a link)."""
    from radiocli.trust.safe import open_regular

    digest = hashlib.sha256()
    target = _mkdirs(base, rel)
    what = _("audio file") if kind == "audio" else _("schedule file")
    try:
        src = os.fdopen(open_regular(source, what, follow=kind == "audio"), "rb")
    except TrustError as exc:
        raise TrustError(_("{error} (while it was being copied)").format(error=exc)) from None

    def copy(path: Path) -> None:
        with open(path, "wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)

    with src:
        fileio.write_new(target, copy, mode=0o640, sync=fileio.Sync.NONE)  # fsynced with the copy
    if digest.hexdigest() != expected:
        raise TrustError(_("{source}: {what} changed while it was being copied (SHA-256 "
                           "differs from the approved bundle); approve it again").format(
            source=source, what=what))


def _set_current(root: Path, approved: Approved, now: datetime) -> None:
    data = {"sha256": approved.sha256, "valid_from": approved.valid_from.isoformat(),
            "valid_to": approved.valid_to.isoformat(), "key": approved.key,
            "approver": approved.approver, "since": now.isoformat(timespec="seconds")}
    fileio.write_atomic(root / CURRENT, json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                        mode=0o640, sync=fileio.Sync.FULL)


def _prune(root: Path, keep: str) -> None:
    """Keep the copy in use and the KEEP most recent others (a fallback after a bad
    approval); delete older copies."""
    try:
        copies = [p for p in root.iterdir()
                  if p.is_dir() and len(p.name) == 64 and p.name != keep]
    except OSError:
        return
    copies.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in copies[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
