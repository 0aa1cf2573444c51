"""`radiocli say TEXT -o x.wav` beside `espeak-ng -v vi -w x.wav TEXT`, sentence by sentence.

    python benchmarks/bench_say.py [--n 20] [--engine ENGINE]

Each of N distinct sentences (as an operator types them) is spoken once by the plain
eSpeak NG command line and once by the radiocli command (a new process each time, a
cache that has not seen the sentence: normalization, synthesis, loudness to -16 LUFS
and -1 dBTP, the WAV written), alternately, so both see the same machine load. Printed:
the median time of each, the median per-sentence ratio and the ratio of the totals,
and the same for a sentence said a second time (from the cache). Goal (issue 13 item 3):
at most 5x raw eSpeak NG per sentence.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = [
    "UBND xã thông báo: 7h30 ngày {n}/8 tiêm vắc xin cho người dân từ 18 tuổi trở lên.",
    "Từ 27/4/2021 đến nay, Hà Nội ghi nhận {n}.542 ca mắc Covid-19; gọi ngay Tổng đài 1022.",
    "Xã đã chi hỗ trợ 1,5 triệu đồng/hộ cho {n}05 hộ gặp khó khăn do dịch.",
    "Bão số {n} sắp đổ bộ, bà con khẩn trương chằng chống nhà cửa, gọi ngay 114 khi cần.",
    "Đ/c Phó Chủ tịch UBND xã tiếp dân lúc 14h00 thứ {n}, điện thoại 0912.345.678.",
]


def timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def ebur128(path: Path) -> tuple[float, float]:
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"], capture_output=True,
                         text=True, check=True).stderr
    summary = err[err.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    p = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    return float(i.group(1)) if i else float("nan"), float(p.group(1)) if p else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--engine", help="radiocli say --engine (default: say's own)")
    args = parser.parse_args()
    texts = [SENTENCES[i % len(SENTENCES)].format(n=i + 2) for i in range(args.n)]
    extra = ["--engine", args.engine] if args.engine else []
    ref, ours, again = [], [], []
    loudness = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        home = folder / "home"
        say = [sys.executable, "-m", "radiocli", "--home", str(home), "say", *extra]
        timed([*say, "khởi động", "-o", str(folder / "warm.wav")])  # pyc, page cache
        for i, text in enumerate(texts):
            espeak = ["espeak-ng", "-v", "vi", "-w", str(folder / "e.wav"), text]
            radiocli = [*say, text, "-o", str(folder / f"r{i}.wav")]
            if i % 2:
                ref.append(timed(espeak))
                ours.append(timed(radiocli))
            else:
                ours.append(timed(radiocli))
                ref.append(timed(espeak))
            again.append(timed(radiocli))
            if i < 3:
                loudness.append(ebur128(folder / f"r{i}.wav"))
    ratios = [o / r for o, r in zip(ours, ref, strict=True)]
    hot = [a / r for a, r in zip(again, ref, strict=True)]
    ms = statistics.median
    print(f"{args.n} sentences; radiocli say {' '.join(extra) or '(default engine)'}")
    print(f"{'':<40}{'median ms':>10}{'total s':>9}{'ratio':>8}{'ratio of totals':>17}")
    print(f"{'espeak-ng -v vi -w (reference)':<40}{1000 * ms(ref):>10.1f}{sum(ref):>9.2f}")
    print(f"{'radiocli say -o, new sentence':<40}{1000 * ms(ours):>10.1f}{sum(ours):>9.2f}"
          f"{ms(ratios):>8.1f}{sum(ours) / sum(ref):>17.1f}")
    print(f"{'radiocli say -o, same sentence again':<40}{1000 * ms(again):>10.1f}"
          f"{sum(again):>9.2f}{ms(hot):>8.1f}{sum(again) / sum(ref):>17.1f}")
    print("loudness of the first files (LUFS, dBTP): "
          + ", ".join(f"{i:.1f} / {p:.1f}" for i, p in loudness))
    verdict = "ok" if ms(ratios) <= 5 else "MISSED"
    print(f"goal <= 5x per sentence: {verdict} ({ms(ratios):.1f}x)")


if __name__ == "__main__":
    main()
