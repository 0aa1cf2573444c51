"""The jobs alone: APScheduler's processing on a fake clock, the slots handed on."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from radiocli.plan.triggers import TZ
from radiocli.play.clock import FakeClock
from radiocli.play.jobs import Jobs, first_fire
from radiocli.play.kinds import Fire
from radiocli.schedule.model import Priority, Program, Rule, Targets

T0 = datetime(2030, 1, 10, 10, 0, tzinfo=TZ)


def test_first_fire_never_returns_a_date_in_the_past():
    past = DateTrigger(T0 - timedelta(days=5), timezone=TZ)
    assert past.get_next_fire_time(None, T0) == T0 - timedelta(days=5)  # APScheduler's way
    assert first_fire(past, T0) is None
    daily = CronTrigger(hour=11, minute=0, timezone=TZ)
    assert first_fire(OrTrigger([past, daily]), T0) == T0 + timedelta(hours=1)
    assert first_fire(DateTrigger(T0, timezone=TZ), T0) == T0


def once(pid: str, at: datetime, priority: Priority = Priority.NORMAL) -> Program:
    return Program(id=pid, title=pid, priority=priority, targets=Targets(everywhere=True),
                   rules=(Rule(once=(at,)),), segments=())


def jobs_with(clock: FakeClock, programs: list[Program], deliver) -> Jobs:
    jobs = Jobs(clock, misfire_grace=60, deliver=deliver)
    jobs.install({p.id: p for p in programs}, frozenset())
    jobs.start()
    return jobs


def test_a_round_hands_on_its_slots_by_time_then_priority_then_id():
    clock = FakeClock(T0)
    at = T0 + timedelta(seconds=5)
    got: list[Fire] = []
    jobs = jobs_with(clock, [once("a", at), once("b", at, Priority.EMERGENCY),
                             once("c", at, Priority.EMERGENCY)], got.extend)
    clock.advance(5)
    jobs.run_due()
    assert [f.program for f in got] == ["b", "c", "a"]
    assert all(f.scheduled == at and not f.missed for f in got)
    jobs.shutdown()


def test_the_wait_it_returns_counts_from_after_the_slots_were_handed_on():
    """Handing 579 stations their program takes time: the next job's wait must not
    start from before it (the city program would start that much late)."""
    clock = FakeClock(T0)
    at = T0 + timedelta(seconds=5)
    jobs = jobs_with(clock, [once("d", at), once("city", at + timedelta(seconds=5))],
                     lambda fires: clock.advance(0.75))
    clock.advance(5)
    assert jobs.run_due() == 4.25
    jobs.shutdown()


def test_a_slot_missed_on_an_earlier_day_is_not_handed_on():
    clock = FakeClock(T0.replace(hour=23, minute=59, second=0))
    got: list[Fire] = []
    jobs = jobs_with(clock, [once("late", clock.now() + timedelta(seconds=30))], got.extend)
    clock.advance(600)  # the machine hung past midnight, beyond the grace
    jobs.run_due()
    assert got == []
    jobs.shutdown()
    clock = FakeClock(T0)
    got = []
    jobs = jobs_with(clock, [once("a", T0 + timedelta(seconds=30))], got.extend)
    clock.advance(600)  # the same day: logged missed
    jobs.run_due()
    assert got == [Fire("a", T0 + timedelta(seconds=30), missed=True)]
    jobs.shutdown()


def test_a_once_list_whose_first_moment_is_past_airs_its_later_moments():
    """A one-off list started after its first moment: the daemon airs each later moment,
    on its day, and never the past one (the planner walks the same trigger)."""
    clock = FakeClock(T0)
    moments = (T0 - timedelta(hours=1), T0 + timedelta(seconds=30),
               T0 + timedelta(days=1, seconds=30))
    program = Program(id="x", title="x", priority=Priority.PRIORITY,
                      targets=Targets(everywhere=True), rules=(Rule(once=moments),),
                      segments=())
    got: list[Fire] = []
    jobs = jobs_with(clock, [program], got.extend)
    clock.advance(30)
    jobs.run_due()
    assert got == [Fire("x", moments[1])]
    clock.advance(86400)
    jobs.run_due()
    assert got == [Fire("x", moments[1]), Fire("x", moments[2])]
    jobs.shutdown()
