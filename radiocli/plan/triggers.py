"""APScheduler trigger objects for programs: the same objects plan, simulate and the live
scheduler use, with Asia/Ho_Chi_Minh passed to every one of them."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from radiocli import TZ
from radiocli.schedule.model import Program
from radiocli.schedule.values import CRON_DAYS

ONE_US = timedelta(microseconds=1)


class SkipDates(BaseTrigger):
    """Another trigger's fire times, minus the excluded local dates (holidays)."""

    def __init__(self, trigger: BaseTrigger, dates: frozenset[date]) -> None:
        self.trigger = trigger
        self.dates = dates

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire = self.trigger.get_next_fire_time(previous_fire_time, now)
        while fire is not None and fire.astimezone(TZ).date() in self.dates:
            fire = self.trigger.get_next_fire_time(fire, fire + ONE_US)
        return fire

    def __str__(self) -> str:
        return f"{self.trigger} except {len(self.dates)} dates"

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "trigger": self.trigger, "dates": self.dates}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.trigger, self.dates = state["trigger"], state["dates"]


class Moments(BaseTrigger):
    """Fixed date-times (``once:`` rules), answered the way CronTrigger answers: the first
    moment at or after ``now`` (after the previous fire time once there is one).

    APScheduler's DateTrigger returns its date whatever "now" is, and nothing once any
    previous fire time is given: a one-off planned on 2021-08-05 came back on every later
    day, and inside an OrTrigger it was lost after the first fire of a recurring rule
    while dragging the walk back to its own date. This one keeps neither habit."""

    def __init__(self, moments: Iterable[datetime]) -> None:
        self.moments = tuple(sorted(set(moments)))

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            threshold = now
        else:  # as CronTrigger: after the previous fire time (or from now, if earlier)
            threshold = min(now, previous_fire_time + ONE_US)
            if threshold == previous_fire_time:
                threshold += ONE_US
        i = bisect_left(self.moments, threshold)
        return self.moments[i] if i < len(self.moments) else None

    def __str__(self) -> str:
        return "once[" + ", ".join(f"{m:%Y-%m-%d %H:%M:%S}" for m in self.moments) + "]"

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "moments": self.moments}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.moments = state["moments"]


class Never(BaseTrigger):
    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> None:
        return None

    def __str__(self) -> str:
        return "never"


def program_trigger(program: Program, holidays: frozenset[date] = frozenset()) -> BaseTrigger:
    """One trigger for all of a program's rules, validity and excluded dates."""
    start = datetime.combine(program.valid_from, time(0), TZ) if program.valid_from else None
    end = (
        datetime.combine(program.valid_to, time(23, 59, 59), TZ) if program.valid_to else None
    )
    triggers: list[BaseTrigger] = []
    moments = [moment for rule in program.rules for moment in rule.once
               if (start is None or moment >= start) and (end is None or moment <= end)]
    if moments:
        triggers.append(Moments(moments))
    for rule in program.rules:
        if not rule.times:
            continue
        days = ",".join(CRON_DAYS[d] for d in rule.days)
        # one cron trigger per distinct minute-second pattern, grouping hours that share it
        by_minute: dict[tuple[int, int], list[int]] = {}
        for t in rule.times:
            by_minute.setdefault((t.minute, t.second), []).append(t.hour)
        for (minute, second), hours in sorted(by_minute.items()):
            triggers.append(
                CronTrigger(
                    day_of_week=days,
                    hour=",".join(str(h) for h in sorted(hours)),
                    minute=minute,
                    second=second,
                    start_date=start,
                    end_date=end,
                    timezone=TZ,
                )
            )
    if not triggers:
        return Never()
    trigger: BaseTrigger = triggers[0] if len(triggers) == 1 else OrTrigger(triggers)
    excluded = set(program.except_dates)
    if program.skip_holidays:
        excluded |= holidays
    return SkipDates(trigger, frozenset(excluded)) if excluded else trigger


def fire_times(trigger: BaseTrigger, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fire times in [start, end), walked as the live scheduler walks them.

    Every trigger here answers with a time at or after ``start``; a foreign trigger that
    answers with an earlier one (APScheduler's DateTrigger does) is walked past it, so
    nothing before the window is ever returned."""
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        if fire >= start:
            yield fire
        fire = trigger.get_next_fire_time(fire, fire)
