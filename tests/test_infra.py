"""One place for each piece of infrastructure, checked statically: processes start in
radiocli.tools (or in a place listed here with why), and the time zone object is
radiocli.TZ."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from radiocli import tools
from radiocli.errors import PlayoutError, RadioError, ToolMissing

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "radiocli"

SUBPROCESS = {"run", "Popen", "call", "check_call", "check_output", "getoutput",
              "getstatusoutput"}
OS = {"system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "spawnv",
      "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "execv",
      "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe"}
POOLS = {"ProcessPoolExecutor", "Process", "Pool"}

# Processes started outside radiocli.tools, each with why.
ALLOWED = {
    # the daemon's ffmpegs (decoders, encoders, ALSA outputs): one process group led by a
    # watchdog that kills it when the daemon dies, even by kill -9; started by vfork,
    # without the preexec_fn a parent-death signal needs (ChildGroup's docstring)
    "radiocli/play/children.py": 4,
    # pools of Python workers: each worker calls tools.die_with_parent first
    "radiocli/render/programs.py": 1,
    "radiocli/play/simulate.py": 1,
    "radiocli/aslog/collect.py": 1,
}


def starts(path: Path) -> int:
    found = 0
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module, name = func.value.id, func.attr
            if (module == "subprocess" and name in SUBPROCESS) or (module == "os"
                                                                   and name in OS):
                found += 1
            elif module == "multiprocessing" and name in POOLS:
                found += 1
        elif isinstance(func, ast.Name) and func.id == "ProcessPoolExecutor":
            found += 1
    return found


def test_processes_start_only_in_the_runner_or_a_listed_place():
    counts = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "radiocli/tools.py":
            continue
        n = starts(path)
        if n:
            counts[rel] = n
    assert counts == ALLOWED, (
        "run tools with radiocli.tools (run, output, start); a process started elsewhere "
        "goes in ALLOWED with why")


def test_the_static_check_finds_a_start(tmp_path):
    source = tmp_path / "x.py"
    source.write_text("import subprocess, os\nsubprocess.run(['ls'])\nos.system('ls')\n"
                      "with ProcessPoolExecutor() as p: pass\nsubprocess.PIPE\n",
                      encoding="utf-8")
    assert starts(source) == 3


def test_the_runner_names_the_tool_and_raises_the_callers_error(tmp_path):
    with pytest.raises(PlayoutError, match=r"^probing: ls failed: .*nothing-here"):
        tools.run(["ls", str(tmp_path / "nothing-here")], what="probing", error=PlayoutError)
    with pytest.raises(RadioError, match="waiting: sleep did not finish within 0 s") as caught:
        tools.run(["sleep", "5"], what="waiting", timeout=0.2)
    assert isinstance(caught.value.__cause__, subprocess.TimeoutExpired)
    proc = tools.run([sys.executable, "-c", "import sys; sys.stderr.write('x\\n'); "
                      "sys.exit(3)"], what="x", check=False)
    assert proc.returncode == 3 and proc.stderr == b"x\n"


def test_output_answers_even_when_the_tool_cannot(tmp_path, monkeypatch):
    code, text = tools.output([sys.executable, "-c", "print('ok'); import sys; "
                               "sys.stderr.write('warn')"], what="asking")
    assert (code, text) == (0, "ok\nwarn")
    code, text = tools.output(["sleep", "5"], what="asking", timeout=0.2)
    assert code == 127 and "did not finish" in text
    code, text = tools.output([str(tmp_path / "not-a-tool")], what="asking")
    assert code == 127 and "cannot run not-a-tool" in text
    tools.which.cache_clear()
    monkeypatch.setattr(tools, "on_path", lambda name: None)
    try:
        code, text = tools.output(["amixer", "scontents"], what="asking")
        assert code == 127 and "apt-get install alsa-utils" in text
        with pytest.raises(ToolMissing, match="apt-get install alsa-utils"):
            tools.run(["amixer", "scontents"], what="asking")
    finally:
        tools.which.cache_clear()



# --- one time zone -----------------------------------------------------------------------


def zones(path: Path) -> list[str]:
    """Where a module makes a time zone of its own: a ZoneInfo(...) call, or the
    zone's name as a string of its own."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "ZoneInfo":
                found.append(f"line {node.lineno}: ZoneInfo(...)")
        elif isinstance(node, ast.Constant) and node.value == "Asia/Ho_Chi_Minh":
            found.append(f"line {node.lineno}: 'Asia/Ho_Chi_Minh'")
    return found


