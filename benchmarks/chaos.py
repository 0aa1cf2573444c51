#!/usr/bin/env python3
"""Crash-safety under kill -9 (issue 6, item 4).

A real daemon (``radiocli run``, null or file sink, several stations) airs a schedule of
many short programs a few seconds apart over two or three minutes (times computed from
now). It is killed with SIGKILL at random moments (seeded) and started again each time.
Then:

- ``radiocli logs verify`` passes (chains intact, torn lines set aside and recovered);
- every planned (station, occurrence) is accounted for in the logs: aired (start and
  end), partial (resumed after a restart, or started and then missed) or missed with a
  reason; nothing is left open;
- no (station, minute, occurrence) minute line appears twice and no occurrence has two
  ``start`` events.

    .venv/bin/python benchmarks/chaos.py [--kills 20] [--seed 6] [--stations 4]
        [--span 150] [--sink null|file]

Exit 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STATIONS = ("00001", "00004", "00006", "00007", "00008", "00010", "00013", "00016")


@dataclass
class Result:
    kills: int = 0
    restarts: int = 0
    planned: int = 0
    aired: int = 0
    late: int = 0  # aired whole, but started late (its slot came while no daemon ran)
    partial: int = 0
    missed: int = 0
    unaccounted: list[str] = field(default_factory=list)
    duplicate_minutes: int = 0
    double_starts: int = 0
    verify_ok: bool = False
    verify_output: str = ""
    missed_reasons: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.verify_ok and not self.unaccounted and self.duplicate_minutes == 0
                and self.double_starts == 0
                and self.aired + self.late + self.partial + self.missed == self.planned)

    def report(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in self.missed_reasons.most_common())
        return "\n".join([
            f"kills {self.kills}, restarts {self.restarts}, {self.seconds:.0f} s",
            f"occurrences planned {self.planned}: aired {self.aired}, aired late "
            f"{self.late}, partial {self.partial}, missed {self.missed}"
            + (f" ({reasons})" if reasons else ""),
            f"unaccounted {len(self.unaccounted)}"
            + (f": {', '.join(self.unaccounted[:5])}" if self.unaccounted else ""),
            f"duplicate minutes {self.duplicate_minutes}, occurrences with two starts "
            f"{self.double_starts}",
            f"logs verify: {'OK' if self.verify_ok else 'FAILED'} "
            f"({self.verify_output.strip().splitlines()[-1] if self.verify_output.strip() else ''})",
            "RESULT: " + ("PASS" if self.ok else "FAIL"),
        ])


def write_schedule(folder: Path, stations: list[str], start: datetime, span: float,
                   gap: float) -> list[tuple[str, datetime, float, list[str]]]:
    """Programs every ``gap`` seconds from ``start`` for ``span`` seconds: short ones,
    every fifth one longer (so kills land on air), targets rotating over the stations."""
    (folder / "registry").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "schedules/registry/units.yaml", folder / "registry")
    programs = []
    text = ["programs:"]
    n = int(span // gap)
    for i in range(n):
        at = start + timedelta(seconds=i * gap)
        seconds = gap * 3 if i % 5 == 0 else max(gap - 2, 1)
        codes = stations if i % 3 == 0 else stations[i % len(stations)::2]
        pid = f"p{i:03d}"
        programs.append((pid, at, seconds, codes))
        quoted = ", ".join(f'"{c}"' for c in codes)
        text += [f"  {pid}:", f"    title: {pid}",
                 f"    targets:\n      stations: [{quoted}]",
                 f"    when:\n      once: [\"{at:%Y-%m-%d %H:%M:%S}\"]",
                 f"    segments:\n      - silence: {seconds:g}s"]
    (folder / "programs.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    return programs


def start_daemon(home: Path, schedules: Path, stations: list[str], sink: str,
                 err: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "radiocli", "--home", str(home), "-s", str(schedules),
            "run", "--sink", sink, "--no-render"]
    for code in stations:
        args += ["--station", code]
    with open(err, "ab") as fh:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=fh)


def log_lines(home: Path, station: str) -> list[dict]:
    out = []
    for path in sorted((home / "logs" / station).glob("*.jsonl")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def account(home: Path, programs: list[tuple[str, datetime, float, list[str]]],
            result: Result) -> None:
    stations = sorted({c for _p, _a, _s, codes in programs for c in codes})
    for code in stations:
        lines = log_lines(home, code)
        minutes = Counter((x["minute"], x["occurrence"]) for x in lines if "minute" in x)
        result.duplicate_minutes += sum(n - 1 for n in minutes.values() if n > 1)
        events: dict[str, list[dict]] = {}
        for x in lines:
            if "event" in x and x.get("occurrence"):
                events.setdefault(x["occurrence"], []).append(x)
        for pid, at, _seconds, codes in programs:
            if code not in codes:
                continue
            result.planned += 1
            occ = f"{pid}@{at:%Y-%m-%dT%H:%M}"
            ev = events.get(occ, [])
            kinds = [e["event"] for e in ev]
            if kinds.count("start") > 1:
                result.double_starts += 1
            restarted = any(e["event"] == "resumed" and e["reason"].startswith("restart:")
                            for e in ev)
            missed = [e for e in ev if e["event"] == "missed"]
            if "start" in kinds and (missed or restarted) and (
                    "end" in kinds or missed):
                result.partial += 1
            elif "start" in kinds and "end" in kinds:
                start = next(e for e in ev if e["event"] == "start")
                if start["reason"].startswith("late:"):
                    result.late += 1
                else:
                    result.aired += 1
            elif missed and "start" not in kinds and missed[0]["reason"]:
                result.missed += 1
                result.missed_reasons[missed[0]["reason"].split(":")[0]] += 1
            else:
                result.unaccounted.append(f"{code}/{occ} {kinds}")


def verify(home: Path, result: Result) -> None:
    out = subprocess.run([sys.executable, "-m", "radiocli", "--home", str(home), "logs",
                          "verify"], capture_output=True, text=True)
    result.verify_ok = out.returncode == 0
    result.verify_output = out.stdout + out.stderr


def chaos(workdir: Path, *, kills: int = 20, seed: int = 6, stations: int = 4,
          span: float = 150.0, gap: float = 5.0, sink: str = "null", lead: float = 6.0,
          log: bool = True) -> Result:
    """Run the experiment in ``workdir``; returns the counts."""
    t_begin = time.monotonic()
    rng = random.Random(seed)
    codes = list(STATIONS[:stations])
    home = workdir / "home"
    schedules = workdir / "schedules"
    start = (datetime.now(TZ) + timedelta(seconds=lead)).replace(microsecond=0)
    programs = write_schedule(schedules, codes, start, span, gap)
    last_end = max(at + timedelta(seconds=s) for _p, at, s, _c in programs)
    # kill moments: seeded, spread over the broadcast, at least 1 s apart
    window = (last_end - start).total_seconds()
    moments: list[float] = []
    while len(moments) < kills:
        t = rng.uniform(-lead / 2, window)
        if all(abs(t - m) >= 1.0 for m in moments):
            moments.append(t)
    moments.sort()
    err = workdir / "daemon.err"
    result = Result()
    proc = start_daemon(home, schedules, codes, sink, err)
    for moment in moments:
        when = start + timedelta(seconds=moment)
        delay = (when - datetime.now(TZ)).total_seconds()
        if delay > 0:
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        result.kills += 1
        if log:
            print(f"  kill {result.kills:2d} at {datetime.now(TZ):%H:%M:%S.%f}"[:-3],
                  file=sys.stderr)
        proc = start_daemon(home, schedules, codes, sink, err)
        result.restarts += 1
    # let the last daemon air the rest, then stop it cleanly
    deadline = last_end + timedelta(seconds=5)
    while datetime.now(TZ) < deadline and proc.poll() is None:
        time.sleep(0.2)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    account(home, programs, result)
    verify(home, result)
    result.seconds = time.monotonic() - t_begin
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--span", type=float, default=150.0,
                        help="seconds over which programs start")
    parser.add_argument("--gap", type=float, default=5.0, help="seconds between programs")
    parser.add_argument("--sink", choices=["null", "file"], default="null")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="radiocli-chaos-"))
    try:
        result = chaos(workdir, kills=args.kills, seed=args.seed, stations=args.stations,
                       span=args.span, gap=args.gap, sink=args.sink)
        print(result.report())
        if not result.verify_ok:
            print(result.verify_output)
        return 0 if result.ok else 1
    finally:
        if args.keep:
            print(f"work folder: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
