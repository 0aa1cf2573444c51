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
    assert totals["minutes"] == round(seconds / 60, 1)  # what the lines say, exactly


def test_simulated_logs_verify(sample_schedules, tmp_path):
    from radiocli.aslog.verify import verify_tree
    from radiocli.play.simulate import simulate
    from radiocli.schedule.load import load
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
    assert not (logs / "00478" / "2021-08-10.jsonl").exists()  # offline all day: no file
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
    from radiocli.schedule.load import load

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
    from radiocli.schedule.load import load

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


# --- a station offline (issue 13 follow-up: what a dead station writes) ---------------


def _simulate_faulted(tmp_path: Path, programs: str, offline: list[tuple[str, str]],
                      first: str = "2021-08-02", last: str = "2021-08-02"):
    """One station (00001), a small schedule, offline over the given (from, to) moments
    (ISO, Hanoi time); returns (totals, logs folder)."""
    import shutil
    from datetime import date, datetime

    from radiocli.plan.triggers import TZ
    from radiocli.play.simulate import Faults, simulate
    from radiocli.schedule.load import load

    repo = Path(__file__).resolve().parent.parent
    schedules = tmp_path / "schedules"
    (schedules / "registry").mkdir(parents=True)
    shutil.copy(repo / "schedules" / "registry" / "units.yaml", schedules / "registry")
    (schedules / "p.yaml").write_text("programs:\n" + programs, encoding="utf-8")
    logs = tmp_path / "logs"
    windows = tuple(("00001", datetime.fromisoformat(a).replace(tzinfo=TZ),
                     datetime.fromisoformat(b).replace(tzinfo=TZ)) for a, b in offline)
    totals = simulate(load(schedules), ["00001"], date.fromisoformat(first),
                      date.fromisoformat(last), logs, Faults(offline=windows), workers=1)
    return totals, logs


def _day(logs: Path, day: str) -> list[dict]:
    return [json.loads(x) for x in
            (logs / "00001" / f"{day}.jsonl").read_text(encoding="utf-8").splitlines()]


def _one_off(pid: str, at: str, seconds: float, priority: str = "normal") -> str:
    return (f"  {pid}:\n    priority: {priority}\n    targets: {{stations: ['00001']}}\n"
            f"    when: {{once: '{at}'}}\n    segments: [{{silence: {seconds:g}s}}]\n")


def test_a_station_that_goes_down_mid_program_stops_writing_there(tmp_path):
    """Down at 10:10:30 in a 30-minute program: its lines stop at 10:09 (the minute in
    progress is lost, as after a power cut), no end line; back at 10:20, it does not air
    the program it missed at 10:15 nor the rest of the cut one; 10:25 airs. (simulate
    aired the 10:00 program in full: only a start inside the window counted.)"""
    totals, logs = _simulate_faulted(tmp_path, "".join([
        _one_off("a", "2021-08-02 10:00:00", 1800),
        _one_off("b", "2021-08-02 10:15:00", 600),
        _one_off("c", "2021-08-02 10:25:00", 120),
    ]), [("2021-08-02T10:10:30", "2021-08-02T10:20:00")])
    day = _day(logs, "2021-08-02")
    a = [x for x in day if x.get("program") == "a"]
    assert a[0]["event"] == "start" and all("minute" in x for x in a[1:])
    assert [x["minute"][11:16] for x in a[1:]] == [f"10:{m:02d}" for m in range(10)]
    assert all(x["seconds"] == 60 for x in a[1:])
    assert not [x for x in day if x.get("program") == "b"]
    assert [x.get("event") for x in day if x.get("program") == "c"] == [
        "start", None, None, "end"]
    assert day[-1]["event"] == "sealed"
    assert (totals.interrupted, totals.offline, totals.sessions) == (1, 1, 2)
    assert round(totals.seconds) == 10 * 60 + 120  # what the lines say


