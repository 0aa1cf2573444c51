"""The playout daemon's core on a fake clock: priorities, minute lines, restart, reload,
alerts. No threads, no sleeping: the test moves the clock and calls tick()."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from radiocli.errors import PlayoutError
from radiocli.home import Home
from radiocli.play import control
from radiocli.play.clock import FakeClock
from radiocli.play.daemon import Config, Daemon
from radiocli.plan.triggers import TZ

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2030, 1, 1, 10, 0, 0, tzinfo=TZ)


def make_schedule(root: Path, programs: str) -> Path:
    (root / "registry").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "schedules" / "registry" / "units.yaml", root / "registry")
    (root / "programs.yaml").write_text("programs:\n" + programs, encoding="utf-8")
    return root


def program(pid: str, at: datetime, seconds: float, stations=("00001",), priority="normal",
            extra: str = "") -> str:
    codes = ", ".join(f'"{c}"' for c in stations)
    return (f"  {pid}:\n    title: {pid}\n    priority: {priority}\n"
            f"    targets:\n      stations: [{codes}]\n"
            f"    when:\n      once: [\"{at:%Y-%m-%d %H:%M:%S}\"]\n"
            f"    segments:\n      - silence: {seconds:g}s\n{extra}")


def lines(home: Path, station: str = "00001") -> list[dict]:
    out = []
    for path in sorted((home / "logs" / station).glob("*.jsonl")):
        out += [json.loads(x) for x in path.read_text().splitlines()]
    return out


def events(home: Path, station: str = "00001") -> list[tuple[str, str, str]]:
    return [(x["event"], x["program"], x["reason"]) for x in lines(home, station)
            if "event" in x and x["event"] not in ("sealed", "recovered")]


def minutes(home: Path, station: str = "00001") -> dict[str, int]:
    totals: Counter[str] = Counter()
    for x in lines(home, station):
        if "minute" in x:
            totals[x["program"]] += x["seconds"]
    return dict(totals)


def run(daemon: Daemon, clock: FakeClock, seconds: float, step: float = 1.0) -> None:
    t = 0.0
    while t < seconds:
        clock.advance(step)
        daemon.tick()
        t += step


def daemon_for(tmp_path: Path, programs: str, clock: FakeClock, **kw) -> Daemon:
    schedules = make_schedule(tmp_path / "schedules", programs)
    config = Config(Home(tmp_path / "home"), schedules, stations=kw.pop("stations", ["00001"]),
                    **kw)
    d = Daemon(config, clock=clock)
    d.start(threads=False)
    return d


def test_programs_air_and_minute_lines_add_up(tmp_path):
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(seconds=5), 90, ("00001", "00004")),
                   clock, stations=["00001", "00004"])
    run(d, clock, 200)
    d.stop()
    home = tmp_path / "home"
    for code in ("00001", "00004"):
        assert events(home, code) == [("start", "a", ""), ("end", "a", "")]
        assert minutes(home, code) == {"a": 90}
        starts = [x for x in lines(home, code) if x.get("event") == "start"]
        assert starts[0]["at"] == "2030-01-01T10:00:05.000+07:00"


def test_emergency_preempts_and_the_program_resumes(tmp_path):
    clock = FakeClock(T0)
    progs = (program("a", T0 + timedelta(seconds=5), 90)
             + program("em", T0 + timedelta(seconds=30), 20, priority="emergency"))
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 200)
    d.stop()
    home = tmp_path / "home"
    assert events(home) == [
        ("start", "a", ""), ("preempted", "a", "preempted-by: em@2030-01-01T10:00"),
        ("start", "em", ""), ("end", "em", ""), ("resumed", "a", ""), ("end", "a", "")]
    assert minutes(home) == {"a": 90, "em": 20}
    keys = [(x["minute"], x["occurrence"]) for x in lines(home) if "minute" in x]
    assert len(keys) == len(set(keys)), "a minute of an occurrence logged twice"


def test_priority_goes_first_and_normal_is_missed_after_max_delay(tmp_path):
    clock = FakeClock(T0)
    progs = (program("long", T0 + timedelta(seconds=1), 120)
             + program("n", T0 + timedelta(seconds=10), 10, extra="    max_delay: 1m\n")
             + program("p", T0 + timedelta(seconds=20), 10, priority="priority"))
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 300)
    d.stop()
    ev = events(tmp_path / "home")
    assert ev[0][:2] == ("start", "long")
    assert ("start", "p") in [e[:2] for e in ev]
    missed = [e for e in ev if e[0] == "missed"]
    assert missed and missed[0][1] == "n" and missed[0][2].startswith("collision:")


def test_refuses_a_clock_that_is_obviously_wrong(tmp_path):
    clock = FakeClock(datetime(2021, 8, 2, 6, 0, tzinfo=TZ))
    with pytest.raises(PlayoutError, match="cannot be right"):
        daemon_for(tmp_path, program("a", T0, 5), clock)
    d = daemon_for(tmp_path, program("a", T0, 5), clock, allow_bad_clock=True)
    d.stop()


def test_a_second_daemon_with_the_same_name_refuses(tmp_path):
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0, 5), clock)
    with pytest.raises(PlayoutError, match="already running"):
        daemon_for(tmp_path, program("a", T0, 5), clock)
    assert control.alive(d.rundir.pid_file)
    d.stop()
    assert control.alive(d.rundir.pid_file) is None


def crash(d: Daemon) -> None:
    """What kill -9 leaves: lines written so far, no end lines, no partial minute (the
    kernel lets go of its locks)."""
    d.logs.drain()
    d.logbook.close()
    d.locks.release()
    d.pidfile.release()


def test_restart_resumes_the_remainder_and_airs_nothing_twice(tmp_path):
    clock = FakeClock(T0)
    progs = program("a", T0 + timedelta(seconds=5), 300)
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 150)  # 10:02:30: minutes 10:00 and 10:01 logged, 10:02 in progress
    crash(d)
    clock.advance(20)  # down 20 s
    d2 = daemon_for(tmp_path, progs, clock)
    run(d2, clock, 400)
    d2.stop()
    home = tmp_path / "home"
    ev = events(home)
    assert [e[0] for e in ev] == ["start", "resumed", "end"]
    assert ev[1][2].startswith("restart: resumed at")
    keys = [(x["minute"], x["occurrence"]) for x in lines(home) if "minute" in x]
    assert len(keys) == len(set(keys))
    # aired at worst: 145 s before the crash were counted (115 logged + up to the restart),
    # so the total logged is at most the program's length
    assert minutes(home)["a"] <= 300


def test_restart_after_the_grace_logs_missed(tmp_path):
    clock = FakeClock(T0)
    progs = program("a", T0 + timedelta(seconds=5), 600, extra="    max_delay: 1m\n")
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 100)
    crash(d)
    clock.advance(300)
    d2 = daemon_for(tmp_path, progs, clock)
    d2.stop()
    ev = events(tmp_path / "home")
    assert ev[-1][0] == "missed" and ev[-1][2].startswith("offline: the daemon was down")


def test_slots_while_no_daemon_ran_are_missed_or_late(tmp_path):
    clock = FakeClock(T0 + timedelta(minutes=10))
    progs = (program("old", T0, 5, extra="    max_delay: 2m\n")
             + program("recent", T0 + timedelta(minutes=9), 5))
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 10)
    d.stop()
    ev = events(tmp_path / "home")
    assert ("missed", "old") in [e[:2] for e in ev]
    start = [e for e in ev if e[:2] == ("start", "recent")]
    assert start and start[0][2].startswith("late: the daemon started")


def test_reload_replaces_jobs_and_refuses_bad_edits(tmp_path):
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(seconds=5), 60), clock)
    run(d, clock, 10)
    path = tmp_path / "schedules" / "programs.yaml"
    path.write_text(path.read_text() + "  broken:\n    when: {at: 6h}\n", encoding="utf-8")
    ok, problems = d.reload()
    assert not ok and any("broken" in str(p) or "6h" in str(p) for p in problems)
    path.write_text("programs:\n" + program("a", T0 + timedelta(seconds=5), 60)
                    + program("b", T0 + timedelta(seconds=120), 5), encoding="utf-8")
    ok, _ = d.reload()
    assert ok
    run(d, clock, 200)
    d.stop()
    ev = events(tmp_path / "home")
    # a was on air during both reloads and was neither cut nor aired twice
    assert [e[:2] for e in ev] == [("start", "a"), ("end", "a"), ("start", "b"), ("end", "b")]
    assert minutes(tmp_path / "home") == {"a": 60, "b": 5}


def test_alert_from_the_spool_preempts_and_is_done_after_airing(tmp_path):
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(seconds=2), 120), clock)
    run(d, clock, 10)
    control.submit(d.rundir, "alert", {"stations": ["00001"], "text": "Bão số 5 sắp đổ bộ."},
                   clock.now())
    run(d, clock, 200, step=0.5)
    d.stop()
    ev = events(tmp_path / "home")
    kinds = [(e[0], e[1].split("-")[0]) for e in ev]
    assert kinds[:5] == [("start", "a"), ("preempted", "a"), ("start", "alert"),
                         ("end", "alert"), ("resumed", "a")]
    assert not list(d.rundir.spool.glob("alert-*.json"))
    assert list(d.rundir.done.glob("alert-*.json"))


def test_pending_alert_airs_after_a_restart(tmp_path):
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    crash(d)
    control.submit(d.rundir, "alert", {"all": True, "text": "Thông báo khẩn."}, clock.now())
    clock.advance(30)
    d2 = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    run(d2, clock, 60)
    d2.stop()
    ev = events(tmp_path / "home")
    assert [e[0] for e in ev] == ["start", "end"] and ev[0][1].startswith("alert-")


def test_stop_cut_writes_end_lines_and_drops_waiting(tmp_path):
    clock = FakeClock(T0)
    progs = (program("a", T0 + timedelta(seconds=1), 100)
             + program("b", T0 + timedelta(seconds=5), 10))
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 30)
    d.stop()
    ev = events(tmp_path / "home")
    assert ("missed", "b", "shutdown: daemon stopped") in ev
    assert ("end", "a", "shutdown: cut") in ev
    assert minutes(tmp_path / "home") == {"a": 29}  # 10:00:01 .. 10:00:30


def test_core_never_imports_click_or_rich():
    code = ("import sys, radiocli.play.daemon, radiocli.play.sinks, radiocli.play.control;"
            "print(sorted(m for m in ('click', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_doctor_reports_each_check_and_fails_on_a_broken_schedule(tmp_path):
    from click.testing import CliRunner

    from radiocli.cli import cli as group

    good = make_schedule(tmp_path / "good", program("a", T0, 5))
    result = CliRunner().invoke(group, ["--home", str(tmp_path / "h"), "-s", str(good),
                                        "doctor", "--json"])
    checks = {c["check"]: c for c in json.loads(result.output)}
    assert set(checks) >= {"espeak-ng", "ffmpeg", "audio device", "clock", "disk", "schedule"}
    assert checks["schedule"]["result"] == "OK"
    assert result.exit_code == (1 if any(c["result"] == "FAIL" for c in checks.values()) else 0)
    bad = make_schedule(tmp_path / "bad", program("a", T0, 5) + "  x:\n    when: {at: 6h}\n")
    result = CliRunner().invoke(group, ["--home", str(tmp_path / "h"), "-s", str(bad),
                                        "doctor", "--json"])
    assert result.exit_code == 1
    checks = {c["check"]: c for c in json.loads(result.output)}
    assert checks["schedule"]["result"] == "FAIL" and "radiocli validate" in checks["schedule"]["fix"]


def test_status_exits_3_when_no_daemon_runs(tmp_path):
    from click.testing import CliRunner

    from radiocli.cli import cli as group

    result = CliRunner().invoke(group, ["--home", str(tmp_path / "h"), "status", "--json"])
    assert result.exit_code == 3
    assert json.loads(result.output) == {"running": False, "daemons": []}
    result = CliRunner().invoke(group, ["--home", str(tmp_path / "h"), "alert", "--all", "x"])
    assert result.exit_code == 3 and "no playout daemon" in result.output


def test_every_play_command_has_help_with_an_example():
    from click.testing import CliRunner

    from radiocli.cli import cli as group

    for name in ("run", "alert", "reload", "status", "doctor"):
        result = CliRunner().invoke(group, [name, "--help"])
        assert result.exit_code == 0 and "Example: radiocli " + name in result.output


def test_a_wall_clock_jump_is_logged(tmp_path, caplog):
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=1), 5), clock)
    run(d, clock, 6)
    with caplog.at_level("WARNING", logger="radiocli.play"):
        clock.set(T0 + timedelta(minutes=30), monotonic_too=False)
        clock.advance(6)
        d.tick()
    d.stop()
    assert any("wall clock jumped" in r.getMessage() for r in caplog.records)


def test_an_unwritable_log_folder_is_reported_and_playout_goes_on(tmp_path):
    clock = FakeClock(T0)
    home = tmp_path / "home"
    home.mkdir()
    (home / "logs").write_text("not a folder")  # every log write fails (like EROFS/ENOSPC)
    progs = program("a", T0 + timedelta(seconds=2), 5) + program("b", T0 + timedelta(seconds=10), 5)
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 30)
    assert d.logs.errors and "as-run log" in d.logs.errors[-1]
    assert [st.air for st in d.stations.values()] == [None]
    assert d.logbook.pending() > 0 or d.logs.errors  # lines are kept in memory
    status = json.loads(d.rundir.status_file.read_text())
    assert status["log_errors"]
    d.stop()


def test_live_scheduler_has_one_job_per_program_with_explicit_defaults(tmp_path):
    from radiocli.play.clock import SystemClock

    later = datetime.now(TZ) + timedelta(hours=2)
    progs = (program("a", later, 5, ("00001", "00004"))
             + program("b", later + timedelta(minutes=1), 5, ("00004",)))
    schedules = make_schedule(tmp_path / "schedules", progs)
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001", "00004"],
                      misfire_grace=900), clock=SystemClock())
    d.start(threads=True)
    try:
        jobs = {job.id: job for job in d.jobs.scheduler.get_jobs()}
        assert set(jobs) == {"program:a", "program:b"}  # per program, not per station
        for job in jobs.values():
            assert job.misfire_grace_time == 900 and job.coalesce and job.max_instances == 1
            assert str(job.next_run_time.tzinfo) == "Asia/Ho_Chi_Minh"
    finally:
        d.stop()


def test_alert_with_an_audio_file(tmp_path):
    import wave

    audio = tmp_path / "notice.wav"
    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
        w.writeframes(b"\0\0" * 22050 * 7)
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=1), 5), clock)
    control.submit(d.rundir, "alert", {"stations": ["00001"], "file": str(audio)}, clock.now())
    run(d, clock, 20)
    d.stop()
    assert [e[0] for e in events(tmp_path / "home")] == ["start", "end"]
    assert list(minutes(tmp_path / "home").values()) == [7]


def test_a_rehearsal_of_a_past_day_seals_its_logs_at_stop(tmp_path):
    past = datetime(2024, 3, 1, 10, 0, tzinfo=TZ)
    clock = FakeClock(past)
    d = daemon_for(tmp_path, program("a", past + timedelta(seconds=2), 5), clock)
    run(d, clock, 10)
    d.stop()
    last = lines(tmp_path / "home")[-1]
    assert last["event"] == "sealed" and last["lines"] == len(lines(tmp_path / "home")) - 1


def test_a_long_emergency_cuts_the_preempted_program_live(tmp_path):
    """The same Timeline rule as plan and simulate: preempted longer than its max_delay,
    the program ends cut instead of resuming."""
    clock = FakeClock(T0)
    progs = (program("a", T0 + timedelta(seconds=5), 300, extra="    max_delay: 1m\n")
             + program("em", T0 + timedelta(seconds=30), 120, priority="emergency"))
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 400)
    d.stop()
    home = tmp_path / "home"
    ev = events(home)
    assert [e[:2] for e in ev] == [("start", "a"), ("preempted", "a"), ("start", "em"),
                                   ("end", "em"), ("end", "a")]
    assert ev[-1][2].startswith("cut: preempted for 2 min")
    assert minutes(home) == {"a": 25, "em": 120}


# --- the jobs: APScheduler's own processing, on the daemon's clock ------------------------


def test_a_one_off_of_an_earlier_day_never_fires_nor_is_logged(tmp_path):
    """DateTrigger returns its date whatever "now" is: a once: of 2030-01-05 in a daemon
    started on 2030-01-10 must not be recovered, fired or logged missed (at start, nor
    when a reload brings it)."""
    past = datetime(2030, 1, 5, 17, 10, tzinfo=TZ)
    clock = FakeClock(datetime(2030, 1, 10, 10, 0, tzinfo=TZ))
    progs = program("old", past, 30) + program("today", clock.now() + timedelta(seconds=5), 10)
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 30)
    path = tmp_path / "schedules" / "programs.yaml"
    path.write_text(path.read_text() + program("older", past - timedelta(days=1), 30),
                    encoding="utf-8")
    ok, _problems = d.reload()
    assert ok
    run(d, clock, 30)
    d.stop()
    assert [e[:2] for e in events(tmp_path / "home")] == [("start", "today"), ("end", "today")]
    assert sorted(p.name for p in (tmp_path / "home" / "logs" / "00001").iterdir()) == [
        "2030-01-10.jsonl"]
    assert not d.jobs.scheduler.get_jobs()  # neither one-off became a job


def test_slots_due_in_the_same_instant_reach_the_timeline_by_priority(tmp_path):
    """Whatever order APScheduler runs same-second jobs in, the higher priority starts
    and the other waits (as plan and simulate decide)."""
    clock = FakeClock(T0)
    at = T0 + timedelta(seconds=5)
    progs = (program("a-normal", at, 20) + program("b-priority", at, 20, priority="priority"))
    d = daemon_for(tmp_path, progs, clock)
    run(d, clock, 60)
    d.stop()
    ev = events(tmp_path / "home")
    assert [e[:2] for e in ev] == [("start", "b-priority"), ("end", "b-priority"),
                                   ("start", "a-normal"), ("end", "a-normal")]
    assert ev[2][2].startswith("late: waited")


@pytest.mark.parametrize("grace, expected", [(60, "missed"), (900, "start")])
def test_the_misfire_grace_comes_from_job_defaults(tmp_path, grace, expected):
    """The daemon stalls 5 minutes across a slot: APScheduler's own misfire check (with
    the grace given in job_defaults, on the daemon's clock) decides; a late start keeps
    the scheduled time as its key."""
    clock = FakeClock(T0)
    at = T0 + timedelta(seconds=30)
    d = daemon_for(tmp_path, program("a", at, 20), clock, misfire_grace=grace)
    run(d, clock, 10)
    clock.advance(300)  # no tick: the machine hung
    run(d, clock, 60)
    d.stop()
    rows = [x for x in lines(tmp_path / "home") if x.get("event") not in (None, "sealed")]
    assert rows[0]["event"] == expected
    assert rows[0]["scheduled"] == "2030-01-01T10:00:30+07:00"
    assert rows[0]["occurrence"] == "a@2030-01-01T10:00"
    if expected == "missed":
        assert rows[0]["reason"] == ("offline: the scheduler ran 5 min late (more than the "
                                     "misfire grace)")
    jobs = d.jobs.scheduler.get_jobs()
    assert not jobs  # a one-off's job is gone once it ran (or missed)


def test_a_daily_program_runs_as_an_apscheduler_job(tmp_path):
    """The job store moves the job's next run time on after each run."""
    schedules = make_schedule(tmp_path / "schedules", (
        "  daily:\n    targets: {stations: ['00001']}\n"
        "    when: {days: every day, at: '10:01'}\n    segments: [{silence: 5s}]\n"))
    clock = FakeClock(T0)
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001"]), clock=clock)
    d.start(threads=False)
    (job,) = d.jobs.scheduler.get_jobs()
    assert job.id == "program:daily" and job.next_run_time == T0 + timedelta(minutes=1)
    run(d, clock, 120)
    (job,) = d.jobs.scheduler.get_jobs()
    assert job.next_run_time == T0 + timedelta(days=1, minutes=1)
    d.stop()
    assert [e[:2] for e in events(tmp_path / "home")] == [("start", "daily"), ("end", "daily")]


def test_every_moment_of_a_once_list_airs(tmp_path):
    clock = FakeClock(T0)
    schedules = make_schedule(tmp_path / "schedules", (
        "  twice:\n    targets: {stations: ['00001']}\n"
        "    when: {once: ['2030-01-01 10:00:05', '2030-01-01 10:01:05']}\n"
        "    segments: [{silence: 5s}]\n"))
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001"]), clock=clock)
    d.start(threads=False)
    run(d, clock, 120)
    d.stop()
    assert [e[:2] for e in events(tmp_path / "home")] == [
        ("start", "twice"), ("end", "twice"), ("start", "twice"), ("end", "twice")]