def test_one_time_zone_object():
    import radiocli
    from radiocli.aslog.writer import LogBook
    from radiocli.play.clock import SystemClock

    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel != "radiocli/__init__.py" and zones(path):
            offenders[rel] = zones(path)
    assert offenders == {}, "use `from radiocli import TZ`"
    assert zones(PACKAGE / "__init__.py")  # the one place (the check finds it)
    assert str(radiocli.TZ) == radiocli.TIMEZONE == "Asia/Ho_Chi_Minh"
    assert SystemClock().now().tzinfo is radiocli.TZ
    assert LogBook.__init__.__kwdefaults__["tz"] is radiocli.TZ


def test_radiocli_help_does_not_load_zoneinfo():
    code = ("import sys, radiocli, radiocli.cli; "
            "print('zoneinfo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    code = "from radiocli import TZ; import sys; print('zoneinfo' in sys.modules, TZ)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True Asia/Ho_Chi_Minh"


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(status.parent.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(condition, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_simulate_workers_die_with_a_killed_simulate(tmp_path):
    """kill -9 of `radiocli simulate` takes its worker processes along (they were left
    running, orphaned, before they called tools.die_with_parent)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "radiocli", "--home", str(tmp_path), "simulate", "--from",
         "2021-07-01", "--to", "2021-12-31", "--all", "--workers", "2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait(lambda: len(_children(proc.pid)) >= 2, 60), "no workers started"
        workers = _children(proc.pid)
        proc.kill()
        proc.wait()
        assert _wait(lambda: not any(_running(w) for w in workers), 10)
    finally:
        proc.kill()
        proc.wait()


# --- targets resolved in one place ----------------------------------------------------------


def test_the_daemon_serves_what_registry_select_says(tmp_path, sample_schedules):
    """A daemon's --station/--district choice is resolved by Registry.select, as a
    program's targets are: named stations first (in their order), then the units of
    the districts in force that day; none once districts are abolished (2025-07-01)."""
    from datetime import date

    from radiocli.home import Home
    from radiocli.play.daemon import Config, Daemon
    from radiocli.schedule.load import load
    from radiocli.schedule.model import Targets

    schedule = load(sample_schedules)
    registry = schedule.registry
    daemon = Daemon(Config(Home(tmp_path), sample_schedules, stations=["00505", "00001"],
                           districts=("001",)))
    day = date(2021, 8, 5)
    served = daemon.served.select(schedule, day)
    district = registry.select(Targets(districts=frozenset({"001"})), day)
    assert "00001" in district and "00505" not in district and len(district) > 5
    assert served == ["00505", "00001", *(c for c in district if c != "00001")]
    assert set(served) == set(registry.select(
        Targets(stations=frozenset({"00505", "00001"}), districts=frozenset({"001"})), day))
    assert daemon.served.absent(schedule, day) == []
    later = date(2025, 7, 1)
    assert daemon.served.select(schedule, later) == [c for c in ("00505", "00001")
                                                if registry.unit(c, later)]
    assert any("district 001 has no units on 2025-07-01" in note
               for note in daemon.served.absent(schedule, later))
    everyone = Daemon(Config(Home(tmp_path), sample_schedules, name="all"))
    assert everyone.served.select(schedule, day) == sorted(registry.as_of(day))
