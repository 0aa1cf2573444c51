#!/usr/bin/env python3
"""From `radiocli alert` to air (issue 13.5: at most 0.3 s to the start line, 0.5 s to
the first audio bytes with the file sink), beside a reference measured in the same run.

A daemon runs live (`radiocli run`, real clock) for one station with the file sink (the
alert is rendered, decoded and recorded in the aircheck file) and for all 579 stations
of 2021 with the null sink (rendered for its length, 579 start lines written). Then
`radiocli alert` is launched as a process (Python start-up included) N times, each after
the previous alert ended. Measured from just before the launch:

- start line: the `at` of the alert's start line in the as-run log (the moment the
  daemon put it on air; the line is written right after, and the command's reply waits
  for it);
- reply: the command has exited with the daemons' answer (every start line written);
- first audio: the aircheck recording of the alert holds its first audio bytes.

The reference does the same work in the simplest way, in the same run: `espeak-ng -v vi
-w` speaks the alert text to a WAV, then `ffmpeg` starts copying it into an aircheck
WAV; its "start" is when the speech is ready, its "first audio" when the aircheck file
has its first audio bytes.

    .venv/bin/python benchmarks/bench_alert.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEXT = "Thông báo khẩn số {n}: bão số 5 sắp đổ bộ, người dân ở trong nhà, gọi ngay 114."
DAY = "2021-08-05"  # the 579 stations of 2021: the daemon runs on a rehearsal clock then


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, pause: float = 0.002
             ) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise SystemExit(f"timed out waiting for {what}")


def log_lines(home: Path, station: str) -> list[dict]:
    out = []
    # a --clock run is a rehearsal: its lines go to <home>/rehearsal/logs
    for path in (home / "rehearsal" / "logs" / station).glob("*.jsonl"):
        out += [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]
    return out


def alert_events(home: Path, station: str, event: str) -> list[dict]:
    return [x for x in log_lines(home, station)
            if x.get("event") == event and x.get("program", "").startswith("alert-")]


def first_audio(folder: Path, program: str) -> bool:
    return any(p.stat().st_size > 44 for p in folder.glob(f"*{program}.wav"))


def project(tmp: Path) -> Path:
    sched = tmp / "schedules"
    (sched / "registry").mkdir(parents=True)
    shutil.copy(ROOT / "schedules/registry/units.yaml", sched / "registry")
    shutil.copytree(ROOT / "audio", tmp / "audio", dirs_exist_ok=True)
    (sched / "radiocli.yaml").write_text("settings:\n  audio: ../audio\n", encoding="utf-8")
    (sched / "p.yaml").write_text(
        "programs:\n  p:\n    targets: all\n    when:\n      once: [\"2099-01-01 03:00\"]\n"
        "    segments:\n      - silence: 1s\n", encoding="utf-8")
    return sched


def product(tmp: Path, sched: Path, sink: str, station: str | None, runs: int,
            clock: str) -> tuple[int, dict[str, list[float]]]:
    """The figures for one station (``station``) or every station (None)."""
    home = tmp / f"home-{sink}-{station or 'all'}"
    radiocli = [sys.executable, "-m", "radiocli", "--home", str(home), "-s", str(sched)]
    where = ["--station", station] if station else ["--all"]
    daemon = subprocess.Popen(radiocli + ["run", "--sink", sink, *where, "--clock", clock],
                              stderr=subprocess.DEVNULL)
    out: dict[str, list[float]] = {"start": [], "last start": [], "reply": [], "audio": [],
                                   "taken": []}
    try:
        status = home / "run" / "main" / "status.json"
        wait_for(status.exists, 120, "the daemon", pause=0.05)
        time.sleep(3)  # let the start-up (warm-up render, status) settle
        stations = [s["station"] for s in json.loads(status.read_text())["stations"]]
        first, last = stations[0], stations[-1]
        for n in range(runs):
            before = datetime.now(TZ)
            t0 = time.monotonic()
            done = subprocess.run(radiocli + ["alert", *where, "--json", TEXT.format(n=n + 1)],
                                  capture_output=True, text=True)
            reply = time.monotonic() - t0
            if done.returncode != 0:
                raise SystemExit(f"radiocli alert exited {done.returncode}: {done.stderr}")
            taken = datetime.fromisoformat(json.loads(done.stdout)[0]["reply"]["taken"])
            rec = wait_for(lambda k=n: len(alert_events(home, first, "start")) > k
                           and alert_events(home, first, "start")[k], 10, "the start line")
            # the rehearsal clock runs at an offset from the machine's
            info = json.loads((home / "run" / "main.pid").read_text())
            offset = float(info.get("clock_offset", 0.0))
            start = (datetime.fromisoformat(rec["at"]) - before).total_seconds() - offset
            out["start"].append(start)
            out["taken"].append((taken - before).total_seconds() - offset)
            out["reply"].append(reply)
            if last != first:
                end = wait_for(lambda k=n: len(alert_events(home, last, "start")) > k
                               and alert_events(home, last, "start")[k], 10, "the last start")
                out["last start"].append(
                    (datetime.fromisoformat(end["at"]) - before).total_seconds() - offset)
            if sink == "file":
                folder = home / "rehearsal" / "aircheck" / first / rec["at"][:10]
                wait_for(lambda p=rec["program"], f=folder: first_audio(f, p), 10,
                         "the first audio bytes")
                out["audio"].append(time.monotonic() - t0)
            wait_for(lambda k=n: len(alert_events(home, last, "end")) > k, 60,
                     "the end of the alert", pause=0.05)
            time.sleep(1.0)  # every end line written and fsynced
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    return len(stations), out


def reference(tmp: Path, runs: int) -> dict[str, list[float]]:
    """espeak-ng speaks the text to a WAV; ffmpeg starts writing it to an aircheck WAV."""
    espeak = shutil.which("espeak-ng")
    ffmpeg = shutil.which("ffmpeg")
    if espeak is None or ffmpeg is None:
        raise SystemExit("the reference needs espeak-ng and ffmpeg")
    out: dict[str, list[float]] = {"start": [], "audio": []}
    for n in range(runs):
        speech = tmp / f"ref-{n}.wav"
        air = tmp / f"ref-air-{n}.wav"
        t0 = time.monotonic()
        subprocess.run([espeak, "-v", "vi", "-w", str(speech), TEXT.format(n=n + 1)],
                       check=True)
        out["start"].append(time.monotonic() - t0)
        proc = subprocess.Popen([ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(speech),
                                 "-flush_packets", "1", "-f", "wav", "-y", str(air)])
        wait_for(lambda a=air: a.exists() and a.stat().st_size > 44, 10, "the reference audio",
                 pause=0.001)
        out["audio"].append(time.monotonic() - t0)
        proc.kill()
        proc.wait()
    return out


def line(label: str, values: list[float], ref: list[float] | None = None,
         goal: float | None = None) -> str:
    if not values:
        return ""
    med = statistics.median(values)
    text = f"  {label:34s} median {med:5.3f} s  max {max(values):5.3f} s"
    if ref:
        base = statistics.median(ref)
        text += f"   reference median {base:5.3f} s  ratio {med / base:4.1f}x"
    if goal is not None:
        text += (f"   goal <= {goal:g} s: median {'met' if med <= goal else 'NOT met'}, "
                 f"max {'met' if max(values) <= goal else 'NOT met'}")
    return text


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="radiocli-bench-alert-"))
    try:
        sched = project(tmp)
        ref = reference(tmp, args.runs)
        _one, one = product(tmp, sched, "file", "00001", args.runs, f"{DAY} 10:00:00")
        count, every = product(tmp, sched, "null", None, args.runs, f"{DAY} 10:00:00")
        ref_again = reference(tmp, args.runs)
        for key in ref:
            ref[key] += ref_again[key]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"radiocli alert -> air, {args.runs} alerts each (rehearsal clock {DAY}; times from "
          "just before the command is launched)")
    print("reference: espeak-ng -w (speech ready), then ffmpeg writing the aircheck WAV "
          "(first audio bytes)")
    print(line("reference: speech ready", ref["start"]))
    print(line("reference: first audio bytes", ref["audio"]))
    print("1 station, file sink:")
    print(line("command -> taken from the spool", one["taken"]))
    print(line("command -> start line", one["start"], ref["audio"], 0.3))
    print(line("command -> first audio bytes", one["audio"], ref["audio"], 0.5))
    print(line("command -> reply (command exits)", one["reply"], ref["audio"]))
    print(f"{count} stations, null sink:")
    print(line("command -> taken from the spool", every["taken"]))
    print(line("command -> first start line", every["start"], ref["audio"], 0.3))
    print(line("command -> last start line", every["last start"], ref["audio"]))
    print(line("command -> reply (all lines written)", every["reply"], ref["audio"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
