"""Fire times by day: a one-off airs on its own day only, and planning day by day gives
exactly what planning the whole range gives, for every kind of rule."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from radiocli.plan import day_window, plan
from radiocli.plan.triggers import fire_times, program_trigger
from radiocli.schedule.load import load
from radiocli.schedule.model import Priority, Program, Rule, Schedule, Silence, Targets
from radiocli.schedule.registry import District, Registry, Station
from radiocli.schedule.values import expand_every

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- the found problem: the 2021-08-05 emergency came back on every later day ---------


def test_a_one_off_is_not_planned_on_a_later_day(cli, sample_schedules):
    result = cli("--schedules", str(sample_schedules), "plan", "--date", "2021-08-10",
                 "--station", "00343", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert "khan-cap-009-phong-toa" not in {r["program"] for r in rows}
    assert all(r["scheduled"].startswith("2021-08-10") for r in rows)


def test_a_one_off_is_planned_on_its_day(sample_schedules):
    schedule = load(sample_schedules)
    occs = plan(schedule, *day_window(date(2021, 8, 5)), stations=["00343"])
    assert [o.scheduled for o in occs if o.program == "khan-cap-009-phong-toa"] == \
        [at("2021-08-05T17:10")]


def test_simulate_after_a_one_off_does_not_log_it_again(cli, sample_schedules, tmp_path):
    result = cli("--schedules", str(sample_schedules), "simulate", "--from", "2021-08-09",
                 "--to", "2021-08-10", "--station", "00343", "--logs", str(tmp_path / "logs"),
                 "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "logs" / "00343").iterdir())
    assert files == ["2021-08-09.jsonl", "2021-08-10.jsonl"]
    text = (tmp_path / "logs" / "00343" / "2021-08-10.jsonl").read_text(encoding="utf-8")
    assert "khan-cap-009-phong-toa" not in text


def test_a_one_off_beside_a_recurring_rule_is_neither_lost_nor_repeated():
    """In an OrTrigger, APScheduler's DateTrigger answered nothing once a recurring rule
    had fired (the one-off was lost) and its date when asked later (it came back)."""
    program = make_program("p", [Rule(times=(time(6, 0),)),
                                 Rule(once=(at("2021-08-05T17:10"),))])
    trigger = program_trigger(program)
    fires = list(fire_times(trigger, at("2021-08-04T00:00"), at("2021-08-07T00:00")))
    assert fires == [at("2021-08-04T06:00"), at("2021-08-05T06:00"), at("2021-08-05T17:10"),
                     at("2021-08-06T06:00")]
    later = list(fire_times(trigger, at("2021-08-06T00:00"), at("2021-08-08T00:00")))
    assert later == [at("2021-08-06T06:00"), at("2021-08-07T06:00")]
    # the live scheduler's questions: next from now, and next after a fire
    assert trigger.get_next_fire_time(None, at("2021-08-05T18:00")) == at("2021-08-06T06:00")
    assert trigger.get_next_fire_time(at("2021-08-05T06:00"), at("2021-08-05T06:00")) == \
        at("2021-08-05T17:10")


def test_every_between_walked_from_mid_day_and_across_days():
    program = make_program("storm", [Rule(times=expand_every(2 * 3600, (time(7), time(19))))])
    trigger = program_trigger(program)
    fires = list(fire_times(trigger, at("2021-09-10T12:30"), at("2021-09-11T12:30")))
    assert [f.strftime("%d %H:%M") for f in fires] == [
        "10 13:00", "10 15:00", "10 17:00", "10 19:00",
        "11 07:00", "11 09:00", "11 11:00"]


def test_the_end_of_between_is_included():
    assert expand_every(2 * 3600, (time(7), time(19)))[-1] == time(19)
    assert expand_every(5 * 3600, (time(7), time(19)))[-1] == time(17)


# --- the property, over every kind of rule ---------------------------------------------

STATION = Station("00001", "Phường Phúc Xá", "phường", "001", "Quận Ba Đình", "quận")
REGISTRY = Registry([STATION], [District("001", "Quận Ba Đình", "quận")])
FIRST = date(2021, 8, 1)
SPAN = 21  # days in which the generated programs live


def make_program(pid: str, rules: list[Rule], **kw: object) -> Program:
    return Program(id=pid, title=pid, priority=kw.pop("priority", Priority.NORMAL),  # type: ignore[arg-type]
                   targets=Targets(everywhere=True), rules=tuple(rules),
                   segments=(Silence(60.0),), duration=600.0, **kw)  # type: ignore[arg-type]


DAYS = st.sets(st.integers(0, 6), min_size=1).map(lambda s: tuple(sorted(s)))
CLOCK = st.builds(time, st.integers(0, 23), st.integers(0, 59),
                  st.sampled_from([0, 0, 0, 30]))
SOME_DAY = st.integers(0, SPAN - 1).map(lambda n: FIRST + timedelta(days=n))


@st.composite
def rules(draw):
    kind = draw(st.sampled_from(["at", "every", "once"]))
    if kind == "at":
        return Rule(days=draw(DAYS), times=tuple(sorted(set(draw(st.lists(CLOCK, min_size=1,
                                                                          max_size=4))))))
    if kind == "every":
        a = draw(st.integers(0, 22 * 60))
        b = draw(st.integers(a + 1, 23 * 60 + 59))
        every = draw(st.sampled_from([30, 45, 60, 90, 120, 180, 240])) * 60
        between = (time(a // 60, a % 60), time(b // 60, b % 60))
        return Rule(days=draw(DAYS), times=expand_every(every, between), every=every,
                    between=between)
    moments = draw(st.lists(st.builds(lambda d, c: datetime.combine(d, c, TZ), SOME_DAY, CLOCK),
                            min_size=1, max_size=3))
    return Rule(once=tuple(moments))


@st.composite
def programs(draw, pid: str):
    valid_from = draw(st.none() | SOME_DAY)
    valid_to = draw(st.none() | SOME_DAY)
    if valid_from and valid_to and valid_to < valid_from:
        valid_from, valid_to = valid_to, valid_from
    return make_program(pid, draw(st.lists(rules(), min_size=1, max_size=3)),
                        priority=draw(st.sampled_from(list(Priority))),
                        valid_from=valid_from, valid_to=valid_to,
                        except_dates=frozenset(draw(st.sets(SOME_DAY, max_size=3))),
                        skip_holidays=draw(st.booleans()))


@st.composite
def schedules(draw):
    from radiocli.schedule.model import Holiday

    count = draw(st.integers(1, 3))
    progs = {f"p{i}": draw(programs(f"p{i}")) for i in range(count)}
    holidays = {d: Holiday(d, "lễ") for d in draw(st.sets(SOME_DAY, max_size=3))}
    return Schedule(root=Path("."), audio_dir=Path("."), registry=REGISTRY, programs=progs,
                    holidays=holidays)


def expected_fires(schedule: Schedule, program: Program, first: date, last: date
                   ) -> set[datetime]:
    """What the rules say, written out directly (no trigger involved)."""
    out: set[datetime] = set()
    day = first
    while day <= last:
        allowed = (program.valid_from is None or day >= program.valid_from) and \
            (program.valid_to is None or day <= program.valid_to) and \
            day not in program.except_dates and \
            not (program.skip_holidays and day in schedule.holidays)
        if allowed:
            for rule in program.rules:
                if day.weekday() in rule.days:
                    out.update(datetime.combine(day, t, TZ) for t in rule.times)
                out.update(m for m in rule.once if m.date() == day)
        day += timedelta(days=1)
    return out


def keys(occs) -> set[tuple[str, str, datetime]]:
    return {(o.station, o.program, o.scheduled) for o in occs}


@settings(max_examples=150, deadline=None)
@given(schedule=schedules(), offset=st.integers(0, SPAN - 1), days=st.integers(1, 8))
def test_day_by_day_plans_add_up_to_the_plan_of_the_range(schedule, offset, days):
    first = FIRST + timedelta(days=offset)
    last = first + timedelta(days=days - 1)
    union: set[tuple[str, str, datetime]] = set()
    for n in range(days):
        day = first + timedelta(days=n)
        occs = plan(schedule, *day_window(day))
        for occ in occs:  # every occurrence planned for day D starts on D, Hanoi time
            assert occ.scheduled.astimezone(TZ).date() == day, (day, occ)
        union |= keys(occs)
    whole = keys(plan(schedule, *day_window(first, days)))
    assert union == whole
    expected = {("00001", p.id, f) for p in schedule.programs.values()
                for f in expected_fires(schedule, p, first, last)}
    assert whole == expected


@settings(max_examples=100, deadline=None)
@given(schedule=schedules(), cuts=st.lists(st.integers(1, SPAN * 24 * 60 - 1), max_size=5))
def test_windows_cut_anywhere_add_up_to_the_whole(schedule, cuts):
    """Windows that start mid-day (or mid-minute) partition the fire times."""
    start = datetime.combine(FIRST, time(0), TZ)
    points = [start, *sorted(start + timedelta(minutes=m, seconds=7) for m in set(cuts)),
              start + timedelta(days=SPAN)]
    for program in schedule.programs.values():
        trigger = program_trigger(program, frozenset(schedule.holidays))
        pieces: list[datetime] = []
        for a, b in zip(points, points[1:], strict=False):
            inside = list(fire_times(trigger, a, b))
            assert all(a <= f < b for f in inside)
            pieces += inside
        assert pieces == sorted(expected_fires(schedule, program, FIRST,
                                               FIRST + timedelta(days=SPAN - 1)))


def test_the_live_scheduler_is_told_nothing_about_a_past_one_off(sample_schedules):
    """The daemon asks get_next_fire_time(None, now): a past one-off is no next fire."""
    schedule = load(sample_schedules)
    trigger = program_trigger(schedule.programs["khan-cap-009-phong-toa"])
    assert trigger.get_next_fire_time(None, at("2021-08-05T17:00")) == at("2021-08-05T17:10")
    assert trigger.get_next_fire_time(None, at("2021-08-05T17:10")) == at("2021-08-05T17:10")
    assert trigger.get_next_fire_time(None, at("2021-08-05T17:11")) is None
    assert trigger.get_next_fire_time(at("2021-08-05T17:10"), at("2021-08-05T17:10")) is None
