"""Running tools (issue 10 item 5) and a machine that misbehaves (issue 12 item 9): every
child goes through render/tools.py, dies with its parent, and a full disk is said as
"disk full: PATH" with exit 1, the speech worker stopped."""

from __future__ import annotations

import errno
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from radiocli.errors import RenderError, ToolMissing
from radiocli.render import engines as eng
from radiocli.render import tools
from radiocli.render.tools import DiskFull

ROOT = Path(__file__).parents[1]
RADIOCLI = [sys.executable, "-m", "radiocli"]
LONG_TEXT = "Bà con chú ý lắng nghe thông báo của ủy ban nhân dân xã về lịch tiêm chủng. " * 120


# --- processes ------------------------------------------------------------------------


def parents() -> dict[int, int]:
    """pid -> parent pid of every live process (zombies count as gone)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields[0] != "Z":
            found[int(entry)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    tree = parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in tree.items() if parent in frontier} - found
        found |= frontier
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def alive(pids: set[int]) -> set[int]:
    return pids & set(parents())


def kill_and_check_orphans(proc: subprocess.Popen, children: set[int]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert wait_for(lambda: not alive(children), 10), \
        [cmdline(p) for p in alive(children)]


# --- every child goes through tools.py ------------------------------------------------------


def test_every_process_of_render_starts_through_tools() -> None:
    starts = re.compile(r"subprocess\.(run|Popen|call|check_call|check_output)\(|os\.system\(|"
                        r"os\.popen\(|shell=True|os\.exec|os\.spawn|from_file\(|from_mp3\(")
    offenders = []
    for path in sorted((ROOT / "radiocli" / "render").rglob("*.py")):
        if path.name == "tools.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if starts.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_tool_errors_name_the_tool(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(RenderError, match=r"checking: ffmpeg failed: .*nope\.wav"):
        tools.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "nope.wav"), "-f", "null",
                   "-"], what="checking")
    with pytest.raises(RenderError, match="waiting: sleep did not finish within 0 s"):
        tools.run(["sleep", "5"], what="waiting", timeout=0.2)
    tools.which.cache_clear()
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)
    try:
        with pytest.raises(ToolMissing, match="apt-get install ffmpeg"):
            tools.run(["ffprobe", "-version"], what="x")
    finally:
        tools.which.cache_clear()


@pytest.mark.parametrize("how", ["run", "start"])
def test_a_child_dies_with_its_killed_parent(tmp_path: Path, how: str) -> None:
    """kill -9 of the parent takes its children along (PR_SET_PDEATHSIG), instead of
    leaving them to run on (a 60 s sleep here; a hung speech worker in real life)."""
    call = ('tools.run(["sleep", "60"], what="x", timeout=120)' if how == "run" else
            'p = tools.start(["sleep", "60"], what="x"); p.wait()')
    parent = subprocess.Popen([sys.executable, "-c",
                               f"from radiocli.render import tools\n{call}\n"])
    try:
        assert wait_for(lambda: any("sleep 60" in cmdline(p) for p in descendants(parent.pid)))
        kill_and_check_orphans(parent, descendants(parent.pid))
    finally:
        parent.kill()
        parent.wait()


def test_the_speech_worker_outlives_the_thread_that_started_it(tmp_path: Path) -> None:
    """The daemon renders alerts in short-lived threads: the parent-death signal follows
    the starting thread, so the worker must not get it (it watches its parent instead)."""
    import threading

    engine = eng.Pyttsx3Engine()
    try:
        thread = threading.Thread(target=engine.synthesize,
                                  args=("xin chào", tmp_path / "a.wav", "vi", 140))
        thread.start()
        thread.join()
        first = engine.proc.pid
        time.sleep(0.5)  # let a parent-death signal arrive, if one were coming
        engine.synthesize("bà con", tmp_path / "b.wav", "vi", 140)
        assert engine.proc.pid == first and engine.restarts == 0
    finally:
        engine.close()


@pytest.mark.slow
def test_kill_9_of_say_mid_synthesis_leaves_no_child(tmp_path: Path) -> None:
    say = subprocess.Popen([*RADIOCLI, "--home", str(tmp_path / "home"), "say", "--engine",
                            "pyttsx3", LONG_TEXT,
                            "-o", str(tmp_path / "x.wav")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: any("radiocli.render.worker" in cmdline(p)
                                    for p in descendants(say.pid)))
        time.sleep(0.3)  # the worker is speaking (not a wait for a schedule)
        kill_and_check_orphans(say, descendants(say.pid))
    finally:
        say.kill()
        say.wait()


@pytest.mark.slow
def test_kill_9_of_render_leaves_no_worker(tmp_path: Path) -> None:
    render = subprocess.Popen([*RADIOCLI, "--home", str(tmp_path / "home"), "--schedules",
                               str(ROOT / "schedules"), "render", "--date", "2021-08-02",
                               "--all", "--jobs", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: sum("radiocli.render.worker" in cmdline(p)
                                    for p in descendants(render.pid)) >= 2, 120)
        kill_and_check_orphans(render, descendants(render.pid))
    finally:
        render.kill()
        render.wait()


# --- a full disk -----------------------------------------------------------------------------


def test_write_problem_reports_a_full_disk(tmp_path: Path, monkeypatch) -> None:
    assert tools.write_problem(tmp_path) is None

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tools.os, "write", full)
    assert tools.write_problem(tmp_path).errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing


def test_worker_answers_disk_full_instead_of_retrying(tmp_path: Path, monkeypatch) -> None:
    from radiocli.render import worker

    monkeypatch.setattr(tools, "write_problem",
                        lambda folder, size=0: OSError(errno.ENOSPC, "No space left"))
    answer = worker.disk_problem(tmp_path / "a.wav")
    assert answer == {"ok": False, "code": "disk", "path": str(tmp_path / "a.wav"),
                      "reason": "free some space and run again",
                      "error": f"disk full: {tmp_path / 'a.wav'}"}


def fake_worker(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "worker.py"
    script.write_text("import json, sys, time\nprint(json.dumps({'ok': True}), flush=True)\n"
                      "for line in sys.stdin:\n" + body)
    return script


def test_disk_full_answer_stops_the_worker(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "a.wav"
    script = fake_worker(tmp_path, "    print(json.dumps({'ok': False, 'code': 'disk', "
                                   f"'path': {str(out)!r}, 'reason': ''}}), flush=True)\n")
    engine = eng.Pyttsx3Engine(python=sys.executable)
    monkeypatch.setattr(engine, "_start", lambda: _start_script(engine, script))
    with pytest.raises(DiskFull, match=f"disk full: {re.escape(str(out))}"):
        engine.synthesize("xin chào", out, "vi", 140)
    assert engine.proc is None and engine.restarts == 0


def test_hung_worker_on_a_full_disk_fails_at_once(tmp_path: Path, monkeypatch) -> None:
    """The two-minute hang: a worker that stops answering while the disk is full is
    stopped after one timeout, not retried three times."""
    script = fake_worker(tmp_path, "    time.sleep(3600)\n")
    engine = eng.Pyttsx3Engine(timeout=0.5, python=sys.executable)
    monkeypatch.setattr(engine, "_start", lambda: _start_script(engine, script))
    monkeypatch.setattr(tools, "write_problem",
                        lambda folder, size=0: OSError(errno.ENOSPC, "No space left"))
    with pytest.raises(DiskFull, match="disk full"):
        engine.synthesize("xin chào", tmp_path / "a.wav", "vi", 140)
    assert engine.restarts == 1 and engine.proc is None


def _start_script(engine: eng.Pyttsx3Engine, script: Path) -> None:
    engine.proc = tools.start([sys.executable, str(script)], what="test worker")
    engine._buffer = b""
    engine._read(10)


def limited(size: int):
    def setup() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return setup


@pytest.mark.slow
def test_say_on_a_full_disk_says_so_and_stops(tmp_path: Path) -> None:
    """Files larger than 30 kB cannot be written (RLIMIT_FSIZE in the child): the speech
    cannot be stored. Before: "pyttsx3 could not speak the text" after 54 s. (The
    espeak-ng command line cannot run at all under RLIMIT_FSIZE: its PulseAudio client
    makes a 64 MB file in /dev/shm; see the next test for that engine.)"""
    home = tmp_path / "home"
    proc = subprocess.Popen([*RADIOCLI, "--home", str(home), "say", "--engine", "pyttsx3",
                             LONG_TEXT[:400], "-o", str(tmp_path / "x.wav")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limited(30_000))
    children: set[int] = set()
    while proc.poll() is None:
        children |= descendants(proc.pid)
        time.sleep(0.01)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert re.search(rf"^radiocli: disk full: {re.escape(str(home))}/cache/\S+ ", err, re.M), err
    assert "pyttsx3" not in err and "internal error" not in err and "Traceback" not in err
    assert not alive(children), [cmdline(p) for p in alive(children)]


def test_espeak_on_a_full_disk_says_so(tmp_path: Path, monkeypatch) -> None:
    real = tools.run

    def truncated(argv, **kwargs):
        if "-w" not in argv:
            return real(argv, **kwargs)
        out = Path(argv[argv.index("-w") + 1])
        out.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")  # what fitted on the disk
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    monkeypatch.setattr(tools, "run", truncated)
    monkeypatch.setattr(tools, "write_problem",
                        lambda folder, size=0: OSError(errno.ENOSPC, "No space left"))
    with pytest.raises(DiskFull, match=f"disk full: {re.escape(str(tmp_path / 'a.wav'))}"):
        eng.EspeakEngine().synthesize("xin chào", tmp_path / "a.wav", "vi", 140)


def test_full_disk_while_writing_the_wav_names_it(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from radiocli.cli import cli
    from radiocli.render import speech

    real = speech.os.replace

    def full(src, dst):
        if str(dst).endswith("out.wav"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(speech.os, "replace", full)
    out = tmp_path / "out.wav"
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "say", "--engine",
                                      "espeak-ng", "xin chào", "-o", str(out)])
    assert result.exit_code == 1
    assert f"radiocli: disk full: {out} (free some space and run again)" in result.output
    assert not out.exists() and list(tmp_path.glob(".out.wav*")) == []
