"""The daemon as a real process: file sink, alert latency, status, reload, SIGTERM,
kill -9 and restart, a relay that does not resolve, Icecast. Each test waits on log
lines with a timeout; schedules are a few seconds from now."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from radiocli.cli import cli as radiocli
from radiocli.plan.triggers import TZ

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def schedule(root: Path, text: str) -> Path:
    (root / "registry").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "schedules" / "registry" / "units.yaml", root / "registry")
    shutil.copytree(REPO / "audio", root.parent / "audio", dirs_exist_ok=True)
    (root / "radiocli.yaml").write_text("settings:\n  audio: ../audio\n", encoding="utf-8")
    (root / "programs.yaml").write_text("programs:\n" + text, encoding="utf-8")
    return root


def prog(pid: str, at: datetime, segments: str, stations=("00001",), extra: str = "") -> str:
    codes = ", ".join(f'"{c}"' for c in stations)
    return (f"  {pid}:\n    title: {pid}\n    targets:\n      stations: [{codes}]\n"
            f"    when:\n      once: [\"{at:%Y-%m-%d %H:%M:%S}\"]\n    segments:\n{segments}"
            + extra)


def soon(seconds: float) -> datetime:
    return (datetime.now(TZ) + timedelta(seconds=seconds)).replace(microsecond=0)


def start(home: Path, schedules: Path, *args: str) -> subprocess.Popen:
    err = open(home.parent / f"daemon-{time.monotonic_ns()}.err", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "radiocli", "--home", str(home), "-s", str(schedules), "run",
         *args], stdout=subprocess.DEVNULL, stderr=err)


def log_lines(home: Path, station: str = "00001") -> list[dict]:
    out = []
    for path in sorted((home / "logs" / station).glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def event(home: Path, kind: str, program: str | None = None, station: str = "00001"):
    def find():
        for x in log_lines(home, station):
            if x.get("event") == kind and (program is None or x["program"].startswith(program)):
                return x
        return None
    return find


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout=30)


def no_duplicate_minutes(home: Path, station: str = "00001") -> Counter:
    keys = [(x["minute"], x["occurrence"]) for x in log_lines(home, station) if "minute" in x]
    assert len(keys) == len(set(keys)), f"duplicate minute lines: {keys}"
    totals: Counter = Counter()
    for x in log_lines(home, station):
        if "minute" in x:
            totals[x["program"]] += x["seconds"]
    return totals


def test_file_sink_alert_status_reload_and_sigterm(tmp_path):
    home = tmp_path / "home"
    sched = schedule(tmp_path / "schedules",
                     prog("a", soon(4), "      - silence: 30s\n", ("00001", "00004")))
    proc = start(home, sched, "--station", "00001", "--station", "00004", "--sink", "file")
    runner = CliRunner()
    try:
        wait_for(event(home, "start", "a"), 20, "program a to start")
        # a has aired audio before the alert comes (the alert takes a fraction of a
        # second now: its first piece could otherwise leave no recording)
        wait_for(lambda: any(p.stat().st_size > 44 for p in
                             (home / "aircheck" / "00001").rglob("*-a.wav")), 10,
                 "the first audio of a")
        result = runner.invoke(radiocli, ["--home", str(home), "status", "--json"])
        assert result.exit_code == 0, result.output
        status = json.loads(result.output)
        assert status["running"]
        # an alert goes on air within 2 s of the command
        t0 = datetime.now(TZ)
        result = runner.invoke(radiocli, ["--home", str(home), "alert", "--station", "00001",
                                          "Bão số 5 sắp đổ bộ, đề nghị nhân dân chủ động."])
        assert result.exit_code == 0, result.output
        started = wait_for(event(home, "start", "alert-"), 10, "the alert to start")
        latency = (datetime.fromisoformat(started["at"]) - t0).total_seconds()
        assert latency <= 2.0, f"alert took {latency:.2f} s to go on air"
        assert wait_for(event(home, "preempted", "a"), 5, "a preempted")["reason"].startswith(
            "preempted-by: alert-")
        wait_for(event(home, "resumed", "a"), 60, "a to resume")
        # 00004 was not alerted: a played on
        assert not event(home, "preempted", "a", "00004")()
        # a bad edit is refused, with the problems; the old schedule keeps running
        bad = sched / "bad.yaml"
        bad.write_text("programs:\n  x:\n    when: {at: 6h}\n    segments: [{silence: 1s}]\n")
        result = runner.invoke(radiocli, ["--home", str(home), "reload"])
        assert result.exit_code == 1
        assert "bad.yaml" in result.output and "refused" in result.output
        # status says so at once (it used to say nothing, even seconds later)
        result = runner.invoke(radiocli, ["--home", str(home), "status", "--json"])
        rows = json.loads(result.output)["daemons"][0]["stations"]
        assert all(r["errors"][-1]["reason"].startswith("reload refused: ") for r in rows)
        bad.unlink()
        result = runner.invoke(radiocli, ["--home", str(home), "reload"])
        assert result.exit_code == 0, result.output
        assert proc.poll() is None
    finally:
        assert stop(proc) == 0
    lines = log_lines(home)
    kinds = [(x["event"], x["program"].split("-")[0]) for x in lines if "event" in x]
    assert ("end", "alert") in kinds
    assert kinds[-1][0] == "end"  # the cut (or finished) a
    no_duplicate_minutes(home)
    no_duplicate_minutes(home, "00004")
    recordings = sorted((home / "aircheck" / "00001").rglob("*.wav"))
    assert any("alert-" in p.name for p in recordings) and len(recordings) >= 3
    result = runner.invoke(radiocli, ["--home", str(home), "status"])
    assert result.exit_code == 3


def test_kill_9_during_a_broadcast_then_restart_airs_nothing_twice(tmp_path):
    home = tmp_path / "home"
    at = soon(4)
    sched = schedule(tmp_path / "schedules", prog("a", at, "      - silence: 25s\n"))
    proc = start(home, sched, "--station", "00001", "--sink", "null")
    wait_for(event(home, "start", "a"), 20, "a to start")
    wait_for(lambda: datetime.now(TZ) >= at + timedelta(seconds=6), 20, "6 s on air")
    stop(proc, signal.SIGKILL)
    proc = start(home, sched, "--station", "00001", "--sink", "null")
    try:
        resumed = wait_for(event(home, "resumed", "a"), 20, "a to resume after the restart")
        assert resumed["reason"].startswith("restart: resumed at")
        wait_for(event(home, "end", "a"), 40, "a to end")
    finally:
        assert stop(proc) == 0
    totals = no_duplicate_minutes(home)
    assert totals["a"] <= 26
    kinds = [x["event"] for x in log_lines(home) if "event" in x]
    assert kinds.count("start") == 1 and kinds.count("end") == 1


def test_failed_relay_and_missing_recording_are_logged_and_playout_goes_on(tmp_path):
    home = tmp_path / "home"
    segments = ("      - relay: http://relay.invalid:8000/hanoi-radio\n        for: 20s\n"
                "      - silence: 2s\n")
    sched = schedule(tmp_path / "schedules",
                     prog("r", soon(4), segments)
                     + prog("m", soon(9), "      - play: jingles/missing.wav\n")
                     + prog("b", soon(14), "      - silence: 2s\n"))
    proc = start(home, sched, "--station", "00001", "--sink", "file",
                 "--relay-fallback", str(tmp_path / "audio" / "chimes" / "start.wav"))
    try:
        failed = wait_for(event(home, "failed", "r"), 30, "the relay failure")
        assert failed["reason"].startswith("failed: relay http://relay.invalid")
        wait_for(event(home, "end", "r"), 30, "r to end")
        failed = wait_for(event(home, "failed", "m"), 30, "the missing recording")
        assert "missing.wav" in failed["reason"] and "chime airs instead" in failed["reason"]
        wait_for(event(home, "end", "m"), 30, "m (its chime) to end")
        wait_for(event(home, "end", "b"), 30, "the next program to air")
    finally:
        assert stop(proc) == 0
    # the local recording (3 s) aired in the relay's place, then the 2 s of silence
    aired = sum(x["seconds"] for x in log_lines(home) if x.get("program") == "r"
                and "minute" in x)
    assert 4 <= aired <= 7


def test_device_sink_fails_loudly_without_a_sound_card(tmp_path):
    from radiocli.play.outputs import probe_device

    if probe_device() is None:
        pytest.skip("this machine has a working sound card")
    sched = schedule(tmp_path / "schedules", prog("a", soon(60), "      - silence: 1s\n"))
    result = CliRunner().invoke(radiocli, ["--home", str(tmp_path / "home"), "-s", str(sched),
                                           "run", "--station", "00001", "--sink", "device",
                                           "--for", "1s"])
    assert result.exit_code == 1
    assert "audio device" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def icecast(tmp_path):
    binary = shutil.which("icecast2") or "/usr/bin/icecast2"
    if not os.path.exists(binary):
        pytest.skip("icecast2 is not installed")
    port = free_port()
    folder = tmp_path / "icecast"
    folder.mkdir()
    owner = ""
    if os.geteuid() == 0:  # icecast refuses root; elsewhere it runs as the current user
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="radiocli-icecast-"))
        folder.chmod(0o777)
        owner = "<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
    (folder / "icecast.xml").write_text(f"""<icecast>
  <limits><sources>20</sources><source-timeout>10</source-timeout></limits>
  <authentication><source-password>pw</source-password>
    <admin-user>admin</admin-user><admin-password>apw</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <paths><basedir>{folder}</basedir><logdir>{folder}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot>
  </paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>
    <loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
