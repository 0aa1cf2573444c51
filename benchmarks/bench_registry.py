#!/usr/bin/env python3
"""The registry through time stays fast (issue 14): loading it, and the two calls the
planner and the daemon make for every fire, ``as_of(day)`` and ``select(targets, day)``.

    .venv/bin/python benchmarks/bench_registry.py [--calls 200000] [--repeat 5]

Each figure is printed beside a reference measured in the same run, so ratios survive a
busy machine:

- loading the registry with its changes vs loading units.yaml alone;
- a warm ``select`` / ``as_of`` call vs a plain dict lookup of the same day, and vs the
  previous implementation's per-call count of the changes applied by that day;
- planning one day across 2025-07-01 for all units (526, then 126 stations).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date, time as clock, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from radiocli.plan import day_window, plan
    from radiocli.schedule.load import load
    from radiocli.schedule.model import Program, Priority, Rule, Targets

    with tempfile.TemporaryDirectory() as tmp:
        alone = Path(tmp) / "schedules"
        (alone / "registry").mkdir(parents=True)
        shutil.copy(ROOT / "schedules" / "registry" / "units.yaml", alone / "registry")
        full = Path(tmp) / "full"
        shutil.copytree(ROOT / "schedules" / "registry", full / "registry")
        t_full = best(lambda: load(full), args.repeat)
        t_alone = best(lambda: load(alone), args.repeat)
        schedule = load(full)
    registry = schedule.registry
    print(f"registry: {len(registry.base)} base units, {len(registry.changes)} changes, "
          f"{len(registry.units())} units in all, periods from {registry.change_days}")
    print(f"load registry with changes      {t_full * 1000:8.1f} ms   "
          f"(units.yaml alone {t_alone * 1000:.1f} ms, x{t_full / t_alone:.1f})")

    # the days a planner asks about: 2021-01-01 .. 2026-12-31, round robin
    first = date(2021, 1, 1)
    days = [first + timedelta(days=i % 2191) for i in range(args.calls)]
    targets = [Targets(everywhere=True), Targets(kinds=frozenset({"xã"})),
               Targets(districts=frozenset({"017"})), Targets(stations=frozenset({"00004"}))]
    for day in set(days):  # warm the caches: one computation per period and targets
        for t in targets:
            registry.select(t, day)
    lookup = {day: len(registry.as_of(day)) for day in set(days)}
    changes = registry.changes

    def run_select() -> None:
        select = registry.select
        for i, day in enumerate(days):
            select(targets[i & 3], day)

    def run_as_of() -> None:
        as_of = registry.as_of
        for day in days:
            as_of(day)

    def run_dict() -> None:
        get = lookup.get
        for day in days:
            get(day)

    def run_old_count() -> None:  # what as_of/select did per call before: count the changes
        for day in days[: args.calls // 100]:
            sum(1 for c in changes if c.day <= day)

    t_select = best(run_select, args.repeat) / args.calls
    t_as_of = best(run_as_of, args.repeat) / args.calls
    t_dict = best(run_dict, args.repeat) / args.calls
    t_old = best(run_old_count, args.repeat) / (args.calls // 100)
    print(f"select(targets, day), warm      {t_select * 1e9:8.0f} ns/call "
          f"(dict lookup {t_dict * 1e9:.0f} ns, x{t_select / t_dict:.1f}; "
          f"the old per-call count of {len(changes)} changes {t_old * 1e9:.0f} ns, "
          f"x{t_old / t_select:.0f} slower)")
    print(f"as_of(day), warm                {t_as_of * 1e9:8.0f} ns/call "
          f"(dict lookup x{t_as_of / t_dict:.1f})")

    cold = load(ROOT / "schedules").registry
    t0 = time.perf_counter()
    for day in (date(2024, 12, 31), date(2025, 1, 1), date(2025, 7, 1)):
        cold.as_of(day)
    t_cold = (time.perf_counter() - t0) / 3
    print(f"as_of(day), first call of a period {t_cold * 1000:5.2f} ms")

    schedule.programs["toan-thanh"] = Program(
        "toan-thanh", "all units", Priority.NORMAL, Targets(everywhere=True),
        (Rule(times=tuple(clock(h) for h in range(6, 21))),), ())
    t_plan = best(lambda: plan(schedule, *day_window(date(2025, 6, 30), days=2)), args.repeat)
    occs = plan(schedule, *day_window(date(2025, 6, 30), days=2))
    per_day: dict[date, set[str]] = {}
    for o in occs:
        per_day.setdefault(o.scheduled.date(), set()).add(o.station)
    sizes = {str(d): len(s) for d, s in sorted(per_day.items())}
    print(f"plan 2025-06-30..07-01, 15 fires a day for all units {t_plan * 1000:6.1f} ms "
          f"({len(occs)} occurrences; stations per day {sizes})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
