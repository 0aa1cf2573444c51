"""Collect as-run logs from stations into one store a district (or a cluster) reads.

Store layout (docs/reports.md)::

    STORE/raw/district=<code>/station=<code>/date=<YYYY-MM-DD>.jsonl   the logs, as sent
    STORE/minutes/district=<code>/batch-<n>.parquet                    minute lines
    STORE/events/district=<code>/batch-<n>.parquet                     event lines
    STORE/unknown/station=<code>/date=<YYYY-MM-DD>.jsonl               not in the registry
    STORE/rejected/station=<code>/date=<YYYY-MM-DD>.jsonl.<n>          chain broken
    STORE/conflicts/station=<code>/date=<YYYY-MM-DD>.jsonl.<n>         a second, different copy
    STORE/catalog.json                                                 what is where

Rules: the same file twice adds nothing; a chain-consistent prefix of a file already
collected is skipped and a longer version replaces the shorter one (its columnar rows
too); a different file for the same station and day is set aside under conflicts/ and
the first one kept. The Parquet copy always holds exactly the rows of ``raw/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, UTC
from pathlib import Path, PurePosixPath
from typing import Any

from radiocli.aslog.format import FILE_RE, valid_station
from radiocli.aslog.verify import FileCheck, check_file
from radiocli.errors import LogError, Problem
from radiocli.schedule.registry import Registry

CATALOG = "catalog.json"
MAX_MEMBER = 256 << 20  # archive members larger than this are refused
# Problems that mean the chain cannot be trusted: such files are kept apart.
TAMPERED = frozenset(
    {
        "edited",
        "removed",
        "inserted",
        "reordered",
        "wrong-station",
        "wrong-day",
        "format",
        "unknown-keys",
        "missing-keys",
        "keys",
        "value",
        "unreadable",
        "encoding",
        "empty",
    }
)


@dataclass
class Candidate:
    station: str
    day: date
    origin: str  # where it came from, for messages
    path: Path | None = None  # a file on disk (folders)
    data: bytes | None = None  # bytes (archive members)
    size: int = 0
    mtime_ns: int = 0

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass
class CollectResult:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    older: int = 0  # a shorter copy of a file already collected
    conflicts: int = 0
    rejected: int = 0
    unknown: int = 0
    truncated: int = 0
    minutes: int = 0
    events: int = 0
    notes: list[Problem] = field(default_factory=list)
    gaps: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "older": self.older,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
            "unknown": self.unknown,
            "truncated": self.truncated,
            "minutes": self.minutes,
            "events": self.events,
            "gaps": self.gaps,
            "notes": [p.as_dict() for p in self.notes],
        }


# --- the store --------------------------------------------------------------------------


class Store:
    """A collect store folder and its catalog."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.catalog: dict[str, Any] = {"format": 1, "files": {}, "sources": {}, "batches": 0}
        path = self.root / CATALOG
        if path.is_file():
            try:
                self.catalog = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, OSError, UnicodeDecodeError) as exc:
                raise LogError(
                    f"{path}: the store's catalog is unreadable ({exc}); "
                    "move the store aside and collect again"
                ) from exc
        self.files: dict[str, dict[str, Any]] = self.catalog.setdefault("files", {})
        self.sources: dict[str, list[int]] = self.catalog.setdefault("sources", {})

    @property
    def minutes_glob(self) -> str:
        return str(self.root / "minutes" / "*" / "*.parquet")

    @property
    def events_glob(self) -> str:
        return str(self.root / "events" / "*" / "*.parquet")

    def has_data(self) -> bool:
        return any(f.get("status") == "ok" for f in self.files.values())

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o750)
        tmp = self.root / (CATALOG + ".tmp")
        tmp.write_text(json.dumps(self.catalog, ensure_ascii=False, indent=0), encoding="utf-8")
        os.replace(tmp, self.root / CATALOG)

    def raw_path(self, district: str, station: str, day: str) -> Path:
        return self.root / "raw" / f"district={district}" / f"station={station}" / f"date={day}.jsonl"

    def aside(self, kind: str, station: str, day: str) -> Path:
        folder = self.root / kind / f"station={station}"
        folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        n = 1
        while (folder / f"date={day}.jsonl.{n}").exists():
            n += 1
        return folder / f"date={day}.jsonl.{n}"


