"""plan: expectations written by hand for fixed dates, and the priority rules."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from radiocli.plan import day_window, plan
from radiocli.plan.timeline import Occurrence, Timeline, run_static
from radiocli.plan.triggers import fire_times, program_trigger
from radiocli.schedule.load import load
from radiocli.schedule.model import Priority

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def test_plan_for_a_fixed_day_matches_the_hand_written_expectation(cli, sample_schedules):
    result = cli("--schedules", str(sample_schedules), "plan", "--date", "2021-08-02",
                 "--station", "00001", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    got = [(r["program"], r["start"], r["priority"], r["status"]) for r in rows]
    assert got == [
        ("vov-thoi-su-sang", "2021-08-02T06:00:00+07:00", "normal", "planned"),
        ("thong-bao-phuc-xa-tiem-chung", "2021-08-02T07:30:00+07:00", "normal", "planned"),
        ("ban-tin-covid-thanh-pho", "2021-08-02T11:00:00+07:00", "normal", "planned"),
        ("chuong-trinh-001", "2021-08-02T17:00:00+07:00", "normal", "planned"),
        ("vov-thoi-su-toi", "2021-08-02T18:00:00+07:00", "normal", "planned"),
        ("ban-tin-toi-thanh-pho", "2021-08-02T19:30:00+07:00", "normal", "planned"),
    ]
    first = rows[0]
    assert set(first) >= {"station", "program", "start", "end", "priority", "duration_s"}
    assert first["end"] == "2021-08-02T06:45:03+07:00"  # 3 s chime + 45 min relay
    assert first["duration_s"] == 2703.0


def test_sunday_has_no_district_program_and_holidays_skip_the_bulletin(sample_schedules):
    schedule = load(sample_schedules)
    sunday = plan(schedule, *day_window(date(2021, 8, 8)), stations=["00478"])
    assert "chuong-trinh-017" not in {o.program for o in sunday}
    national_day = plan(schedule, *day_window(date(2021, 9, 2)), stations=["00478"])
    assert "ban-tin-covid-thanh-pho" not in {o.program for o in national_day}
    assert "vov-thoi-su-sang" in {o.program for o in national_day}


def test_priority_goes_first_and_normal_waits(sample_schedules):
    schedule = load(sample_schedules)
    occs = plan(schedule, *day_window(date(2021, 9, 10)), stations=["00478"])
    at11 = [o for o in occs if o.scheduled == at("2021-09-10T11:00")]
    assert [o.program for o in at11] == ["canh-bao-mua-lon", "ban-tin-covid-thanh-pho"]
    warning, bulletin = at11
    assert warning.start == at("2021-09-10T11:00")
    assert bulletin.status == "delayed" and bulletin.start == warning.end


def test_emergency_preempts_and_the_program_resumes(sample_schedules):
    schedule = load(sample_schedules)
    occs = plan(schedule, *day_window(date(2021, 8, 5)), stations=["00343"])
    district = next(o for o in occs if o.program == "chuong-trinh-009")
    alert = next(o for o in occs if o.program == "khan-cap-009-phong-toa")
    assert alert.start == at("2021-08-05T17:10")
    assert district.pieces[0] == (at("2021-08-05T17:00"), at("2021-08-05T17:10"))
    assert district.pieces[1][0] == alert.end
    assert "preempted-by: khan-cap-009-phong-toa@2021-08-05T17:10" in district.reason
    assert abs(district.played_s - district.duration_s) < 1e-6


def test_a_program_preempted_longer_than_its_max_delay_is_cut_not_resumed():
    base = at("2021-08-02T17:00")
    normal = Occurrence("00001", "district", base, 1800.0, Priority.NORMAL, 1800.0)
    long_alert = Occurrence("00001", "storm", base + timedelta(minutes=10), 3600.0,
                            Priority.EMERGENCY, 0.0)
    actions = run_static(Timeline("00001"), [normal, long_alert])
    assert [(a.kind, a.occurrence.program) for a in actions] == [
        ("start", "district"), ("preempted", "district"), ("start", "storm"),
        ("end", "storm"), ("end", "district")]
    assert normal.status == "cut" and normal.played_s == 600.0
    assert actions[-1].reason.startswith("cut: preempted for 60 min")


def test_blackout_misses_normal_programs(sample_schedules):
    schedule = load(sample_schedules)
    occs = plan(schedule, *day_window(date(2021, 8, 14)), stations=["00001"])
    bulletin = next(o for o in occs if o.program == "ban-tin-covid-thanh-pho")
    assert bulletin.status == "skipped" and bulletin.reason.startswith("blackout:")


def test_triggers_carry_the_hanoi_time_zone_even_when_the_machine_is_utc(sample_schedules):
    schedule = load(sample_schedules)
    trigger = program_trigger(schedule.programs["vov-thoi-su-sang"])
    fires = list(fire_times(trigger, at("2021-08-02T00:00"), at("2021-08-03T00:00")))
    assert fires == [at("2021-08-02T06:00")]
    assert fires[0].utcoffset() == timedelta(hours=7)


def test_every_two_hours_between_expands_to_times(sample_schedules):
    schedule = load(sample_schedules)
    rule = schedule.programs["canh-bao-mua-lon"].rules[0]
    assert [t.strftime("%H:%M") for t in rule.times] == ["07:00", "09:00", "11:00", "13:00",
                                                          "15:00", "17:00", "19:00"]


def test_plan_rejects_unknown_station_as_usage_error(cli, sample_schedules):
    result = cli("--schedules", str(sample_schedules), "plan", "--date", "2021-08-02",
                 "--station", "12345")
    assert result.exit_code == 2
    bad_date = cli("--schedules", str(sample_schedules), "plan", "--date", "2021-13-01")
    assert bad_date.exit_code == 2


def test_whole_city_day_averages_five_sessions(sample_schedules):
    schedule = load(sample_schedules)
    occs = plan(schedule, *day_window(date(2021, 8, 3)))
    aired = [o for o in occs if o.status != "skipped"]
    assert len({o.station for o in occs}) == 579
    assert 4.8 <= len(aired) / 579 <= 5.3
    minutes = sum(o.played_s for o in aired) / 60 / 579
    assert 180 <= minutes <= 200


# --- the invariant: a planned day never airs two programs at once on one station -------

PRIORITIES = st.sampled_from(list(Priority))


@st.composite
def arrivals(draw):
    base = at("2021-08-02T06:00")
    n = draw(st.integers(1, 25))
    out = []
    for i in range(n):
        minute = draw(st.integers(0, 600))
        duration = draw(st.floats(1, 3600))
        out.append(Occurrence("00001", f"p{i}", base + timedelta(minutes=minute), duration,
                              draw(PRIORITIES), draw(st.sampled_from([0.0, 600.0, 1800.0]))))
    out.sort(key=lambda o: (o.scheduled, -int(o.priority), o.program))
    blackouts = []
    if draw(st.booleans()):
        start = base + timedelta(minutes=draw(st.integers(0, 600)))
        blackouts.append((start, start + timedelta(minutes=draw(st.integers(1, 120))), "x"))
    return out, blackouts


@settings(max_examples=300, deadline=None)
@given(arrivals())
def test_a_station_never_airs_two_programs_at_once(case):
    occs, blackouts = case
    actions = run_static(Timeline("00001", blackouts), occs)
    pieces = sorted(p for o in occs for p in o.pieces)
    for (_a0, a1), (b0, _b1) in zip(pieces, pieces[1:], strict=False):
        assert a1 <= b0, "two programs on air at once"
    for occ in occs:
        if occ.status == "skipped":
            assert not occ.pieces
        elif occ.status == "cut":  # preempted for longer than its max_delay
            assert occ.played_s < occ.duration_s and occ.end is not None
        else:  # whatever started airs completely (to its last half second), in pieces
            assert occ.duration_s - 0.5 - 1e-6 <= occ.played_s <= occ.duration_s + 1e-3
    kinds = [a.kind for a in actions]
    assert kinds.count("start") == sum(1 for o in occs if o.status != "skipped")
    assert kinds.count("resumed") <= kinds.count("preempted")
    resumed = {id(a.occurrence) for a in actions if a.kind == "resumed"}
    for occ in occs:
        if len(occ.pieces) > 1:
            assert id(occ) in resumed
    assert kinds.count("end") == sum(1 for o in occs if o.status != "skipped")


@settings(max_examples=100, deadline=None)
@given(arrivals())
def test_emergencies_are_never_delayed_by_lower_priorities(case):
    occs, blackouts = case
    run_static(Timeline("00001", blackouts), occs)
    for occ in occs:
        if occ.priority == Priority.EMERGENCY and occ.start is not None:
            earlier_emergencies = [o for o in occs if o.priority == Priority.EMERGENCY
                                   and o is not occ and o.scheduled <= occ.scheduled]
            if not earlier_emergencies:
                assert occ.start == occ.scheduled


def test_an_emergency_in_the_last_half_second_ends_the_program_instead_of_preempting():
    """Found by the property above: a program preempted with 0.4 s left got a
    'preempted' line and never an 'end' line (it did not wait to resume either)."""
    t0 = datetime(2021, 8, 5, 17, 0, tzinfo=TZ)
    program = Occurrence("00001", "chuong-trinh", t0, 90.0, Priority.NORMAL)
    alert = Occurrence("00001", "khan-cap", t0 + timedelta(seconds=89.6), 30.0,
                       Priority.EMERGENCY)
    actions = run_static(Timeline("00001"), [program, alert])
    assert [(a.kind, a.occurrence.program) for a in actions] == [
        ("start", "chuong-trinh"), ("end", "chuong-trinh"),
        ("start", "khan-cap"), ("end", "khan-cap")]
    assert program.end == alert.scheduled and "preempted" not in program.reason