def test_an_emergency_on_air_and_the_program_it_preempted_both_stop(tmp_path):
    """Down while an emergency preempts the district program: the emergency stops with
    no end line, the district program never resumes (no resumed, no end line)."""
    totals, logs = _simulate_faulted(tmp_path, "".join([
        _one_off("district", "2021-08-02 17:00:00", 1800),
        _one_off("storm", "2021-08-02 17:05:00", 600, "emergency"),
    ]), [("2021-08-02T17:10:00", "2021-08-02T18:00:00")])
    events = [(x["event"], x["program"]) for x in _day(logs, "2021-08-02") if "event" in x]
    assert events == [("start", "district"), ("preempted", "district"), ("start", "storm"),
                      ("sealed", "")]
    minutes = [(x["program"], x["minute"][11:16]) for x in _day(logs, "2021-08-02")
               if "minute" in x]
    assert minutes == [("district", f"17:{m:02d}") for m in range(5)] + [
        ("storm", f"17:{m:02d}") for m in range(5, 10)]
    assert totals.interrupted == 2


def test_a_day_offline_from_start_to_end_has_no_file(tmp_path):
    """Offline from 12:00 on the 2nd to 06:00 on the 4th: the 2nd has its morning and is
    sealed (the station came back, and a restarted daemon seals the day it left open);
    the 3rd has no file at all (simulate sealed an empty one); the 4th is whole."""
    totals, logs = _simulate_faulted(
        tmp_path, "  daily:\n    targets: {stations: ['00001']}\n"
                  "    when: {days: every day, at: '10:00'}\n    segments: [{silence: 60s}]\n",
        [("2021-08-02T12:00:00", "2021-08-04T06:00:00")], "2021-08-02", "2021-08-04")
    assert sorted(p.name for p in (logs / "00001").iterdir()) == [
        "2021-08-02.jsonl", "2021-08-04.jsonl"]
    for day in ("2021-08-02", "2021-08-04"):
        assert [x.get("event") for x in _day(logs, day)] == ["start", None, "end", "sealed"]
    assert totals.offline == 1 and totals.sessions == 2


def test_a_station_still_down_at_the_end_leaves_its_day_open(tmp_path):
    """Down from 12:00 on the 3rd past the end of the simulation: the 3rd keeps its
    morning, unsealed (no daemon came back to seal it); the 4th has no file."""
    _totals, logs = _simulate_faulted(
        tmp_path, "  daily:\n    targets: {stations: ['00001']}\n"
                  "    when: {days: every day, at: '10:00'}\n    segments: [{silence: 60s}]\n",
        [("2021-08-03T12:00:00", "2021-08-06T00:00:00")], "2021-08-02", "2021-08-04")
    assert sorted(p.name for p in (logs / "00001").iterdir()) == [
        "2021-08-02.jsonl", "2021-08-03.jsonl"]
    assert [x.get("event") for x in _day(logs, "2021-08-03")] == ["start", None, "end"]


def test_offline_takes_the_dates_the_other_options_take(cli, sample_schedules, tmp_path):
    """DD/MM/YYYY (split on "/" before), a single day, a date with a time; the same logs
    as the ISO forms. Errors are usage errors that say what to write."""
    runs = {}
    for name, spans in {
        "iso": ["00478:2021-08-10--2021-08-10", "00478:2021-08-12T16:00--2021-08-12T17:00"],
        "vn": ["00478:10/08/2021", "00478:12/08/2021 16:00--12/08/2021 17h"],
        "vn-range": ["00478:10/08/2021--10/08/2021", "00478:12/08/2021 16:00--12/08/2021 17:00"],
    }.items():
        logs = tmp_path / name
        args = ["--schedules", str(sample_schedules), "simulate", "--from", "2021-08-09",
                "--to", "2021-08-12", "--station", "00478", "--logs", str(logs), "--json"]
        for span in spans:
            args += ["--offline", span]
        result = cli(*args)
        assert result.exit_code == 0, result.output
        totals = json.loads(result.stdout)
        runs[name] = (totals["offline"], sorted(p.read_bytes() for p in logs.rglob("*.jsonl")))
    assert runs["iso"] == runs["vn"] == runs["vn-range"]
    assert runs["iso"][0] == 6 + 1  # the 10th (5 programs, 1 notice) and the 16:30 notice
    for bad, says in (("00478:31/02/2021--01/03/2021", "does not exist"),
                      ("00478:2021-08-10T06:00", "FROM--TO"),
                      ("00478", "STATION:FROM--TO"),
                      ("99999:2021-08-10", "not simulated")):
        result = cli("--schedules", str(sample_schedules), "simulate", "--from", "2021-08-09",
                     "--to", "2021-08-12", "--station", "00478", "--logs",
                     str(tmp_path / "bad"), "--offline", bad)
        assert result.exit_code == 2 and says in result.output, (bad, result.output)
