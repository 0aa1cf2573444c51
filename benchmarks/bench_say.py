"""`radiocli say TEXT -o x.wav` beside `espeak-ng -v vi -w x.wav TEXT`, sentence by sentence.

    python benchmarks/bench_say.py [--n 10] [--engine ENGINE] [--bytecode cached|none]

Each of N distinct sentences (as an operator types them) is spoken by the plain eSpeak
NG command line and by the radiocli command (a new process each time, a cache that has
not seen the sentence: normalization, synthesis, loudness to -16 LUFS and -1 dBTP, the
WAV written), alternately, so both see the same machine load; then radiocli says the
same sentence again (from the speech cache). Printed per sentence: the three times, the
two ratios, and the loudness and true peak of radiocli's file by ffmpeg's ebur128 (an
independent meter; measured after the timings). Then the medians and the ratio of the
totals, and the load average before and after. Goal (issue 13 item 3): at most 5x raw
eSpeak NG per sentence, loudness on target.

Python writes compiled bytecode next to the sources the first time a module is
imported; an installed radiocli always has it. This machine's environment sets
PYTHONDONTWRITEBYTECODE, which makes every run compile radiocli's modules again
(about 25 ms), so by default the radiocli runs get a bytecode folder of their own
(PYTHONPYCACHEPREFIX in the benchmark's temporary folder, filled by a first, untimed
run); ``--bytecode none`` measures without it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from bytecode import command_env

SENTENCES = [
    "UBND xã thông báo: 7h30 ngày {n}/8 tiêm vắc xin cho người dân từ 18 tuổi trở lên.",
    "Từ 27/4/2021 đến nay, Hà Nội ghi nhận {n}.542 ca mắc Covid-19; gọi ngay Tổng đài 1022.",
    "Xã đã chi hỗ trợ 1,5 triệu đồng/hộ cho {n}05 hộ gặp khó khăn do dịch.",
    "Bão số {n} sắp đổ bộ, bà con khẩn trương chằng chống nhà cửa, gọi ngay 114 khi cần.",
    "Đ/c Phó Chủ tịch UBND xã tiếp dân lúc 14h00 thứ {n}, điện thoại 0912.345.678.",
]


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - t0


def ebur128(path: Path) -> tuple[float, float]:
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"], capture_output=True,
                         text=True, check=True).stderr
    summary = err[err.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    p = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    return float(i.group(1)) if i else float("nan"), float(p.group(1)) if p else float("nan")


def install_kind() -> str:
    try:
        direct = metadata.distribution("radiocli").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return "not installed (run from the source tree)"
    editable = bool(direct and json.loads(direct).get("dir_info", {}).get("editable"))
    return "editable (pip install -e ., as scripts/bootstrap.sh does)" if editable else \
        "regular (pip install .)"


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--engine", help="radiocli say --engine (default: say's own)")
    parser.add_argument("--bytecode", choices=["cached", "none"], default="cached")
    args = parser.parse_args()
    texts = [SENTENCES[i % len(SENTENCES)].format(n=i + 2) for i in range(args.n)]
    extra = ["--engine", args.engine] if args.engine else []
    ref: list[float] = []
    ours: list[float] = []
    again: list[float] = []
    start_load = load()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = command_env(folder, cached=args.bytecode == "cached")
        home = folder / "home"
        say = [sys.executable, "-m", "radiocli", "--home", str(home), "say", *extra]
        for warm in ("khởi động", "khởi động lần hai"):  # bytecode, page cache, espeak memo
            timed([*say, warm, "-o", str(folder / "warm.wav")], env)
        for i, text in enumerate(texts):
            espeak = ["espeak-ng", "-v", "vi", "-w", str(folder / "e.wav"), text]
            radiocli = [*say, text, "-o", str(folder / f"r{i}.wav")]
            if i % 2:
                ref.append(timed(espeak))
                ours.append(timed(radiocli, env))
            else:
                ours.append(timed(radiocli, env))
                ref.append(timed(espeak))
            again.append(timed([*say, text, "-o", str(folder / f"a{i}.wav")], env))
        end_load = load()
        print(f"radiocli say {' '.join(extra) or '(default engine)'}; {args.n} sentences; "
              f"Python {sys.version.split()[0]}; radiocli {install_kind()}; bytecode "
              f"{'cached' if args.bytecode == 'cached' else 'not cached (compiled each run)'}")
        print(f"load average (1, 5, 15 min) before: {start_load}; after: {end_load}")
        print(f"{'#':>2} {'espeak ms':>9} {'say ms':>7} {'ratio':>6} {'again ms':>9} "
              f"{'ratio':>6} {'LUFS':>6} {'dBTP':>6}  sentence")
        for i, text in enumerate(texts):
            loud, peak = ebur128(folder / f"r{i}.wav")
            print(f"{i + 1:>2} {1000 * ref[i]:>9.1f} {1000 * ours[i]:>7.1f} "
                  f"{ours[i] / ref[i]:>6.1f} {1000 * again[i]:>9.1f} {again[i] / ref[i]:>6.1f} "
                  f"{loud:>6.1f} {peak:>6.1f}  {text[:48]}")
    ms = statistics.median
    ratios = [o / r for o, r in zip(ours, ref, strict=True)]
    hot = [a / r for a, r in zip(again, ref, strict=True)]
    print(f"median: espeak-ng {1000 * ms(ref):.1f} ms; say {1000 * ms(ours):.1f} ms, "
          f"{ms(ratios):.1f}x (ratio of totals {sum(ours) / sum(ref):.1f}x); same sentence "
          f"again {1000 * ms(again):.1f} ms, {ms(hot):.1f}x ({sum(again) / sum(ref):.1f}x)")
    verdict = "met" if ms(ratios) <= 5 else "MISSED"
    print(f"goal <= 5x per sentence (median of the per-sentence ratios): {verdict} "
          f"({ms(ratios):.1f}x)")


if __name__ == "__main__":
    main()
