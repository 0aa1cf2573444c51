"""Simulation: the schedules on a virtual clock, through the same planner, the same
priority rules (Timeline) and the same as-run log writer as live playout.

Only the clock and the sink differ: time jumps from event to event instead of passing,
and nothing is played. Each station is simulated on the days its unit is in force (and
chosen): across Hanoi's 2025-07-01 reorganisation the 526 units run until 2025-06-30
and the 126 from 2025-07-01; a unit that ceases writes nothing after its last day.

Faults can be injected so reconciliation has something to find:

- a station offline from one moment to another writes nothing in between, as a dead
  station would: what was on air when it went down stops there, with no end line, and
  the minute in progress is not logged (live playout writes a minute line when the
  minute is over); what was waiting is dropped; nothing scheduled while it was down
  airs when it is back, and nothing cut off resumes. A day it was down at midnight is
  sealed only if it had written something that day and it came back before the end of
  the simulation (a restarted daemon seals the days it left open); a day it was down
  all along has no file at all;
- programs that fail at their start (all, or a fraction of their occurrences);
- a fraction of starts that are late, by up to ``late_seconds``.

A simulation plans the period once per process (:class:`Simulator`); stations are then
simulated one by one, in chunks across worker processes.
"""

from __future__ import annotations

import os
import random
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from radiocli import TZ
from radiocli.aslog.writer import LogBook
from radiocli.plan.planner import arrivals, blackouts_for
from radiocli.plan.timeline import Action, Occurrence, Timeline
from radiocli.play.ledger import Airtime, MinuteLedger, SegmentMap, write_lines
from radiocli.schedule.model import Schedule, Targets
from radiocli.schedule.registry import Registry

NO_SEGMENTS = SegmentMap()
DAY = timedelta(days=1)
LAST_INSTANT = time(23, 59, 59, 999000)  # when a day is sealed
FOREVER = datetime.max.replace(tzinfo=TZ)

Spans = tuple[tuple[date, date], ...]  # (first, last) days, both included, in order
Window = tuple[datetime, datetime]  # [from, to)


@dataclass(frozen=True)
class Faults:
    """What goes wrong in the simulated period."""

    offline: tuple[tuple[str, datetime, datetime], ...] = ()  # station, from, to
    failing: tuple[tuple[str, float], ...] = ()  # program id, fraction of occurrences
    late_fraction: float = 0.0  # share of starts that are late
    late_seconds: float = 90.0  # by up to this much
    seed: int = 2021

    def windows(self, station: str) -> list[Window]:
        """When ``station`` is offline, in order."""
        return sorted((a, b) for s, a, b in self.offline if s == station)


@dataclass
class Totals:
    stations: int = 0
    days: int = 0
    station_days: int = 0  # days simulated, summed over the stations
    sessions: int = 0
    minute_lines: int = 0
    seconds: float = 0.0
    missed: int = 0
    failed: int = 0
    preempted: int = 0
    offline: int = 0  # occurrences that did not air: the station was offline
    interrupted: int = 0  # occurrences cut off (on air or to resume) when it went down

    COUNTS = ("sessions", "minute_lines", "seconds", "missed", "failed", "preempted",
              "offline", "interrupted")

    def add(self, other: Totals) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, object]:
        return {"stations": self.stations, "days": self.days,
                "station_days": self.station_days, "sessions": self.sessions,
                "minutes": round(self.seconds / 60, 1), "minute_lines": self.minute_lines,
                "missed": self.missed, "failed": self.failed, "preempted": self.preempted,
                "offline": self.offline, "interrupted": self.interrupted}


def segment_maps(schedule: Schedule, durations: dict[str, float] | None = None
                 ) -> dict[str, SegmentMap]:
    """Program id -> where its segments begin (estimated: nothing is rendered here)."""
    return {pid: SegmentMap.estimated(schedule, program, durations)
            for pid, program in schedule.programs.items()}


def station_days(registry: Registry, first: date, last: date,
                 stations: Collection[str] = (), districts: Collection[str] = ()
                 ) -> dict[str, Spans]:
    """The stations to simulate over [first, last] and the days of each: on every day,
    the units in force that day among ``stations`` or in ``districts`` that day (every
    unit when both are empty). Codes in order; each code's days as spans."""
    if stations or districts:
        targets = Targets(stations=frozenset(stations), districts=frozenset(districts))
    else:
        targets = Targets(everywhere=True)
    spans: dict[str, list[tuple[date, date]]] = {}
    for a, b in registry.periods(first, last):
        for code in registry.select(targets, a):
            found = spans.setdefault(code, [])
            if found and found[-1][1] + DAY == a:
                found[-1] = (found[-1][0], b)
            else:
                found.append((a, b))
    return {code: tuple(spans[code]) for code in sorted(spans)}


