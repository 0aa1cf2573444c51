"""How fast the as-run log writer is: minute lines per second, durable and buffered.

    .venv/bin/python benchmarks/bench_aslog.py [--stations 100] [--days 10]

The simulation (579 stations x 59 days, ~6.4 million minute lines) needs the buffered
mode at >= 200,000 minute lines/s on one core.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from radiocli.aslog import LogBook

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SESSIONS = ((6, 45), (11, 30), (17, 40), (19, 40), (20, 40))  # 195 minutes a day


def run(root: Path, stations: int, days: int, durable: bool) -> tuple[int, int, float]:
    book = LogBook(root, durable=durable)
    t0 = time.perf_counter()
    minutes = events = 0
    first = date(2021, 7, 24)
    for k in range(days):
        day = first + timedelta(days=k)
        for st in range(stations):
            code = f"{st:05d}"
            for hh, length in SESSIONS:
                s = datetime(day.year, day.month, day.day, hh, 0, 0, 12000, tzinfo=TZ)
                occ = f"program-{hh}@{day}T{hh:02d}:00"
                book.event(code, "start", s, s, f"program-{hh}", occ, "normal")
                minutes += book.minutes(code, s, s + timedelta(minutes=length),
                                        f"program-{hh}", occ, "normal")
                book.event(code, "end", s + timedelta(minutes=length), s, f"program-{hh}", occ,
                           "normal")
                events += 2
        book.seal_before(day + timedelta(days=1))
    book.close()
    return minutes, events, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--days", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-aslog-"))
    try:
        for durable in (False, True):
            minutes, events, seconds = run(tmp / str(durable), args.stations, args.days, durable)
            mode = "durable (live)   " if durable else "buffered (simul.)"
            print(f"{mode}: {minutes:,} minute lines + {events:,} events in {seconds:.2f} s = "
                  f"{minutes / seconds:,.0f} minute lines/s ({(minutes + events) / seconds:,.0f} "
                  "lines/s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