# --- sources ----------------------------------------------------------------------------


def _identity(parent: str, name: str) -> tuple[str, date] | None:
    if name.startswith("date="):
        name = name[5:]
    match = FILE_RE.match(name)
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


def candidates(source: Path, notes: list[Problem]) -> Iterator[Candidate]:
    """Log files in a folder (station folder, logs folder, store) or an archive."""
    if not source.exists():
        notes.append(Problem(str(source), 0, 0, "no such file or folder", code="missing"))
        return
    if source.is_file():
        name = source.name.lower()
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
            yield from _from_tar(source, notes)
        elif name.endswith(".zip"):
            yield from _from_zip(source, notes)
        else:
            found = _identity(source.parent.name, source.name)
            if found is None:
                notes.append(Problem(str(source), 0, 0, "not an as-run log or archive",
                                     "give station folders, a logs folder or .tar/.zip",
                                     "source"))
                return
            stat = source.stat()
            yield Candidate(found[0], found[1], str(source), path=source, size=stat.st_size,
                            mtime_ns=stat.st_mtime_ns)
        return
    # a home's rehearsal logs are not a proof of broadcast: collected only when given
    skip = {"minutes", "events", "conflicts", "rejected", ".staging", "rehearsal"}
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        parent = os.path.basename(folder)
        for name in sorted(files):
            found = _identity(parent, name)
            if found is None:
                continue
            path = Path(folder) / name
            try:
                stat = path.lstat()
            except OSError:
                continue
            if not path.is_file() or path.is_symlink():
                continue
            yield Candidate(found[0], found[1], str(path), path=path, size=stat.st_size,
                            mtime_ns=stat.st_mtime_ns)


def _safe_member(name: str, archive: Path, notes: list[Problem]) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\")) or ".." in pure.parts or (
        len(name) > 1 and name[1] == ":"
    ):
        notes.append(Problem(f"{archive}:{name}", 0, 0,
                             "archive member with an absolute path or '..' refused",
                             "archives must hold relative paths only", "unsafe-member"))
        return False
    return True


def _member_candidate(name: str, data: bytes, archive: Path) -> Candidate | None:
    parts = PurePosixPath(name).parts
    if len(parts) < 2:
        return None
    found = _identity(parts[-2], parts[-1])
    if found is None:
        return None
    return Candidate(found[0], found[1], f"{archive}:{name}", data=data, size=len(data))


def _from_tar(path: Path, notes: list[Problem]) -> Iterator[Candidate]:
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                if not _safe_member(member.name, path, notes):
                    continue
                if not member.isfile():
                    continue
                if member.size > MAX_MEMBER:
                    notes.append(Problem(f"{path}:{member.name}", 0, 0,
                                         "archive member too large, skipped", code="too-large"))
                    continue
                fh = tar.extractfile(member)
                if fh is None:
                    continue
                cand = _member_candidate(member.name, fh.read(), path)
                if cand is not None:
                    yield cand
    except (tarfile.TarError, OSError, EOFError) as exc:
        notes.append(Problem(str(path), 0, 0, f"cannot read the archive: {exc}",
                             code="bad-archive"))


def _from_zip(path: Path, notes: list[Problem]) -> Iterator[Candidate]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not _safe_member(info.filename, path, notes) or info.is_dir():
                    continue
                if info.file_size > MAX_MEMBER:
                    notes.append(Problem(f"{path}:{info.filename}", 0, 0,
                                         "archive member too large, skipped", code="too-large"))
                    continue
                cand = _member_candidate(info.filename, archive.read(info), path)
                if cand is not None:
                    yield cand
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        notes.append(Problem(str(path), 0, 0, f"cannot read the archive: {exc}",
                             code="bad-archive"))


