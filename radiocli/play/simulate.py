"""Simulation: the schedules on a virtual clock, through the same planner, the same
priority rules (Timeline) and the same as-run log writer as live playout.

Only the clock and the sink differ: time jumps from event to event instead of passing,
and nothing is played. Faults can be injected so reconciliation has something to find:
stations offline for a while (they write nothing, as a dead station would), programs
that fail, and a fraction of late starts.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from radiocli.aslog.writer import LogBook
from radiocli.plan.planner import arrivals, blackouts_for
from radiocli.plan.timeline import Action, Occurrence, Timeline
from radiocli.plan.triggers import TZ
from radiocli.play.ledger import MinuteLedger, SegmentMap, write_lines
from radiocli.schedule.model import Schedule


NO_SEGMENTS = SegmentMap()


@dataclass(frozen=True)
class Faults:
    """What goes wrong in the simulated period."""

    offline: tuple[tuple[str, datetime, datetime], ...] = ()  # station, from, to
    failing: tuple[tuple[str, float], ...] = ()  # program id, fraction of occurrences
    late_fraction: float = 0.0  # share of starts that are late
    late_seconds: float = 90.0  # by up to this much
    seed: int = 2021

    def offline_at(self, station: str, at: datetime) -> bool:
        return any(s == station and a <= at < b for s, a, b in self.offline)


@dataclass
class Totals:
    stations: int = 0
    days: int = 0
    sessions: int = 0
    minute_lines: int = 0
    seconds: float = 0.0
    missed: int = 0
    failed: int = 0
    preempted: int = 0
    offline: int = 0
    by_station: dict[str, int] = field(default_factory=dict)

    def add(self, other: Totals) -> None:
        for name in ("sessions", "minute_lines", "seconds", "missed", "failed", "preempted",
                     "offline"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, object]:
        return {"stations": self.stations, "days": self.days, "sessions": self.sessions,
                "minutes": round(self.seconds / 60), "minute_lines": self.minute_lines,
                "missed": self.missed, "failed": self.failed, "preempted": self.preempted,
                "offline": self.offline}


def segment_maps(schedule: Schedule, durations: dict[str, float] | None = None
                 ) -> dict[str, SegmentMap]:
    """Program id -> where its segments begin (estimated: nothing is rendered here)."""
    return {pid: SegmentMap.estimated(schedule, program, durations)
            for pid, program in schedule.programs.items()}


class Simulator:
    """One process's share of a simulation: the schedule planned once for the whole
    period and the stations it was asked for (every program's fire times from its one
    trigger, the stations each reaches that day, lengths, segment maps), and one log
    book whose cached minute texts serve every station. Stations are then simulated one
    by one from what was planned; nothing is planned or loaded twice."""

    def __init__(self, schedule: Schedule, stations: Collection[str], first: date,
                 last: date, book: LogBook, faults: Faults = Faults(),
                 durations: dict[str, float] | None = None) -> None:
        self.schedule = schedule
        self.first, self.last = first, last
        self.book = book
        self.faults = faults
        self.failing = dict(faults.failing)
        self.segments = segment_maps(schedule, durations)
        start = datetime.combine(first, time(0), TZ)
        end = datetime.combine(last + timedelta(days=1), time(0), TZ)
        self._arrivals = arrivals(schedule, start, end, stations, durations)

    def station(self, station: str) -> Totals:
        """Simulate one station over the period (once: its arrivals are handed over)."""
        totals = Totals()
        faults = self.faults
        occs = self._arrivals.pop(station, [])
        rng = random.Random(faults.seed ^ zlib.crc32(station.encode()))
        timeline = Timeline(station, blackouts_for(self.schedule, station))
        if faults.offline:
            kept = []
            for occ in occs:
                if faults.offline_at(station, occ.scheduled):
                    totals.offline += 1
                    continue
                kept.append(occ)
            occs = kept
        run_station(timeline, occs, self.book, self.segments, self.failing, faults, rng,
                    totals)
        day = self.first
        while day <= self.last:
            self.book.seal(station, day)
            day += timedelta(days=1)
        return totals


def simulate_stations(schedule: Schedule, stations: Sequence[str], first: date, last: date,
                      book: LogBook, faults: Faults = Faults(),
                      durations: dict[str, float] | None = None) -> Totals:
    """Simulate these stations over [first, last] into ``book``; returns the totals."""
    simulator = Simulator(schedule, stations, first, last, book, faults, durations)
    totals = Totals(stations=len(stations), days=(last - first).days + 1)
    for station in stations:
        totals.add(simulator.station(station))
    return totals


def run_station(timeline: Timeline, occs: list[Occurrence], book: LogBook,
                segments: dict[str, SegmentMap], failing: dict[str, float], faults: Faults,
                rng: random.Random, totals: Totals) -> None:
    """Drive one station's Timeline on the virtual clock and log every action."""
    station = timeline.station
    arrivals_at: list[tuple[datetime, Occurrence]] = []
    for occ in occs:
        at = occ.scheduled
        if faults.late_fraction and rng.random() < faults.late_fraction:
            at = at + timedelta(seconds=rng.uniform(1.0, faults.late_seconds))
        arrivals_at.append((at, occ))
    arrivals_at.sort(key=lambda pair: (pair[0], -int(pair[1].priority), pair[1].program))
    ledger = MinuteLedger()
    i, n = 0, len(arrivals_at)
    while i < n or timeline.on_air is not None:
        finish = timeline.expected_finish()
        if i < n and (finish is None or arrivals_at[i][0] < finish):
            at, occ = arrivals_at[i]
            i += 1
            actions = timeline.arrive(occ, at)
        elif finish is not None:
            actions = timeline.finish(finish)
        else:
            break
        for action in actions:
            if action.kind == "start" and failing.get(action.occurrence.program, 0.0) > 0 and \
                    rng.random() < failing[action.occurrence.program]:
                actions_after = fail_now(timeline, action, book, totals)
                for follow in actions_after:
                    log_action(book, follow, segments, totals, ledger)
                continue
            log_action(book, action, segments, totals, ledger)
    for occ in timeline.waiting:  # pragma: no cover - the loop drains the queue
        book.event(station, "missed", occ.scheduled, occ.scheduled, occ.program,
                   occ.occurrence_id, occ.priority, "shutdown: end of simulation")


