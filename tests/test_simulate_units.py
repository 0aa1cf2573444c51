"""simulate runs the units in force on each day (issue 14 item 2): across 2025-07-01 the
526 units until 2025-06-30 and the 126 from 2025-07-01, with the real registry; a unit
that ceases writes nothing after its last day."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_2025 = REPO / "examples" / "hanoi-2025" / "schedules"
DAYS = ("2025-06-30", "2025-07-01")

PROGRAMS = """\
programs:
  sang:
    targets: all
    when: {days: every day, at: "08:00"}
    segments: [{silence: 90s}]
  khuya:
    targets: all
    when: {once: "2025-06-30 23:55"}
    segments: [{silence: 10m}]
"""


@pytest.fixture(scope="module")
def across(tmp_path_factory):
    """One day each side of 2025-07-01, a small schedule: a program every morning for
    all units, one at 23:55 on 2025-06-30 that runs 10 minutes past midnight."""
    root = tmp_path_factory.mktemp("across")
    schedules = root / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", schedules / "registry")
    (schedules / "p.yaml").write_text(PROGRAMS, encoding="utf-8")
    return root, schedules


def simulate(cli, schedules: Path, logs: Path, *args: str) -> dict:
    result = cli("--schedules", str(schedules), "simulate", "--from", DAYS[0], "--to", DAYS[1],
                 "--logs", str(logs), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def files(logs: Path) -> dict[str, set[str]]:
    """Day -> the stations with a log that day."""
    out: dict[str, set[str]] = {day: set() for day in DAYS}
    for path in logs.rglob("*.jsonl"):
        out.setdefault(path.stem, set()).add(path.parent.name)
    return out


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_each_day_runs_the_units_in_force_that_day(cli, across):
    from radiocli.schedule.load import load

    root, schedules = across
    registry = load(schedules).registry
    before = set(registry.as_of(date(2025, 6, 30)))
    after = set(registry.as_of(date(2025, 7, 1)))
    assert (len(before), len(after)) == (526, 126)
    logs = root / "all"
    totals = simulate(cli, schedules, logs, "--all")
    assert totals["stations"] == len(before | after) == 526
    assert totals["station_days"] == 526 + 126
    assert totals["sessions"] == 526 * 2 + 126  # sang on both days, khuya on the 30th
    written = files(logs)
    assert written == {"2025-06-30": before, "2025-07-01": after}
    sealed = Counter(path.stem for path in logs.rglob("*.jsonl")
                     if lines(path)[-1]["event"] == "sealed")
    assert sealed == {"2025-06-30": 526, "2025-07-01": 126}


def test_a_unit_that_ceases_writes_nothing_after_its_last_day(cli, across):
    """The 400 codes of 2025-06-30 that none of the 126 reuses: no file on 2025-07-01,
    and the program at 23:55 stops at midnight with no end line. Under 00004 (Phường Trúc
    Bạch, then Phường Ba Đình) the station goes on: the program ends after midnight."""
    from radiocli.schedule.load import load

    root, schedules = across
    registry = load(schedules).registry
    logs = root / "all"
    if not logs.exists():
        simulate(cli, schedules, logs, "--all")
    ceasing = sorted(set(registry.as_of(date(2025, 6, 30))) - set(registry.as_of(date(2025, 7, 1))))
    code = ceasing[0]
    assert not (logs / code / "2025-07-01.jsonl").exists()
    last_day = lines(logs / code / "2025-06-30.jsonl")
    khuya = [x for x in last_day if x.get("program") == "khuya"]
    assert [x.get("event") for x in khuya] == ["start"] + [None] * 5  # 23:55..23:59, no end
    assert last_day[-1]["event"] == "sealed"
    # a code both units held: the program goes on past midnight, in the new unit's file
    kept = [x for x in lines(logs / "00004" / "2025-07-01.jsonl") if x.get("program") == "khuya"]
    assert [x["minute"][11:16] if "minute" in x else x["event"] for x in kept] == [
        "00:00", "00:01", "00:02", "00:03", "00:04", "end"]


def test_a_district_runs_while_it_exists(cli, across):
    """--district 001 across 2025-07-01: its wards as they were on 2025-06-30, and
    nothing from the day districts were abolished."""
    from radiocli.schedule.load import load

    root, schedules = across
    registry = load(schedules).registry
    ba_dinh = {code for code, st in registry.as_of(date(2025, 6, 30)).items()
               if st.district == "001"}
    logs = root / "district"
    totals = simulate(cli, schedules, logs, "--district", "001")
    assert totals["stations"] == len(ba_dinh) and totals["station_days"] == len(ba_dinh)
    assert files(logs) == {"2025-06-30": ba_dinh, "2025-07-01": set()}


def test_a_station_not_in_force_in_the_range_is_a_usage_error(cli, across):
    root, schedules = across
    result = cli("--schedules", str(schedules), "simulate", "--from", "2025-07-01", "--to",
                 "2025-07-02", "--station", "00010", "--logs", str(root / "none"))
    assert result.exit_code == 2
    assert "00010" in result.output and "not in force" in result.output


def test_the_2025_sample_simulates_a_week_for_the_126_units(cli, tmp_path):
    """The week of the storm warning in the sample for today (README: 6,332 sessions)."""
    logs = tmp_path / "logs"
    result = cli("--schedules", str(SAMPLE_2025), "simulate", "--from", "2026-07-20", "--to",
                 "2026-07-26", "--all", "--logs", str(logs), "--json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)
    assert totals["stations"] == 126 and totals["station_days"] == 126 * 7
    assert totals["sessions"] == 6332 and totals["minutes"] == 35028.4  # as its lines say
    assert len(list(logs.iterdir())) == 126
    assert len(list(logs.rglob("*.jsonl"))) == 126 * 7
