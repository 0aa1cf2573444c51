"""Schedules that know the date: targets checked against the units in force on the days a
program airs, across Hanoi's reorganisations of 2025-01-01 and 2025-07-01."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from radiocli.plan import day_window, plan
from radiocli.plan.units import airs, check_units
from radiocli.plan.validate import validate
from radiocli.schedule.load import load

REPO = Path(__file__).resolve().parent.parent

PROGRAMS = """\
programs:
  thong-bao-phuong:
    title: Thông báo của phường
    targets: {stations: ["00010", "00004", "00340"], exclude: ["00013"]}
    when: {days: every day, at: "07:00"}
    from: 2024-12-01
    until: 2025-08-31
    segments: [{silence: 5s}]

  ba-dinh:
    title: Chương trình của quận Ba Đình
    targets: {districts: ["001"]}
    when: {days: every day, at: "08:00"}
    from: 2025-06-01
    segments: [{silence: 5s}]

  thi-tran:
    title: Bản tin các thị trấn
    targets: {kinds: ["thị trấn"]}
    when: {days: every day, at: "09:00"}
    from: 2025-06-01
    until: 2025-07-31
    segments: [{silence: 5s}]

  toan-thanh:
    title: Bản tin toàn thành phố
    targets: all
    when: {days: every day, at: "10:00"}
    from: 2024-12-01
    until: 2025-08-31
    segments: [{silence: 5s}]

  mot-lan:
    title: Thông báo một lần, trước khi sáp nhập
    targets: {stations: ["00010"]}
    when: {once: "2024-12-20 17:00"}
    segments: [{silence: 5s}]
