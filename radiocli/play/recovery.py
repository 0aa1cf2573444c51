"""After a restart (clean, kill -9 or power cut): what already aired today, read from
the as-run log, so nothing airs twice.

For each occurrence in a station's log of today: was it started, is it finished (an
``end`` or ``missed`` line), how many seconds aired. Minute lines are written when a
minute completes, so after a crash the minute in progress is not in the log; the
pieces (start/resumed .. preempted/end events) after the last logged minute are counted
as aired, the open one until the crash at the latest possible moment (the restart, or
one minute after the station's last logged minute). The resumed part therefore starts
after anything that may have aired: never twice, at worst a few seconds skipped.

:func:`recover` acts on it at start (through the station desk): what was on air
resumes (or ends, or is missed when the daemon was down longer than its max_delay),
and today's slots that came while no daemon ran start late or are logged missed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

from radiocli import TZ
from radiocli.aslog.reader import records
from radiocli.plan.planner import arrivals
from radiocli.plan.timeline import Occurrence
from radiocli.play.desk import StationDesk, StationState
from radiocli.play.kinds import Event
from radiocli.play.programs import Programs
from radiocli.schedule.model import Priority

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


# --- acting on it ----------------------------------------------------------------------


def resume(desk: StationDesk, st: StationState, occ: Occurrence, day: Day,
           now: datetime) -> None:
    """``occ`` was on air when the previous daemon stopped: resume what is left (it
    waits for the station), unless it had finished or the daemon was down longer than
    its max_delay (then it ends or is missed here)."""
    played, unlogged = day.aired(occ.occurrence_id, now)
    down = (now - day.crash_bound(now)).total_seconds()
    occ.played_s = min(played, occ.duration_s)
    occ.start = occ.scheduled
    if occ.remaining_s <= 0.5:
        desk.logs.event(st.code, Event.END, now, occ,
                        "restart: it had finished before the daemon stopped")
        return
    if down > occ.max_delay:
        occ.status = "skipped"
        desk.logs.event(st.code, Event.MISSED, now, occ,
                        f"offline: the daemon was down {down / 60:.0f} min (more than "
                        f"max_delay {occ.max_delay / 60:.0f} min); "
                        f"{occ.remaining_s:.0f} s not aired")
        return
    desk.resume_reasons[(st.code, occ.occurrence_id)] = (
        f"restart: resumed at {occ.played_s:.1f} s after a restart"
        + (f" ({unlogged:.0f} s before the stop are not in the minute lines)"
           if unlogged >= 1 else ""))
    if occ.played_s <= 0:
        occ.played_s = 0.001  # the Timeline resumes what has played
    st.timeline.waiting.append(occ)


def recover(desk: StationDesk, programs: Programs, logs: Path, now: datetime, *,
            misfire_grace: float, alerts: Collection[str] = ()) -> None:
    """At start: resume what was on air before a stop (within its max_delay), and
    handle today's slots that came while no daemon ran (late within the grace, else
    missed). Only today's log and today's slots are read: a slot of another day (a
    one-off in the past) is never aired, logged or recovered here. ``alerts``: the
    programs of alerts still in the spool, which the alert desk resumes."""
    schedule = programs.schedule
    assert schedule is not None
    midnight = datetime.combine(now.date(), dtime(0), TZ)
    for code, st in desk.stations.items():
        day = read_day(logs, code, now.date())
        st.known.update(day.occurrences)
        for item in day.occurrences.values():
            if not item.started or item.finished or item.program in alerts:
                continue
            program = programs.get(item.program)
            if program is None or item.scheduled is None:
                gone = Occurrence(code, item.program, item.scheduled or now, 0.0,
                                  Priority.parse(item.priority or "normal"))
                desk.logs.event(code, Event.MISSED, now, gone,
                                "restart: the program is no longer in the schedule")
                continue
            parts = programs.parts(program) if programs.decodes else None
            occ = programs.occurrence(program, code, item.scheduled, parts)
            desk.expect(st, occ, parts or programs.estimated_parts(program),
                        programs.segments(program, parts))
            resume(desk, st, occ, day, now)
    for code, occs in arrivals(schedule, midnight, now, list(desk.stations),
                               programs.durations).items():
        st = desk.stations[code]
        for planned in occs:
            if not midnight <= planned.scheduled < now:
                continue  # a one-off of another day: DateTrigger gives it whatever the window
            if planned.occurrence_id in st.known:
                continue
            st.known.add(planned.occurrence_id)
            late = (now - planned.scheduled).total_seconds()
            if late <= min(planned.max_delay, misfire_grace):
                program = schedule.programs[planned.program]
                parts = programs.parts(program) if programs.decodes else None
                occ = programs.occurrence(program, code, planned.scheduled, parts)
                desk.expect(st, occ, parts or programs.estimated_parts(program),
                            programs.segments(program, parts))
                occ.reason = f"late: the daemon started {late / 60:.1f} min after the slot"
                st.timeline.waiting.append(occ)
            else:
                desk.logs.event(code, Event.MISSED, now, planned,
                                f"offline: no daemon was running at "
                                f"{planned.scheduled:%H:%M:%S}")
    with desk.lock:
        for st in desk.stations.values():
            if st.air is None and st.timeline.waiting:
                desk.apply(st, st.timeline.next(now))
