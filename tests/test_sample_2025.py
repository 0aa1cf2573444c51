"""The sample for today's city: 126 communes and wards, no districts (examples/hanoi-2025)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from radiocli.plan import day_window, plan
from radiocli.plan.policy import Session, check
from radiocli.plan.validate import validate
from radiocli.schedule.load import load

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "hanoi-2025" / "schedules"


def test_the_2025_sample_validates_clean():
    for today in (date(2026, 1, 1), date(2026, 7, 20), date(2026, 12, 1)):
        schedule, problems = validate(SAMPLE, today=today)
        assert problems == [], (today, [str(p) for p in problems])
    assert len(schedule.registry.as_of(date(2026, 7, 20))) == 126
    assert schedule.policy is not None and schedule.policy.name == "hanoi-2025"
    # written for the current structure: no rule or program chooses by district
    assert not any(rule.targets.districts or rule.targets.district_kinds
                   for rule in schedule.policy.rules)
    assert not any(p.targets.districts or p.targets.district_kinds
                   for p in schedule.programs.values())


def test_a_week_of_the_2025_sample_keeps_the_policy_every_day():
    schedule = load(SAMPLE)
    occurrences = plan(schedule, *day_window(date(2026, 7, 20), days=7))
    sessions: dict[tuple[str, object], list[str]] = {}
    for occ in occurrences:
        if occ.status != "skipped":
            sessions.setdefault((occ.program, occ.start, occ.end, occ.priority),
                                []).append(occ.station)
    assert schedule.policy is not None
    violations = check(schedule.policy, schedule.registry,
                       [Session(tuple(codes), program, start, end, priority)
                        for (program, start, end, priority), codes in sessions.items()])
    assert violations == []


def test_the_storm_warning_airs_every_two_hours_on_the_hour_while_in_force():
    schedule = load(SAMPLE)
    for day, expected in ((date(2026, 7, 20), 0), (date(2026, 7, 21), 12),
                          (date(2026, 7, 23), 12), (date(2026, 7, 24), 0)):
        fires = sorted({o.scheduled for o in plan(schedule, *day_window(day))
                        if o.program == "canh-bao-bao"})
        assert len(fires) == expected, day
        assert all(f.minute == 0 and f.second == 0 and f.hour % 2 == 0 for f in fires)
    stations = {o.station for o in plan(schedule, *day_window(date(2026, 7, 22)))
                if o.program == "canh-bao-bao"}
    assert len(stations) == 126


def test_one_simulated_storm_day_runs_for_the_126_units(cli, tmp_path):
    """2026-07-21, a Tuesday under the storm warning: each of the 51 wards airs 12 storm
    bulletins and the 2 city bulletins; each of the 75 communes also relays the evening
    news; Sóc Sơn and Vật Lại air their notices: 51*14 + 75*15 + 2 sessions."""
    result = cli("--schedules", str(SAMPLE), "simulate", "--from", "2026-07-21", "--to",
                 "2026-07-21", "--all", "--logs", str(tmp_path / "logs"), "--json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.output[result.output.index("{"):])
    assert totals["stations"] == 126 and totals["days"] == 1
    assert totals["sessions"] == 51 * 14 + 75 * 15 + 2
    assert totals["missed"] == totals["failed"] == 0
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert len(logs) == 126 and "00004" in logs and "00010" not in logs
    kinds = Counter(s.kind for s in load(SAMPLE).registry.as_of(date(2026, 7, 21)).values())
    assert kinds == {"phường": 51, "xã": 75}
