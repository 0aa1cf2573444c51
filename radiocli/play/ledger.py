"""The minute ledger: seconds on air become minute lines, in one place.

The as-run log has one line per station, occurrence and minute on air. The live daemon
adds the seconds as they pass and closes each minute when its clock leaves it;
``simulate`` adds each piece of an occurrence when the piece ends. Both go through a
:class:`MinuteLedger`, so the same rules make the same lines:

- every piece of an occurrence within one minute adds to that minute's one line (a
  program preempted and resumed within a minute gets one line, not two);
- a line carries the total rounded to the second, at most 60; a minute with less than
  half a second on air gets no line (the start jitter of live playout, a feed that
  failed at once);
- a line names the segment on air at the start of the occurrence's first piece in that
  minute, read from the occurrence's :class:`SegmentMap`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from radiocli.plan.durations import program_seconds, segment_seconds
from radiocli.plan.timeline import Occurrence
from radiocli.schedule.model import Priority, Program, Schedule

if TYPE_CHECKING:
    from radiocli.aslog.writer import LogBook

MINUTE = timedelta(minutes=1)
SLIVER_S = 0.5  # less than this in a minute: no line
EPSILON_S = 5e-7  # half a microsecond, the resolution of a datetime


@dataclass(frozen=True)
class SegmentMap:
    """Where each segment of a program begins, in seconds from the program's start:
    ``starts`` holds (offset, segment index) pairs in ascending order."""

    starts: tuple[tuple[float, int], ...] = ((0.0, 0),)
    _offsets: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_offsets", tuple(o for o, _s in self.starts))

    @classmethod
    def from_lengths(cls, parts: Iterable[tuple[float, int]]) -> SegmentMap:
        """From consecutive parts, each (seconds, index of the segment it starts with):
        a rendered playlist."""
        starts, pos = [], 0.0
        for seconds, segment in parts:
            starts.append((pos, segment))
            pos += seconds
        return cls(tuple(starts) or ((0.0, 0),))

    @classmethod
    def estimated(cls, schedule: Schedule, program: Program,
                  durations: dict[str, float] | None = None) -> SegmentMap:
        """From the segments' estimated lengths, scaled to the program's rendered or
        stated length when that differs (by more than half a second)."""
        offsets, t = [], 0.0
        for segment in program.segments:
            offsets.append(t)
            t += segment_seconds(schedule, segment)
        total, _cut = program_seconds(schedule, program, durations)
        if t > 0 and abs(total - t) > 0.5:
            offsets = [o * total / t for o in offsets]
        return cls(tuple((o, i) for i, o in enumerate(offsets)) or ((0.0, 0),))

    def at(self, offset: float) -> int:
        """The segment on air ``offset`` seconds into the program."""
        index = bisect_right(self._offsets, offset + EPSILON_S) - 1
        return self.starts[max(index, 0)][1]


class MinuteLine(NamedTuple):
    """One line of the as-run log: an occurrence's seconds on air in one minute (from
    ``start`` to ``end``; in one piece when ``whole``)."""

    station: str
    minute: datetime
    seconds: float
    program: str
    occurrence: str
    priority: Priority
    segment: int
    start: datetime
    end: datetime
    whole: bool = True

    def lines(self) -> list[MinuteLine]:
        return [self]

    def points(self) -> list[tuple[datetime, int]]:
        return [(self.start, self.segment)]

    def write(self, book: LogBook) -> int:
        if self.whole:
            return book.minutes(self.station, self.start, self.end, self.program,
                                self.occurrence, self.priority, segments=self.points())
        end = self.minute + timedelta(seconds=min(self.seconds, 60.0))
        return book.minutes(self.station, self.minute, end, self.program, self.occurrence,
                            self.priority, segments=((self.minute, self.segment),))


class MinuteRun(NamedTuple):
    """Whole minutes of one occurrence on air without a break, from ``start`` to ``end``
    (both on a minute), ``offset`` seconds into the occurrence at ``start``: a line
    of 60 seconds for each minute, written in one call."""

    station: str
    program: str
    occurrence: str
    priority: Priority
    start: datetime
    end: datetime
    offset: float
    segments: SegmentMap

    @property
    def minute(self) -> datetime:
        return self.start

    @property
    def whole(self) -> bool:
        return True

    def lines(self) -> list[MinuteLine]:
        out, t = [], self.start
        while t < self.end:
            at = self.offset + (t - self.start).total_seconds()
            out.append(MinuteLine(self.station, t, 60.0, self.program, self.occurrence,
                                  self.priority, self.segments.at(at), t, t + MINUTE))
            t += MINUTE
        return out

    def points(self) -> list[tuple[datetime, int]]:
        """Where the segment changes: at the start, then at each segment's start."""
        span = (self.end - self.start).total_seconds()
        points = [(self.start, self.segments.at(self.offset))]
        for offset, segment in self.segments.starts:
            delta = offset - self.offset
            if delta > EPSILON_S and delta < span:
                points.append((self.start + timedelta(seconds=delta), segment))
        return points

    def write(self, book: LogBook) -> int:
        return book.minutes(self.station, self.start, self.end, self.program,
                            self.occurrence, self.priority, segments=self.points())


