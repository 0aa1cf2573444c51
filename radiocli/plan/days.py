"""Every day a schedule can air, grouped so that identical days are checked once.

``validate`` checks overlaps and the policy on every day of every program's validity.
Planning years day by day would take long; but a day is decided by few things: which
programs fire that day and at what times, what aired past the previous midnight, the
weekday (policy rules name weekdays), whether an exemption period is in force, and the
registry as it was that day. Days on which all of these are equal break the same rules
in the same way, so :func:`day_groups` groups them and the checks look at one day of
each group. A program valid for three years at the same times is one group per weekday.

How far: a program is checked from its ``from:`` to its ``until:``. Open-ended ones are
checked up to :data:`HORIZON_DAYS` after the check date (or after their ``from:``, when
that is later); without ``from:``, from the check date (or, when their ``until:`` has
passed, over the last :data:`HORIZON_DAYS` of their validity). One-offs (``once:``) are
checked whenever they are.

The registry's state of a day is told apart by the object ``Registry.as_of`` returns
(it returns the same object for every day with the same changes applied); a registry
that built a new one on each call would still be checked right, only more slowly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta

from radiocli import TZ
from radiocli.plan.durations import program_seconds
from radiocli.schedule.model import Program, Schedule

HORIZON_DAYS = 365
DAY_S = 86400.0

Pattern = tuple[tuple[str, tuple[time, ...]], ...]  # (program id, times) fired on a day


@dataclass(frozen=True)
class DayGroup:
    """Days on which the same programs air at the same times, with the same weekday,
    exemption state and registry: a check of the first holds for all of them."""

    days: tuple[date, ...]  # sorted
    pattern: Pattern
    spill: tuple[tuple[str, time], ...] = ()  # airings of the day before still on at 00:00

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]


def checked_span(program: Program, today: date, horizon: int = HORIZON_DAYS
                 ) -> tuple[date, date] | None:
    """The days on which ``program`` is checked (see the module's docstring); one-offs
    (``once:``) are always inside, whenever they are."""
    if program.valid_from is not None:
        first = program.valid_from
    elif program.valid_to is not None and program.valid_to < today:
        first = program.valid_to - timedelta(days=horizon - 1)
    else:
        first = today
    last = program.valid_to if program.valid_to is not None else \
        max(today, first) + timedelta(days=horizon)
    once = [m.astimezone(TZ).date() for rule in program.rules for m in rule.once]
    if once and program.valid_from is None:
        first = min(first, *once)
    if once and program.valid_to is None:
        last = max(last, *once)
    return (first, last) if first <= last else None


class DayTimes:
    """When a program fires on a given day, read from its rules directly (the triggers
    give the same times; tests/test_days.py checks it)."""

    def __init__(self, program: Program, holidays: Iterable[date]) -> None:
        self.program = program
        self.skipped = set(program.except_dates)
        if program.skip_holidays:
            self.skipped |= set(holidays)
        by_weekday: list[set[time]] = [set() for _ in range(7)]
        once: dict[date, set[time]] = defaultdict(set)
        for rule in program.rules:
            for weekday in rule.days:
                by_weekday[weekday].update(rule.times)
            for moment in rule.once:
                local = moment.astimezone(TZ)
                once[local.date()].add(local.time().replace(tzinfo=None))
        self.weekdays = [tuple(sorted(times)) for times in by_weekday]
        self.once = {day: tuple(sorted(times)) for day, times in once.items()}

    def on(self, day: date) -> tuple[time, ...]:
        program = self.program
        if (program.valid_from is not None and day < program.valid_from) or \
                (program.valid_to is not None and day > program.valid_to) or \
                day in self.skipped:
            return ()
        times = self.weekdays[day.weekday()]
        extra = self.once.get(day)
        if extra:
            times = tuple(sorted(set(times) | set(extra)))
        return times


def day_groups(schedule: Schedule, today: date, horizon: int = HORIZON_DAYS
               ) -> list[DayGroup]:
    """Every day on which some program airs, grouped by what decides the checks."""
    holidays = list(schedule.holidays)
    fired: dict[date, list[tuple[str, tuple[time, ...]]]] = defaultdict(list)
    spills: dict[str, float] = {}  # program -> seconds past the start of its day it may end
    for program in schedule.programs.values():
        span = checked_span(program, today, horizon)
        if span is None:
            continue
        seconds, _cut = program_seconds(schedule, program)
        spills[program.id] = seconds
        table = DayTimes(program, holidays)
        day, last = span
        while day <= last:
            times = table.on(day)
            if times:
                fired[day].append((program.id, times))
            day += timedelta(days=1)
    policy = schedule.policy
    registry = schedule.registry
    registries: dict[int, object] = {}  # keeps each registry state alive, so ids stay unique
    groups: dict[tuple[object, ...], list[date]] = {}
    patterns: dict[tuple[object, ...], tuple[Pattern, tuple[tuple[str, time], ...]]] = {}
    for day in sorted(fired):
        pattern: Pattern = tuple(sorted(fired[day]))
        before = fired.get(day - timedelta(days=1), ())
        spill = tuple((pid, t) for pid, times in before for t in times
                      if _seconds(t) + spills[pid] > DAY_S)
        state = registry.as_of(day)
        registries.setdefault(id(state), state)
        exempt = policy is not None and policy.exempt_on(day) is not None
        key = (day.weekday(), exempt, id(state), pattern, spill)
        groups.setdefault(key, []).append(day)
        patterns[key] = (pattern, spill)
    return sorted((DayGroup(tuple(days), *patterns[key]) for key, days in groups.items()),
                  key=lambda g: g.first)


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second
