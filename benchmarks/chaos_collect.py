#!/usr/bin/env python3
"""Crash-safety of `logs collect` under kill -9 (issue 11, item 1).

A store gets two collects: first the stations' early copies of their days (each file
cut to the first half of its lines, not sealed yet), then the full logs (which replace
those copies, and their Parquet rows) plus stations not seen before. The clean store
gets both undisturbed. For each of the seeded kill moments, a copy of the store as it
was before the second collect gets that collect killed with SIGKILL at that moment,
then again (at another moment) while the next one cleans up after the first, then one
that runs to the end.

Checked, for every kill:

- `report summary` over the killed store equals either the state before the second
  collect or the state after it, exactly (all or nothing);
- after the final collect, `report summary` equals the clean store's, exactly;
- nothing unpublished is left: no ``.pending``, no ``.incoming/``, at most two
  generations, the files under raw/ are exactly those the catalog names, and the
  published folders hold exactly the catalog's parts.

    .venv/bin/python benchmarks/chaos_collect.py [--home /tmp/store-bench]
        [--stations 120] [--kills 20] [--seed 11]

Without ``--home`` (or when it has no logs) synthetic logs are written. Exit 0 when
every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
SCHEDULES = ROOT / "schedules"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Result:
    kills: int = 0
    finished_before_kill: int = 0
    between: list[str] = field(default_factory=list)  # a crashed state that is neither
    clean: tuple[int, int, int] = (0, 0, 0)
    before: tuple[int, int, int] = (0, 0, 0)
    final: tuple[int, int, int] = (0, 0, 0)  # of the last trial
    trials: int = 0
    healed: int = 0  # trials whose final collect equals the clean store
    leftovers: list[str] = field(default_factory=list)
    seconds: float = 0.0
    second_collect: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.healed == self.trials > 0 and not self.between
                and not self.leftovers)

    def report(self) -> str:
        def fmt(t: tuple[int, int, int]) -> str:
            return f"{t[0]:,} sessions, {t[1] / 60:,.1f} minutes, {t[2]} stations"

        return "\n".join([
            f"kills {self.kills} ({self.finished_before_kill} runs finished before their "
            f"kill moment), {self.seconds:.0f} s; the second collect alone takes "
            f"{self.second_collect:.1f} s",
            f"before the second collect: {fmt(self.before)}",
            f"clean store:               {fmt(self.clean)}",
            f"after the final collect, equal to the clean store in {self.healed} of "
            f"{self.trials} trials (last: {fmt(self.final)})",
            f"crashed states neither before nor after: {len(self.between)}"
            + (f": {self.between[:3]}" if self.between else ""),
            f"leftovers: {len(self.leftovers)}" + (f": {self.leftovers[:5]}" if self.leftovers
                                                     else ""),
            "RESULT: " + ("PASS" if self.ok else "FAIL"),
        ])


def synthetic_logs(folder: Path, stations: int, days: int, first: date = date(2021, 8, 2)
                   ) -> None:
    """Logs of the first ``stations`` stations of the registry: five sessions a day."""
    sys.path.insert(0, str(ROOT))
    from radiocli.aslog import LogBook
    from radiocli.schedule.load import read

    codes = sorted(read(SCHEDULES)[0].registry.as_of(first))[:stations]
    book = LogBook(folder, durable=False)
    for k in range(days):
        day = first + timedelta(days=k)
        for n, code in enumerate(codes):
            for hh, length in ((6, 30 + n % 7), (9, 15), (11, 20), (17, 25), (19, 10)):
                start = datetime(day.year, day.month, day.day, hh, 0, 7, tzinfo=TZ)
                occ = f"p{hh}@{day}T{hh:02d}:00"
                book.event(code, "start", start, start, f"p{hh}", occ, "normal")
                book.minutes(code, start, start + timedelta(minutes=length, seconds=13),
                             f"p{hh}", occ, "normal")
                book.event(code, "end", start + timedelta(minutes=length), start, f"p{hh}",
                           occ, "normal")
        book.seal_before(day + timedelta(days=1))
    book.close()


def stage(logs: Path, work: Path, stations: int) -> tuple[Path, Path]:
    """(early, full): early copies (first half of each file's lines, for the first two
    thirds of the stations) and the full logs of all ``stations`` stations."""
    early, full = work / "early", work / "full"
    codes = sorted(p.name for p in logs.iterdir() if p.is_dir())[:stations]
    for n, code in enumerate(codes):
        shutil.copytree(logs / code, full / code)
        if n % 3 == 2:
            continue
        (early / code).mkdir(parents=True)
        for path in sorted((logs / code).glob("*.jsonl")):
            lines = path.read_bytes().split(b"\n")[:-1]
            (early / code / path.name).write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")
    return early, full


def radiocli(*args: str) -> list[str]:
    return [sys.executable, "-m", "radiocli", "-s", str(SCHEDULES), *args]


def collect(home: Path, source: Path, store: Path) -> float:
    started = time.monotonic()
    out = subprocess.run(radiocli("--home", str(home), "logs", "collect", str(source),
                                  "--into", str(store)), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"collect failed:\n{out.stdout}\n{out.stderr}")
    return time.monotonic() - started


def totals(home: Path, store: Path, period: tuple[str, str]) -> tuple[int, int, int]:
    out = subprocess.run(radiocli("--home", str(home), "--lang", "en", "report", "summary",
                                  "--from", period[0], "--to", period[1], "--store",
                                  str(store), "--json"), capture_output=True, text=True)
    if out.returncode != 0:
        return (-1, -1, -1)
    data = json.loads(out.stdout)
    return int(data["sessions"]), int(data["seconds"]), int(data["stations"])


def leftovers(store: Path) -> list[str]:
    """Files a collect left that the catalog does not name, and the reverse."""
    found = []
    for name in (".pending", ".incoming"):
        if (store / name).exists():
            found.append(name)
    generations = sorted(os.listdir(store / "generations")) if (store / "generations").is_dir() \
        else []
    if len(generations) > 2:
        found.append(f"{len(generations)} generations")
    if not (store / "catalog.sqlite").exists():
        return found + ["no catalog.sqlite (not a store of this radiocli)"]
    from radiocli.aslog.store import raw_path

    db = sqlite3.connect(store / "catalog.sqlite")
    named = {raw_path(*r) for r in db.execute("SELECT district, station, day, version FROM logs")}
    named |= {r[0] for r in db.execute("SELECT path FROM aside")}
    generation = int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
    parts = db.execute("SELECT count(*) FROM parts").fetchone()[0]
    db.close()
    on_disk = {str(p.relative_to(store)) for p in (store / "raw").rglob("*") if p.is_file()}
    found += [f"not in the catalog: {p}" for p in sorted(on_disk - named)]
    found += [f"missing: {p}" for p in sorted({p for p in named if p.startswith("raw/")}
                                              - on_disk)]
    current = store / "generations" / f"{generation:06d}"
    names = {}
    for kind in ("minutes", "events", "days"):  # a part's three files
        names[kind] = sorted(p.name for p in (current / kind).rglob("*.parquet"))
        if len(names[kind]) != parts:
            found.append(f"{len(names[kind])} {kind} files on disk, {parts} parts in the catalog")
    if not names["minutes"] == names["events"] == names["days"]:
        found.append("the minutes, events and days files are not of the same parts")
    if os.readlink(store / "current") != f"generations/{generation:06d}":
        found.append("current does not name the published generation")
    return found


def chaos(work: Path, logs: Path, *, stations: int, kills: int, seed: int,
          period: tuple[str, str], log: bool = True) -> Result:
    started = time.monotonic()
    rng = random.Random(seed)
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    early, full = stage(logs, work, stations)
    result = Result()
    clean, before = work / "clean", work / "before"
    collect(home, early, clean)
    shutil.copytree(clean, before, symlinks=True)  # the state the second collect starts from
    result.second_collect = collect(home, full, clean)
    result.clean = totals(home, clean, period)
    result.before = totals(home, before, period)
    # kill moments: seeded, spread over the time the second collect works (after the
    # start-up that any command pays, measured with a collect of nothing)
    (work / "nothing").mkdir()
    fixed = collect(home, work / "nothing", work / "nothing-store")
    low = min(0.8 * fixed, 0.5 * result.second_collect)
    moments = sorted(rng.uniform(low, result.second_collect * 1.05) for _ in range(kills))
    # each kill on a store as it was before the second collect; after it, a first
    # kill's debris: a second collect killed while it cleans up, then one to the end
    store = work / "chaos"
    for n, moment in enumerate(moments, 1):
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(before, store, symlinks=True)
        states = []
        for at in (moment, rng.uniform(low, result.second_collect)):
            proc = subprocess.Popen(radiocli("--home", str(home), "logs", "collect", str(full),
                                             "--into", str(store)),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=at)
                result.finished_before_kill += 1
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                result.kills += 1
            state = totals(home, store, period)
            states.append("before" if state == result.before else
                          "after" if state == result.clean else f"NEITHER {state}")
            if state not in (result.before, result.clean):
                result.between.append(f"kill {n} at {at:.2f} s: {state}")
        collect(home, full, store)
        final = totals(home, store, period)
        left = leftovers(store)
        result.trials += 1
        if final == result.clean:
            result.healed += 1
        result.leftovers += [f"kill {n}: {x}" for x in left]
        result.final = final
        if log:
            print(f"kill {n}/{kills} at {moment:5.2f} s, then again while it recovers: the "
                  f"report saw {states[0]}, then {states[1]}; after a final collect "
                  f"{'= clean' if final == result.clean else final}, leftovers {len(left)}",
                  flush=True)
    result.seconds = time.monotonic() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a home with simulated logs")
    parser.add_argument("--stations", type=int, default=120)
    parser.add_argument("--days", type=int, default=30, help="days of synthetic logs")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaos-collect-"))
    try:
        logs = args.home / "logs" if args.home else None
        if logs is None or not logs.is_dir():
            logs = work / "logs"
            synthetic_logs(logs, args.stations, args.days)
        days = sorted({p.name[:10] for p in logs.rglob("*.jsonl")})
        result = chaos(work, logs, stations=args.stations, kills=args.kills, seed=args.seed,
                       period=(days[0], days[-1]))
        print(result.report())
        return 0 if result.ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
