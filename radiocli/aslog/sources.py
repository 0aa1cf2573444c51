"""Where collected logs come from: folders (a station's folder, a home's ``logs/``,
another store) and archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz), read within
limits.

Every archive is read as a stream whose unpacked bytes, compression ratio and reading
time are counted as it goes, so a small archive that would unpack to gigabytes, or
take minutes to, is stopped at once, naming the member it was at. Nothing is ever
extracted to disk here: members are read into memory, one day's log at a time.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from radiocli.aslog.format import valid_station
from radiocli.aslog.store import NOT_SOURCES, Listed, Listing
from radiocli.aslog.verify import MAX_FILE
from radiocli.errors import Problem
from radiocli.i18n import _, decimal_text, number_text, os_reason

# <YYYY-MM-DD>.jsonl, as the writer names logs; a store adds .v<k> (a later copy of a
# day) or .<sha12> (a copy set apart) before .jsonl.
LOG_NAME_RE = re.compile(r"^(?:date=)?(\d{4}-\d{2}-\d{2})(?:\.[0-9a-z]{1,16})?\.jsonl$")
ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
RATIO_FLOOR = 1 << 20  # the ratio is checked once this much is unpacked
_FIRST_STATION_RE = re.compile(rb'^\{"station":"([A-Za-z0-9_.-]{1,64})"')


@dataclass(frozen=True)
class Limits:
    """How far one archive may go."""

    unpacked: int = 16 << 30  # bytes unpacked, all members together
    ratio: float = 100.0  # unpacked bytes per compressed byte (logs compress about 10:1)
    seconds: float = 1200.0  # time spent reading it
    member: int = MAX_FILE  # bytes of one member (a day's log is well under 1 MB)


@dataclass
class Candidate:
    """One log file found in a source: its station and day, where it came from, and
    how to get its bytes."""

    station: str
    day: date
    folder: str  # a folder's path, or "<archive>:<folder inside>"
    name: str
    path: Path | None = None
    data: bytes | None = None
    size: int = 0
    mtime_ns: int = 0
    inode: int = 0
    ctime_ns: int = 0
    unchanged: bool = False  # files already collected, unchanged since (not read) ...
    count: int = 1  # ... this many

    @property
    def origin(self) -> str:
        if self.path is not None:
            return str(self.path)
        return f"{self.folder}/{self.name}" if not self.folder.endswith(":") else \
            f"{self.folder}{self.name}"


class ArchiveLimit(Exception):
    """An archive went past one of its limits at ``where`` (archive:member)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class Memory(Protocol):
    """What a store remembers of the folders it collected (StoreWriter)."""

    def seen_in(self, folder: str) -> dict[str, tuple[int, int, int, int]]:
        """Files of ``folder`` collected before: name -> (size, mtime_ns, inode,
        ctime_ns)."""

    def listing(self, folder: str) -> Listing | None:
        """``folder`` as the last collect that listed it left it."""

    def listed(self, folder: str, ctime_ns: int, inode: int, logs: list[Listed] | None
               ) -> None:
        """``folder`` was listed in full: its logs, or None when no listing may stand
        for it (a note, a link, a subfolder, or changed too recently to tell)."""


def identity(parent: str, name: str) -> tuple[str, date] | None:
    """(station, day) of a log file from its folder and name, or None."""
    match = LOG_NAME_RE.match(name)
    if not match:
        return None
    if parent.startswith("station="):
        parent = parent[8:]
    if not valid_station(parent):
        return None
    try:
        return parent, date.fromisoformat(match.group(1))
    except ValueError:
        return None


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVES)