def fail_now(timeline: Timeline, action: Action, book: LogBook, totals: Totals
             ) -> list[Action]:
    """An injected failure at start: the program does not air; the next one may."""
    occ = action.occurrence
    book.event(timeline.station, "failed", action.at, occ.scheduled, occ.program,
               occ.occurrence_id, occ.priority, "failed: injected fault (simulation)")
    totals.failed += 1
    occ.duration_s = 0.0
    occ.status, occ.reason = "failed", "failed: injected fault (simulation)"
    timeline.on_air = timeline.on_air_since = None
    return timeline.next(action.at)


def log_action(book: LogBook, action: Action, segments: dict[str, SegmentMap],
               totals: Totals, ledger: MinuteLedger) -> None:
    """Write an action's minute lines, then its event line.

    The pieces the action ended go to the station's minute ledger, as live playout's
    seconds do; the minutes the occurrence can no longer add to are closed and written.
    A preempted occurrence that will resume keeps its unfinished minute open, so the
    resumed piece adds to the same line.
    """
    occ = action.occurrence
    kind = action.kind
    if kind == "end" or kind == "missed":
        seconds, lines = ledger.take(occ, segments.get(occ.program, NO_SEGMENTS))
        totals.seconds += seconds
        totals.minute_lines += write_lines(book, lines)
    elif kind == "preempted":
        totals.seconds += ledger.add_pieces(occ, segments.get(occ.program, NO_SEGMENTS))
        if occ.remaining_s > 0.5:
            lines = ledger.close(action.at.replace(second=0, microsecond=0),
                                 occ.occurrence_id)
        else:
            lines = ledger.close(occurrence=occ.occurrence_id)
        totals.minute_lines += write_lines(book, lines)
    if kind == "start":
        totals.sessions += 1
    elif kind == "missed":
        totals.missed += 1
    elif kind == "preempted":
        totals.preempted += 1
    book.event(occ.station, kind, action.at, occ.scheduled, occ.program, occ.occurrence_id,
               occ.priority, action.reason)


# --- worker processes -----------------------------------------------------------------
# Each worker plans the period once, when it starts, and keeps one log book for every
# chunk of stations it is given: chunks cost only their own stations.

_simulator: Simulator | None = None


def _start_worker(schedule: Schedule, stations: list[str], first: date, last: date,
                  logs: str, faults: Faults, durations: dict[str, float] | None) -> None:
    global _simulator
    book = LogBook(Path(logs), durable=False)
    _simulator = Simulator(schedule, stations, first, last, book, faults, durations)


def _simulate_chunk(stations: list[str]) -> Totals:
    simulator = _simulator
    assert simulator is not None, "the worker was not started"
    totals = Totals()
    for station in stations:
        totals.add(simulator.station(station))
    simulator.book.flush()  # every line written out before the chunk is reported done
    return totals


def simulate(schedule: Schedule, stations: Sequence[str], first: date, last: date,
             logs: Path, faults: Faults = Faults(), durations: dict[str, float] | None = None,
             workers: int = 2, progress: Callable[[int], None] | None = None) -> Totals:
    """Simulate ``stations`` over [first, last], writing as-run logs under ``logs``.

    Stations are split into chunks simulated in ``workers`` processes (a station's
    files are only ever written by one process). ``progress(n)`` is called with the
    number of stations finished.
    """
    totals = Totals(stations=len(stations), days=(last - first).days + 1)
    stations = list(stations)
    if workers <= 1 or len(stations) < 8:
        with LogBook(logs, durable=False) as book:
            simulator = Simulator(schedule, stations, first, last, book, faults, durations)
            for code in stations:
                totals.add(simulator.station(code))
                if progress:
                    progress(1)
        return totals
    size = max(1, min(24, len(stations) // (workers * 6)))
    chunks = [stations[i:i + size] for i in range(0, len(stations), size)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(schedule, stations, first, last, str(logs), faults,
                                       durations)) as pool:
        futures = {pool.submit(_simulate_chunk, chunk): len(chunk) for chunk in chunks}
        for future in as_completed(futures):
            totals.add(future.result())
            if progress:
                progress(futures[future])
    # The workers wrote every line; one sync of the file system makes them durable
    # (closing a log book with no open file does just that).
    LogBook(logs, durable=False).close()
    return totals
