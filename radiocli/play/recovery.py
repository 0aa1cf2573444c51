"""After a restart (clean, kill -9 or power cut): what already aired today, read from
the as-run log, so nothing airs twice.

For each occurrence in a station's log of today: was it started, is it finished (an
``end`` or ``missed`` line), how many seconds aired. Minute lines are written when a
minute completes, so after a crash the minute in progress is not in the log; the
pieces (start/resumed .. preempted/end events) after the last logged minute are counted
as aired, the open one until the crash at the latest possible moment (the restart, or
one minute after the station's last logged minute). The resumed part therefore starts
after anything that may have aired: never twice, at worst a few seconds skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from radiocli.aslog.reader import records

MINUTE = timedelta(minutes=1)


@dataclass
class Aired:
    occurrence: str
    program: str = ""
    priority: str = ""
    scheduled: datetime | None = None
    started: bool = False
    finished: bool = False  # end or missed logged
    on_air: bool = False  # started or resumed and not ended nor preempted
    seconds: float = 0.0  # sum of the minute lines
    minute_end: datetime | None = None  # end of the last logged minute
    pieces: list[list[datetime | None]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass
class Day:
    """One station's log of one day, as far as restart recovery cares."""

    occurrences: dict[str, Aired] = field(default_factory=dict)
    last_minute_end: datetime | None = None
    last_at: datetime | None = None

    def crash_bound(self, now: datetime) -> datetime:
        """The latest moment the previous daemon can have been airing."""
        bounds = [now]
        if self.last_minute_end is not None:
            bounds.append(max(self.last_minute_end + MINUTE, self.last_at or self.last_minute_end))
        elif self.last_at is not None:
            bounds.append(self.last_at + MINUTE)
        return min(bounds)

    def aired(self, occurrence: str, now: datetime) -> tuple[float, float]:
        """(seconds aired at worst, of which not in the minute lines)."""
        item = self.occurrences.get(occurrence)
        if item is None:
            return 0.0, 0.0
        crash = self.crash_bound(now)
        unlogged = 0.0
        for start, end in item.pieces:
            assert start is not None
            stop = end if end is not None else crash
            begin = max(start, item.minute_end) if item.minute_end else start
            unlogged += max((stop - begin).total_seconds(), 0.0)
        return item.seconds + unlogged, unlogged


def read_day(logs: Path, station: str, day: date) -> Day:
    path = logs / station / f"{day.isoformat()}.jsonl"
    out = Day()
    if not path.is_file():
        return out
    try:
        for rec in records(path):
            occ = rec.get("occurrence")
            if "minute" in rec:
                end = datetime.fromisoformat(rec["minute"]) + MINUTE
                out.last_minute_end = max(out.last_minute_end or end, end)
            elif rec.get("at"):
                at = datetime.fromisoformat(rec["at"])
                if rec.get("event") not in ("sealed", "recovered"):
                    out.last_at = max(out.last_at or at, at)
            if not occ:
                continue
            item = out.occurrences.setdefault(occ, Aired(occ))
            item.program = rec.get("program") or item.program
            item.priority = rec.get("priority") or item.priority
            if "minute" in rec:
                end = datetime.fromisoformat(rec["minute"]) + MINUTE
                item.seconds += float(rec.get("seconds") or 0)
                item.minute_end = max(item.minute_end or end, end)
                continue
            event = rec.get("event")
            at = datetime.fromisoformat(rec["at"])
            if rec.get("scheduled"):
                item.scheduled = datetime.fromisoformat(rec["scheduled"])
            if event in ("start", "resumed"):
                item.started = item.on_air = True
                item.pieces.append([at, None])
            elif event in ("preempted", "end", "missed"):
                if item.pieces and item.pieces[-1][1] is None:
                    item.pieces[-1][1] = at
                item.on_air = False
                if event != "preempted":
                    item.finished = True
            elif event == "failed":
                item.failed.append(rec.get("reason", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return out
    return out
