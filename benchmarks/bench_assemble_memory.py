"""Peak memory (RSS, this process and its children) assembling a 40-minute program.

    python benchmarks/bench_assemble_memory.py

200 items (speech of ~12 s each, with chimes and silences) into one 40-minute program,
loudness-normalized per segment; target <= 150 MB. Peak RSS comes from
resource.getrusage (self: ru_maxrss; children: the largest ffmpeg/espeak child).
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from radiocli.render.assemble import AudioSettings, Piece, assemble
from radiocli.render.engines import EspeakEngine

ROOT = Path(__file__).parents[1]
TEXT = ("bà con chú ý lắng nghe thông báo của ủy ban nhân dân xã về công tác phòng chống "
        "dịch bệnh và lịch tiêm chủng vắc xin tại trạm y tế trong tuần này")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = EspeakEngine()
        speech = []
        for i in range(10):  # 10 distinct spoken items, reused: 200 pieces in all
            path = folder / f"s{i}.wav"
            engine.synthesize(f"Thông báo số {i}. " + TEXT + ". " + TEXT, path, "vi", 140)
            speech.append(path)
        pieces = []
        for i in range(200):
            if i % 20 == 0:
                pieces.append(Piece(f"chime {i}", ROOT / "audio/chimes/start.wav"))
            elif i % 10 == 5:
                pieces.append(Piece(f"silence {i}", None, 2.0))
            else:
                pieces.append(Piece(f"speech {i}", speech[i % 10]))
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        seconds = assemble(pieces, folder / "program.wav", AudioSettings())
        elapsed = time.perf_counter() - t0
        self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = (folder / "program.wav").stat().st_size
    total = self_peak + child_peak
    print(f"assembled {len(pieces)} items, {seconds / 60:.1f} min, {size / 1e6:.0f} MB WAV "
          f"in {elapsed:.1f} s")
    print(f"peak RSS: python {self_peak:.0f} MB (before assembly {base / 1024:.0f} MB), "
          f"largest child {child_peak:.0f} MB, sum {total:.0f} MB; "
          f"target <= 150 MB: {'ok' if total <= 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