Airtime = MinuteLine | MinuteRun


def lines_of(items: Iterable[Airtime]) -> list[MinuteLine]:
    """Every minute line, one per minute."""
    return [line for item in items for line in item.lines()]


def write_lines(book: LogBook, items: Sequence[Airtime]) -> int:
    """Write ``items`` in order; stretches of one occurrence on air without a break go to
    the log writer in one call (the same lines, written faster). Returns the number of
    lines written."""
    written = 0
    i, n = 0, len(items)
    while i < n:
        first = prev = items[i]
        j = i + 1
        if first.whole:
            while j < n:
                item = items[j]
                if item.occurrence != first.occurrence or item.station != first.station \
                        or not item.whole or item.start != prev.end:
                    break
                prev = item
                j += 1
        if j == i + 1:
            written += first.write(book)
        else:
            points = []
            for item in items[i:j]:
                points += item.points()
            written += book.minutes(first.station, first.start, prev.end, first.program,
                                    first.occurrence, first.priority, segments=points)
        i = j
    return written


@dataclass(slots=True)
class _Minute:
    """What one occurrence aired in one minute so far."""

    occurrence: Occurrence
    seconds: float
    segment: int
    start: datetime
    end: datetime
    whole: bool = True


@dataclass(slots=True)
class _Run:
    """Whole minutes of one occurrence without a break."""

    occurrence: Occurrence
    start: datetime
    end: datetime
    offset: float
    segments: SegmentMap