def candidates(source: Path, notes: list[Problem], *, memory: Memory | None = None,
               quick: bool = False, limits: Limits | None = None) -> Iterator[Candidate]:
    """Log files in a folder (station folder, logs folder, store) or an archive.

    Problems go to ``notes``: errors for what could not be read (a missing source, a
    broken archive, a limit reached, a member refused), warnings for what was read
    but deserves a look. ``memory`` (the store's) gives the files of a folder collected
    before: those unchanged are yielded with ``unchanged=True`` and not read; it is
    told each folder's listing. ``quick``: a folder whose listing still stands (the
    folder and its watched files unchanged, see :class:`Listing`) is not listed again:
    its logs are yielded as one unchanged candidate with their ``count``."""
    limits = limits or Limits()
    try:
        mode = os.lstat(source).st_mode
    except FileNotFoundError:
        notes.append(Problem(str(source), 0, 0, _("no such file or folder"), code="missing"))
        return
    except OSError as exc:
        notes.append(Problem(str(source), 0, 0, _("cannot read: {reason}").format(
            reason=os_reason(exc)), code="unreadable"))
        return
    if stat.S_ISLNK(mode):
        source = source.resolve()
        mode = os.stat(source).st_mode if source.exists() else 0
    if stat.S_ISDIR(mode):
        yield from _from_folder(source, notes, memory, quick)
        return
    if not stat.S_ISREG(mode):
        notes.append(Problem(str(source), 0, 0, _("not a file or folder"), code="source"))
        return
    if is_archive(source):
        yield from _from_archive(source, notes, limits)
        return
    found = identity(source.parent.name, source.name)
    if found is None:
        notes.append(Problem(str(source), 0, 0, _("not an as-run log or archive"),
                             _("give station folders, a logs folder, a store or "
                               ".zip/.tar/.tar.gz/.tar.bz2/.tar.xz archives"), "source"))
        return
    st = source.stat()
    yield Candidate(found[0], found[1], str(source.parent), source.name, path=source,
                    size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino,
                    ctime_ns=st.st_ctime_ns)


REHEARSAL = "rehearsal"  # <home>/rehearsal: logs of `run --clock` / `--rehearsal`
RACY_NS = 2_000_000_000  # a folder changed this recently may change again unseen (mtime tick)


def _unchanged(count: int = 1) -> Candidate:
    """``count`` files already collected, unchanged since (not read)."""
    return Candidate("", date.min, "", "", unchanged=True, count=count)


UNCHANGED = _unchanged()


def _stats(st: os.stat_result) -> tuple[int, int, int, int]:
    """What tells that a file changed: size, mtime, inode and ctime (which also changes
    when the mtime is set back)."""
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns


def _same(st: os.stat_result, known: tuple[int, int, int, int] | None) -> bool:
    return known == _stats(st)


def _still(folder: str, st: os.stat_result, known: Listing) -> bool:
    """Whether a folder is as a collect listed it: the folder itself (no file added,
    removed or renamed, its times not set back) and each of its watched files."""
    if (st.st_ctime_ns, st.st_ino) != (known.ctime_ns, known.inode):
        return False
    for name, stats in known.watch.items():
        try:
            if _stats(os.lstat(os.path.join(folder, name))) != stats:
                return False
        except OSError:
            return False
    return True