def _roster(schedule: Schedule, stations: Sequence[str] | Mapping[str, Spans], first: date,
            last: date) -> dict[str, Spans]:
    if isinstance(stations, Mapping):
        return dict(stations)
    chosen = station_days(schedule.registry, first, last, stations)
    return {code: chosen[code] for code in stations if code in chosen}


def _days(spans: Spans) -> Iterable[date]:
    for a, b in spans:
        day = a
        while day <= b:
            yield day
            day += DAY


def _merged(windows: Iterable[Window]) -> tuple[Window, ...]:
    out: list[Window] = []
    for a, b in sorted(windows):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


class Simulator:
    """One process's share of a simulation: the schedule planned once for the whole
    period and the stations it was asked for (every program's fire times from its one
    trigger, the stations each reaches that day, lengths, segment maps), and one log
    book whose cached minute texts serve every station. Stations are then simulated one
    by one from what was planned; nothing is planned or loaded twice."""

    def __init__(self, schedule: Schedule, roster: Mapping[str, Spans], first: date,
                 last: date, book: LogBook, faults: Faults = Faults(),
                 durations: dict[str, float] | None = None) -> None:
        self.schedule = schedule
        self.roster = roster
        self.first, self.last = first, last
        self.start = datetime.combine(first, time(0), TZ)
        self.end = datetime.combine(last + DAY, time(0), TZ)
        self.book = book
        self.faults = faults
        self.failing = dict(faults.failing)
        self.segments = segment_maps(schedule, durations)
        self._arrivals = arrivals(schedule, self.start, self.end, list(roster), durations)

    def station(self, station: str) -> Totals:
        """Simulate one station over its days (once: its arrivals are handed over)."""
        spans = self.roster[station]
        occs = self._arrivals.pop(station, [])
        away = []  # the days it is not simulated: it writes nothing
        t = self.start
        for a, b in spans:
            begin = datetime.combine(a, time(0), TZ)
            if t < begin:
                away.append((t, begin))
            t = datetime.combine(b + DAY, time(0), TZ)
        if t < self.end:
            away.append((t, FOREVER))  # a program of its last day may overrun it
        if away:  # its occurrences on those days are not simulated at all
            occs = [o for o in occs if not any(a <= o.scheduled < b for a, b in away)]
        run = StationRun(station, Timeline(station, blackouts_for(self.schedule, station)),
                         self.book, self.segments, self.failing, self.faults,
                         random.Random(self.faults.seed ^ zlib.crc32(station.encode())),
                         _merged([*away, *self.faults.windows(station)]))
        run.run(occs)
        for day in _days(spans):
            if run.seals(day, self.end):
                self.book.seal(station, day)
        run.totals.station_days = sum((b - a).days + 1 for a, b in spans)
        return run.totals


