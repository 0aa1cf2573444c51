"""Speech throughput: our engines vs plain `espeak-ng -w`, same normalized texts, one run.

    python benchmarks/bench_speech.py [--n 100]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from radiocli.render.engines import EspeakEngine, Pyttsx3Engine
from radiocli.render.normalize import normalize

SOURCE = ("UBND xã thông báo: từ 7h30 ngày 2/8/2021, trạm y tế tổ chức tiêm vắc xin "
          "Covid-19 mũi {n} cho 1.250 người dân; bà con mang theo căn cước công dân.")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    texts = [normalize(SOURCE.format(n=i + 1)) for i in range(args.n)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = []
        t0 = time.perf_counter()
        for i, text in enumerate(texts):
            subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(out / f"c{i}.wav"),
                            "--stdin"], input=text.encode(), check=True)
        rows.append(("espeak-ng -w (plain command line)", time.perf_counter() - t0))
        espeak = EspeakEngine()
        t0 = time.perf_counter()
        for i, text in enumerate(texts):
            espeak.synthesize(text, out / f"e{i}.wav", "vi", 140)
        rows.append(("radiocli espeak-ng engine", time.perf_counter() - t0))
        engine = Pyttsx3Engine()
        t0 = time.perf_counter()
        engine.synthesize(texts[0], out / "warm.wav", "vi", 140)
        start_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i, text in enumerate(texts):
            engine.synthesize(text, out / f"p{i}.wav", "vi", 140)
        rows.append(("radiocli pyttsx3 engine (default, persistent worker)",
                     time.perf_counter() - t0))
        engine.close()
    base = rows[0][1]
    audio = sum(len(t.split()) for t in texts) * 60 / 140
    print(f"{args.n} texts, {audio / 60:.1f} min of speech; pyttsx3 worker start {start_s:.2f} s")
    print(f"{'engine':<55}{'ms/text':>9}{'x real time':>13}{'speed vs espeak-ng':>20}")
    for name, seconds in rows:
        print(f"{name:<55}{1000 * seconds / args.n:>9.1f}{audio / seconds:>13.0f}"
              f"{base / seconds:>20.2f}")


if __name__ == "__main__":
    main()