def _from_folder(root: Path, notes: list[Problem], memory: Memory | None, quick: bool
                 ) -> Iterator[Candidate]:
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        started = time.time_ns()
        try:
            before = os.stat(folder)  # the folder as it was before it was listed
            if quick and memory is not None:
                listing = memory.listing(folder)
                if listing is not None and _still(folder, before, listing):
                    if listing.files:
                        yield _unchanged(listing.files)
                    continue
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            notes.append(Problem(folder, 0, 0, _("cannot list the folder: {reason}").format(
                reason=os_reason(exc)), code="unreadable"))
            continue
        parent = os.path.basename(folder)
        station = parent[8:] if parent.startswith("station=") else parent
        store = any(e.name in ("catalog.sqlite", "catalog.json") for e in entries)
        seen: dict[str, tuple[int, int, int, int]] | None = None
        subfolders = []
        logs: list[Listed] = []  # the folder's logs, for its listing
        clean = True  # no note, no link: a listing can stand for the folder
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = not is_dir and entry.is_symlink()
            except OSError:
                clean = False
                continue
            if is_dir:
                if name == REHEARSAL:  # not a proof of broadcast: collected only when given
                    continue
                if not (store and name in NOT_SOURCES):  # a store's raw/ and unknown/ are logs
                    subfolders.append(entry.path)
                continue
            if is_link:
                clean = False
            if seen is None:
                seen = memory.seen_in(folder) if memory is not None else {}
            known = seen.get(name)
            if known is not None and not is_link:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    st = None
                if st is not None and _same(st, known):  # collected: its identity held
                    logs.append((name, station, name[5:15] if name.startswith("date=")
                                 else name[:10], *_stats(st)))
                    yield UNCHANGED
                    continue
            found = identity(parent, name)
            if found is None:
                if is_link and entry.is_dir():
                    notes.append(Problem(entry.path, 0, 0,
                                         _("a symbolic link to a folder: not followed"),
                                         _("give its target as a source: {path}").format(
                                             path=os.path.realpath(entry.path)), "symlink"))
                continue
            path = Path(entry.path)
            if is_link:
                target = Path(os.path.realpath(path))
                try:
                    st = target.stat()
                except OSError:
                    notes.append(Problem(str(path), 0, 0, _("a symbolic link to nothing"),
                                         _("copy the log itself into the folder"), "symlink"))
                    continue
                if not stat.S_ISREG(st.st_mode):
                    notes.append(Problem(str(path), 0, 0,
                                         _("a symbolic link to something that is not a file"),
                                         _("copy the log itself into the folder"), "symlink"))
                    continue
                if _same(st, known):
                    yield UNCHANGED
                    continue
                notes.append(Problem(str(path), 0, 0, _("a symbolic link, read from {path}")
                                     .format(path=target), code="symlink", severity="warning"))
            else:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    clean = False
                    notes.append(Problem(str(path), 0, 0, _("cannot read: {reason}").format(
                        reason=os_reason(exc)), code="unreadable"))
                    continue
            logs.append((name, found[0], str(found[1]), *_stats(st)))
            yield Candidate(found[0], found[1], folder, name, path=path, size=st.st_size,
                            mtime_ns=st.st_mtime_ns, inode=st.st_ino, ctime_ns=st.st_ctime_ns)
        if memory is not None:
            # a change after `started` gives the folder a later ctime, unless it falls in
            # the tick of the one seen (ticks of up to 2 s: FAT on a USB stick)
            leaf = clean and not subfolders and before.st_ctime_ns < started - RACY_NS
            memory.listed(folder, before.st_ctime_ns, before.st_ino, logs if leaf else None)
        stack.extend(reversed(subfolders))


# --- archives ---------------------------------------------------------------------------


