"""Crash-safety: kill -9 at random moments (a short run of benchmarks/chaos.py), and an
as-run log folder that stops taking writes (full disk, read-only) while the daemon
keeps airing, says what it could not log, and catches up byte for byte."""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import shutil
import sys
import types
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from radiocli.aslog import durable as aslog_files
from radiocli.aslog.verify import verify_tree
from radiocli.home import Home
from radiocli.play.clock import FakeClock
from radiocli.play.daemon import Config, Daemon
from radiocli.plan.triggers import TZ

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2030, 1, 1, 10, 0, 0, tzinfo=TZ)


def load_chaos() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("chaos", REPO / "benchmarks" / "chaos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chaos"] = module
    spec.loader.exec_module(module)
    return module


def test_kill_9_three_times_every_occurrence_accounted_for(tmp_path):
    chaos = load_chaos()
    result = chaos.chaos(tmp_path, kills=3, seed=3, stations=2, span=20.0, gap=5.0,
                         lead=5.0, log=False)
    print(result.report())
    assert result.kills == result.restarts == 3
    assert result.verify_ok, result.verify_output
    assert result.duplicate_minutes == 0 and result.double_starts == 0
    assert not result.unaccounted
    assert result.planned > 0
    assert result.aired + result.late + result.partial + result.missed == result.planned


# --- a log folder that does not take writes -------------------------------------------------


def program(pid: str, at: datetime, seconds: float) -> str:
    return (f"  {pid}:\n    title: {pid}\n    targets:\n      stations: [\"00001\"]\n"
            f"    when:\n      once: [\"{at:%Y-%m-%d %H:%M:%S}\"]\n"
            f"    segments:\n      - silence: {seconds:g}s\n")


PROGRAMS = (program("a", T0 + timedelta(seconds=5), 90)
            + program("b", T0 + timedelta(seconds=130), 30)
            + program("c", T0 + timedelta(seconds=250), 20))


class Fault:
    """The writer's os.write fails with ``code`` while ``on``; everything else in the
    process (status file, daemon log) writes normally."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.on = False
        self.failed = 0

    def module(self) -> types.SimpleNamespace:
        fault = self

        def write(fd: int, data: bytes) -> int:
            if fault.on:
                fault.failed += 1
                raise OSError(fault.code, os.strerror(fault.code))
            return os.write(fd, data)

        names = {k: getattr(os, k) for k in dir(os) if not k.startswith("__")}
        names["write"] = write
        return types.SimpleNamespace(**names)


def start(root: Path, clock: FakeClock) -> Daemon:
    schedules = root / "schedules"
    (schedules / "registry").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "schedules" / "registry" / "units.yaml", schedules / "registry")
    (schedules / "programs.yaml").write_text("programs:\n" + PROGRAMS, encoding="utf-8")
    d = Daemon(Config(Home(root / "home"), schedules, stations=["00001"]), clock=clock)
    d.start(threads=False)
    return d


def run(d: Daemon, clock: FakeClock, until: datetime, watch: list | None = None) -> None:
    while clock.now() < until:
        clock.advance(1.0)
        d.tick()
        if watch is not None:
            air = d.stations["00001"].air
            watch.append((clock.now(), air.occ.program if air else None))


def reference(tmp_path: Path) -> bytes:
    clock = FakeClock(T0)
    d = start(tmp_path / "reference", clock)
    run(d, clock, T0 + timedelta(seconds=400))
    d.stop()
    return (tmp_path / "reference/home/logs/00001/2030-01-01.jsonl").read_bytes()


def chmod_works() -> bool:
    return os.geteuid() != 0  # root writes through any mode bits


FAULTS = {
    "full disk (ENOSPC)": ("os.write", errno.ENOSPC, "the disk is full"),
    "read-only file system (EROFS)": ("os.write", errno.EROFS, "the file system is read-only"),
    # chmod cannot stop root: as root the read-only folder is the EROFS case above
    "read-only folder (chmod)": ("chmod", errno.EACCES, "permission denied"),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_log_folder_fault_playout_goes_on_and_the_log_catches_up(tmp_path, case, caplog,
                                                                monkeypatch):
    how, code, says = FAULTS[case]
    if how == "chmod" and not chmod_works():
        pytest.skip("running as root: chmod does not stop root; the EROFS case "
                    "(monkeypatched os.write) stands for the read-only folder")
    expected = reference(tmp_path)
    clock = FakeClock(T0)
    fault = Fault(code)
    monkeypatch.setattr(aslog_files, "os", fault.module())
    d = start(tmp_path / "faulty", clock)
    logs = tmp_path / "faulty/home/logs/00001"
    path = logs / "2030-01-01.jsonl"
    watch: list = []
    run(d, clock, T0 + timedelta(seconds=20), watch)  # a is on air, its start is logged
    before = path.read_bytes()
    with caplog.at_level("ERROR", logger="radiocli.play"):
        if how == "chmod":
            logs.chmod(0o500)
            path.chmod(0o440)
            os.close(d.logbook._files[("00001", T0.date().toordinal())].fd)  # reopen
            d.logbook._files[("00001", T0.date().toordinal())].fd = None
        else:
            fault.on = True
        run(d, clock, T0 + timedelta(seconds=200), watch)
    # playout went on: a aired its 90 s and ended, b started on time
    on_air = {t: p for t, p in watch}
    assert on_air[T0 + timedelta(seconds=60)] == "a"
    assert on_air[T0 + timedelta(seconds=100)] is None
    assert on_air[T0 + timedelta(seconds=140)] == "b"
    # nothing reached the file, and the daemon said so: status and the daemon log
    assert path.read_bytes() == before
    assert d.logbook.pending() > 0
    status = json.loads(d.rundir.status_file.read_text())
    assert any(says in e for e in status["log_errors"]), status["log_errors"]
    assert any(says in r.getMessage() and "kept in memory" in r.getMessage()
               for r in caplog.records)
    # the same fault is not written to the daemon log for every line
    assert len([r for r in caplog.records if says in r.getMessage()]) <= 4
    # the folder takes writes again: the pending lines land, in order, chained
    if how == "chmod":
        path.chmod(0o640)
        logs.chmod(0o750)
    fault.on = False
    with caplog.at_level("WARNING", logger="radiocli.play"):
        run(d, clock, T0 + timedelta(seconds=210))
    assert d.logbook.pending() == 0
    assert any("writable again" in r.getMessage() for r in caplog.records)
    run(d, clock, T0 + timedelta(seconds=400))
    d.stop()
    assert path.read_bytes() == expected  # byte for byte what an unfaulted run writes
    assert not [p for p in verify_tree(logs, today=T0.date()) if p.severity == "error"]