"""


@pytest.fixture
def across(tmp_path: Path) -> Path:
    """A schedules folder (the registry and five programs) valid across both reforms."""
    root = tmp_path / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", root / "registry")
    (root / "wards.yaml").write_text(PROGRAMS, encoding="utf-8")
    return root


def _by(problems, program):
    return [p for p in problems if f'program "{program}"' in p.message]


def test_a_station_that_is_gone_names_its_successor_for_each_span(across):
    schedule = load(across)
    problems = check_units(schedule, today=date(2025, 5, 1))
    gone = [p for p in _by(problems, "thong-bao-phuong") if p.code == "station-gone"]
    assert [(p.file, p.line, p.column) for p in gone] == [(str(across / "wards.yaml"), 2, 3)] * 2
    assert all(p.severity == "error" for p in gone)
    january, july = gone
    assert "station 00010 (Phường Nguyễn Trung Trực), which does not exist from 2025-01-01 " \
        "to 2025-06-30" in january.message
    assert "its area is now in 00004 Phường Trúc Bạch" in january.message
    assert january.hint == 'target stations: ["00004"] instead (it carries 00010\'s history)'
    assert "from 2025-07-01 to 2025-08-31" in july.message
    assert "now in 00004 Phường Ba Đình" in july.message


def test_a_reused_code_is_a_warning_naming_both_units(across):
    problems = check_units(load(across), today=date(2025, 5, 1))
    reused = {p.message.split("targets station ")[1][:5]: p
              for p in _by(problems, "thong-bao-phuong") if p.code == "station-reused"}
    assert set(reused) == {"00004", "00340"}
    assert all(p.severity == "warning" for p in reused.values())
    assert "names a new unit from 2025-07-01 to 2025-08-31: Phường Ba Đình" in \
        reused["00004"].message
    assert "not Phường Trúc Bạch" in reused["00004"].message
    assert "formed from 00331 Phường Thịnh Liệt" in reused["00340"].message
    exclude = [p for p in _by(problems, "thong-bao-phuong") if p.code == "exclude-gone"]
    assert len(exclude) == 1 and "00013" in exclude[0].message


def test_a_district_after_2025_07_01_is_explained(across):
    problems = _by(check_units(load(across), today=date(2026, 3, 1)), "ba-dinh")
    assert len(problems) == 1
    (p,) = problems
    assert (p.line, p.column, p.code, p.severity) == (10, 3, "district-gone", "error")
    assert "district 001 (Quận Ba Đình), which does not exist from 2025-07-01 on" in p.message
    assert "districts were abolished on 2025-07-01" in p.message
    assert "Its 13 units of 2025-06-30 are now in 00004 Phường Ba Đình, 00008 Phường Ngọc " \
        "Hà, 00025 Phường Giảng Võ, 00097 Phường Hồng Hà, and in part in 00070" in p.message
    assert p.hint.startswith('target the units by station: targets: {stations: ["00004", '
                             '"00008", "00025", "00097"]}')


def test_an_open_ended_program_is_checked_up_to_a_year_ahead(across):
    # checked on 2024-06-01: the horizon (2025-06-01) stops before districts end
    assert _by(check_units(load(across), today=date(2024, 6, 1)), "ba-dinh") == []
    assert _by(check_units(load(across), today=date(2024, 7, 1)), "ba-dinh") != []


def test_kinds_that_no_longer_exist_and_an_empty_program(across):
    problems = _by(check_units(load(across), today=date(2025, 5, 1)), "thi-tran")
    assert sorted((p.code, p.severity) for p in problems) == [
        ("empty-targets", "error"), ("kind-gone", "warning")]
    empty = next(p for p in problems if p.code == "empty-targets")
    assert "reaches no station from 2025-07-01 to 2025-07-31" in empty.message


def test_what_exists_on_every_day_it_airs_is_not_reported(across):
    problems = check_units(load(across), today=date(2025, 5, 1))
    assert _by(problems, "toan-thanh") == []
    assert _by(problems, "mot-lan") == []  # a one-off of 2024-12-20: 00010 existed then


def test_airs_reads_rules_validity_and_excluded_dates(across):
    program = load(across).programs["mot-lan"]
    assert airs(program, frozenset(), date(2024, 12, 20), date(2024, 12, 20))
    assert not airs(program, frozenset(), date(2024, 12, 21), date(2026, 1, 1))
    assert not airs(program, frozenset(), date(2024, 1, 1), date(2024, 12, 19))
    weekly = load(across).programs["toan-thanh"]
    assert airs(weekly, frozenset(), date(2025, 8, 31), date(2025, 9, 30))
    assert not airs(weekly, frozenset(), date(2025, 9, 1), date(2025, 9, 30))


def test_validate_reports_them_with_file_line_and_column(across, cli):
    result = cli("--schedules", str(across), "validate")
    assert result.exit_code == 1
    assert "wards.yaml:10:3: error: program \"ba-dinh\" targets district 001" in result.output
    assert "wards.yaml:2:3: error: program \"thong-bao-phuong\" targets station 00010" in \
        result.output


def test_the_2021_sample_validates_clean_whatever_the_date(sample_schedules):
    """A one-off of 2021 without from:/until: (khan-cap-009-phong-toa) was checked on the
    day validate ran; its stations do not exist since 2025-07-01, so the sample failed."""
    for today in (date(2021, 8, 1), date(2026, 12, 1)):
        _schedule, problems = validate(sample_schedules, today=today, speech_check=False)
        assert [p for p in problems if p.severity == "error"] == [], today


def test_plan_uses_the_units_in_force_on_each_day(across):
    schedule = load(across)
    june = {o.station for o in plan(schedule, *day_window(date(2025, 6, 30)))
            if o.program == "toan-thanh"}
    july = {o.station for o in plan(schedule, *day_window(date(2025, 7, 1)))
            if o.program == "toan-thanh"}
    assert len(june) == 526 and len(july) == 126
    assert june == set(schedule.registry.as_of(date(2025, 6, 30)))
    assert july == set(schedule.registry.as_of(date(2025, 7, 1)))
    # one plan across the change: each day's fire reaches that day's units
    both = plan(schedule, *day_window(date(2025, 6, 30), days=2))
    per_day: dict[date, int] = {}
    for occ in both:
        if occ.program == "toan-thanh":
            day = occ.scheduled.date()
            per_day[day] = per_day.get(day, 0) + 1
    assert per_day == {date(2025, 6, 30): 526, date(2025, 7, 1): 126}


def test_choosing_a_district_on_a_day_it_has_no_units_is_a_usage_error(cli, sample_schedules):
    """plan/simulate/render --district 017 on a day after 2025-07-01 used to select no
    station and say nothing was scheduled."""
    result = cli("--schedules", str(sample_schedules), "plan", "--date", "2026-01-05",
                 "--district", "017")
    assert result.exit_code == 2
    assert "district 017 has no units on 2026-01-05 (its last day: 2025-06-30)" in result.output
    ok = cli("--schedules", str(sample_schedules), "plan", "--date", "2021-08-05",
             "--district", "017", "--json")
    assert ok.exit_code == 0 and '"station": "00' in ok.output


def test_a_district_policy_rule_after_2025_07_01_is_a_warning(across):
    (across / "policy.yaml").write_text(
        "policy:\n"
        "  name: cu\n"
        "  quiet_hours: \"21:00-06:00\"\n"
        "  rules:\n"
        "    - name: noi-thanh\n"
        "      districts: [\"001\"]\n"
        "      emergency_only: true\n"
        "    - name: phuong\n"
        "      kinds: [phường]\n"
        "      max_session_minutes: 15\n", encoding="utf-8")
    problems = [p for p in check_units(load(across), today=date(2025, 5, 1))
                if p.code == "policy-rule-gone"]
    assert len(problems) == 1
    (p,) = problems
    assert p.severity == "warning" and p.file.endswith("policy.yaml") and p.line == 5
    assert 'rule "noi-thanh" selects no station from 2025-07-01, when programs air ' \
        "(districts were abolished)" in p.message
    # the 2021 sample's district rules: its programs all air while districts existed
    sample = check_units(load(REPO / "schedules"), today=date(2026, 12, 1))
    assert [p for p in sample if p.code == "policy-rule-gone"] == []
