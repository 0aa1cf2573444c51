"""APScheduler trigger objects for programs: the same objects plan, simulate and the live
scheduler use, with Asia/Ho_Chi_Minh passed to every one of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from radiocli import TIMEZONE
from radiocli.schedule.model import Program
from radiocli.schedule.values import CRON_DAYS

TZ = ZoneInfo(TIMEZONE)
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
    for rule in program.rules:
        for moment in rule.once:
            if (start is None or moment >= start) and (end is None or moment <= end):
                triggers.append(DateTrigger(run_date=moment, timezone=TZ))
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
    """Fire times in [start, end), walked as the live scheduler walks them."""
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < end:
        yield fire
        fire = trigger.get_next_fire_time(fire, fire)