class StationRun:
    """One station's Timeline driven on the virtual clock: every decision logged, the
    seconds on air through the minute ledger, the faults applied."""

    def __init__(self, station: str, timeline: Timeline, book: LogBook,
                 segments: dict[str, SegmentMap], failing: dict[str, float], faults: Faults,
                 rng: random.Random, down: tuple[Window, ...] = ()) -> None:
        self.station = station
        self.timeline = timeline
        self.book = book
        self.segments = segments
        self.failing = failing
        self.faults = faults
        self.rng = rng
        self.down = down  # when the station writes nothing: merged, in order
        self.totals = Totals()
        self.ledger = MinuteLedger()
        self.last_event: datetime | None = None  # the latest event line written
        self.last_line_end: datetime | None = None  # the end of the latest minute line
        self.dark_files: set[date] = set()  # days it went dark on after writing

    def dark(self, at: datetime) -> bool:
        """Is the station down at ``at``?"""
        return any(a <= at < b for a, b in self.down)

    def run(self, occs: list[Occurrence]) -> None:
        """Air ``occs`` (in arrival order) through the station's Timeline."""
        faults, rng, timeline, totals = self.faults, self.rng, self.timeline, self.totals
        arrivals_at: list[tuple[datetime, Occurrence]] = []
        for occ in occs:
            if self.down and self.dark(occ.scheduled):
                totals.offline += 1
                continue
            at = occ.scheduled
            if faults.late_fraction and rng.random() < faults.late_fraction:
                at = at + timedelta(seconds=rng.uniform(1.0, faults.late_seconds))
            arrivals_at.append((at, occ))
        arrivals_at.sort(key=lambda pair: (pair[0], -int(pair[1].priority), pair[1].program))
        downs = [a for a, _b in self.down]
        i, n, k = 0, len(arrivals_at), 0
        while i < n or timeline.on_air is not None:
            finish = timeline.expected_finish()
            if k < len(downs) and (finish is None or downs[k] < finish) and \
                    (i >= n or downs[k] <= arrivals_at[i][0]):
                self.go_down(downs[k])  # before the next arrival or finish
                k += 1
                continue
            if i < n and (finish is None or arrivals_at[i][0] < finish):
                at, occ = arrivals_at[i]
                i += 1
                if self.down and self.dark(at):  # late, into a time it was down
                    totals.offline += 1
                    continue
                actions = timeline.arrive(occ, at)
            elif finish is not None:
                actions = timeline.finish(finish)
            else:
                break
            for action in actions:
                program = action.occurrence.program
                if action.kind == "start" and self.failing.get(program, 0.0) > 0 and \
                        rng.random() < self.failing[program]:
                    for follow in self.fail_now(action):
                        self.log(follow)
                    continue
                self.log(action)
        for occ in timeline.waiting:  # pragma: no cover - the loop drains the queue
            self.event("missed", occ.scheduled, occ, "shutdown: end of simulation")

    def fail_now(self, action: Action) -> list[Action]:
        """An injected failure at start: the program does not air; the next one may."""
        occ = action.occurrence
        self.event("failed", action.at, occ, "failed: injected fault (simulation)")
        self.totals.failed += 1
        occ.duration_s = 0.0
        occ.status, occ.reason = "failed", "failed: injected fault (simulation)"
        self.timeline.on_air = self.timeline.on_air_since = None
        return self.timeline.next(action.at)

    def log(self, action: Action) -> None:
        """Write an action's minute lines, then its event line.

        The pieces the action ended go to the station's minute ledger, as live playout's
        seconds do; the minutes the occurrence can no longer add to are closed and
        written. A preempted occurrence that will resume keeps its unfinished minute
        open, so the resumed piece adds to the same line.
        """
        occ = action.occurrence
        kind = action.kind
        totals = self.totals
        if kind == "end" or kind == "missed":
            _seconds, lines = self.ledger.take(occ, self.segments.get(occ.program, NO_SEGMENTS))
            self.lines(lines)
        elif kind == "preempted":
            self.ledger.add_pieces(occ, self.segments.get(occ.program, NO_SEGMENTS))
            if occ.remaining_s > 0.5:
                self.lines(self.ledger.close(action.at.replace(second=0, microsecond=0),
                                             occ.occurrence_id))
            else:
                self.lines(self.ledger.close(occurrence=occ.occurrence_id))
        if kind == "start":
            totals.sessions += 1
        elif kind == "missed":
            totals.missed += 1
        elif kind == "preempted":
            totals.preempted += 1
        self.event(kind, action.at, occ, action.reason)

    def event(self, kind: str, at: datetime, occ: Occurrence, reason: str) -> None:
        self.last_event = at
        self.book.event(self.station, kind, at, occ.scheduled, occ.program,
                        occ.occurrence_id, occ.priority, reason)

    def lines(self, items: Sequence[Airtime]) -> None:
        """Write minute lines; the totals count the seconds the lines say (rounded to
        the second, as the log keeps them), so the minutes simulate reports are the
        minutes a report of its logs shows."""
        if items:
            self.last_line_end = items[-1].end
            before = self.book.seconds_written
            self.totals.minute_lines += write_lines(self.book, items)
            self.totals.seconds += self.book.seconds_written - before

    def go_down(self, at: datetime) -> None:
        """The station goes dark at ``at``: the program on air stops there (its piece
        recorded as the Timeline records one) with no end line; the minutes before the
        one in progress are written, that one never is; nothing waits any more."""
        timeline, totals = self.timeline, self.totals
        occ, since = timeline.on_air, timeline.on_air_since
        if occ is not None and since is not None:
            occ.pieces.append((since, at))
            occ.played_s += (at - since).total_seconds()
            timeline.on_air = timeline.on_air_since = None
            totals.interrupted += 1
            for waiting in timeline.waiting:
                if waiting.played_s > 0:
                    totals.interrupted += 1
                else:
                    totals.offline += 1
            timeline.waiting.clear()
            self.ledger.add_pieces(occ, self.segments.get(occ.program, NO_SEGMENTS))
            self.lines(self.ledger.close(at.replace(second=0, microsecond=0)))
            self.ledger.discard()  # the minute in progress is never written
        midnight = datetime.combine(at.astimezone(TZ).date(), time(0), TZ)
        if (self.last_event is not None and self.last_event >= midnight) or \
                (self.last_line_end is not None and self.last_line_end > midnight):
            self.dark_files.add(midnight.date())

    def seals(self, day: date, end: datetime) -> bool:
        """Is ``day`` sealed? When the station is up at the day's end, as a running
        daemon seals it; when it is down then, only if it had written something that
        day and comes back before ``end`` (a restarted daemon seals the days it left
        open)."""
        moment = datetime.combine(day, LAST_INSTANT, TZ)
        for a, b in self.down:
            if a <= moment < b:
                return day in self.dark_files and b < end
        return True


