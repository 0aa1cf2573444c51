"""Collect as-run logs from stations into one store a district (or a cluster) reads.

:func:`collect` walks the sources (:mod:`radiocli.aslog.sources`), reads and checks
each new file once (:mod:`radiocli.aslog.scan`, in worker processes when there are
many), decides where it goes, and writes the accepted lines as Parquet parts
(:mod:`radiocli.aslog.parts`); the store (:mod:`radiocli.aslog.store`) publishes all
of it in one step at the end, or none of it.

Rules (docs/store.md):

- the same bytes twice add nothing; an unchanged source file is not even read again;
- a copy that is a prefix of the one collected is an older copy, skipped; a longer
  copy that continues an unsealed day replaces it (its Parquet rows too);
- once a day's sealed copy is collected, it stays: any different copy is set apart
  under ``conflicts/`` with a note;
- files that do not parse as a log go to ``quarantine/``, files whose chain or values
  are broken to ``rejected/``, files with a minute written twice within an occurrence
  (or more than 60 seconds on air in a minute) to ``duplicates/``, logs of stations
  the registry does not know to ``unknown/``; each is reported, none is counted;
- control characters in text are kept in the raw copy and replaced in the columns.

Memory does not grow with the number of files: sources are walked as a stream and
handled in rounds of bounded size; the catalog is SQLite.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiocli.aslog.parts import Batch
from radiocli.aslog.scan import Scan, scan
from radiocli.aslog.sources import Candidate, Limits, candidates
from radiocli.aslog.publish import Live, StoreWriter
from radiocli.aslog.store import MINUTE_COLUMNS, Store, StoreBusy, empty_tables
from radiocli.aslog.verify import MAX_FILE, check_bytes
from radiocli.errors import Problem
from radiocli.i18n import _, day_text, number_text, os_reason

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from radiocli.schedule.registry import Registry

# What a file's problems make of it (the first kind that applies).
QUARANTINE = frozenset(
    {"empty", "unreadable", "encoding", "keys", "unknown-keys", "missing-keys", "name"}
)
REJECT = frozenset(
    {"edited", "removed", "inserted", "reordered", "wrong-station", "wrong-day", "format",
     "value"}
)
DUPLICATE = frozenset({"duplicate", "overlap"})
TAMPERED = QUARANTINE | REJECT | DUPLICATE  # (format 1 name)
# Problems with a source itself (not with a log in it): `logs collect` exits 1.
SOURCE_PROBLEMS = frozenset(
    {"missing", "unreadable", "source", "bad-archive", "archive-limit", "unsafe-member",
     "too-large", "symlink", "no-logs"}
)
ROUND_FILES = 2048  # files examined per round (what a round holds bounds the memory)
ROUND_BYTES = 64 << 20  # ... or bytes
MAX_NOTES = 1000  # notes kept in the result; the rest are counted

Progress = Callable[[int, int], None]
DEFAULT_LIMITS = Limits()


@dataclass
class CollectResult:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    older: int = 0  # a shorter copy of a file already collected
    conflicts: int = 0
    rejected: int = 0
    quarantined: int = 0
    duplicates: int = 0
    unknown: int = 0
    truncated: int = 0
    escaped: int = 0  # logs whose text had control characters (replaced in the columns)
    in_progress: int = 0  # today's files with no complete line yet (left for later)
    broken: int = 0  # sources, archives or files that could not be read as given
    minutes: int = 0
    events: int = 0
    notes: list[Problem] = field(default_factory=list)
    notes_left_out: int = 0
    gaps: dict[str, list[str]] = field(default_factory=dict)

    COUNTS = ("added", "replaced", "unchanged", "older", "conflicts", "rejected",
              "quarantined", "duplicates", "unknown", "truncated", "escaped", "in_progress",
              "broken", "minutes", "events")

    def note(self, problem: Problem) -> None:
        if problem.severity == "error" and problem.code in SOURCE_PROBLEMS:
            self.broken += 1
        if len(self.notes) < MAX_NOTES:
            self.notes.append(problem)
        else:
            self.notes_left_out += 1

    @property
    def set_apart(self) -> int:
        return self.conflicts + self.rejected + self.quarantined + self.duplicates + self.unknown

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in self.COUNTS}
        out["gaps"] = self.gaps
        out["notes"] = [p.as_dict() for p in self.notes]
        out["notes_left_out"] = self.notes_left_out
        return out


# --- examining files (in worker processes) ----------------------------------------------


@dataclass
class _Job:
    index: int
    path: str | None
    data: bytes | None
    station: str
    day: date
    origin: str
    known: str  # sha256 of the collected copy, "" when none
    incoming: str
    today: date | None


@dataclass
class _Outcome:
    index: int
    sha256: str = ""
    size: int = 0
    found: Scan | None = None  # None when the file is not clean
    problems: list[Problem] = field(default_factory=list)
    error: str = ""
    same: bool = False


def _worker_init(parent: int) -> None:
    """A worker dies with the collect that started it (Linux: PR_SET_PDEATHSIG), so a
    collect killed with -9 leaves no worker behind."""
    from radiocli.tools import die_with_parent

    die_with_parent(parent)


def _examine(jobs: list[_Job]) -> list[_Outcome]:
    return [_examine_one(job) for job in jobs]


def _examine_one(job: _Job) -> _Outcome:
    out = _Outcome(job.index)
    data = job.data
    if data is None:
        assert job.path is not None
        try:
            with open(job.path, "rb") as fh:
                data = fh.read(MAX_FILE + 1)
        except OSError as exc:
            out.error = _("cannot read: {reason}").format(reason=os_reason(exc))
            return out
    out.size = len(data)
    if len(data) > MAX_FILE:
        out.error = "too-large"
        return out
    out.sha256 = hashlib.sha256(data).hexdigest()
    if out.sha256 == job.known:
        out.same = True
        return out
    found = scan(data, job.station, job.day)
    if found.clean:
        out.found = found
    else:
        out.problems = check_bytes(data, job.station, job.day, today=job.today,
                                   path=job.origin).problems
        out.found = None
    with open(job.incoming, "wb") as fh:
        fh.write(data)
    return out


# --- one collect --------------------------------------------------------------------------


def _content(data: bytes) -> bytes:
    """The complete lines of a file (a torn tail does not count when comparing copies)."""
    return data[: data.rfind(b"\n") + 1]


class _Collect:
    def __init__(self, writer: StoreWriter, registry: Registry, result: CollectResult,
                 today: date | None, workers: int, progress: Progress | None,
                 limits: Limits, quick: bool = False) -> None:
        self.writer = writer
        self.quick = quick
        self.registry = registry
        self.result = result
        self.today = today
        self.workers = workers
        self.progress = progress
        self.limits = limits
        self.round: list[Candidate] = []
        self.round_bytes = 0
        self.done = 0
        self.total = 0
        self.pool: Executor | None = None
        self.collected = int(time.time())
        self.incoming = writer.incoming
        self.incoming.mkdir(parents=True, exist_ok=True)
        self.touched: set[str] = set()

    # walking ---------------------------------------------------------------------------

    def run(self, sources: list[Path]) -> None:
        notes: list[Problem] = []
        if self.progress is not None:
            self.total = self._count(sources)
        for source in sources:
            for cand in candidates(source, notes, memory=self.writer.memory, quick=self.quick,
                                   limits=self.limits):
                self._drain(notes)
                if cand.unchanged:
                    self.result.unchanged += cand.count
                    self._advance(cand.count)
                    continue
                if self.progress is not None and cand.path is None:
                    self.total += 1  # archive members are counted as they come
                self.round.append(cand)
                self.round_bytes += cand.size
                if len(self.round) >= ROUND_FILES or self.round_bytes >= ROUND_BYTES:
                    self._flush()
            self._drain(notes)
        self._flush()

    def _count(self, sources: list[Path]) -> int:
        """How many log files the folders hold (for the progress bar)."""
        total = 0
        for source in sources:
            if source.is_dir():
                total += sum(1 for _c in candidates(source, []))
        return total

    def _drain(self, notes: list[Problem]) -> None:
        for problem in notes:
            self.result.note(problem)
        notes.clear()

    def _advance(self, n: int = 1) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))

    # one round -------------------------------------------------------------------------

    def _flush(self) -> None:
        if not self.round:
            return
        cands, self.round, self.round_bytes = self.round, [], 0
        live = self.writer.live((c.station, str(c.day)) for c in cands)
        jobs = [
            _Job(i, str(c.path) if c.path is not None else None, c.data, c.station, c.day,
                 c.origin, live[(c.station, str(c.day))].sha256
                 if (c.station, str(c.day)) in live else "",
                 str(self.incoming / f"{i}.jsonl"), self.today)
            for i, c in enumerate(cands)
        ]
        for c in cands:
            c.data = None  # the jobs hold the bytes now
        round_ = _Round(self, cands, live)
        for outcome in self._outcomes(jobs):
            round_.decide(cands[outcome.index], outcome)
            self._advance()
        round_.finish()

    def _outcomes(self, jobs: list[_Job]) -> Any:
        if self.workers == 1 or len(jobs) < 128:
            return _examine(jobs)
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            count = self.workers or min(os.cpu_count() or 1, 8)
            self.pool = ProcessPoolExecutor(
                max_workers=count, mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_init, initargs=(os.getpid(),))
        size = max(16, min(256, len(jobs) // (4 * (self.workers or os.cpu_count() or 1))))
        batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        return (outcome for batch in self.pool.map(_examine, batches) for outcome in batch)

    def district(self, station: str, day: date) -> str | None:
        """The district of the unit that held the code that day ("" without districts),
        None when the registry does not know the code. By code *and* day: a code may be
        reused (00004: Phường Trúc Bạch of district 001 until 2025-06-30, then Phường Ba
        Đình, no district), and a station still writing under a merged unit's code belongs
        to that unit (Registry.holder)."""
        found = self.registry.holder(station, day)
        return None if found is None else found.district

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


class _Round:
    """The decisions about one round of files, then their moves and their part."""

    def __init__(self, run: _Collect, cands: list[Candidate], live: dict[tuple[str, str], Live]
                 ) -> None:
        self.run = run
        self.writer = run.writer
        self.result = run.result
        self.live = live
        self.moves: dict[str, Path] = {}  # store path -> incoming file
        self.batch = Batch()
        self.in_batch: dict[tuple[str, str], int] = {}
        self.parts: dict[str, tuple[int, list[Path]]] = {}  # month -> part, its files

    def decide(self, cand: Candidate, out: _Outcome) -> None:
        result = self.result
        day = str(cand.day)
        key = (cand.station, day)
        if out.error:
            if out.error == "too-large":
                result.note(Problem(cand.origin, 0, 0,
                                    _("{n}+ bytes: too large for a day's log, not collected")
                                    .format(n=number_text(out.size - 1)),
                                    _("is it an as-run log?"), "too-large"))
            else:
                result.note(Problem(cand.origin, 0, 0, out.error, code="unreadable"))
            return
        if out.same:
            result.unchanged += 1
            self._remember(cand)
            return
        incoming = self.run.incoming / f"{out.index}.jsonl"
        found = out.found
        today = self.run.today
        if found is None and today is not None and cand.day >= today and any(
                p.code == "empty" for p in out.problems):
            result.in_progress += 1  # today's file with no complete line yet
            incoming.unlink(missing_ok=True)
            return
        if found is None:
            self._set_aside(cand, out, incoming, self._kind(out.problems))
            return
        district = self.run.district(cand.station, cand.day)
        if district is None:
            out.problems = [Problem(cand.origin, 0, 0,
                                    _("station {code} is not in the registry").format(
                                        code=cand.station),
                                    _("add it to schedules/registry, then collect the "
                                      "store's unknown/ folder"), "unknown-station")]
            self._set_aside(cand, out, incoming, "unknown")
            return
        old = self.live.get(key)
        if old is not None and old.sha256 == out.sha256:  # the same bytes, earlier this round
            result.unchanged += 1
            incoming.unlink(missing_ok=True)
            self._remember(cand)
            return
        if old is not None:
            relation = self._relation(old, incoming)
            if relation == "older":
                result.older += 1
                incoming.unlink(missing_ok=True)
                self._remember(cand)
                return
            if relation == "conflict":
                why = (_("station {code} {day}: the day was collected sealed (from {src}); "
                         "that copy is kept") if old.sealed else
                       _("station {code} {day}: a different log of the day was collected "
                         "before (from {src}); the first one is kept"))
                out.problems = [Problem(cand.origin, 0, 0,
                                        why.format(code=cand.station, day=day_text(day),
                                                   src=old.source), "", "conflict")]
                self._set_aside(cand, out, incoming, "conflict")
                return
            result.replaced += 1
        else:
            result.added += 1
        replaces = old
        version = old.version + 1 if old is not None else 1
        if old is not None and old.path in self.moves:
            # the copy it replaces came earlier in this round: it is never placed
            self.moves.pop(old.path).unlink(missing_ok=True)
            self.batch.drop(self.in_batch.pop(key))
            replaces = None
            version = old.version
        path = self.writer.raw_path(district, cand.station, day, version)
        self.moves[path] = incoming
        month = f"{cand.day:%Y-%m}"
        if month not in self.parts:
            self.parts[month] = self.writer.new_part(month)
        part = self.parts[month][0]
        self.writer.record_log(
            station=cand.station, day=day, district=district, sha256=out.sha256,
            size=out.size, lines=found.lines + int(found.torn), minutes=found.minutes,
            events=found.events, sealed=found.sealed, torn=found.torn, version=version,
            part=part, folder=cand.folder, name=cand.name, collected=self.run.collected,
            replaces=replaces)
        self.live[key] = Live(cand.station, day, district, out.sha256, found.sealed, version,
                              part, cand.origin)
        self.in_batch[key] = self.batch.add(cand.station, cand.day, district, found)
        result.minutes += found.minutes
        result.events += found.events
        self.run.touched.add(cand.station)
        self._notes(cand, found)
        self._remember(cand)

    def _notes(self, cand: Candidate, found: Scan) -> None:
        result = self.result
        today = self.run.today
        if not found.sealed and (today is None or cand.day < today):
            result.truncated += 1
            result.note(Problem(cand.origin, found.lines, 0,
                                _("station {code} {day}: no sealed line, possibly "
                                  "truncated (the lines present are counted)").format(
                                    code=cand.station, day=day_text(cand.day)),
                                code="truncated", severity="warning"))
        if found.torn:
            result.note(Problem(cand.origin, found.lines + 1, 0,
                                _("the last line is cut short; it is not counted"),
                                code="torn", severity="warning"))
        if found.late:
            result.note(Problem(cand.origin, found.lines - found.late + 1, 0,
                                _("{n} line(s) written after the day was sealed; they are "
                                  "counted").format(n=found.late),
                                code="late", severity="warning"))
        if found.controls:
            result.escaped += 1
            result.note(Problem(cand.origin, 0, 0,
                                _("control characters in {n} line(s); kept in the raw copy, "
                                  "replaced by spaces or U+FFFD for reports").format(
                                    n=found.controls),
                                code="control-characters", severity="warning"))

    def _kind(self, problems: list[Problem]) -> str:
        codes = {p.code for p in problems if p.severity == "error"}
        if codes & QUARANTINE:
            return "quarantined"
        if codes & REJECT:
            return "rejected"
        if codes & DUPLICATE:
            return "duplicate"
        return "rejected"  # the fast reader refused it: never count what it refuses

    def _relation(self, old: Live, incoming: Path) -> str:
        """How a new copy relates to the collected one: "longer" (it continues an
        unsealed day), "older" (a prefix of it) or "conflict"."""
        source = self.moves.get(old.path) or (self.writer.root / old.path)
        try:
            old_content = _content(source.read_bytes())
        except OSError:
            old_content = b""
        new_content = _content(incoming.read_bytes())
        if old_content.startswith(new_content):
            return "older"
        if not old.sealed and new_content.startswith(old_content):
            return "longer"
        return "conflict"

    def _set_aside(self, cand: Candidate, out: _Outcome, incoming: Path, kind: str) -> None:
        result = self.result
        day = str(cand.day)
        counter = {"quarantined": "quarantined", "rejected": "rejected",
                   "duplicate": "duplicates", "conflict": "conflicts", "unknown": "unknown"}
        if self.writer.aside_has(kind, cand.station, day, out.sha256):
            result.unchanged += 1  # this very copy was set apart before
            incoming.unlink(missing_ok=True)
            self._remember(cand)
            return
        path = self.writer.aside_path(kind, cand.station, day, out.sha256)
        setattr(result, counter[kind], getattr(result, counter[kind]) + 1)
        errors = [p for p in out.problems if p.severity == "error"] or out.problems
        first = errors[0] if errors else Problem(cand.origin, 0, 0,
                                                 _("not as the writer writes it"))
        for p in errors[:3]:
            result.note(Problem(cand.origin, p.line, 0, p.message,
                                _("set apart in {path}").format(path=self.writer.root / path),
                                p.code))
        self.writer.record_aside(kind=kind, station=cand.station, day=day, sha256=out.sha256,
                                 size=out.size, path=path, source=cand.origin,
                                 code=first.code, message=first.message,
                                 collected=datetime.fromtimestamp(self.run.collected, UTC)
                                 .isoformat(timespec="seconds"))
        if path in self.moves:  # the same bytes twice in this round
            incoming.unlink(missing_ok=True)
        else:
            self.moves[path] = incoming
        self._remember(cand)

    def _remember(self, cand: Candidate) -> None:
        if cand.path is not None:
            self.writer.memory.remember(cand.folder, cand.name,
                                        (cand.size, cand.mtime_ns, cand.inode, cand.ctime_ns))

    def finish(self) -> None:
        """Name the new files durably, move them into place, write the round's part."""
        self.writer.intend(self.moves)
        for path, incoming in self.moves.items():
            self.writer.place(incoming, path)
        for month in self.batch.months():
            part, targets = self.parts[month]
            counts = self.batch.write(self.writer.duckdb, month, targets)
            self.writer.add_part(part, month, *counts)