class _Counted:
    """A raw file that counts the bytes read from it (the compressed side)."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.consumed += len(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return False


class _Meter:
    """Counts what an archive unpacks and stops it at its limits."""

    def __init__(self, archive: Path, limits: Limits, compressed: Callable[[], int]) -> None:
        self.archive = archive
        self.limits = limits
        self.compressed = compressed
        self.unpacked = 0
        self.elapsed = 0.0
        self.member = ""

    def count(self, n: int, started: float) -> None:
        self.unpacked += n
        self.elapsed += time.monotonic() - started
        limits = self.limits
        where = f"{self.archive}:{self.member}" if self.member else str(self.archive)
        if self.unpacked > limits.unpacked:
            raise ArchiveLimit(where, _("the archive unpacks to more than {n} bytes").format(
                n=number_text(limits.unpacked)))
        if self.unpacked > RATIO_FLOOR and self.unpacked > limits.ratio * max(
                self.compressed(), 1):
            raise ArchiveLimit(where, _("the archive unpacks more than {ratio} times its "
                                        "size (a compression bomb?)").format(
                ratio=decimal_text(f"{limits.ratio:g}")))
        if self.elapsed > limits.seconds:
            raise ArchiveLimit(where, _("reading the archive took longer than {seconds} s")
                               .format(seconds=decimal_text(f"{limits.seconds:g}")))


class _MeteredStream:
    """The unpacked stream of a tar archive, metered."""

    def __init__(self, inner: Any, meter: _Meter) -> None:
        self.inner = inner
        self.meter = meter

    def read(self, n: int = -1) -> bytes:
        started = time.monotonic()
        data = self.inner.read(n)
        self.meter.count(len(data), started)
        return bytes(data)


def _archive_error(exc: BaseException) -> str:
    """Why an archive cannot be read, as people say it (the library's words for what it
    does not name)."""
    import lzma
    import tarfile
    import zipfile
    import zlib

    if isinstance(exc, EOFError):
        return _("it ends too soon (cut short while copying?)")
    if isinstance(exc, zipfile.BadZipFile):
        return _("not a valid zip archive")
    if isinstance(exc, tarfile.ReadError):
        return _("not a valid tar archive")
    if isinstance(exc, (zlib.error, lzma.LZMAError)) or type(exc).__name__ == "BadGzipFile":
        return _("its compressed data is damaged")
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_reason(exc)
    return str(exc) or type(exc).__name__


def _from_archive(path: Path, notes: list[Problem], limits: Limits) -> Iterator[Candidate]:
    import lzma
    import tarfile
    import zipfile
    import zlib

    found = 0
    others: list[str] = []
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            fh.seek(0)
            if head.startswith(b"PK"):
                members = _zip_members(path, fh, limits, notes)
            else:
                members = _tar_members(path, fh, head, limits, notes)
            for name, data in members:
                cand = _member(path, name, data, notes)
                if cand is None:
                    others.append(name)
                    continue
                found += 1
                yield cand
    except ArchiveLimit as exc:
        notes.append(Problem(exc.where, 0, 0, exc.message,
                             _("if the archive is genuine, raise the limits: --max-unpacked, "
                               "--max-ratio, --archive-timeout"),
                             "archive-limit"))
        return
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile,
            zlib.error, lzma.LZMAError, NotImplementedError, RuntimeError,
            ValueError) as exc:
        notes.append(Problem(str(path), 0, 0, _("cannot read the archive: {error}").format(
                             error=_archive_error(exc)),
                             _("is it complete? copy it again"), "bad-archive"))
        return
    if others:
        notes.append(Problem(str(path), 0, 0,
                             _("{n} member(s) are not as-run logs, e.g. {name}").format(
                                 n=len(others), name=others[0]),
                             _("logs are <station>/<YYYY-MM-DD>.jsonl"), "not-a-log",
                             "warning"))
    if not found:
        notes.append(Problem(str(path), 0, 0, _("no as-run log in the archive"),
                             _("make it from the logs folder: the members must be "
                               "<station>/<YYYY-MM-DD>.jsonl"), "no-logs"))


def _member(archive: Path, name: str, data: bytes, notes: list[Problem]) -> Candidate | None:
    """The log an archive member holds (name already made safe), or None."""
    parts = PurePosixPath(name).parts
    if not parts:
        return None
    folder = f"{archive}:{'/'.join(parts[:-1])}"
    if len(parts) >= 2:
        found = identity(parts[-2], parts[-1])
        if found is not None:
            return Candidate(found[0], found[1], folder, parts[-1], data=data, size=len(data))
    if not LOG_NAME_RE.match(parts[-1]):
        return None
    # no station folder (an archive made inside one): the lines name their station, and
    # the chain, which starts from the station and day, must agree
    match = _FIRST_STATION_RE.match(data)
    found = identity(match.group(1).decode(), parts[-1]) if match else None
    if found is None:
        return None
    notes.append(Problem(f"{archive}:{name}", 0, 0,
                         _("no station folder in the archive; station {code} is taken from "
                           "the log's lines (its chain is checked against it)").format(
                             code=found[0]),
                         _("make archives from the logs folder: <station>/<YYYY-MM-DD>.jsonl"),
                         "no-station-folder", "warning"))
    return Candidate(found[0], found[1], folder, parts[-1], data=data, size=len(data))


def _safe_name(name: str, archive: Path, notes: list[Problem]) -> str | None:
    """A member name with ``/`` separators (Windows tools write ``\\``), or None when
    it is absolute or climbs out with ``..`` (reported)."""
    clean = name.replace("\\", "/")
    pure = PurePosixPath(clean)
    if pure.is_absolute() or ".." in pure.parts or (len(clean) > 1 and clean[1] == ":"):
        notes.append(Problem(f"{archive}:{name}", 0, 0,
                             _("archive member with an absolute path or '..' refused"),
                             _("archives must hold relative paths only"), "unsafe-member"))
        return None
    return clean


def _read_member(fh: Any, name: str, archive: Path, limits: Limits, meter: _Meter | None,
                 notes: list[Problem]) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        started = time.monotonic()
        chunk = fh.read(1 << 20)
        if meter is not None:
            meter.count(len(chunk), started)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limits.member:
            notes.append(Problem(f"{archive}:{name}", 0, 0,
                                 _("member larger than {n} bytes: not a day's log, skipped")
                                 .format(n=number_text(limits.member)), code="too-large"))
            return None
        chunks.append(chunk)


def _zip_members(path: Path, fh: BinaryIO, limits: Limits, notes: list[Problem]
                 ) -> Iterator[tuple[str, bytes]]:
    import zipfile

    archive_size = os.fstat(fh.fileno()).st_size
    meter = _Meter(path, limits, lambda: archive_size)
    with zipfile.ZipFile(fh) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = _safe_name(info.filename, path, notes)
            if name is None:
                continue
            meter.member = name
            if info.file_size > limits.member:
                notes.append(Problem(f"{path}:{name}", 0, 0,
                                     _("member of {n} bytes: not a day's log, skipped").format(
                                         n=number_text(info.file_size)), code="too-large"))
                continue
            if info.file_size > RATIO_FLOOR and info.file_size > limits.ratio * max(
                    info.compress_size, 1):
                raise ArchiveLimit(f"{path}:{name}", _(
                    "the member unpacks more than {ratio} times its size (a compression "
                    "bomb?)").format(ratio=decimal_text(f"{limits.ratio:g}")))
            if not LOG_NAME_RE.match(PurePosixPath(name).name):
                yield name, b""  # counted as "not a log", not read
                continue
            with archive.open(info) as member:
                data = _read_member(member, name, path, limits, meter, notes)
            if data is not None:
                yield name, data


def _tar_members(path: Path, fh: BinaryIO, head: bytes, limits: Limits,
                 notes: list[Problem]) -> Iterator[tuple[str, bytes]]:
    import bz2
    import gzip
    import lzma
    import tarfile

    counted = _Counted(fh)
    raw: Any = counted
    inner: Any
    if head.startswith(b"\x1f\x8b"):
        inner = gzip.GzipFile(fileobj=raw, mode="rb")
    elif head.startswith(b"BZh"):
        inner = bz2.BZ2File(raw)
    elif head.startswith(b"\xfd7zXZ\x00"):
        inner = lzma.LZMAFile(raw)
    else:
        inner = raw
    meter = _Meter(path, limits, lambda: counted.consumed)
    stream = _MeteredStream(inner, meter)
    with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
        for member in tar:
            name = _safe_name(member.name, path, notes)
            meter.member = member.name
            if name is None:
                continue
            if member.issym() or member.islnk():
                if LOG_NAME_RE.match(PurePosixPath(name).name):
                    notes.append(Problem(f"{path}:{name}", 0, 0,
                                         _("a link inside the archive: not followed"),
                                         _("archive the logs themselves"), "symlink"))
                continue
            if not member.isfile():
                continue
            if not LOG_NAME_RE.match(PurePosixPath(name).name):
                yield name, b""
                continue
            if member.size > limits.member:
                notes.append(Problem(f"{path}:{name}", 0, 0,
                                     _("member of {n} bytes: not a day's log, skipped").format(
                                         n=number_text(member.size)), code="too-large"))
                continue
            extracted = tar.extractfile(member)
            if extracted is None:
                continue
            data = _read_member(extracted, name, path, limits, None, notes)
            if data is not None:
                yield name, data