""")
    proc = subprocess.Popen([binary, "-c", str(folder / "icecast.xml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_for(up, 10, "icecast to listen")
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    if folder.parent != tmp_path:
        shutil.rmtree(folder, ignore_errors=True)


def test_stream_sink_one_encode_fanned_out_to_station_mounts(tmp_path, icecast):
    home = tmp_path / "home"
    sched = schedule(tmp_path / "schedules",
                     prog("s", soon(4), "      - chime: start\n      - silence: 12s\n",
                          ("00001", "00004")))
    proc = start(home, sched, "--station", "00001", "--station", "00004", "--sink", "stream",
                 "--icecast", f"icecast://source:pw@127.0.0.1:{icecast}/")
    try:
        wait_for(event(home, "start", "s"), 20, "s to start")
        got = {}
        for code in ("00001", "00004"):
            def read(code=code):
                try:
                    with urllib.request.urlopen(
                            f"http://127.0.0.1:{icecast}/{code}.mp3", timeout=3) as r:
                        return r.read(4000)
                except OSError:
                    return b""
            got[code] = wait_for(read, 10, f"audio on mount /{code}.mp3")
        for code, data in got.items():
            assert len(data) == 4000
            assert b"\xff\xfb" in data or b"\xff\xf3" in data, f"no MP3 frames on {code}"
        # one decoder + one encoder for both stations (not one per station)
        children = subprocess.run(["pgrep", "-P", str(proc.pid), "ffmpeg"],
                                  capture_output=True, text=True).stdout.split()
        assert len(children) <= 2, children
        wait_for(event(home, "end", "s"), 30, "s to end")
    finally:
        assert stop(proc) == 0
    assert not [x for x in log_lines(home) if x.get("event") == "failed"]


def test_sigterm_with_on_stop_finish_lets_the_program_finish(tmp_path):
    home = tmp_path / "home"
    sched = schedule(tmp_path / "schedules", prog("a", soon(3), "      - silence: 4s\n"))
    proc = start(home, sched, "--station", "00001", "--sink", "null", "--on-stop", "finish")
    wait_for(event(home, "start", "a"), 20, "a to start")
    assert stop(proc) == 0
    end = event(home, "end", "a")()
    assert end and end["reason"] == ""
    assert 4 <= no_duplicate_minutes(home)["a"] <= 5  # two minutes may each round up