class MinuteLedger:
    """The minutes still open for one station (or several): seconds added, lines not
    yet taken. The pieces of one occurrence never overlap in time."""

    def __init__(self) -> None:
        # occurrence id -> first minute -> what aired there
        self._open: dict[str, dict[datetime, _Minute | _Run]] = {}
        self._pieces: dict[str, int] = {}  # occurrence id -> pieces taken (add_pieces)

    def __len__(self) -> int:
        return len(self._open)

    def add(self, occ: Occurrence, segments: SegmentMap, start: datetime, end: datetime,
            offset: float) -> None:
        """``occ`` was on air over [start, end), ``offset`` seconds into it at ``start``."""
        if end <= start:
            return
        items = self._open.setdefault(occ.occurrence_id, {})
        first = start.replace(second=0, microsecond=0)
        last = end.replace(second=0, microsecond=0)
        t = start
        if start != first or last == first:  # a part of the first minute
            stop = min(first + MINUTE, end)
            self._portion(items, occ, first, t, stop, segments.at(offset))
            t = stop
        if t < last:  # whole minutes
            items[t] = _Run(occ, t, last, offset + (t - start).total_seconds(), segments)
            t = last
        if t < end:  # a part of the last minute
            self._portion(items, occ, t, t, end,
                          segments.at(offset + (t - start).total_seconds()))

    @staticmethod
    def _portion(items: dict[datetime, _Minute | _Run], occ: Occurrence, minute: datetime,
                 start: datetime, end: datetime, segment: int) -> None:
        seconds = (end - start).total_seconds()
        entry = items.get(minute)
        if entry is None:
            items[minute] = _Minute(occ, seconds, segment, start, end)
        elif isinstance(entry, _Minute):
            entry.seconds += seconds
            entry.whole = entry.whole and entry.end == start
            entry.end = end
        else:  # pragma: no cover - pieces of one occurrence never overlap
            raise ValueError(f"{occ.occurrence_id}: {minute} is already on air")

    def add_pieces(self, occ: Occurrence, segments: SegmentMap) -> float:
        """Add the pieces of ``occ`` (its ``pieces``, as the Timeline recorded them) not
        added yet; returns their seconds."""
        done = self._pieces.get(occ.occurrence_id, 0)
        fresh = occ.pieces[done:]
        if not fresh:
            return 0.0
        self._pieces[occ.occurrence_id] = len(occ.pieces)
        lengths = [(b - a).total_seconds() for a, b in fresh]
        offset = occ.played_s - sum(lengths)
        for (a, b), seconds in zip(fresh, lengths, strict=True):
            self.add(occ, segments, a, b, offset)
            offset += seconds
        return sum(lengths)

    def take(self, occ: Occurrence, segments: SegmentMap) -> tuple[float, list[Airtime]]:
        """``occ`` is over (ended, cut or missed): add its pieces not added yet and take
        all its minutes; returns (seconds added, lines), as ``add_pieces`` then
        ``close(occurrence=...)`` would. The usual case, one piece and no minute of it
        still open, is built directly (the simulation's millions of minutes go this way)."""
        occ_id = occ.occurrence_id
        pieces = occ.pieces
        done = self._pieces.get(occ_id, 0)
        if occ_id in self._open or len(pieces) - done != 1:
            seconds = self.add_pieces(occ, segments)
            return seconds, self.close(occurrence=occ_id)
        if done:
            del self._pieces[occ_id]
        start, end = pieces[-1]
        seconds = (end - start).total_seconds()
        if seconds <= 0:
            return seconds, []
        offset = occ.played_s - seconds
        first = start.replace(second=0, microsecond=0)
        last = end.replace(second=0, microsecond=0)
        out: list[Airtime] = []
        t = start
        if start != first or last == first:  # a part of the first minute
            t = min(first + MINUTE, end)
            part = (t - start).total_seconds()
            if part >= SLIVER_S:
                out.append(MinuteLine(occ.station, first, part, occ.program, occ_id,
                                      occ.priority, segments.at(offset), start, t))
        if t < last:  # whole minutes
            out.append(MinuteRun(occ.station, occ.program, occ_id, occ.priority, t, last,
                                 offset + (t - start).total_seconds(), segments))
            t = last
        if t < end:  # a part of the last minute
            part = (end - t).total_seconds()
            if part >= SLIVER_S:
                out.append(MinuteLine(occ.station, t, part, occ.program, occ_id, occ.priority,
                                      segments.at(offset + (t - start).total_seconds()),
                                      t, end))
        return seconds, out

    def discard(self) -> float:
        """Forget every open minute, never to be written (a station that goes dark: the
        minute in progress is lost); returns the seconds they held."""
        seconds = 0.0
        for items in self._open.values():
            for item in items.values():
                seconds += (item.end - item.start).total_seconds() if isinstance(item, _Run) \
                    else item.seconds
        self._open.clear()
        self._pieces.clear()
        return seconds

    def close(self, before: datetime | None = None, occurrence: str | None = None
              ) -> list[Airtime]:
        """Take what aired in the minutes that begin before ``before`` (every minute when
        None), of one occurrence or of all, in (minute, occurrence) order. A minute with
        less than half a second on air is dropped."""
        wanted = list(self._open) if occurrence is None else (occurrence,)
        taken: list[tuple[datetime, str, _Minute | _Run]] = []
        for occ_id in wanted:
            items = self._open.get(occ_id)
            if items is None:
                continue
            if before is None:  # all of it
                del self._open[occ_id]
                taken += [(key, occ_id, item) for key, item in items.items()]
                continue
            for key in [k for k in items if k < before]:
                item = items.pop(key)
                if isinstance(item, _Run) and item.end > before:
                    rest = item.offset + (before - item.start).total_seconds()
                    items[before] = _Run(item.occurrence, before, item.end, rest,
                                         item.segments)
                    item = _Run(item.occurrence, item.start, before, item.offset,
                                item.segments)
                taken.append((key, occ_id, item))
            if not items:
                del self._open[occ_id]
        if occurrence is not None and before is None:
            self._pieces.pop(occurrence, None)
        if len(taken) > 1:
            taken.sort(key=_minute_and_occurrence)
        out: list[Airtime] = []
        for minute, occ_id, item in taken:
            occ = item.occurrence
            if isinstance(item, _Run):
                out.append(MinuteRun(occ.station, occ.program, occ_id, occ.priority,
                                     item.start, item.end, item.offset, item.segments))
            elif item.seconds >= SLIVER_S:
                out.append(MinuteLine(occ.station, minute, item.seconds, occ.program, occ_id,
                                      occ.priority, item.segment, item.start, item.end,
                                      item.whole))
        return out


_minute_and_occurrence = itemgetter(0, 1)
