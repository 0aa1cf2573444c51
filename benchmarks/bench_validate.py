#!/usr/bin/env python3
"""validate of the whole sample, every day of every program's validity (issue 9 item 2:
target <= 1 s in process), beside loading the schedule alone (the reference: validate
can never be faster than reading the files), and the same with programs valid for years
added (the checks are grouped by day pattern, so years cost little more than weeks).

    .venv/bin/python benchmarks/bench_validate.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 1)

LONG = """\
district: "{code}"
programs:
  nhac-nho-{code}:
    title: Nhắc nhở thực hiện 5K
    when:
      - days: weekdays
        at: ["07:00", "10:00", "15:00"]
      - once: "2023-02-09 22:30"
    from: 2021-08-02
    until: 2023-12-31
    except: [holidays]
    segments:
      - say: Bà con nhớ thực hiện 5K.
  nhac-nho-mo-{code}:
    title: Nhắc nhở không thời hạn
    when: {{days: [T2, T4, T6], at: "16h30"}}
    from: 2022-01-01
    segments:
      - say: Bà con nhớ thực hiện 5K.
"""


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from radiocli.plan.days import day_groups
    from radiocli.plan.validate import validate
    from radiocli.schedule.load import read

    with tempfile.TemporaryDirectory() as tmp:
        long = Path(tmp) / "schedules"
        shutil.copytree(ROOT / "schedules", long)
        shutil.copytree(ROOT / "audio", Path(tmp) / "audio")
        for code in ("005", "008", "016", "250", "277"):
            (long / "districts" / f"{code}-long.yaml").write_text(LONG.format(code=code),
                                                                  encoding="utf-8")

        def check(root: Path) -> Callable[[], object]:
            def run() -> object:
                schedule, problems = validate(root, today=TODAY)
                return problems
            return run

        rows = []
        for name, root in (("sample", ROOT / "schedules"), ("sample + 10 programs valid "
                                                             "for years", long)):
            schedule, problems = validate(root, today=TODAY)
            groups = day_groups(schedule, TODAY)
            days = len({d for g in groups for d in g.days})
            load = timed(lambda root=root: read(root), args.repeat)
            full = timed(check(root), args.repeat)
            rows.append((name, len(schedule.programs), days, len(groups), len(problems),
                         load, full))
    for name, programs, days, groups, problems, load, full in rows:
        print(f"{name}: {programs} programs, {days} days with airings checked as {groups} "
              f"groups, {problems} problems")
        print(f"  load only        median {statistics.median(load):6.3f} s  "
              f"best {min(load):6.3f} s")
        verdict = "ok" if statistics.median(full) <= 1.0 else "OVER"
        print(f"  validate         median {statistics.median(full):6.3f} s  "
              f"best {min(full):6.3f} s  ({statistics.median(full) / statistics.median(load):.1f}"
              f"x loading; target 1.0 s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