# --- collecting -------------------------------------------------------------------------


def _content(data: bytes) -> bytes:
    """The complete lines of a file (a torn tail does not count when comparing copies)."""
    cut = data.rfind(b"\n") + 1
    return data[:cut]


def _check(args: tuple[str, str, str, date | None]) -> FileCheck:
    path, station, day, today = args
    return check_file(Path(path), today=today, station=station, day=date.fromisoformat(day))


def collect(
    sources: list[Path],
    store_dir: Path,
    registry: Registry,
    *,
    today: date | None = None,
    workers: int = 0,
    progress: Any = None,
) -> CollectResult:
    """Collect the logs found in ``sources`` into the store at ``store_dir``."""
    store = Store(store_dir)
    result = CollectResult()
    staging = store.root / ".staging"
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, exist_ok=True, mode=0o750)
    ever = registry.ever()
    remembered_before = len(store.sources)
    # 1. what is new
    pending: list[tuple[Candidate, int, str, Path]] = []  # cand, size, sha, staged path
    for source in sources:
        # resolved once: the walk below it then yields real paths (links are skipped)
        for cand in candidates(Path(source).resolve(), result.notes):
            key = f"{cand.station}/{cand.day}"
            if cand.path is not None:
                seen = store.sources.get(str(cand.path))
                if seen == [cand.size, cand.mtime_ns]:
                    result.unchanged += 1
                    continue
            try:
                data = cand.read()
            except OSError as exc:
                result.notes.append(Problem(cand.origin, 0, 0,
                                            f"cannot read: {exc.strerror}", code="unreadable"))
                continue
            sha = hashlib.sha256(data).hexdigest()
            entry = store.files.get(key)
            if entry is not None and entry.get("sha256") == sha:
                result.unchanged += 1
                _remember(store, cand)
                continue
            staged = (staging / str(len(pending) // 1000) / str(len(pending))
                      / f"station={cand.station}" / f"date={cand.day}.jsonl")
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(data)
            pending.append((cand, len(data), sha, staged))
            del data
    # 2. verify the chains (in parallel when there are many files)
    jobs = [(str(p), c.station, str(c.day), today) for c, _d, _s, p in pending]
    if workers != 1 and len(jobs) > 64:
        with ProcessPoolExecutor(max_workers=workers or min(os.cpu_count() or 1, 8)) as pool:
            checks = list(pool.map(_check, jobs, chunksize=64))
    else:
        checks = [_check(job) for job in jobs]
    # 3. place each file
    touched: dict[str, list[str]] = {}  # district -> keys whose rows must be (re)built
    replaced: dict[str, set[str]] = {}  # batch file -> keys to drop from it
    for (cand, size, sha, staged), check in zip(pending, checks, strict=True):
        if progress is not None:
            progress(1)
        key = f"{cand.station}/{cand.day}"
        day = str(cand.day)
        tampered = [p for p in check.problems if p.code in TAMPERED and p.severity == "error"]
        entry = store.files.get(key)
        info = {
            "station": cand.station,
            "date": day,
            "sha256": sha,
            "bytes": size,
            "lines": check.lines,
            "minutes": check.minutes,
            "events": check.events,
            "sealed": check.sealed,
            "torn": check.torn,
            "source": cand.origin,
            "collected": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if tampered:
            target = store.aside("rejected", cand.station, day)
            os.replace(staged, target)
            result.rejected += 1
            for p in tampered[:3]:
                result.notes.append(Problem(cand.origin, p.line, 0, p.message,
                                            f"kept apart in {target}", "rejected"))
            store.catalog.setdefault("rejected", []).append(
                {**info, "path": str(target.relative_to(store.root)),
                 "problems": [p.message for p in tampered[:5]]}
            )
            _remember(store, cand)
            continue
        station = registry.as_of(cand.day).get(cand.station) or ever.get(cand.station)
        if station is None:
            target = store.root / "unknown" / f"station={cand.station}" / f"date={day}.jsonl"
            if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha:
                result.unchanged += 1
                continue
            if target.exists():
                target = store.aside("conflicts", cand.station, day)
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            os.replace(staged, target)
            result.unknown += 1
            result.notes.append(Problem(cand.origin, 0, 0,
                                        f"station {cand.station} is not in the registry",
                                        f"kept apart in {target}", "unknown-station"))
            store.catalog.setdefault("unknown", {})[key] = {
                **info, "path": str(target.relative_to(store.root))}
            _remember(store, cand)
            continue
        district = station.district or "none"
        if entry is not None and entry.get("sha256") == sha:
            result.unchanged += 1
            staged.unlink()
            _remember(store, cand)
            continue
        if entry is not None:
            old = store.root / entry["path"]
            try:
                old_content = _content(old.read_bytes())
            except OSError:
                old_content = b""
            new_content = _content(staged.read_bytes())
            if new_content.startswith(old_content) and len(new_content) > len(old_content):
                relation = "longer"
            elif old_content.startswith(new_content):
                relation = "shorter"
            else:
                relation = "conflict"
            if relation == "shorter":
                result.older += 1
                staged.unlink()
                _remember(store, cand)
                continue
            if relation == "conflict":
                target = store.aside("conflicts", cand.station, day)
                os.replace(staged, target)
                result.conflicts += 1
                result.notes.append(Problem(
                    cand.origin, 0, 0,
                    f"a different log for station {cand.station} on {day} was collected "
                    f"before (from {entry.get('source')}); the first one is kept",
                    f"this copy is set aside in {target}", "conflict"))
                store.catalog.setdefault("conflicts", []).append(
                    {**info, "path": str(target.relative_to(store.root)), "kept": entry["sha256"]})
                _remember(store, cand)
                continue
            if entry.get("batch"):
                replaced.setdefault(entry["batch"], set()).add(key)
            if entry["path"] != str(store.raw_path(district, cand.station, day).relative_to(store.root)):
                try:
                    old.unlink()
                except OSError:
                    pass
            result.replaced += 1
        else:
            result.added += 1
        target = store.raw_path(district, cand.station, day)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        os.replace(staged, target)
        os.chmod(target, 0o640)
        if not check.sealed and (today is None or cand.day < today):
            result.truncated += 1
            result.notes.append(Problem(cand.origin, check.lines, 0,
                                        f"station {cand.station} {day}: no sealed line, "
                                        "possibly truncated (the lines present are counted)",
                                        code="truncated", severity="warning"))
        info.update(path=str(target.relative_to(store.root)), district=district, status="ok",
                    batch=None)
        store.files[key] = info
        if key not in touched.setdefault(district, []):
            touched[district].append(key)
        result.minutes += check.minutes
        result.events += check.events
        _remember(store, cand)
    # 4. the columnar copy
    if touched or replaced:
        _build_columns(store, touched, replaced)
    if pending or remembered_before != len(store.sources):
        store.save()
    shutil.rmtree(staging, ignore_errors=True)
    result.gaps = gaps(store)
    return result


def _remember(store: Store, cand: Candidate) -> None:
    if cand.path is not None:
        store.sources[str(cand.path)] = [cand.size, cand.mtime_ns]


def gaps(store: Store) -> dict[str, list[str]]:
    """Missing days inside each station's collected range: station -> days."""
    days: dict[str, list[date]] = {}
    for entry in store.files.values():
        days.setdefault(entry["station"], []).append(date.fromisoformat(entry["date"]))
    out: dict[str, list[str]] = {}
    for station, found in sorted(days.items()):
        have = set(found)
        lo, hi = min(found), max(found)
        missing = []
        day = lo
        while day <= hi:
            if day not in have:
                missing.append(str(day))
            day += timedelta(days=1)
        if missing:
            out[station] = missing
    return out


MINUTE_COLUMNS = (
    "station VARCHAR, day DATE, minute TIMESTAMP, program VARCHAR, occurrence VARCHAR, "
    "segment INTEGER, priority VARCHAR, seconds INTEGER"
)


def _build_columns(store: Store, touched: dict[str, list[str]],
                   replaced: dict[str, set[str]]) -> None:
    """Write Parquet batches for new raw files; rewrite batches that held replaced rows."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order=false")
    # drop superseded rows from older batches
    for batch, dropped in replaced.items():
        for table in ("minutes", "events"):
            path = store.root / table / batch
            if not path.exists():
                continue
            pairs = [tuple(k.split("/")) for k in dropped]
            con.execute("CREATE OR REPLACE TEMP TABLE drop_keys (station VARCHAR, day DATE)")
            con.executemany("INSERT INTO drop_keys VALUES (?, ?)", pairs)
            tmp = path.with_suffix(".tmp")
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{_q(path)}') t WHERE NOT EXISTS "
                "(SELECT 1 FROM drop_keys d WHERE d.station = t.station AND d.day = t.day)) "
                f"TO '{_q(tmp)}' (FORMAT parquet)"
            )
            os.replace(tmp, path)
    # new batches
    for district, keys in sorted(touched.items()):
        store.catalog["batches"] = int(store.catalog.get("batches", 0)) + 1
        batch = f"district={district}/batch-{store.catalog['batches']:06d}.parquet"
        files = [str(store.root / store.files[k]["path"]) for k in keys]
        con.execute("DROP TABLE IF EXISTS lines")
        con.execute(
            "CREATE TEMP TABLE lines AS SELECT * FROM read_json(?, format='newline_delimited', "
            "ignore_errors=true, maximum_object_size=1048576, columns={'station':'VARCHAR', "
            "'minute':'VARCHAR', 'event':'VARCHAR', 'at':'VARCHAR', 'scheduled':'VARCHAR', "
            "'program':'VARCHAR', 'occurrence':'VARCHAR', 'segment':'INTEGER', 'priority':'VARCHAR', "
            "'seconds':'INTEGER', 'reason':'VARCHAR', 'lines':'INTEGER'})",
            [files],
        )
        for table, query in (
            ("minutes",
             "SELECT station, CAST(substr(minute, 1, 10) AS DATE) AS day, "
             "CAST(substr(minute, 1, 16) || ':00' AS TIMESTAMP) AS minute, program, "
             "occurrence, segment, priority, seconds FROM lines WHERE minute IS NOT NULL"),
            ("events",
             "SELECT station, CAST(substr(\"at\", 1, 10) AS DATE) AS day, event, "
             "CAST(substr(\"at\", 1, 23) AS TIMESTAMP) AS \"at\", "
             "TRY_CAST(substr(scheduled, 1, 19) AS TIMESTAMP) AS scheduled, program, "
             "occurrence, priority, reason, lines FROM lines WHERE event IS NOT NULL"),
        ):
            target = store.root / table / batch
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            con.execute(f"COPY ({query}) TO '{_q(target)}' (FORMAT parquet, COMPRESSION zstd)")
        for k in keys:
            store.files[k]["batch"] = batch
    con.close()


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def empty_tables(con: Any, minutes: bool = True, events: bool = True) -> None:
    """Create empty ``minutes``/``events`` tables when the store has no data yet."""
    if minutes:
        con.execute(f"CREATE OR REPLACE TEMP TABLE minutes ({MINUTE_COLUMNS}, district VARCHAR)")
    if not events:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE events (station VARCHAR, day DATE, event VARCHAR, "
        "\"at\" TIMESTAMP, scheduled TIMESTAMP, program VARCHAR, occurrence VARCHAR, "
        "priority VARCHAR, reason VARCHAR, lines INTEGER, district VARCHAR)"
    )


__all__ = ["CollectResult", "Store", "collect", "candidates", "gaps", "empty_tables"]
