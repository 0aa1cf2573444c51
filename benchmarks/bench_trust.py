#!/usr/bin/env python3
"""What checking an approved bundle costs, beside what it cannot avoid.

The sample (579 stations, 39 schedule files) is approved by the city, then each of its
30 districts approves its own file (a bundle of 31 chained approvals, each district's
programs resolved against the registry on every day of its validity). Measured, best
of 5: `approve` by the city, `verify` of the city's bundle, `verify` of the co-signed
bundle, and, as the reference measured in the same run, what any check must do anyway:
load the schedules folder and hash its files.

    .venv/bin/python benchmarks/bench_trust.py
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from radiocli.schedule.load import read, schedule_files
from radiocli.trust import approve, generate_key, verify_bundle

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2021, 8, 1, 9, 0, tzinfo=TZ)
UNTIL = NOW + timedelta(days=30)


def best(fn, runs: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def reference(schedules: Path) -> None:
    read(schedules)
    for path in schedule_files(schedules):
        hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "schedules", root / "schedules")
        shutil.copytree(ROOT / "audio", root / "audio")
        schedules, trusted, keys = root / "schedules", root / "trusted", root / "keys"
        trusted.mkdir()
        city, pub = generate_key(keys, "city-hanoi", ["city"])
        shutil.copy(pub, trusted)
        bundle = schedules / "approved.json"

        def city_approves() -> None:
            approve([schedules], city, NOW, UNTIL, now=NOW, trusted_dir=trusted)

        approve_s = best(city_approves)
        verify_city_s = best(lambda: verify_bundle(bundle, trusted, now=NOW))
        districts = sorted(p.stem for p in (schedules / "districts").glob("*.yaml"))
        for code in districts:
            key, pub = generate_key(keys, f"district-{code}", ["district"], districts=[code])
            shutil.copy(pub, trusted)
            approve([schedules / "districts" / f"{code}.yaml"], key, NOW, UNTIL, now=NOW,
                    root=schedules, trusted_dir=trusted)
        verified = verify_bundle(bundle, trusted, now=NOW)
        verify_all_s = best(lambda: verify_bundle(bundle, trusted, now=NOW))
        reference_s = best(lambda: reference(schedules))
    print(f"schedule files: {len(verified.schedules)}, approvals: {len(verified.approvals)}")
    print(f"reference (load the folder, hash its files): {reference_s * 1000:7.1f} ms")
    for label, seconds in (("approve, city", approve_s), ("verify, city only", verify_city_s),
                           (f"verify, city + {len(districts)} districts", verify_all_s)):
        print(f"{label:<34} {seconds * 1000:7.1f} ms  ({seconds / reference_s:.1f}x reference)")


if __name__ == "__main__":
    main()
