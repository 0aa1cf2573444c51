"""Health checks for a station machine: tools, audio device, clock, disk, schedule.

Each check returns OK, WARN or FAIL with what to fix. No click here: the CLI prints.

What is fatal depends on the sink the machine runs: on a playout PC (``sink: device``,
the amplifier's sound card) a device that cannot play, or that plays muted, is a FAIL;
on a district server streaming to Icecast, an Icecast that does not answer is one;
elsewhere both are advice.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli import tools
from radiocli.i18n import _, decimal_text, moment_text, ngettext, os_reason
from radiocli.play.clock import plausible

OK, WARN, FAIL = "OK", "WARN", "FAIL"  # codes (JSON); shown through i18n.word("result")


@dataclass(frozen=True)
class Check:
    name: str  # a code (JSON); shown through i18n.word("check")
    result: str
    detail: str  # what was found and what to do, in the current language
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"check": self.name, "result": self.result, "detail": self.detail,
                "fix": self.fix}


def _run(argv: list[str], timeout: float = 10) -> tuple[int, str]:
    """Ask a tool (:func:`radiocli.tools.output`): its exit status and what it printed;
    127 and why when it cannot run."""
    return tools.output(argv, what="doctor", timeout=timeout)


def check_espeak() -> Check:
    path = tools.on_path("espeak-ng")
    if path is None:
        return Check("espeak-ng", FAIL, _("not installed"), "sudo apt-get install espeak-ng")
    code, out = _run([path, "--voices=vi"])
    if code != 0 or " vi" not in out:
        return Check("espeak-ng", FAIL, _("no Vietnamese voice"),
                     "sudo apt-get install espeak-ng-data")
    _code, version = _run([path, "--version"])
    return Check("espeak-ng", OK, version.strip().splitlines()[0][:80] if version else path)


def check_ffmpeg() -> Check:
    path = tools.on_path("ffmpeg")
    if path is None:
        return Check("ffmpeg", FAIL, _("not installed"), "sudo apt-get install ffmpeg")
    _code, out = _run([path, "-hide_banner", "-version"])
    return Check("ffmpeg", OK, out.splitlines()[0][:80] if out else path)


def check_device(device: str, needed: bool,
                 probe: Callable[[str], str | None] | None = None,
                 mixer: Callable[[str], str | None] | None = None) -> Check:
    """Can ALSA ``device`` play (ffmpeg plays 0.2 s of silence to it), and is it not
    muted? ``needed``: the machine airs through it, so a problem is a FAIL."""
    from radiocli.play.outputs import probe_device

    bad = FAIL if needed else WARN
    why = _("the station airs through it (sink device)") if needed else \
        _("only needed with --sink device")
    if probe is None and tools.on_path("ffmpeg") is None:
        return Check("audio device", bad, _("cannot test without ffmpeg"),
                     "sudo apt-get install ffmpeg")
    problem = (probe or probe_device)(device)
    if problem is not None:
        return Check("audio device", bad, _("ALSA {device}: {problem} ({why})").format(
                         device=repr(device), problem=problem, why=why),
                     _("connect the amplifier's sound card (aplay -l) and check `--device` "
                       "(aplay -L), or run with --sink file/stream"))
    muted = (mixer or muted_controls)(device)
    if muted:
        return Check("audio device", bad, _("ALSA {device} opens but is silent: {muted}")
                     .format(device=repr(device), muted=muted),
                     _("unmute and raise it: alsamixer (M unmutes), or amixer sset Master "
                       "80% unmute"))
    return Check("audio device", OK, _("ALSA {device} plays").format(device=repr(device)))


def muted_controls(device: str) -> str | None:
    """The playback controls of ``device``'s card that are off or at 0 % (amixer), or
    None (none, or no amixer to ask)."""
    path = tools.on_path("amixer")
    if path is None or device == "null":
        return None
    card = device.split(":", 1)[1].split(",")[0] if ":" in device else ""
    argv = [path] + (["-c", card.removeprefix("CARD=")] if card else []) + ["scontents"]
    code, out = _run(argv)
    return silent_in(out) if code == 0 else None


def silent_in(scontents: str) -> str | None:
    """Read ``amixer scontents``: the main playback controls (Master, PCM, Speaker,
    Headphone, Line Out) that are switched off or at 0 %, e.g. "Master [off]"."""
    main = ("Master", "PCM", "Speaker", "Headphone", "Line Out")
    found = []
    name = ""
    for line in scontents.splitlines():
        if line.startswith("Simple mixer control"):
            name = line.split("'")[1] if "'" in line else ""
            continue
        if name not in main or "Playback" not in line or "[" not in line:
            continue
        if "[off]" in line:
            found.append(f"{name} [off]")
            name = ""
        elif "[0%]" in line:
            found.append(f"{name} [0%]")
            name = ""
    return ", ".join(dict.fromkeys(found)) or None


def check_icecast(url: Any, needed: bool) -> Check:
    """Does the Icecast server of ``--sink stream`` answer?"""
    import socket

    bad = FAIL if needed else WARN
    try:
        socket.create_connection((url.host, url.port), timeout=3).close()
    except OSError as exc:
        return Check("icecast", bad, f"{url.host}:{url.port}: {os_reason(exc)}",
                     _("start Icecast (systemctl start icecast2) or check run.icecast"))
    return Check("icecast", OK, _("{host}:{port} answers").format(host=url.host,
                                                                   port=url.port))


def check_clock(now: datetime) -> Check:
    if not plausible(now):
        return Check("clock", FAIL, _("the clock says {now}").format(
                         now=moment_text(now, seconds=False)),
                     _("set the time: sudo timedatectl set-ntp true (or chrony)"))
    if tools.on_path("timedatectl"):
        code, out = _run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
        if code == 0 and out.strip() == "yes":
            return Check("clock", OK, _("synchronized (timedatectl)"))
        if code == 0:
            return Check("clock", WARN, _("not synchronized (timedatectl)"),
                         "sudo timedatectl set-ntp true")
    if tools.on_path("chronyc"):
        code, out = _run(["chronyc", "tracking"])
        if code == 0 and "Normal" in out:
            return Check("clock", OK, _("synchronized (chrony)"))
        return Check("clock", WARN, _("chrony is not synchronized"), "chronyc sources -v")
    return Check("clock", WARN, _("{now}; cannot tell whether it is synchronized (no "
                                  "timedatectl or chronyc)").format(
                     now=f"{moment_text(now, seconds=False)} {now:%z}"),
                 _("install chrony or enable systemd-timesyncd"))


def check_disk(root: Path) -> Check:
    probe = root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    free_gb = usage.free / 1e9
    detail = _("{gb} GB free on {folder}").format(gb=decimal_text(f"{free_gb:.1f}"),
                                                  folder=probe)
    if usage.free < 500e6:
        return Check("disk", FAIL, detail,
                     _("free space: logs and aircheck recordings need it"))
    writable = root if root.exists() else probe
    try:
        with tempfile.NamedTemporaryFile(dir=writable, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("disk", FAIL, _("{folder} is not writable: {reason}").format(
                         folder=writable, reason=os_reason(exc)),
                     _("check the home's owner and mount options (read-only?)"))
    if usage.free < 2e9:
        return Check("disk", WARN, detail, _("free space soon"))
    return Check("disk", OK, detail)


def check_schedule(schedules: Path) -> Check:
    from radiocli.schedule.load import read

    schedule, problems = read(schedules)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        shown = "; ".join(str(p) for p in errors[:3])
        more = _(" (+{n} more)").format(n=len(errors) - 3) if len(errors) > 3 else ""
        return Check("schedule", FAIL, shown + more, f"radiocli validate -s {schedules}")
    detail = _("{programs} programs, {stations} stations").format(
        programs=len(schedule.programs), stations=len(schedule.registry.base))
    if problems:
        return Check("schedule", WARN, ngettext("{detail}; {n} warning", "{detail}; {n} warnings",
                                                len(problems)).format(detail=detail,
                                                                      n=len(problems)),
                     f"radiocli validate -s {schedules}")
    return Check("schedule", OK, detail)


def run_checks(home_root: Path, schedules: Path, now: datetime, device: str = "default",
               device_needed: bool = False, sink: str | None = None, icecast: Any = None,
               probe: Callable[[str], str | None] | None = None) -> list[Check]:
    """Every check. ``sink``: what the machine runs (device: the sound card must play;
    stream: Icecast must answer); ``probe``: how to test the device (tests)."""
    needed = device_needed or sink == "device"
    checks: list[Callable[[], Check]] = [
        check_espeak, check_ffmpeg, lambda: check_device(device, needed, probe),
        lambda: check_clock(now), lambda: check_disk(home_root),
        lambda: check_schedule(schedules),
    ]
    if sink == "stream":
        from radiocli.play.outputs import Icecast

        checks.append(lambda: check_icecast(icecast or Icecast(), True))
    out = []
    for check in checks:
        try:
            out.append(check())
        except Exception as exc:  # noqa: BLE001 - a broken check is a FAIL, not a crash
            out.append(Check(getattr(check, "__name__", "check"), FAIL, str(exc)))
    return out


__all__ = ["Check", "run_checks", "OK", "WARN", "FAIL"]
