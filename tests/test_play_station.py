"""The station's daemon as an operator meets it: starts on the second, rehearsals apart
from the proof of broadcast, a status that tells the truth, doctor on a playout PC, the
units in force on each day. In-process daemons on a fake clock; the CLI through
CliRunner; real processes where the operating system is the point."""

from __future__ import annotations

import json
import shutil
import wave
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from radiocli.home import Home
from radiocli.play.clock import FakeClock
from radiocli.play.daemon import Config, Daemon
from radiocli.plan.triggers import TZ
from test_play_daemon import REPO, make_schedule, program, run

T0 = datetime(2030, 1, 1, 10, 0, 0, tzinfo=TZ)


def codes(n: int) -> list[str]:
    import yaml

    units = yaml.safe_load((REPO / "schedules/registry/units.yaml").read_text(encoding="utf-8"))
    return [str(u["code"]) for u in units["units"]][:n]


# --- 13.1: every start line of a round before any feed starts ---------------------------


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_feeds_start_after_every_start_line_of_the_round(tmp_path, monkeypatch):
    """30 programs and one program for 40 stations in the same second: each station's
    start is decided before the first feed starts (a feed started inside the loop made
    every later station wait for its launch), the 40 stations share one feed, and the
    occurrence id is computed once per program, not once per station."""
    from radiocli.plan import timeline
    from radiocli.play import feed as feeds

    stations = codes(70)
    at = T0 + timedelta(seconds=5)
    progs = "".join(program(f"p{i}", at, 2, (code,)) for i, code in enumerate(stations[:30]))
    progs += program("many", at, 2, tuple(stations[30:]))
    clock = FakeClock(T0)
    schedules = make_schedule(tmp_path / "schedules", progs)
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=stations, sink="file"),
               clock=clock)
    d.start(threads=False)
    decided_at_start: list[int] = []
    real_start = feeds.Feed.start

    def start(feed):  # noqa: ANN001, ANN202
        decided_at_start.append(sum(st.air is not None for st in d.stations.values()))
        real_start(feed)

    monkeypatch.setattr(feeds.Feed, "start", start)
    ids = []
    real_id = timeline.occurrence_id
    monkeypatch.setattr(timeline, "occurrence_id", lambda *a: ids.append(a) or real_id(*a))
    clock.advance(5)
    d.tick()
    try:
        assert decided_at_start == [70] * 31  # 31 feeds, each started once all 70 started
        (shared,) = [f for f in d.desk.feeds.values() if f.key[0].startswith("many@")]
        assert shared.stations == set(stations[30:])
        assert len(ids) <= 31  # once per program (it was once per station, or more)
    finally:
        d.stop()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_an_alert_to_many_stations_starts_them_all_before_its_one_feed(tmp_path,
                                                                       monkeypatch):
    """The same cause in the alert path: each station's start of an alert is decided
    before its feed starts, and the 40 stations share one feed."""
    from radiocli.play import control
    from radiocli.play import feed as feeds

    stations = codes(40)
    clock = FakeClock(T0)
    schedules = make_schedule(tmp_path / "schedules",
                              program("later", T0 + timedelta(hours=1), 5, tuple(stations)))
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=stations, sink="file"),
               clock=clock)
    d.start(threads=False)
    decided: list[int] = []
    real_start = feeds.Feed.start

    def start(feed):  # noqa: ANN001, ANN202
        decided.append(sum(st.air is not None for st in d.stations.values()))
        real_start(feed)

    monkeypatch.setattr(feeds.Feed, "start", start)
    try:
        control.submit(d.rundir, control.Request.ALERT,
                       {"stations": stations, "text": "Thông báo khẩn."}, clock.now())
        clock.advance(0.2)
        d.tick()
        assert decided == [40]
        assert [len(f.stations) for f in d.desk.feeds.values()] == [40]
    finally:
        d.stop()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_a_rendered_wav_airs_byte_for_byte_without_ffmpeg(tmp_path):
    """The feed reads a WAV that is already its PCM itself: the same bytes ffmpeg gives
    (from an offset too), and no decoder process for it."""
    import subprocess

    from radiocli.play.feed import RATE, AirPart, decoder_argv, open_pcm_wav

    path = tmp_path / "x.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=22050", "-t", "3", "-ac", "1",
                    str(path)], check=True)
    for offset, seconds in ((0.0, 3.0), (1.234, 0.7)):
        ffmpeg = subprocess.run(decoder_argv(AirPart("audio", 3.0, path=path), offset, seconds),
                                capture_output=True, check=True).stdout
        pcm = open_pcm_wav(path)
        assert pcm is not None
        pcm.setpos(round(offset * RATE))
        assert pcm.readframes(round(seconds * RATE)) == ffmpeg
        pcm.close()
    with wave.open(str(tmp_path / "stereo.wav"), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(44100)
        w.writeframes(b"\0" * 400)
    assert open_pcm_wav(tmp_path / "stereo.wav") is None  # ffmpeg converts that one


# --- 16.1: a rehearsal leaves the proof of broadcast alone -------------------------------


REHEARSED = datetime(2021, 8, 5, 17, 9, 40, tzinfo=TZ)  # setup.sh's: 00343, an emergency


def rehearse(project: Path, home: Path, start: datetime = REHEARSED, seconds: float = 90,
             **kw) -> Daemon:
    clock = FakeClock(start)
    d = Daemon(Config(Home(home), project / "schedules", stations=["00343"], rehearsal=True,
                      allow_bad_clock=True, render=False, **kw), clock=clock)
    d.start(threads=False)
    run(d, clock, seconds)
    d.stop()
    return d


def test_a_rehearsal_leaves_the_as_run_log_and_the_reports_alone(project, tmp_path, cli):
    """The issue's rehearsal (a past afternoon of 00343) writes its lines, missed ones
    included, to <home>/rehearsal/logs: a collect of the home (or of its logs) and the
    report see no rehearsal minute; `logs verify/tail --rehearsal` show it."""
    home = tmp_path / "home"
    d = rehearse(project, home, start=datetime(2021, 8, 5, 16, 29, 45, tzinfo=TZ),
                 seconds=60)
    assert d.logs_root == home / "rehearsal" / "logs"
    rehearse(project, home)  # then setup.sh's: it replaces the first one's log
    log = home / "rehearsal" / "logs" / "00343" / "2021-08-05.jsonl"
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert sum(x.get("seconds", 0) for x in lines) > 60  # it aired (an emergency too)
    assert not [x for x in lines if x.get("at", "").startswith("2021-08-05T16:")]
    assert not (home / "logs").exists() or not list((home / "logs").rglob("*.jsonl"))
    assert "NOT a proof of broadcast" in (home / "rehearsal" / "README.txt").read_text()
    schedules = str(project / "schedules")
    for source in (home, home / "logs"):
        if source.exists():
            result = cli("--home", str(home), "-s", schedules, "logs", "collect",
                         str(source), "--into", str(tmp_path / "store"), "--json")
            assert json.loads(result.output)["minutes"] == 0, result.output
    result = cli("--home", str(home), "-s", schedules, "--lang", "en", "report", "summary",
                 "--from", "2021-08-05", "--to", "2021-08-05", "--json")
    summary = json.loads(result.output[result.output.index("{"):])
    assert (summary["sessions"], summary["minutes"], summary["stations"]) == (0, 0, 0)
    result = cli("--home", str(home), "-s", schedules, "logs", "verify", "--rehearsal")
    assert result.exit_code == 0 and "1 file(s) checked, 0 problem(s)" in result.output
    result = cli("--home", str(home), "-s", schedules, "logs", "tail", "--rehearsal",
                 "--station", "00343", "-n", "3")
    assert "00343" in result.output and "sealed" in result.output
    # asked for, the rehearsal is collected
    result = cli("--home", str(home), "-s", schedules, "logs", "collect",
                 str(home / "rehearsal" / "logs"), "--into", str(tmp_path / "asked"), "--json")
    assert json.loads(result.output)["minutes"] > 0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_run_clock_is_a_rehearsal_and_its_daemon_log_shows_both_clocks(project, tmp_path):
    """`run --clock` as the operator types it: nothing in the as-run log, the lines and
    the aircheck recordings under <home>/rehearsal, the daemon log with the daemon's
    clock beside the machine's."""
    import subprocess
    import sys

    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-m", "radiocli", "--home", str(home), "-s",
         str(project / "schedules"), "run", "--station", "00343", "--sink", "file",
         "--clock", "2021-08-05 17:09:55", "--for", "8s", "--no-render"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "rehearsal" in done.stderr
    assert not (home / "logs").exists()
    assert (home / "rehearsal" / "logs" / "00343" / "2021-08-05.jsonl").is_file()
    assert list((home / "rehearsal" / "aircheck" / "00343").rglob("*.wav"))
    assert not (home / "aircheck").exists()
    daemon_log = (home / "run" / "main" / "daemon.log").read_text(encoding="utf-8")
    assert "[rehearsal clock 2021-08-05 17:09:5" in daemon_log
    assert "[rehearsal clock 2021-08-05 17:10:0" in daemon_log  # it moves with the run
    machine_year = str(datetime.now(TZ).year)
    assert all(line.startswith(machine_year) for line in daemon_log.splitlines() if line)


# --- 16.4: a status that tells the truth ---------------------------------------------------


def status_of(d: Daemon) -> dict:
    return json.loads(d.rundir.status_file.read_text(encoding="utf-8"))["stations"][0]


def test_status_shows_the_name_what_airs_the_real_next_and_errors_at_once(tmp_path, cli):
    from radiocli.play import control

    clock = FakeClock(T0)
    at = T0 + timedelta(seconds=5)
    later = T0 + timedelta(minutes=20)
    schedules = make_schedule(tmp_path / "schedules",
                              program("a", at, 600) + program("b", later, 60)
                              + program("past", T0 - timedelta(days=2), 60))
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001"]), clock=clock)
    d.start(threads=False)
    try:
        run(d, clock, 5)  # a starts at 10:00:05: the status written in that very second
        row = status_of(d)
        assert row["name"] == "Phường Phúc Xá"
        assert row["on_air"]["program"] == "a"
        assert (row["on_air"]["elapsed_s"], row["on_air"]["remaining_s"]) == (0, 600)
        assert row["next"] == {"program": "b", "at": "2030-01-01T10:20:00+07:00"}
        run(d, clock, 75)
        row = status_of(d)
        assert (row["on_air"]["elapsed_s"], row["on_air"]["remaining_s"]) == (75, 525)
        # a refused reload is in the status at once (not on the next 1 s tick)
        (schedules / "bad.yaml").write_text("programs:\n  x:\n    when: {at: 6h}\n",
                                            encoding="utf-8")
        control.submit(d.rundir, control.Request.RELOAD, {"by": "test"}, clock.now())
        clock.advance(0.2)  # the spool is read every 100 ms; status waits for no tick
        d.tick()
        assert list(d.rundir.replies.glob("*.json"))
        row = status_of(d)
        assert row["errors"] and row["errors"][-1]["reason"].startswith("reload refused: ")
        assert "bad.yaml" in row["errors"][-1]["reason"]
        result = cli("--home", str(tmp_path / "home"), "--lang", "en", "status")
        assert result.exit_code == 0, result.output
        text = result.output
        assert "Phường Phúc Xá" in text and "a (normal)" in text and "1:15" in text
        assert "8:45" in text  # left
        assert "b 10:20:00" in text and "reload refused" in text
        assert "+07:00" not in text and ".0" not in text.split("Last error")[-1][:1]
    finally:
        d.stop()
    status = json.loads(d.rundir.status_file.read_text(encoding="utf-8"))
    assert all(len(v) == 25 for v in (status["updated"], status["started"]))  # seconds


# --- 16.7: doctor on a playout PC ---------------------------------------------------------


def test_doctor_on_a_playout_pc_fails_without_a_sound_card(tmp_path, cli):
    from radiocli.play.outputs import probe_device

    schedules = make_schedule(tmp_path / "s", program("a", T0, 5))
    args = ("--home", str(tmp_path / "h"), "-s", str(schedules), "doctor", "--json")
    if probe_device("default") is not None:  # this machine has no sound card: for real
        result = cli(*args, "--sink", "device")
        checks = {c["check"]: c for c in json.loads(result.output)}
        assert result.exit_code == 1
        assert checks["audio device"]["result"] == "FAIL"
        assert "sink device" in checks["audio device"]["detail"]
        result = cli(*args)
        checks = {c["check"]: c for c in json.loads(result.output)}
        assert checks["audio device"]["result"] == "WARN"  # not a playout PC: advice
        (tmp_path / "h").mkdir(exist_ok=True)
        (tmp_path / "h" / "config.yaml").write_text("run:\n  sink: device\n")
        result = cli(*args)
        assert result.exit_code == 1
        (tmp_path / "h" / "config.yaml").unlink()
    if probe_device("null") is None:  # ALSA's null device opens: "a device that plays"
        result = cli(*args, "--sink", "device", "--device", "null")
        checks = {c["check"]: c for c in json.loads(result.output)}
        assert checks["audio device"]["result"] == "OK", checks["audio device"]


def test_doctor_calls_a_muted_device_silent():
    from radiocli.play.doctor import FAIL, OK, WARN, check_device, silent_in

    amixer = ("Simple mixer control 'Master',0\n  Capabilities: pvolume pswitch\n"
              "  Mono: Playback 0 [0%] [-64.00dB] [on]\n"
              "Simple mixer control 'PCM',0\n  Front Left: Playback 200 [78%] [off]\n"
              "Simple mixer control 'Capture',0\n  Front Left: Capture 0 [0%] [off]\n")
    assert silent_in(amixer) == "Master [0%], PCM [off]"
    assert silent_in("Simple mixer control 'Master',0\n  Mono: Playback 60 [80%] [on]\n") \
        is None
    check = check_device("hw:1", True, probe=lambda d: None, mixer=lambda d: "Master [off]")
    assert check.result == FAIL and "silent" in check.detail
    assert check_device("hw:1", False, probe=lambda d: None,
                        mixer=lambda d: "Master [off]").result == WARN
    assert check_device("hw:1", True, probe=lambda d: None, mixer=lambda d: None).result == OK
    assert check_device("hw:1", True, probe=lambda d: "no such card",
                        mixer=lambda d: None).result == FAIL


# --- 14.2: the units in force on each day ---------------------------------------------------


def test_the_daemon_serves_the_units_in_force_across_the_2025_reorganisation(tmp_path):
    """`run --all` across 2025-06-30/2025-07-01 with the real registry: 526 units, then
    126; a unit that ceased has its last day sealed and airs nothing more; a code that
    names a new unit from that day airs under its new name."""
    schedules = tmp_path / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", schedules / "registry")
    eve = datetime(2025, 6, 30, 23, 59, 40, tzinfo=TZ)
    dawn = datetime(2025, 7, 1, 0, 0, 20, tzinfo=TZ)
    (schedules / "programs.yaml").write_text(
        "programs:\n"
        f"  eve:\n    targets: all\n    when: {{once: ['{eve:%Y-%m-%d %H:%M:%S}']}}\n"
        "    segments: [{silence: 5s}]\n"
        f"  dawn:\n    targets: all\n    when: {{once: ['{dawn:%Y-%m-%d %H:%M:%S}']}}\n"
        "    segments: [{silence: 5s}]\n", encoding="utf-8")
    clock = FakeClock(eve - timedelta(seconds=10))
    home = tmp_path / "home"
    d = Daemon(Config(Home(home), schedules), clock=clock)
    d.start(threads=False)
    try:
        assert len(d.stations) == 526
        run(d, clock, 30)  # 23:59:30 .. 00:00:00
        run(d, clock, 40)
        assert len(d.stations) == 126
        assert json.loads(d.rundir.status_file.read_text())["stations"][0]["name"] == \
            "Phường Ba Đình"  # 00004: Phường Trúc Bạch until the day before
    finally:
        d.stop()

    def lines(code: str, day: str) -> list[dict]:
        path = home / "logs" / code / f"{day}.jsonl"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    starts = [x["station"] for x in (home / "logs").glob("*/2025-07-01.jsonl")
              for x in [json.loads(y) for y in x.read_text().splitlines()]
              if x.get("event") == "start"]
    assert len(starts) == 126 and len(set(starts)) == 126
    ceased = "00001"  # Phường Phúc Xá: merged into Phường Hồng Hà on 2025-07-01
    assert lines(ceased, "2025-06-30")[-1]["event"] == "sealed"
    assert [x["program"] for x in lines(ceased, "2025-06-30") if x.get("event") == "start"
            ] == ["eve"]
    assert not lines(ceased, "2025-07-01")
    assert [x["program"] for x in lines("00004", "2025-07-01") if x.get("event") == "start"
            ] == ["dawn"]
