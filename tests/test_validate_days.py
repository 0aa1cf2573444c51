"""validate checks overlaps and the policy on every day a program can air, not only in
the first weeks; its messages name the district, the stations and the days."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from radiocli.plan.days import DayTimes, HORIZON_DAYS, checked_span, day_groups
from radiocli.plan.validate import validate
from radiocli.schedule.load import load

TODAY = date(2026, 12, 1)


def problems_of(project: Path, today: date = TODAY) -> list:
    _schedule, problems = validate(project / "schedules", today=today, speech_check=False)
    return problems


def weekdays(first: date, last: date) -> list[date]:
    return [d for d in (date.fromordinal(n) for n in range(first.toordinal(),
                                                           last.toordinal() + 1))
            if d.weekday() < 5]


def add(project: Path, name: str, text: str) -> None:
    (project / "schedules" / name).write_text(text, encoding="utf-8")


CAU_GIAY_THREE_A_DAY = """\
district: "005"
programs:
  nhac-nho-5k:
    title: Nhắc nhở thực hiện 5K
    when:
      days: weekdays
      at: ["07:00", "10:00", "15:00"]
    from: 2021-08-02
    until: 2023-12-31
    segments:
      - say: Bà con nhớ thực hiện 5K.
"""


def test_a_program_valid_for_years_is_checked_after_the_exemption(project):
    """Only its first week (2021-08-02, inside the 2021 exemption) used to be checked."""
    add(project, "districts/005-5k.yaml", CAU_GIAY_THREE_A_DAY)
    problems = [p for p in problems_of(project) if p.code == "policy-max-sessions"]
    assert len(problems) == 1, problems
    message = problems[0].message
    assert message.startswith('program "nhac-nho-5k" breaks policy "hanoi" rule "urban-wards": '
                              "more than 2 sessions in a day")
    assert "district 005 Quận Cầu Giấy, 8 stations: 00157 Phường Nghĩa Đô, 00160 Phường " \
        "Nghĩa Tân, 00163 Phường Mai Dịch and 5 more" in message
    # every weekday from the day after the exemption (2021-09-21) to the end of 2023
    assert f"on {len(weekdays(date(2021, 9, 22), date(2023, 12, 31)))} days from 2021-09-22 "\
        "to 2023-12-29" in message
    assert problems[0].file.endswith("districts/005-5k.yaml") and problems[0].line == 3


def test_a_program_at_22_is_reported_when_other_programs_start_in_other_months(project):
    add(project, "stations/00001-dem.yaml", """\
station: "00001"
programs:
  doc-bao-dem:
    title: Đọc báo buổi tối
    when: {at: "22:00"}
    from: 2021-12-01
    until: 2021-12-31
    segments:
      - say: Tin tức trong ngày.
""")
    quiet = [p for p in problems_of(project) if p.code == "policy-quiet-hours"]
    assert len(quiet) == 1, quiet
    assert "airs in the quiet hours 21:00-06:00" in quiet[0].message
    assert "station 00001 Phường Phúc Xá (district 001 Quận Ba Đình)" in quiet[0].message
    assert "on 31 days from 2021-12-01 to 2021-12-31" in quiet[0].message


def test_a_one_off_far_from_this_week_is_checked(project):
    add(project, "stations/00001-mot-lan.yaml", """\
station: "00001"
programs:
  thong-bao-dot-xuat:
    title: Thông báo đột xuất
    when: {once: "2021-12-05 22:30"}
    segments:
      - say: Thông báo đột xuất.
""")
    quiet = [p for p in problems_of(project) if p.code == "policy-quiet-hours"]
    assert len(quiet) == 1 and "on 2021-12-05" in quiet[0].message, quiet


def test_weekend_rule_lists_the_allowed_days(project):
    add(project, "districts/005-5k.yaml", CAU_GIAY_THREE_A_DAY.replace(
        "days: weekdays", "days: [saturday]").replace('["07:00", "10:00", "15:00"]',
                                                       '"07:00"'))
    day = [p for p in problems_of(project) if p.code == "policy-day"]
    assert len(day) == 1, day
    assert "airs on a Saturday; allowed only on Monday to Friday" in day[0].message


def test_a_registry_change_is_seen_from_its_date(project):
    """Station 00157 moves to Ba Đình (emergencies only) on 2025-01-01: the same program
    breaks that rule from then on, not before."""
    changes = project / "schedules" / "registry" / "changes.yaml"
    changes.write_text('changes:\n  - date: 2025-01-01\n    move: {station: "00157", '
                       'district: "001"}\n', encoding="utf-8")
    add(project, "stations/00157.yaml", """\
