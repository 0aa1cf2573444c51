"""Planning: which programs air where and when, with conflicts resolved.

``plan()`` is pure: the schedule and a window in, occurrences out. Fire times come
from the same APScheduler triggers the live scheduler uses (one per program, not one
per station); each station's arrivals then go through its :class:`Timeline`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime, time, timedelta

from radiocli import TZ
from radiocli.plan.durations import program_seconds
from radiocli.plan.timeline import Action, Occurrence, Timeline, occurrence_id, run_static
from radiocli.plan.triggers import fire_times, program_trigger
from radiocli.schedule.model import Program, Schedule


def day_window(day: date, days: int = 1) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), TZ)
    return start, start + timedelta(days=days)


def program_fire_times(schedule: Schedule, start: datetime, end: datetime
                       ) -> Iterator[tuple[Program, datetime]]:
    holidays = frozenset(schedule.holidays)
    for program in schedule.programs.values():
        trigger = program_trigger(program, holidays)
        for fire in fire_times(trigger, start, end):
            yield program, fire


def arrivals(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    stations: Collection[str] | None = None,
    durations: Mapping[str, float] | None = None,
) -> dict[str, list[Occurrence]]:
    """Every station's occurrences in the window, before conflicts are resolved."""
    wanted = set(stations) if stations is not None else None
    by_station: dict[str, list[Occurrence]] = {}
    seconds: dict[str, tuple[float, bool]] = {}
    registry = schedule.registry
    # fires in arrival order (time, highest priority first, id): a few thousand to sort,
    # so each station's list is built already in order
    fires = sorted(program_fire_times(schedule, start, end),
                   key=lambda pf: (pf[1], -int(pf[0].priority), pf[0].id))
    for program, fire in fires:
        codes = registry.select(program.targets, fire.astimezone(TZ).date())
        if program.id not in seconds:
            seconds[program.id] = program_seconds(schedule, program, durations)
        duration, cut = seconds[program.id]
        key = occurrence_id(program.id, fire)
        for code in codes:
            if wanted is not None and code not in wanted:
                continue
            occ = Occurrence(code, program.id, fire, duration, program.priority,
                             program.max_delay, cut, key=key)
            found = by_station.get(code)
            if found is None:
                by_station[code] = [occ]
            else:
                found.append(occ)
    return by_station


def blackouts_for(schedule: Schedule, station: str) -> list[tuple[datetime, datetime, str]]:
    return [(b.start, b.end, b.reason) for b in schedule.blackouts if station in b.stations]


def plan_station(schedule: Schedule, station: str, occs: list[Occurrence]
                 ) -> tuple[list[Occurrence], list[Action]]:
    timeline = Timeline(station, blackouts_for(schedule, station))
    actions = run_static(timeline, occs)
    return occs, actions


def plan(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    stations: Collection[str] | None = None,
    durations: Mapping[str, float] | None = None,
) -> list[Occurrence]:
    """Occurrences scheduled in [start, end), conflicts resolved, sorted by start."""
    out: list[Occurrence] = []
    for station, occs in sorted(arrivals(schedule, start, end, stations, durations).items()):
        resolved, _actions = plan_station(schedule, station, occs)
        out.extend(resolved)
    out.sort(key=lambda o: (o.scheduled, o.station, -int(o.priority), o.program))
    return out