def simulate_stations(schedule: Schedule, stations: Sequence[str] | Mapping[str, Spans],
                      first: date, last: date, book: LogBook, faults: Faults = Faults(),
                      durations: dict[str, float] | None = None) -> Totals:
    """Simulate these stations over [first, last] into ``book``; returns the totals."""
    roster = _roster(schedule, stations, first, last)
    simulator = Simulator(schedule, roster, first, last, book, faults, durations)
    totals = Totals(stations=len(roster), days=(last - first).days + 1)
    for station in roster:
        part = simulator.station(station)
        totals.add(part)
        totals.station_days += part.station_days
    return totals


# --- worker processes -----------------------------------------------------------------
# Each worker plans the period once, when it starts, and keeps one log book for every
# chunk of stations it is given: chunks cost only their own stations.

_simulator: Simulator | None = None


def _start_worker(parent: int, schedule: Schedule, roster: dict[str, Spans], first: date,
                  last: date, logs: str, faults: Faults,
                  durations: dict[str, float] | None) -> None:
    global _simulator
    from radiocli.tools import die_with_parent

    die_with_parent(parent)  # a simulate killed with -9 leaves no worker behind
    book = LogBook(Path(logs), durable=False)
    _simulator = Simulator(schedule, roster, first, last, book, faults, durations)


def _simulate_chunk(stations: list[str]) -> Totals:
    simulator = _simulator
    assert simulator is not None, "the worker was not started"
    totals = Totals()
    for station in stations:
        part = simulator.station(station)
        totals.add(part)
        totals.station_days += part.station_days
    simulator.book.flush()  # every line written out before the chunk is reported done
    return totals


def simulate(schedule: Schedule, stations: Sequence[str] | Mapping[str, Spans], first: date,
             last: date, logs: Path, faults: Faults = Faults(),
             durations: dict[str, float] | None = None, workers: int = 2,
             progress: Callable[[int], None] | None = None) -> Totals:
    """Simulate ``stations`` over [first, last], writing as-run logs under ``logs``.

    ``stations``: codes, each simulated on the days its unit is in force, or a mapping
    code -> spans of days (:func:`station_days`). Stations are split into chunks
    simulated in ``workers`` processes (a station's files are only ever written by one
    process). ``progress(n)`` is called with the number of stations finished.
    """
    roster = _roster(schedule, stations, first, last)
    totals = Totals(stations=len(roster), days=(last - first).days + 1)
    codes = list(roster)
    if workers <= 1 or len(codes) < 8:
        with LogBook(logs, durable=False) as book:
            simulator = Simulator(schedule, roster, first, last, book, faults, durations)
            for code in codes:
                part = simulator.station(code)
                totals.add(part)
                totals.station_days += part.station_days
                if progress:
                    progress(1)
        return totals
    size = max(1, min(24, len(codes) // (workers * 6)))
    chunks = [codes[i:i + size] for i in range(0, len(codes), size)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(os.getpid(), schedule, roster, first, last,
                                       str(logs), faults, durations)) as pool:
        futures = {pool.submit(_simulate_chunk, chunk): len(chunk) for chunk in chunks}
        for future in as_completed(futures):
            part = future.result()
            totals.add(part)
            totals.station_days += part.station_days
            if progress:
                progress(futures[future])
    # The workers wrote every line; one sync of the file system makes them durable
    # (closing a log book with no open file does just that).
    LogBook(logs, durable=False).close()
    return totals
