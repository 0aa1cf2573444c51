"""The priority rules of one station, as a small state machine.

The same :class:`Timeline` decides what airs in ``plan``, in ``simulate`` and in the
live daemon: plan and simulate feed it arrivals and finishes at computed times, the
daemon feeds it the real ones. Rules (Circular 39/2020/TT-BTTTT):

- a program arriving at a free station starts at once;
- an emergency arriving while a lower priority is on air preempts it; the preempted
  program resumes where it stopped when the station is free again, unless it was off
  the air longer than its ``max_delay``: then it ends there, cut;
- anything else waits; when the station frees, the highest priority waiting goes first
  (resumed programs before new ones of the same priority, then the earliest scheduled);
- a waiting program that would start more than its ``max_delay`` after its slot is
  missed, and so is an arrival during a blackout (emergencies excepted).

Every decision is an :class:`Action`; the caller logs it (and, live, acts on it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from radiocli.schedule.model import Priority


@dataclass(slots=True, eq=False)
class Occurrence:
    """A program at a station at a scheduled time, and what became of it."""

    station: str
    program: str
    scheduled: datetime
    duration_s: float
    priority: Priority
    max_delay: float = 1800.0
    cut: bool = False  # duration was capped at the program's max_duration
    status: str = "planned"  # planned, delayed, skipped (missed), cut; set by the timeline
    start: datetime | None = None
    end: datetime | None = None
    reason: str = ""
    pieces: list[tuple[datetime, datetime]] = field(default_factory=list)
    played_s: float = 0.0
    key: str = ""  # the occurrence id when the caller computed it once for many stations

    @property
    def occurrence_id(self) -> str:
        return self.key or occurrence_id(self.program, self.scheduled)

    @property
    def remaining_s(self) -> float:
        return max(self.duration_s - self.played_s, 0.0)

    def as_dict(self) -> dict[str, object]:
        return {
            "station": self.station,
            "program": self.program,
            "occurrence": self.occurrence_id,
            "scheduled": self.scheduled.isoformat(),
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "priority": self.priority.label,
            "duration_s": round(self.duration_s, 3),
            "status": self.status,
            "reason": self.reason,
            "pieces": [[a.isoformat(), b.isoformat()] for a, b in self.pieces],
        }


def occurrence_id(program: str, scheduled: datetime) -> str:
    """``<program>@<YYYY-MM-DDTHH:MM>`` of the scheduled start: the same in the plan,
    the live log and the simulated log."""
    return f"{program}@{scheduled:%Y-%m-%dT%H:%M}"


class Action(NamedTuple):
    """What the timeline decided: ``kind`` is start, resumed, preempted, end or missed."""

    kind: str
    occurrence: Occurrence
    at: datetime
    reason: str = ""


class Timeline:
    """The on-air state of one station and its waiting programs."""

    def __init__(self, station: str,
                 blackouts: Sequence[tuple[datetime, datetime, str]] = ()) -> None:
        self.station = station
        self.on_air: Occurrence | None = None
        self.on_air_since: datetime | None = None
        self.waiting: list[Occurrence] = []
        self.blackouts = sorted(blackouts)

    def blackout_at(self, at: datetime) -> str | None:
        for start, end, reason in self.blackouts:
            if start <= at < end:
                return reason or "station blackout"
        return None

    def expected_finish(self) -> datetime | None:
        """When the program on air ends if nothing interrupts it."""
        if self.on_air is None or self.on_air_since is None:
            return None
        return self.on_air_since + timedelta(seconds=self.on_air.remaining_s)

    # --- inputs ----------------------------------------------------------------------
    def arrive(self, occ: Occurrence, at: datetime) -> list[Action]:
        """A program's slot has come (``at`` is now; usually ``occ.scheduled``)."""
        if occ.priority < Priority.EMERGENCY:
            blackout = self.blackout_at(at)
            if blackout is not None:
                return [self._miss(occ, at, f"blackout: {blackout}")]
        current = self.on_air
        if current is None:
            return self._start(occ, at)
        if occ.priority == Priority.EMERGENCY and current.priority < Priority.EMERGENCY:
            actions = self._pause(at, f"preempted-by: {occ.occurrence_id}")
            return actions + self._start(occ, at)
        self.waiting.append(occ)
        return []

    def finish(self, at: datetime, reason: str = "") -> list[Action]:
        """The program on air ended at ``at`` (completed, failed or cut)."""
        current = self.on_air
        if current is None:
            return []
        self._account(at)
        current.end = at
        self.on_air = self.on_air_since = None
        actions = [Action("end", current, at, reason or ("cut: max_duration" if current.cut
                                                         else ""))]
        return actions + self.next(at)

    def next(self, at: datetime) -> list[Action]:
        """Start the best waiting program, missing those that waited too long."""
        actions: list[Action] = []
        while self.on_air is None and self.waiting:
            self.waiting.sort(key=_queue_key)
            occ = self.waiting.pop(0)
            if occ.played_s > 0:  # a preempted program resumes, unless it waited too long
                paused = (at - occ.pieces[-1][1]).total_seconds() if occ.pieces else 0.0
                if paused > occ.max_delay:
                    occ.end, occ.status = at, "cut"
                    actions.append(Action("end", occ, at, f"cut: preempted for {paused / 60:.0f} "
                                          f"min (more than max_delay {occ.max_delay / 60:.0f} "
                                          "min), the rest does not air"))
                    continue
                actions += self._start(occ, at, resumed=True)
                break
            late = (at - occ.scheduled).total_seconds()
            if late > occ.max_delay:
                actions.append(self._miss(occ, at, f"collision: waited {late / 60:.0f} min "
                                          f"(more than max_delay {occ.max_delay / 60:.0f} min)"))
                continue
            if occ.priority < Priority.EMERGENCY and self.blackout_at(at) is not None:
                actions.append(self._miss(occ, at, f"blackout: {self.blackout_at(at)}"))
                continue
            actions += self._start(occ, at)
        return actions

    def drop_waiting(self, at: datetime, reason: str) -> list[Action]:
        """Give up everything waiting (shutdown): each is missed with ``reason``."""
        actions = [self._miss(occ, at, reason) for occ in self.waiting]
        self.waiting.clear()
        return actions

    # --- internals -------------------------------------------------------------------
    def _start(self, occ: Occurrence, at: datetime, resumed: bool = False) -> list[Action]:
        self.on_air, self.on_air_since = occ, at
        if resumed:
            return [Action("resumed", occ, at)]
        occ.start = at
        late = (at - occ.scheduled).total_seconds()
        if late >= 1.0:
            occ.status = "delayed"
            occ.reason = occ.reason or f"late: waited {late / 60:.1f} min behind another program"
        return [Action("start", occ, at, occ.reason if occ.status == "delayed" else "")]

    def _pause(self, at: datetime, reason: str) -> list[Action]:
        current = self.on_air
        assert current is not None
        self._account(at)
        self.on_air = self.on_air_since = None
        if current.remaining_s <= 0.5:  # in its last half second: it has aired, it ends
            current.end = at
            return [Action("end", current, at, "")]
        current.reason = "; ".join(filter(None, [current.reason, f"{reason} at {at:%H:%M:%S}"]))
        self.waiting.append(current)
        return [Action("preempted", current, at, reason)]

    def _account(self, at: datetime) -> None:
        current, since = self.on_air, self.on_air_since
        if current is None or since is None:
            return
        current.pieces.append((since, at))
        current.played_s += (at - since).total_seconds()

    def _miss(self, occ: Occurrence, at: datetime, reason: str) -> Action:
        occ.status, occ.reason = "skipped", reason
        return Action("missed", occ, at, reason)


