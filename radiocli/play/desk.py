"""The station desk: each station's Timeline, and what its decisions do.

Occurrences arrive (from the jobs, an alert, a restart); the Timeline of their station
decides (start, preempt, resume, end, miss); the desk acts on every decision: event
lines to the log queue, audio to the sink, seconds on air to the station's minute
ledger. Feed threads report through an inbox the desk reads under its lock.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from radiocli import TZ, i18n
from radiocli.plan.timeline import Action, Occurrence, Timeline, occurrence_id
from radiocli.play.clock import Clock
from radiocli.play.feed import AirPart, Feed, SinkFault
from radiocli.play.kinds import AlertOccurrence, Event, Fire
from radiocli.play.ledger import MinuteLedger, SegmentMap
from radiocli.play.logqueue import LogQueue
from radiocli.play.programs import Programs, segments_of
from radiocli.play.sinks import Sink
from radiocli.schedule.model import Priority, Program

log = logging.getLogger("radiocli.play")

OVERRUN_S = 30.0  # a decoding feed this far past the program's end is stopped


@dataclass
class Airing:
    """One piece of an occurrence on air at a station."""

    occ: Occurrence
    since: datetime
    offset: float  # seconds of the occurrence already aired when this piece began
    logged_until: datetime  # seconds before this are in the minute ledger
    feed: Feed | None = None


@dataclass
class StationState:
    code: str
    timeline: Timeline
    air: Airing | None = None
    parts: dict[str, list[AirPart]] = field(default_factory=dict)  # occurrence -> parts
    segments: dict[str, SegmentMap] = field(default_factory=dict)  # occurrence -> segments
    ledger: MinuteLedger = field(default_factory=MinuteLedger)
    known: set[str] = field(default_factory=set)  # occurrences that arrived or are logged
    errors: collections.deque[dict[str, str]] = field(
        default_factory=lambda: collections.deque(maxlen=5))
    next_up: tuple[str, datetime] | None = None

    def error(self, at: datetime, reason: str) -> None:
        self.errors.append({"at": at.isoformat(timespec="seconds"), "reason": reason})


class DeskLock:
    """The desk's lock (re-entrant). A feed begun while a thread holds it starts when
    that thread lets go of it: every station of a round, of an alert or of a restart
    has its start decided and logged before any feed starts (a feed started inside the
    loop made each later station wait for its launch, and stations that came more than
    0.3 s after the first could no longer join its feed)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._held = threading.local()  # .depth, .feeds of the thread that holds it

    def __enter__(self) -> DeskLock:
        self._lock.acquire()
        depth = getattr(self._held, "depth", 0)
        if depth == 0:
            self._held.feeds = []
        self._held.depth = depth + 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._held.depth -= 1
        feeds: list[Feed] = []
        if self._held.depth == 0:
            feeds, self._held.feeds = self._held.feeds, []
        self._lock.release()
        for feed in feeds:
            if not feed.stopped.is_set():
                feed.start()

    def start_when_released(self, feed: Feed) -> None:
        """Start ``feed`` once this thread lets go of the lock (at once if it holds
        it not)."""
        if getattr(self._held, "depth", 0) > 0:
            self._held.feeds.append(feed)
        else:
            feed.start()


# --- what feed threads report ----------------------------------------------------------


@dataclass(frozen=True)
class PartFailed:
    """A part of the program could not play (the rest goes on)."""

    station: str
    feed: Feed
    reason: str


@dataclass(frozen=True)
class OutputBroken:
    """The station's output is gone (device, Icecast, disk): its program ends."""

    station: str
    feed: Feed | None
    reason: str


@dataclass(frozen=True)
class FeedDone:
    """A feed played everything it had: its stations' programs end."""

    feed: Feed
    reason: str


Notice = PartFailed | OutputBroken | FeedDone


