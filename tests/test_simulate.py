"""simulate: same planner, rules and writer as live; totals recomputed from raw lines."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def raw_totals(logs: Path) -> tuple[int, int, Counter]:
    sessions = seconds = 0
    events: Counter = Counter()
    for path in sorted(logs.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            if "minute" in obj:
                seconds += obj["seconds"]
            else:
                events[obj["event"]] += 1
                sessions += obj["event"] == "start"
    return sessions, seconds, events


def test_simulated_district_day_matches_its_raw_lines(cli, sample_schedules, tmp_path):
    logs = tmp_path / "logs"
    result = cli("--schedules", str(sample_schedules), "simulate", "--from", "2021-08-05",
                 "--to", "2021-08-05", "--district", "009", "--logs", str(logs), "--json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)
    sessions, seconds, events = raw_totals(logs)
    assert totals["sessions"] == sessions == events["start"] == events["end"]
    assert totals["stations"] == 11  # Thanh Xuân has 11 wards
    assert events["preempted"] == 2 and events["resumed"] == 2  # the Thanh Xuân emergency
    assert events["sealed"] == 11
    assert abs(totals["minutes"] * 60 - seconds) <= 60 * 11


def test_simulated_logs_verify(sample_schedules, tmp_path):
    from radiocli.aslog.verify import verify_tree
    from radiocli.play.simulate import simulate
    from radiocli.schedule import load
    from datetime import date

    schedule = load(sample_schedules)
    logs = tmp_path / "logs"
    simulate(schedule, ["00001", "00343"], date(2021, 8, 5), date(2021, 8, 6), logs, workers=1)
    problems = verify_tree(logs)
    assert not [p for p in problems if getattr(p, "severity", "error") == "error"], problems


def test_faults_give_reconciliation_something_to_find(cli, sample_schedules, tmp_path):
    logs = tmp_path / "logs"
    result = cli("--schedules", str(sample_schedules), "simulate", "--from", "2021-08-10",
                 "--to", "2021-08-11", "--station", "00478", "--station", "00001",
                 "--offline", "00478:2021-08-10--2021-08-10", "--fail",
                 "vov-thoi-su-toi", "--late", "0.5", "--logs", str(logs), "--json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)
    assert totals["offline"] == 6  # 00478 wrote nothing on the 10th
    assert totals["failed"] == 3  # the evening relay failed on both days (00478 only the 11th)
    assert not (logs / "00478" / "2021-08-10.jsonl").read_text().count('"event":"start"')
    _sessions, _seconds, events = raw_totals(logs)
    assert events["failed"] == 3
    late = [json.loads(line) for line in
            (logs / "00001" / "2021-08-11.jsonl").read_text().splitlines()
            if '"event":"start"' in line]
    assert any(e["at"][11:19] != e["scheduled"][11:19] for e in late)


def test_backwards_range_and_existing_logs_are_refused(cli, sample_schedules, tmp_path):
    backwards = cli("--schedules", str(sample_schedules), "simulate", "--from", "2021-08-10",
                    "--to", "2021-08-01", "--station", "00001")
    assert backwards.exit_code == 2 and "backwards" in backwards.output
    logs = tmp_path / "logs"
    args = ["--schedules", str(sample_schedules), "simulate", "--from", "2021-08-10", "--to",
            "2021-08-10", "--station", "00001", "--logs", str(logs)]
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 2 and "already exist" in again.output


def _program(pid: str, at, seconds: float, priority: str = "normal") -> str:
    return (f"  {pid}:\n    priority: {priority}\n    targets:\n"
            f'      stations: ["00001", "00004"]\n'
            f'    when:\n      once: ["{at:%Y-%m-%d %H:%M:%S}"]\n'
            f"    segments:\n      - silence: {seconds:g}s\n")


def _comparable(logs: Path) -> tuple[list[tuple], dict[tuple, int]]:
    events, minutes = [], {}
    for path in sorted(logs.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            if "minute" in obj:
                minutes[(obj["station"], obj["minute"], obj["occurrence"], obj["segment"],
                         obj["priority"])] = obj["seconds"]
            elif obj["event"] not in ("sealed", "recovered"):
                events.append((obj["station"], obj["event"], obj["program"], obj["occurrence"],
                               obj["scheduled"], obj["priority"], obj["reason"]))
    return events, minutes


def test_live_run_and_simulation_write_the_same_logs(tmp_path):
    """The real daemon (APScheduler, wall clock, null sink) and simulate, over the same
    short window: the same lines apart from actual-start jitter (at, seconds +-1)."""
    import shutil
    import subprocess
    import sys
    from datetime import datetime, timedelta

    from radiocli.plan.triggers import TZ

    repo = Path(__file__).resolve().parent.parent
    schedules = tmp_path / "schedules"
    (schedules / "registry").mkdir(parents=True)
    shutil.copy(repo / "schedules" / "registry" / "units.yaml", schedules / "registry")
    t0 = datetime.now(TZ).replace(microsecond=0) + timedelta(seconds=6)
    (schedules / "window.yaml").write_text("programs:\n" + "".join([
        _program("a", t0, 6),
        _program("em", t0 + timedelta(seconds=2), 2, "emergency"),   # preempts a
        _program("b", t0 + timedelta(seconds=10), 3),
        _program("p", t0 + timedelta(seconds=10), 2, "priority"),    # goes before b
    ]), encoding="utf-8")
    radiocli = [sys.executable, "-m", "radiocli"]
    live_home = tmp_path / "live"
    run = subprocess.run(
        [*radiocli, "--home", str(live_home), "--schedules", str(schedules), "run",
         "--station", "00001", "--station", "00004", "--sink", "null", "--no-render",
         "--until", f"{t0 + timedelta(seconds=19):%Y-%m-%d %H:%M:%S}"],
        capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr
    sim_logs = tmp_path / "simulated"
    sim = subprocess.run(
        [*radiocli, "--home", str(tmp_path / "sim"), "--schedules", str(schedules),
         "simulate", "--from", f"{t0:%Y-%m-%d}", "--to", f"{t0:%Y-%m-%d}",
         "--station", "00001", "--station", "00004", "--logs", str(sim_logs)],
        capture_output=True, text=True, timeout=90)
    assert sim.returncode == 0, sim.stderr
    live_events, live_minutes = _comparable(live_home / "logs")
    sim_events, sim_minutes = _comparable(sim_logs)
    assert [e[1:3] for e in live_events if e[0] == "00001"] == [
        ("start", "a"), ("preempted", "a"), ("start", "em"), ("end", "em"),
        ("resumed", "a"), ("end", "a"), ("start", "p"), ("end", "p"), ("start", "b"),
        ("end", "b")]
    assert live_events == sim_events
    assert live_minutes.keys() == sim_minutes.keys()
    for key, seconds in live_minutes.items():
        assert abs(seconds - sim_minutes[key]) <= 1, (key, live_minutes, sim_minutes)


def test_a_long_emergency_cuts_the_preempted_program_in_simulation(tmp_path):
    """Preempted for longer than its max_delay, a program ends cut: its minutes are
    logged once, nothing more airs."""
    import shutil

    from radiocli.aslog.verify import verify_tree
    from radiocli.play.simulate import simulate
    from radiocli.schedule import load

    repo = Path(__file__).resolve().parent.parent
    schedules = tmp_path / "schedules"
    (schedules / "registry").mkdir(parents=True)
    shutil.copy(repo / "schedules" / "registry" / "units.yaml", schedules / "registry")
    (schedules / "p.yaml").write_text(
        "programs:\n"
        "  district:\n    targets: {stations: ['00001']}\n"
        "    when: {once: '2021-08-02 17:00:00'}\n    max_delay: 10m\n"
        "    segments: [{silence: 30m}]\n"
        "  storm:\n    priority: emergency\n    targets: {stations: ['00001']}\n"
        "    when: {once: '2021-08-02 17:10:30'}\n    segments: [{silence: 20m}]\n",
        encoding="utf-8")
    from datetime import date

    logs = tmp_path / "logs"
    totals = simulate(load(schedules), ["00001"], date(2021, 8, 2), date(2021, 8, 2), logs,
                      workers=1)
    _sessions, seconds, events = raw_totals(logs)
    assert events["end"] == 2 and events["resumed"] == 0
    assert seconds == 10 * 60 + 30 + 20 * 60  # district's 10.5 min, then the storm
    assert totals.seconds == seconds
    keys = [(x["minute"], x["occurrence"]) for x in map(json.loads, (logs / "00001" /
            "2021-08-02.jsonl").read_text().splitlines()) if "minute" in x]
    assert len(keys) == len(set(keys))
    assert not [p for p in verify_tree(logs) if getattr(p, "severity", "error") == "error"]


def _one_station(tmp_path: Path, programs: str) -> list[dict]:
    import shutil
    from datetime import date

    from radiocli.play.simulate import simulate
    from radiocli.schedule import load

    repo = Path(__file__).resolve().parent.parent
    schedules = tmp_path / "schedules"
    (schedules / "registry").mkdir(parents=True)
    shutil.copy(repo / "schedules" / "registry" / "units.yaml", schedules / "registry")
    (schedules / "p.yaml").write_text("programs:\n" + programs, encoding="utf-8")
    logs = tmp_path / "logs"
    simulate(load(schedules), ["00001"], date(2021, 8, 2), date(2021, 8, 2), logs, workers=1)
    return [json.loads(x) for x in
            (logs / "00001" / "2021-08-02.jsonl").read_text(encoding="utf-8").splitlines()]


def test_a_resumed_program_names_the_segment_on_air(tmp_path):
    """Preempted in the middle of a minute and resumed, a program's minute lines name
    the segment on air, as live playout's do (simulate named the next segment for
    every minute after the resume)."""
    lines = _one_station(tmp_path, (
        "  district:\n    targets: {stations: ['00001']}\n"
        "    when: {once: '2021-08-02 17:00:00'}\n"
        "    segments: [{silence: 366s}, {silence: 285.5s}, {silence: 248.1s}]\n"
        "  storm:\n    priority: emergency\n    targets: {stations: ['00001']}\n"
        "    when: {once: '2021-08-02 17:08:13'}\n    segments: [{silence: 29.8s}]\n"))
    segments = {x["minute"][11:16]: x["segment"] for x in lines
                if "minute" in x and x["program"] == "district"}
    # resumed at 17:08:42.8, 493 s in: segment 1 runs until 651.5 s, 17:11:41.3
    assert [segments[m] for m in ("17:08", "17:09", "17:10", "17:11", "17:12")] == [
        1, 1, 1, 1, 2]


def test_less_than_half_a_second_in_a_minute_gets_no_line(tmp_path):
    """The same rule as live playout: a minute with a sliver of a program (here its last
    0.3 s) has no minute line (simulate wrote one of 1 s)."""
    lines = _one_station(tmp_path, (
        "  a:\n    targets: {stations: ['00001']}\n"
        "    when: {once: '2021-08-02 10:00:00'}\n    segments: [{silence: 60.3s}]\n"))
    assert [(x["minute"][11:16], x["seconds"]) for x in lines if "minute" in x] == [
        ("10:00", 60)]
