"""Alert replies that tell the truth (issue 9.5), stamped with the daemon's clock (16.1),
spoken with the words of where they air, woken by the doorbell (13.5).

Most tests run a real daemon in-process on a fake clock and `radiocli alert` in a
thread beside it: the test ticks the daemon until the command has its answer. Two run
the daemon's threads on a rehearsal clock (`run --clock`), as an operator would."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from radiocli.cli import cli as group
from radiocli.home import Home
from radiocli.play import control
from radiocli.play.clock import FakeClock, OffsetClock, SystemClock
from radiocli.play.daemon import Config, Daemon
from radiocli.plan.triggers import TZ
from ticking import while_ticking
from test_play_daemon import T0, crash, daemon_for, events, lines, make_schedule, program

REPO = Path(__file__).resolve().parent.parent
TEXT = "Bão số 5 sắp đổ bộ, gọi ngay 114."
needs_tools = pytest.mark.skipif(shutil.which("ffmpeg") is None or
                                 shutil.which("espeak-ng") is None,
                                 reason="needs ffmpeg and espeak-ng")


def alert(d: Daemon, clock: FakeClock, *args: str, before: Callable[[], Any] | None = None,
          step: float = 0.01, tick: bool = True) -> Result:
    """`radiocli alert ARGS` in a thread while this thread ticks the daemon on its fake
    clock (``before`` runs once the request is in the spool; ``tick=False``: a daemon
    that never answers)."""
    home = str(d.config.home.root)
    return while_ticking(
        d, clock, lambda: CliRunner().invoke(group, ["--home", home, "alert", *args]),
        spool="alert-*.json", before=before, tick=tick, step=step, what=args)


def reply_of(d: Daemon) -> dict[str, Any]:
    (path,) = d.rundir.replies.glob("alert-*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def starts(home: Path, station: str = "00001") -> list[dict]:
    return [x for x in lines(home, station) if x.get("event") == "start"]


# --- issue 9.5: the reply says, per station, what became of the alert ----------------------


def test_on_air_only_once_the_start_line_is_written(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=3), 5), clock)
    result = alert(d, clock, "--station", "00001", TEXT)
    assert result.exit_code == 0, result.output
    assert "daemon main: on air at 1 station(s) (00001) since 2030-01-01 10:00:00" in \
        result.output
    reply = reply_of(d)
    (answer,) = reply["stations"]
    assert reply["ok"] is True and reply["final"] is True
    assert answer["outcome"] == "on-air" and answer["logged"] is True
    (line,) = starts(tmp_path / "home")
    assert line["at"] == answer["at"]
    assert line["program"] == reply["program"]
    d.stop()


def test_the_reply_waits_for_the_log_writer(tmp_path: Path) -> None:
    """The start is decided but its line is still on its way to the disk: no reply yet
    (the old desk answered "on air" before anything was written)."""
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=3), 5), clock)
    d.logs.start()  # lines leave through the writer thread, as in a running daemon
    gate = threading.Event()
    book = d.logbook
    assert book is not None
    write_event = book.event

    def slow_event(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return write_event(*args, **kwargs)

    book.event = slow_event  # type: ignore[method-assign]
    request = control.submit(d.rundir, control.Request.ALERT,
                             {"stations": ["00001"], "text": TEXT}, clock.now())
    path = d.rundir.replies / f"alert-{request}.json"
    for _ in range(5):
        clock.advance(0.1)
        d.tick()
    assert d.stations["00001"].air is not None, "the alert is on air"
    assert not path.exists(), "a reply before the start line was written"
    gate.set()
    reply = control.wait_reply(d.rundir, f"alert-{request}", 30)
    assert reply is not None and reply["final"] and reply["ok"]
    assert [s["outcome"] for s in reply["stations"]] == ["on-air"]
    d.stop()
    assert starts(tmp_path / "home")[0]["at"] == reply["stations"][0]["at"]


def test_missed_says_missed_and_exits_1(tmp_path: Path) -> None:
    """The daemon takes the alert two hours after it was sent (stuck, or a clock that
    jumped): missed at every station, and the command says so."""
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    result = alert(d, clock, "--station", "00001", TEXT,
                   before=lambda: clock.advance(2 * 3600))
    assert result.exit_code == 1, result.output
    assert "MISSED at 1 station(s) (00001)" in result.output
    assert "offline: the alert is 120 min old" in result.output
    assert "daemon main: on air" not in result.output
    assert reply_of(d)["ok"] is False
    d.stop()
    assert [e[0] for e in events(tmp_path / "home")] == ["missed"]


def test_waiting_behind_another_emergency_then_on_air(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("em", T0 + timedelta(seconds=1), 600,
                                     priority="emergency"), clock)
    clock.advance(2)
    d.tick()
    result = alert(d, clock, "--station", "00001", "--wait", "0.5", TEXT, step=0.001)
    assert result.exit_code == 1, result.output
    assert "NOT on air yet at 1 station(s) (00001): waiting behind em (emergency), on air " \
           "since 10:00:02" in result.output
    reply = reply_of(d)
    assert reply["final"] is False and reply["stations"][0]["outcome"] == "waiting"
    for _ in range(700):  # the emergency ends; the alert starts; the reply is rewritten
        clock.advance(1)
        d.tick()
    reply = reply_of(d)
    assert reply["final"] is True and reply["ok"] is True
    assert reply["stations"][0]["outcome"] == "on-air"
    d.stop()
    kinds = [(e[0], e[1].split("-")[0]) for e in events(tmp_path / "home")]
    assert kinds[:4] == [("start", "em"), ("end", "em"), ("start", "alert"), ("end", "alert")]


def test_no_answer_in_time_says_so(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    result = alert(d, clock, "--station", "00001", "--wait", "0.2", TEXT, tick=False)
    assert result.exit_code == 1
    assert "daemon main: no answer in 0.2 s: nothing is known to have aired" in result.output
    d.stop()


@pytest.mark.parametrize(("text", "message"), [
    ("🚨🚨🚨 !!!", "nothing in the alert text can be spoken"),
    ("Bão." + " Bão." * 699, "the alert text has 3,499 characters, more than 3,000"),
])
def test_unspeakable_or_too_long_text_is_refused_before_the_spool(
        tmp_path: Path, text: str, message: str) -> None:
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    result = CliRunner().invoke(group, ["--home", str(d.config.home.root), "alert",
                                        "--station", "00001", text])
    assert result.exit_code == 1
    assert "nothing was sent: " + message in result.output
    assert not list(d.rundir.spool.iterdir())
    # put in the spool by another way, the daemon refuses it too
    request = control.submit(d.rundir, control.Request.ALERT,
                             {"stations": ["00001"], "text": text}, clock.now())
    for _ in range(3):
        clock.advance(0.2)
        d.tick()
    reply = json.loads((d.rundir.replies / f"alert-{request}.json").read_text())
    assert reply["outcome"] == "refused" and message in reply["reason"]
    assert [s["outcome"] for s in reply["stations"]] == ["refused"]
    assert list(d.rundir.rejected.glob("alert-*.json"))
    d.stop()
    assert events(tmp_path / "home") == []


def test_a_failed_speech_engine_is_failed_not_on_air(tmp_path: Path) -> None:
    """The engine cannot speak (piper without its voice file): the alert chime airs in
    its place, and the command says the alert failed."""
    clock = FakeClock(T0)
    schedules = make_schedule(tmp_path / "schedules", program("a", T0 + timedelta(hours=5), 5))
    shutil.copytree(REPO / "audio", tmp_path / "audio")
    (schedules / "radiocli.yaml").write_text(
        "settings:\n  audio: ../audio\n  render:\n    engine: piper\n", encoding="utf-8")
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001"]), clock=clock)
    d.start(threads=False)
    result = alert(d, clock, "--station", "00001", TEXT)
    assert result.exit_code == 1, result.output
    assert "FAILED at 1 station(s) (00001)" in result.output
    assert "speech engine: " in result.output and "the alert chime airs instead" in result.output
    d.stop()
    assert [e[0] for e in events(tmp_path / "home")][:2] == ["failed", "start"]


def test_an_unreadable_recording_is_failed(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    bogus = tmp_path / "notice.wav"
    bogus.write_text("not audio", encoding="utf-8")
    result = alert(d, clock, "--station", "00001", "--file", str(bogus))
    assert result.exit_code == 1, result.output
    assert "FAILED at 1 station(s) (00001)" in result.output and "cannot be read" in \
        result.output
    d.stop()


def test_a_station_no_daemon_serves_is_named(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    result = alert(d, clock, "--station", "00001", "--station", "00004", TEXT)
    assert result.exit_code == 1, result.output
    assert "on air at 1 station(s) (00001)" in result.output
    assert "no running daemon serves 00004: the alert did not air there" in result.output
    result = alert(d, clock, "--station", "00004", TEXT)
    assert result.exit_code == 1
    assert "no running daemon serves those stations; nothing was aired" in result.output
    d.stop()


def test_a_copy_of_an_alert_on_air_airs_once(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    request = control.submit(d.rundir, control.Request.ALERT,
                             {"stations": ["00001"], "text": TEXT}, clock.now())
    original = d.rundir.spool / f"alert-{request}.json"
    clock.advance(0.2)
    d.tick()
    shutil.copy(original, d.rundir.spool / "alert-copy.json")
    for _ in range(60):
        clock.advance(1)
        d.tick()
    d.stop()
    assert [e[0] for e in events(tmp_path / "home")] == ["start", "end"]
    assert (d.rundir.rejected / "alert-copy.json").exists()


def test_a_crash_mid_alert_resumes_it_and_the_reply_says_so(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    text = "Thông báo khẩn. " * 10
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    request = control.submit(d.rundir, control.Request.ALERT,
                             {"stations": ["00001"], "text": text}, clock.now())
    for _ in range(3):
        clock.advance(1)
        d.tick()
    crash(d)
    clock.advance(5)
    d2 = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    for _ in range(120):
        clock.advance(1)
        d2.tick()
    d2.stop()
    ev = [e[0] for e in events(tmp_path / "home")]
    assert ev[0] == "start" and ev[-1] == "end" and ev.count("end") == 1
    reply = json.loads((d2.rundir.replies / f"alert-{request}.json").read_text())
    assert reply["ok"] and reply["stations"][0]["outcome"] == "on-air"


def test_a_log_that_cannot_be_written_is_not_reported_as_logged(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    home = tmp_path / "home"
    home.mkdir()
    (home / "logs").write_text("not a folder")  # every log write fails
    d = daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock)
    result = alert(d, clock, "--station", "00001", TEXT)
    assert result.exit_code == 1, result.output
    assert "on air at 1 station(s) (00001) since 2030-01-01 10:00:00" in result.output
    assert "but its start line may not be in the as-run log (the log reported: as-run log: " \
        in result.output
    d.stop()


# --- issue 16.1 and 9.5: a rehearsal's alerts follow its clock -----------------------------


def rehearsal(tmp_path: Path, start: datetime, station: str) -> Daemon:
    schedules = make_schedule(tmp_path / "schedules",
                              program("later", start + timedelta(hours=3), 5, (station,)))
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=[station],
                      allow_bad_clock=True), clock=OffsetClock(start))
    d.start(threads=True)
    return d


@needs_tools
def test_a_rehearsal_ahead_of_real_time_airs_the_alert(tmp_path: Path) -> None:
    """`run --clock` 1,242 minutes ahead: the alert was stamped with the machine's clock,
    missed as "1242 min old", and the command said "on air" and exited 0."""
    ahead = (SystemClock().now() + timedelta(minutes=1242)).replace(microsecond=0)
    d = rehearsal(tmp_path, ahead, "00004")
    try:
        result = CliRunner().invoke(group, ["--home", str(tmp_path / "home"), "alert",
                                            "--station", "00004", TEXT])
    finally:
        d.stop()
    assert result.exit_code == 0, result.output
    assert "on air at 1 station(s) (00004)" in result.output
    assert "(rehearsal clock)" in result.output
    book = d.logbook
    assert book is not None
    log = [json.loads(x) for x in (book.root / "00004" / f"{ahead:%Y-%m-%d}.jsonl")
           .read_text().splitlines()]
    events_ = [x for x in log if x.get("event") in ("start", "missed", "end")]
    assert [x["event"] for x in events_] == ["start", "end"]
    sent = datetime.strptime(events_[0]["program"][6:21], "%Y%m%dT%H%M%S").replace(tzinfo=TZ)
    started = datetime.fromisoformat(events_[0]["at"])
    assert timedelta(0) <= started - sent < timedelta(seconds=10)


@needs_tools
def test_a_rehearsal_of_2021_stamps_its_alerts_in_2021(tmp_path: Path) -> None:
    """No `alert-2026…@2026-…` inside a 2021 log (issue 16.1)."""
    past = datetime(2021, 8, 5, 16, 29, 45, tzinfo=TZ)
    d = rehearsal(tmp_path, past, "00001")
    try:
        result = CliRunner().invoke(group, ["--home", str(tmp_path / "home"), "alert",
                                            "--station", "00001", "--json", TEXT])
    finally:
        d.stop()
    assert result.exit_code == 0, result.output
    reply = json.loads(result.stdout)[0]
    assert reply["id"].startswith("20210805T16")
    book = d.logbook
    assert book is not None
    log = [json.loads(x) for x in (book.root / "00001" / "2021-08-05.jsonl")
           .read_text().splitlines()]
    alert_lines = [x for x in log if "alert-" in x.get("program", "")]
    assert alert_lines and all(x["occurrence"].split("@")[1].startswith("2021-08-05T16:")
                               and x["program"].startswith("alert-20210805T16")
                               for x in alert_lines)
    assert all(x["minute"][:10] == "2021-08-05" for x in log if "minute" in x)
    assert all(x["at"][:10] == "2021-08-05" for x in log if x.get("event") in ("start", "end"))


# --- issue 13.5: the command rings the daemon's doorbell -----------------------------------


def test_the_doorbell_rings_the_daemon_and_nobody_when_none_listens(tmp_path: Path) -> None:
    rundir = control.RunDir(tmp_path / "run")
    rundir.make()
    assert control.ring(rundir) is False  # no daemon: the spool is read at its next look
    rung = threading.Event()
    bell = control.Doorbell(rundir.doorbell, rung.set)
    assert bell.open()
    assert control.ring(rundir) is True
    assert rung.wait(10)
    rung.clear()
    control.submit(rundir, control.Request.ALERT, {"all": True, "text": TEXT},
                   SystemClock().now())
    assert rung.wait(10), "a spool write rings"
    bell.close()
    assert control.ring(rundir) is False


def test_a_running_daemon_takes_a_request_when_rung(tmp_path: Path) -> None:
    """The supervisor sleeps until its next tick, but a ring wakes it at once: with the
    polling interval made an hour long, the reload is still answered."""
    import radiocli.play.daemon as daemon_module

    later = SystemClock().now() + timedelta(hours=3)
    schedules = make_schedule(tmp_path / "schedules", program("a", later, 5))
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001"]))
    d.start(threads=True)
    saved = daemon_module.POLL_S
    try:
        daemon_module.POLL_S = 3600.0
        d._last_poll = d.clock.monotonic()  # its last look was just now
        request = control.submit(d.rundir, control.Request.RELOAD, {}, d.clock.now())
        reply = control.wait_reply(d.rundir, request, 20)
    finally:
        daemon_module.POLL_S = saved
        d.stop()
    assert reply is not None and reply["ok"] is True


# --- item 7: an alert for one station or district is spoken with its words -----------------


def test_an_alert_for_one_station_uses_its_words(project: Path) -> None:
    """00505 (Xã Cổ Loa) defines NVH; 00478 (same district) does not."""
    day = datetime(2021, 8, 5, 10, 0, tzinfo=TZ)
    clock = FakeClock(day)
    d = Daemon(Config(Home(project / "home"), project / "schedules",
                      stations=["00505", "00478"], allow_bad_clock=True), clock=clock)
    d.start(threads=False)
    places = {"00505": "Cổ Loa", "00478": "Uy Nỗ"}
    for code, place in places.items():
        control.submit(d.rundir, control.Request.ALERT,
                       {"stations": [code], "text": f"Họp khẩn tại NVH thôn {place}."},
                       clock.now())
        clock.advance(0.2)
        d.tick()
    d.stop()
    said = [json.loads(p.read_text(encoding="utf-8")).get("text", "")
            for p in (project / "home" / "cache").rglob("*.json")]
    spoken = {code: " ".join(t for t in said if isinstance(t, str) and place.lower() in t)
              for code, place in places.items()}
    assert "nhà văn hóa" in spoken["00505"]
    assert "nhà văn hóa" not in spoken["00478"] and "en vê hát" in spoken["00478"]
    assert d.alerts.audio.scope(["00505", "00478"]) == "district:017"
    assert d.alerts.audio.scope(["00505", "00001"]) == "city"


# --- issue 13.5: the chime airs while the speech is levelled --------------------------------


def chimed_daemon(tmp_path: Path, clock: FakeClock) -> Daemon:
    schedules = make_schedule(tmp_path / "schedules", program("a", T0 + timedelta(hours=5), 5))
    shutil.copytree(REPO / "audio", tmp_path / "audio")
    (schedules / "radiocli.yaml").write_text("settings:\n  audio: ../audio\n", encoding="utf-8")
    d = Daemon(Config(Home(tmp_path / "home"), schedules, stations=["00001"], sink="file"),
               clock=clock)
    d.start(threads=False)
    return d


@needs_tools
@pytest.mark.parametrize("levelled", [True, False])
def test_the_chime_airs_while_the_speech_is_levelled(tmp_path: Path, monkeypatch,  # noqa: ANN001
                                                    levelled: bool) -> None:
    from radiocli.render.levels import Levels

    gate = threading.Event()
    real_get = Levels.get

    def slow_get(self: Levels, source: Any) -> Any:
        if source.ident.startswith("speech:"):
            assert gate.wait(30)
            if not levelled:
                raise OSError(28, "No space left on device")
        return real_get(self, source)

    monkeypatch.setattr(Levels, "get", slow_get)
    clock = FakeClock(T0)
    d = chimed_daemon(tmp_path, clock)
    request = control.submit(d.rundir, control.Request.ALERT,
                             {"stations": ["00001"], "text": TEXT}, clock.now())
    clock.advance(0.2)
    d.tick()
    reply_path = d.rundir.replies / f"alert-{request}.json"
    st = d.stations["00001"]
    assert st.air is not None and st.air.feed is not None, "on air with its chime first"
    (line,) = starts(tmp_path / "home")
    assert not reply_path.exists(), "no reply before the speech is ready"
    gate.set()
    reply = control.wait_reply(d.rundir, f"alert-{request}", 30)
    d.stop()
    assert reply is not None and reply["final"]
    (answer,) = reply["stations"]
    assert answer["at"] == line["at"]
    if levelled:
        assert reply["ok"] and answer["outcome"] == "on-air"
    else:
        assert not reply["ok"] and answer["outcome"] == "failed"
        assert "No space left on device" in answer["reason"]