class StationDesk:
    """The stations of one daemon. ``lock`` guards them (jobs, alerts, the supervisor
    and status all go through it); ``wake`` is set when the supervisor should look."""

    def __init__(self, clock: Clock, sink: Sink, programs: Programs, logs: LogQueue, *,
                 relay_fallback: Path | None = None,
                 on_alert: Callable[[str, Action], None] = lambda station, action: None
                 ) -> None:
        self.clock = clock
        self.sink = sink
        self.programs = programs
        self.logs = logs
        self.relay_fallback = relay_fallback
        self.on_alert = on_alert  # an alert's decision, once its line is queued
        self.lock = DeskLock()
        self.wake = threading.Event()
        self.stations: dict[str, StationState] = {}
        self.feeds: dict[tuple[str, float], Feed] = {}
        self.resume_reasons: dict[tuple[str, str], str] = {}
        self.stopping = False
        self.expiry: str | None = None  # set when the approval ran out: the reason
        self._inbox: queue.SimpleQueue[Notice] = queue.SimpleQueue()
        self.changed: Callable[[], None] = lambda: None  # an error: status at once

    def install(self, codes: Iterable[str],
                blackouts: Callable[[str], list[tuple[datetime, datetime, str]]]) -> None:
        """Stations to serve (new ones get a Timeline; known ones keep theirs)."""
        for code in codes:
            st = self.stations.get(code)
            if st is None:
                self.stations[code] = StationState(code, Timeline(code, blackouts(code)))
            else:
                st.timeline.blackouts = sorted(blackouts(code))

    def note(self, at: datetime, reason: str) -> None:
        """A daemon-wide refusal: in every station's last errors (no as-run line)."""
        for st in self.stations.values():
            st.error(at, reason)
        self.changed()

    def retire(self, code: str, now: datetime, reason: str) -> bool:
        """``code`` is served no more (its unit ceased, or it is no longer chosen): what
        waits is missed and what airs ends, with ``reason``; its open minutes are
        written; it leaves the desk. True when it wrote lines now (its file of today
        then needs its seal)."""
        st = self.stations.get(code)
        if st is None:
            return False
        wrote = st.air is not None or bool(st.timeline.waiting)
        self.apply(st, st.timeline.drop_waiting(now, reason))
        if st.air is not None:
            self.apply(st, st.timeline.finish(now, reason))
        self.logs.minutes(st.ledger.close(None))
        del self.stations[code]
        return wrote

    def on_air(self) -> bool:
        return any(st.air is not None for st in self.stations.values())

    # --- arrivals ----------------------------------------------------------------------
    def deliver(self, fires: Sequence[Fire]) -> None:
        """Slots that came, in arrival order (time, then priority): hand each program's
        occurrences to its stations' Timelines. What each program plays is looked up
        first (a program not rendered yet renders here, outside the lock); then every
        station's start of the round is decided under one hold of the lock, and the
        feeds start when it is let go."""
        ready: list[tuple[Fire, Program | None, list[AirPart] | None]] = []
        for fire in fires:
            program = self.programs.get(fire.program)
            if program is not None:
                parts = None if fire.missed else self.programs.known_parts(program)
                ready.append((fire, program, parts))
        with self.lock:
            for fire, program, parts in ready:
                if self.stopping:
                    break
                assert program is not None
                if fire.missed:
                    self.misfired(program, fire.scheduled)
                else:
                    self.fire(program, fire.scheduled, parts)
        self.wake.set()

    def fire(self, program: Program, scheduled: datetime, parts: list[AirPart] | None
             ) -> None:
        """``program``'s slot came: its occurrence at each of its stations (under the
        lock; ``parts``: :meth:`Programs.known_parts`)."""
        codes = [c for c in self.programs.targets(program, scheduled.astimezone(TZ).date())
                 if c in self.stations]
        key = occurrence_id(program.id, scheduled)  # once, not once per station
        length = self.programs.length(program, parts)
        for code in codes:
            st = self.stations[code]
            if key in st.known:
                continue
            st.known.add(key)
            occ = self.programs.occurrence(program, code, scheduled, parts, key=key,
                                           length=length)
            now = self.clock.now()
            if self.expiry is not None and occ.priority < Priority.EMERGENCY:
                occ.status = "skipped"
                self.logs.event(code, Event.MISSED, now, occ, self.expiry)
                continue
            own = parts or self.programs.estimated_parts(program)
            if parts is None and self.sink.decodes:
                why = self.programs.render_errors.get(program.id, "no playlist")
                self.fault(code, occ, now,
                           f"failed: cannot render: {why}; the alert chime airs instead")
                own = self.programs.chime_parts()
                occ.duration_s = sum(p.seconds for p in own)
                self.expect(st, occ, own, segments_of(own))
            else:
                self.expect(st, occ, own, self.programs.segments(program, parts))
            self.apply(st, st.timeline.arrive(occ, now))

    def misfired(self, program: Program, scheduled: datetime) -> None:
        """``program``'s slot came later than the misfire grace: logged missed."""
        now = self.clock.now()
        late = (now - scheduled).total_seconds()
        key = occurrence_id(program.id, scheduled)
        with self.lock:
            for code in self.programs.targets(program, scheduled.astimezone(TZ).date()):
                st = self.stations.get(code)
                if st is None or key in st.known:
                    continue
                st.known.add(key)
                occ = self.programs.occurrence(program, code, scheduled, None, key=key)
                occ.status = "skipped"
                self.logs.event(code, Event.MISSED, now, occ,
                                f"offline: the scheduler ran {late / 60:.0f} min late "
                                f"(more than the misfire grace)")

    def expect(self, st: StationState, occ: Occurrence, parts: list[AirPart],
               segments: SegmentMap) -> None:
        """What ``occ`` will play at ``st`` and where its segments begin."""
        st.parts[occ.occurrence_id] = parts
        st.segments[occ.occurrence_id] = segments

    def arrive(self, st: StationState, occ: Occurrence, at: datetime) -> None:
        """Hand an occurrence (an alert's, a restart's) to the station's Timeline."""
        self.apply(st, st.timeline.arrive(occ, at))

    # --- acting on the Timeline's decisions --------------------------------------------
    def apply(self, st: StationState, actions: Iterable[Action]) -> None:
        for action in actions:
            occ, at = action.occurrence, action.at
            kind = Event(action.kind)
            reason = action.reason
            if kind in (Event.START, Event.RESUMED):
                if kind is Event.RESUMED:
                    reason = self.resume_reasons.pop((st.code, occ.occurrence_id), reason)
                self.logs.event(st.code, kind, at, occ, reason)
                self._begin(st, occ, at)
            elif kind in (Event.PREEMPTED, Event.END):
                self._halt(st, occ, at)
                self.logs.event(st.code, kind, at, occ, reason)
            else:
                self.logs.event(st.code, kind, at, occ, reason)
            if kind in (Event.END, Event.MISSED):
                st.parts.pop(occ.occurrence_id, None)
                st.segments.pop(occ.occurrence_id, None)
            if isinstance(occ, AlertOccurrence):
                self.on_alert(st.code, action)

    def _begin(self, st: StationState, occ: Occurrence, at: datetime) -> None:
        air = Airing(occ, at, occ.played_s, at)
        st.air = air
        if not self.sink.decodes:
            return
        parts = [p for p in st.parts.get(occ.occurrence_id, []) if p.kind != "estimate"]
        key = (occ.occurrence_id, round(occ.played_s, 1))
        feed = self.feeds.get(key)
        if feed is None or feed.stopped.is_set() or feed.position() > 0.3:
            feed = Feed(key, parts, occ.played_s, occ.remaining_s, self.clock,
                        lead=self.sink.lead, on_fault=self._part_failed,
                        on_done=self._feed_done, on_output_fault=self._output_broken,
                        on_first_audio=self._first_audio,
                        fallback=self.programs.chime("alert"),
                        relay_fallback=self.relay_fallback, children=self.sink.children,
                        openers=self.sink.openers)
            self.feeds[key] = feed
            fresh = True
        else:
            fresh = False
        air.feed = feed
        session = f"{at:%Y-%m-%d}/{at:%H%M%S}-{occ.program}"
        try:
            self.sink.attach(st.code, feed, occ.program, session)
        except (SinkFault, OSError) as exc:
            self._inbox.put(OutputBroken(st.code, feed, f"failed: {exc}"))
        if not fresh:
            return
        self.lock.start_when_released(feed)

    def _halt(self, st: StationState, occ: Occurrence, at: datetime) -> None:
        air = st.air
        if air is None or air.occ is not occ:
            return
        self._account(st, air, at)
        st.air = None
        feed = air.feed
        if feed is not None:
            self.sink.release(st.code, feed)
            if not feed.stations:
                feed.stop()
                if self.feeds.get(feed.key) is feed:
                    del self.feeds[feed.key]

    def fault(self, code: str, occ: Occurrence | None, at: datetime, reason: str) -> None:
        st = self.stations.get(code)
        if st is not None:
            st.error(at, reason)
        log.warning("%s: %s", code, i18n.reason(reason))
        if occ is not None:
            self.logs.event(code, Event.FAILED, at, occ, reason)
        self.changed()

    # --- what feed threads report: into the inbox, read under the lock -------------------
    def _first_audio(self, feed: Feed, at: datetime) -> None:
        # English in every language: benchmarks/bench_lateness.py reads this line
        log.info("first audio of %s at %s for %d station(s)", feed.key[0],
                 at.isoformat(timespec="milliseconds"), len(feed.stations))

    def _part_failed(self, feed: Feed, reason: str) -> None:
        for code in list(feed.stations):
            self._inbox.put(PartFailed(code, feed, reason))
        self.wake.set()

    def _feed_done(self, feed: Feed, reason: str) -> None:
        self._inbox.put(FeedDone(feed, reason))
        self.wake.set()

    def _output_broken(self, feed: Feed, key: str, reason: str) -> None:
        codes = list(feed.stations) if key == "encoder" else [key]
        for code in codes:
            self._inbox.put(OutputBroken(code, feed, f"failed: {reason}"))
        self.wake.set()

    def stream_fault(self, station: str, reason: str) -> None:
        """The stream sink lost a station's mount."""
        self._inbox.put(OutputBroken(station, None, f"failed: {reason}"))
        self.wake.set()

    def read_inbox(self) -> None:
        while True:
            try:
                notice = self._inbox.get_nowait()
            except queue.Empty:
                return
            now = self.clock.now()
            if isinstance(notice, FeedDone):
                codes = [c for c, st in self.stations.items()
                         if st.air is not None and st.air.feed is notice.feed]
            else:
                codes = [notice.station]
            for code in codes:
                st = self.stations.get(code)
                if st is None or st.air is None:
                    continue
                if notice.feed is not None and st.air.feed is not notice.feed:
                    continue
                occ = st.air.occ
                if isinstance(notice, PartFailed):
                    self.fault(code, occ, now, notice.reason)
                elif isinstance(notice, OutputBroken):
                    self.fault(code, occ, now, notice.reason)
                    self.apply(st, st.timeline.finish(now, notice.reason))
                else:
                    self.apply(st, st.timeline.finish(now, notice.reason))

    # --- the clock moves ---------------------------------------------------------------
    def finish_due(self, now: datetime) -> None:
        """End what is over: with the null sink, when the clock reaches the end; with a
        feed, when the feed says so, or when it overran the program by far."""
        for st in self.stations.values():
            finish = st.timeline.expected_finish()
            if not self.sink.decodes:
                while finish is not None and finish <= now:
                    self.apply(st, st.timeline.finish(finish))
                    finish = st.timeline.expected_finish()
            elif st.air is not None and finish is not None and \
                    (now - finish).total_seconds() > OVERRUN_S:
                self.apply(st, st.timeline.finish(now, "failed: playout overran"))

    def close_minutes(self, boundary: datetime | None) -> None:
        """The clock left the minutes before ``boundary``: what is on air adds its
        seconds up to it; those minutes' lines go to the log (every open minute when
        None: stopping)."""
        for st in self.stations.values():
            air = st.air
            if air is not None and boundary is not None and air.logged_until < boundary:
                self._account(st, air, boundary)
            self.logs.minutes(st.ledger.close(boundary))

    def _account(self, st: StationState, air: Airing, until: datetime) -> None:
        occ = air.occ
        segments = st.segments.get(occ.occurrence_id) or SegmentMap()
        offset = air.offset + (air.logged_until - air.since).total_seconds()
        st.ledger.add(occ, segments, air.logged_until, until, offset)
        air.logged_until = until

    def sleep_for(self, now: datetime, longest: float) -> float:
        """How long the supervisor may sleep: with the null sink, until the next end."""
        timeout = longest
        if not self.sink.decodes:
            for st in self.stations.values():
                finish = st.timeline.expected_finish()
                if finish is not None:
                    timeout = min(timeout, (finish - now).total_seconds())
        return max(timeout, 0.0)

    # --- stopping ----------------------------------------------------------------------
    def drop_waiting(self, now: datetime, reason: str) -> None:
        with self.lock:
            for st in self.stations.values():
                self.apply(st, st.timeline.drop_waiting(now, reason))

    def cut(self, now: datetime, reason: str) -> None:
        """End what is on air now, and write every open minute."""
        with self.lock:
            for st in self.stations.values():
                if st.air is not None:
                    self.apply(st, st.timeline.finish(now, reason))
            self.close_minutes(None)

    def stop_feeds(self) -> None:
        for feed in list(self.feeds.values()):
            feed.stop()

    def expire(self, now: datetime, reason: str) -> None:
        """The approval ran out: nothing waiting but emergencies and alerts airs (the
        program on air ends normally)."""
        self.expiry = reason
        with self.lock:
            for st in self.stations.values():
                keep = []
                for occ in st.timeline.waiting:
                    if occ.priority < Priority.EMERGENCY and \
                            not isinstance(occ, AlertOccurrence):
                        occ.status = "skipped"
                        self.logs.event(st.code, Event.MISSED, now, occ, reason)
                        st.parts.pop(occ.occurrence_id, None)
                        st.segments.pop(occ.occurrence_id, None)
                    else:
                        keep.append(occ)
                st.timeline.waiting[:] = keep

    def next_up(self, upcoming: Iterable[tuple[datetime, str]], now: datetime) -> None:
        """Each station's next program: the first of the programs' coming slots (in time
        order) that reaches it and that it has not had yet (a slot of this very second
        is on air or waiting, not next)."""
        best: dict[str, tuple[str, datetime]] = {}
        for nxt, pid in upcoming:
            if nxt <= now - timedelta(seconds=1):
                continue
            program = self.programs.get(pid)
            if program is None:
                continue
            key = occurrence_id(pid, nxt)
            for code in self.programs.targets(program, nxt.astimezone(TZ).date()):
                st = self.stations.get(code)
                if st is not None and code not in best and key not in st.known:
                    best[code] = (pid, nxt)
            if len(best) == len(self.stations):
                break
        for code, st in self.stations.items():
            st.next_up = best.get(code)