# --- the entry point --------------------------------------------------------------------


def collect(
    sources: list[Path],
    store_dir: Path,
    registry: Registry,
    *,
    today: date | None = None,
    workers: int = 0,
    progress: Progress | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    quick: bool = False,
) -> CollectResult:
    """Collect the logs found in ``sources`` into the store at ``store_dir``.

    ``today``: files of this day or later may still be growing (not sealed, nothing
    complete yet). ``workers``: processes that read files (0: one per core, 1: none).
    ``progress(done, total)`` is called as files are handled. Another collect writing
    the store is waited for (``on_wait`` is told once), or with ``wait=False``
    :class:`~radiocli.aslog.store.StoreBusy` is raised. ``quick``: folders unchanged
    since they were last listed, but for days already collected sealed, are not listed
    again (what a report collects first; such a day keeps its first copy, so nothing
    they could hold changes a figure: see :class:`~radiocli.aslog.sources.Listing`)."""
    result = CollectResult()
    with StoreWriter(store_dir, wait=wait, on_wait=on_wait) as writer:
        run = _Collect(writer, registry, result, today, workers, progress, limits, quick)
        sources = [Path(s).resolve() for s in sources]
        legacy = writer.legacy
        if legacy is not None:
            sources += [legacy / name for name in ("raw", "unknown") if (legacy / name).is_dir()]
            result.note(Problem(str(legacy), 0, 0,
                                _("a store of format 1: its logs are collected again into "
                                  "this format"),
                                _("its rejected and conflicting copies stay in {path}").format(
                                    path=legacy), "upgraded", "warning"))
        try:
            run.run(sources)
        finally:
            run.close()
        writer.publish(today)
        if legacy is not None and not [n for n in result.notes
                                       if n.file.startswith(str(legacy)) and
                                       n.severity == "error" and n.code in SOURCE_PROBLEMS]:
            writer.finish_legacy()
        result.gaps = gaps(writer, run.touched)
    return result


