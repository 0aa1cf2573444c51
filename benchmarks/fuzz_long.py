"""Long fuzz profile: the targets of tests/test_fuzz.py, at least 10,000 cases each.

Runs pytest once per target with FUZZ_EXAMPLES set and prints cases and time per target.

    .venv/bin/python benchmarks/fuzz_long.py            # 10,000 cases per target
    .venv/bin/python benchmarks/fuzz_long.py 20000      # more
    .venv/bin/python benchmarks/fuzz_long.py 10000 test_normalizer_never_raises
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = [
    "test_schedule_loader_never_raises",
    "test_normalizer_never_raises",
    "test_aslog_verifier_never_raises",
    "test_cli_arguments_never_crash",
]


def main() -> int:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    only = sys.argv[2:]  # optional target names
    env = {**os.environ, "FUZZ_EXAMPLES": str(cases)}
    failed = 0
    print(f"{'target':<40} {'cases':>8} {'seconds':>9} {'per case':>10}  result")
    for target in [t for t in TARGETS if not only or t in only]:
        started = time.monotonic()
        proc = subprocess.run(
            # --timeout=0: the suite's 300 s limit is per test, and 10,000 cases of the
            # loader take longer than that in all (each case stays bounded by the test)
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=0",
             f"tests/test_fuzz.py::{target}"],
            cwd=REPO, env=env, capture_output=True, text=True, check=False,
        )
        took = time.monotonic() - started
        result = "ok" if proc.returncode == 0 else "FAILED"
        failed += proc.returncode != 0
        print(f"{target:<40} {cases:>8} {took:>9.1f} {took / cases * 1000:>8.2f}ms  {result}",
              flush=True)
        if proc.returncode:
            print(proc.stdout[-4000:], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
