"""Normalizer throughput: sentences per second over the shared cases, and one long line.

usage: python benchmarks/bench_normalize.py [--seconds 3] [--cases ../shared/normalize/cases.tsv]
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from radiocli.render.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASES = ROOT.parent / "shared" / "normalize" / "cases.tsv"
FALLBACK = [
    "UBND xã có 156.000 hộ, đạt 85% kế hoạch Quý IV/2021.",
    "Từ 27/4 - 25/01, gọi tổng đài 1022 hoặc 0912.345.678 lúc 6h30.",
    "Tiêm vaccine Covid-19 cho F0, F1; lượng mưa 50-100 mm.",
]


def load_sentences(path: Path) -> list[str]:
    if not path.exists():
        return FALLBACK
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        return [row["input"] for row in rows] or FALLBACK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    args = parser.parse_args()
    sentences = load_sentences(args.cases)
    normalize(sentences[0])  # compile patterns outside the timing

    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        for sentence in sentences:
            normalize(sentence)
        count += len(sentences)
    elapsed = time.perf_counter() - start
    print(f"normalize: {count / elapsed:,.0f} sentences/s ({len(sentences)} distinct, {count:,} runs)")

    long_line = (" ".join(sentences) * (100_000 // max(1, len(" ".join(sentences))) + 1))[:100_000]
    start = time.perf_counter()
    normalize(long_line)
    print(f"normalize: 100,000-character line in {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