def gaps(writer: StoreWriter, stations: set[str] | None = None,
         limit: int = 100) -> dict[str, list[str]]:
    """Missing days inside each station's collected range: station -> days (at most
    ``limit`` per station), for ``stations`` (all when None)."""
    db = writer.db
    if db is None:
        return {}
    out: dict[str, list[str]] = {}
    where, params = "", []
    if stations is not None and len(stations) <= 500:
        if not stations:
            return out
        where = f"WHERE station IN ({', '.join('?' * len(stations))})"
        params = sorted(stations)
    rows = db.execute(
        "SELECT station, before, day FROM (SELECT station, day, lag(day) OVER "
        f"(PARTITION BY station ORDER BY day) AS before FROM logs {where}) "
        "WHERE julianday(day) - julianday(before) > 1 ORDER BY station, day", params)
    for station, before, after in rows:
        if stations is not None and station not in stations:
            continue
        days = out.setdefault(station, [])
        day = date.fromisoformat(before) + timedelta(days=1)
        end = date.fromisoformat(after)
        while day < end and len(days) < limit:
            days.append(str(day))
            day += timedelta(days=1)
    return out


__all__ = ["CollectResult", "Limits", "MINUTE_COLUMNS", "Store", "StoreBusy", "collect",
           "candidates", "empty_tables", "gaps"]