station: "00157"
programs:
  thong-bao-00157:
    title: Thông báo
    when: {days: weekdays, at: "07:00"}
    from: 2024-12-23
    until: 2025-01-10
    segments:
      - say: Thông báo.
""")
    only = [p for p in problems_of(project) if p.code == "policy-emergency-only"]
    assert len(only) == 1, only
    assert "on 8 days from 2025-01-01 to 2025-01-10" in only[0].message
    assert "district 001 Quận Ba Đình" in only[0].message


def test_overlap_names_the_stations_and_their_district(project, cli):
    add(project, "districts/009-trung.yaml", """\
district: "009"
programs:
  thong-bao-009:
    title: Thông báo của quận
    when: {days: weekdays, at: "11:10"}
    from: 2021-08-02
    until: 2021-08-06
    segments:
      - say: Thông báo của quận Thanh Xuân.
""")
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    overlap = [p for p in json.loads(result.output)["problems"] if p["code"] == "overlap"]
    assert len(overlap) == 1, overlap
    message = overlap[0]["message"]
    assert '"thong-bao-009" and "ban-tin-covid-thanh-pho" (normal) overlap at district 009 ' \
        "Quận Thanh Xuân, 11 stations: 00343 Phường Nhân Chính" in message
    assert "and 8 more; first on 2021-08-02 11:10, on 5 days from 2021-08-02 to 2021-08-06" \
        in message


def test_open_ended_programs_are_checked_up_to_the_horizon(project):
    schedule = load(project / "schedules")
    program = schedule.programs["vov-thoi-su-sang"]
    from dataclasses import replace

    open_ended = replace(program, valid_to=None)
    assert checked_span(open_ended, TODAY) == (date(2021, 7, 24),
                                               date(2027, 12, 1))
    assert HORIZON_DAYS == 365


def test_identical_weeks_are_checked_once(project):
    add(project, "districts/005-5k.yaml", CAU_GIAY_THREE_A_DAY)
    schedule = load(project / "schedules")
    groups = day_groups(schedule, TODAY)
    checked = {day for g in groups for day in g.days}
    assert set(weekdays(date(2021, 8, 2), date(2023, 12, 31))) <= checked
    assert len(checked) > 600 and len(groups) < 60  # a few dozen patterns


def test_day_times_agree_with_the_triggers(sample_schedules):
    from datetime import datetime, time, timedelta

    from radiocli.plan.triggers import TZ, fire_times, program_trigger

    schedule = load(sample_schedules)
    holidays = frozenset(schedule.holidays)
    for program in schedule.programs.values():
        table = DayTimes(program, holidays)
        trigger = program_trigger(program, holidays)
        day = date(2021, 7, 20)
        while day <= date(2021, 9, 25):
            start = datetime.combine(day, time(0), TZ)
            fired = [f.time() for f in fire_times(trigger, start, start + timedelta(days=1))]
            assert tuple(fired) == table.on(day), (program.id, day)
            day += timedelta(days=1)


def test_an_overlap_across_midnight_is_found(project):
    """A program running past midnight overlaps one early the next day."""
    add(project, "stations/00478-dem.yaml", """\
station: "00478"
programs:
  truc-dem:
    title: Trực đêm
    when: {days: [friday], at: "23:50"}
    from: 2021-10-01
    until: 2021-10-31
    duration: 20m
    segments:
      - say: Trực đêm.
  som-mai:
    title: Sớm mai
    when: {days: [saturday], at: "00:05"}
    from: 2021-10-01
    until: 2021-10-31
    duration: 5m
    segments:
      - say: Sớm mai.
""")
    overlap = [p for p in problems_of(project) if p.code == "overlap"]
    assert len(overlap) == 1, overlap
    assert 'programs "som-mai" and "truc-dem" (normal) overlap at station 00478 Xã Uy Nỗ' \
        in overlap[0].message
    assert "first on 2021-10-02 00:05, on 5 days from 2021-10-02 to 2021-10-30" \
        in overlap[0].message
