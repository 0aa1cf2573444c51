"""Health checks for a station machine: tools, audio device, clock, disk, schedule.

Each check returns OK, WARN or FAIL with what to fix. No click here: the CLI prints.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from radiocli.play.clock import plausible

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    result: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"check": self.name, "result": self.result, "detail": self.detail,
                "fix": self.fix}


def _run(argv: list[str], timeout: float = 10) -> tuple[int, str]:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return proc.returncode, (proc.stdout or "") + (proc.stderr or "")


def check_espeak() -> Check:
    path = shutil.which("espeak-ng")
    if path is None:
        return Check("espeak-ng", FAIL, "not installed", "sudo apt-get install espeak-ng")
    code, out = _run([path, "--voices=vi"])
    if code != 0 or " vi" not in out:
        return Check("espeak-ng", FAIL, "no Vietnamese voice",
                     "sudo apt-get install espeak-ng-data")
    _code, version = _run([path, "--version"])
    return Check("espeak-ng", OK, version.strip().splitlines()[0][:80] if version else path)


def check_ffmpeg() -> Check:
    path = shutil.which("ffmpeg")
    if path is None:
        return Check("ffmpeg", FAIL, "not installed", "sudo apt-get install ffmpeg")
    _code, out = _run([path, "-hide_banner", "-version"])
    return Check("ffmpeg", OK, out.splitlines()[0][:80] if out else path)


def check_device(device: str, needed: bool) -> Check:
    from radiocli.play.sinks import probe_device

    if shutil.which("ffmpeg") is None:
        return Check("audio device", FAIL if needed else WARN, "cannot test without ffmpeg",
                     "sudo apt-get install ffmpeg")
    problem = probe_device(device)
    if problem is None:
        return Check("audio device", OK, f"ALSA {device!r} plays")
    return Check("audio device", FAIL if needed else WARN, f"ALSA {device!r}: {problem}",
                 "connect the amplifier's sound card (aplay -l), or run with --sink file/stream")


def check_clock(now: datetime) -> Check:
    if not plausible(now):
        return Check("clock", FAIL, f"the clock says {now:%Y-%m-%d %H:%M}",
                     "set the time: sudo timedatectl set-ntp true (or chrony)")
    if shutil.which("timedatectl"):
        code, out = _run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
        if code == 0 and out.strip() == "yes":
            return Check("clock", OK, "synchronized (timedatectl)")
        if code == 0:
            return Check("clock", WARN, "not synchronized (timedatectl)",
                         "sudo timedatectl set-ntp true")
    if shutil.which("chronyc"):
        code, out = _run(["chronyc", "tracking"])
        if code == 0 and "Normal" in out:
            return Check("clock", OK, "synchronized (chrony)")
        return Check("clock", WARN, "chrony is not synchronized", "chronyc sources -v")
    return Check("clock", WARN, f"{now:%Y-%m-%d %H:%M %z}; cannot tell whether it is "
                 "synchronized (no timedatectl or chronyc)",
                 "install chrony or enable systemd-timesyncd")


def check_disk(root: Path) -> Check:
    probe = root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    free_gb = usage.free / 1e9
    detail = f"{free_gb:.1f} GB free on {probe}"
    if usage.free < 500e6:
        return Check("disk", FAIL, detail, "free space: logs and aircheck recordings need it")
    writable = root if root.exists() else probe
    try:
        with tempfile.NamedTemporaryFile(dir=writable, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("disk", FAIL, f"{writable} is not writable: {exc.strerror}",
                     "check the home's owner and mount options (read-only?)")
    if usage.free < 2e9:
        return Check("disk", WARN, detail, "free space soon")
    return Check("disk", OK, detail)


def check_schedule(schedules: Path) -> Check:
    from radiocli.schedule.load import read

    schedule, problems = read(schedules)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        shown = "; ".join(str(p) for p in errors[:3])
        more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
        return Check("schedule", FAIL, shown + more, f"radiocli validate -s {schedules}")
    detail = f"{len(schedule.programs)} programs, {len(schedule.registry.base)} stations"
    if problems:
        return Check("schedule", WARN, f"{detail}; {len(problems)} warnings",
                     f"radiocli validate -s {schedules}")
    return Check("schedule", OK, detail)


def run_checks(home_root: Path, schedules: Path, now: datetime, device: str = "default",
               device_needed: bool = False) -> list[Check]:
    checks: list[Callable[[], Check]] = [
        check_espeak, check_ffmpeg, lambda: check_device(device, device_needed),
        lambda: check_clock(now), lambda: check_disk(home_root),
        lambda: check_schedule(schedules),
    ]
    out = []
    for check in checks:
        try:
            out.append(check())
        except Exception as exc:  # noqa: BLE001 - a broken check is a FAIL, not a crash
            out.append(Check(getattr(check, "__name__", "check"), FAIL, str(exc)))
    return out


__all__ = ["Check", "run_checks", "OK", "WARN", "FAIL"]