def _queue_key(occ: Occurrence) -> tuple[int, int, datetime, str]:
    return (-int(occ.priority), 0 if occ.played_s > 0 else 1, occ.scheduled, occ.program)


def run_static(timeline: Timeline, arrivals: list[Occurrence]) -> list[Action]:
    """Play arrivals through a timeline with known durations (plan and simulate).

    Arrivals must be sorted by (scheduled, -priority, program). A finish at the same
    instant as an arrival is handled first, so back-to-back programs do not collide.
    """
    actions: list[Action] = []
    i, n = 0, len(arrivals)
    while i < n or timeline.on_air is not None or timeline.waiting:
        finish = timeline.expected_finish()
        if i < n and (finish is None or arrivals[i].scheduled < finish):
            occ = arrivals[i]
            i += 1
            actions += timeline.arrive(occ, occ.scheduled)
        elif finish is not None:
            actions += timeline.finish(finish)
        else:  # nothing on air but programs waiting (after a blackout miss)
            actions += timeline.next(arrivals[i].scheduled if i < n else
                                     timeline.waiting[0].scheduled)
            if timeline.on_air is None and timeline.waiting and i >= n:
                at = max(o.scheduled for o in timeline.waiting)
                actions += timeline.drop_waiting(at, "blackout")
    return actions
