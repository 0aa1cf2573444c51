"""Program assembly: a 58-minute, 200-piece program, radiocli beside a minimal reference.

    python benchmarks/bench_assemble.py [--distinct 40] [--jobs N]

The pieces: spoken texts of about 19 s (``--distinct`` different ones, synthesized with
eSpeak NG before the clock starts, as the speech cache holds them), the start chime
every 20 pieces, a 2 s silence every 10, the intro jingle every 25.

- radiocli: ``assemble()`` as ``render`` calls it, with a cold levelled-source cache
  (each distinct source loudness-normalized once, then the samples copied), and again
  warm (another program made of the same sources);
- reference: a minimal script doing the same work: for each distinct source one ffmpeg
  run to measure it (ebur128) and one to apply the gain through the limiter, then one
  ffmpeg run (concat demuxer) to join the 200 pieces.

Both run in this process, one after the other, on the same files; the ratio is what
counts on a busy machine. Goal (issue 13 item 2): radiocli at most 1.5x the reference.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
import wave
from pathlib import Path

from radiocli.render import tools
from radiocli.render.assemble import AudioSettings, Piece, assemble
from radiocli.render.engines import EspeakEngine
from radiocli.render.levels import Levels
from radiocli.render.normalize import normalize

ROOT = Path(__file__).parents[1]
TEXT = ("Ủy ban nhân dân xã thông báo số {n}: bà con chú ý lắng nghe thông báo về công tác "
        "phòng chống dịch bệnh, lịch tiêm chủng vắc xin tại trạm y tế trong tuần này và việc "
        "thực hiện nghiêm các biện pháp giãn cách xã hội, đeo khẩu trang, rửa tay thường xuyên, "
        "không tụ tập đông người nơi công cộng trong thời gian tới.")


def ebur128(path: Path) -> tuple[float, float]:
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"], capture_output=True,
                         text=True, check=True).stderr
    summary = err[err.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    p = re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary)
    return float(i.group(1)) if i else float("nan"), float(p.group(1)) if p else float("nan")


def reference(pieces: list[Piece], folder: Path) -> tuple[float, int]:
    """Measure + limit each distinct source once with ffmpeg, then one concat run."""
    runs = 0
    done: dict[Path, Path] = {}
    listing = []
    silences: dict[float, Path] = {}
    t0 = time.perf_counter()
    for n, piece in enumerate(pieces):
        if piece.path is None:
            if piece.seconds not in silences:
                path = folder / f"silence-{len(silences)}.wav"
                with wave.open(str(path), "wb") as wav:
                    wav.setnchannels(1)
                    wav.setsampwidth(2)
                    wav.setframerate(22050)
                    wav.writeframes(bytes(2 * int(round(piece.seconds * 22050))))
                silences[piece.seconds] = path
            listing.append(silences[piece.seconds])
            continue
        if piece.path not in done:
            err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(piece.path),
                                  "-af", "aresample=22050,ebur128=peak=true", "-f", "null", "-"],
                                 capture_output=True, text=True, check=True).stderr
            runs += 1
            summary = err[err.rfind("Summary:"):]
            match = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
            loudness = float(match.group(1)) if match else -16.0
            out = folder / f"ref-{n}.wav"
            subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", "-i", str(piece.path),
                            "-af", f"aresample=22050,volume={-16.0 - loudness:.3f}dB,"
                            "alimiter=limit=0.79433:level=0:attack=2:release=60",
                            "-ac", "1", "-ar", "22050", "-c:a", "pcm_s16le", str(out)],
                           check=True)
            runs += 1
            done[piece.path] = out
        listing.append(done[piece.path])
    list_file = folder / "list.txt"
    list_file.write_text("".join(f"file '{p}'\n" for p in listing))
    subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", "-f", "concat", "-safe", "0",
                    "-i", str(list_file), "-c", "copy", str(folder / "reference.wav")],
                   check=True)
    runs += 1
    return time.perf_counter() - t0, runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--distinct", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = EspeakEngine()
        speech = []
        for i in range(args.distinct):
            path = folder / f"speech-{i}.wav"
            engine.synthesize(normalize(TEXT.format(n=i + 1)), path, "vi", 140)
            speech.append(path)
        pieces: list[Piece] = []
        for i in range(200):
            if i % 20 == 0:
                pieces.append(Piece(f"chime {i}", ROOT / "audio/chimes/start.wav"))
            elif i % 25 == 12:
                pieces.append(Piece(f"jingle {i}", ROOT / "audio/jingles/intro.ogg"))
            elif i % 10 == 5:
                pieces.append(Piece(f"silence {i}", None, 2.0))
            else:
                pieces.append(Piece(f"speech {i}", speech[i % args.distinct]))
        distinct = len({p.path for p in pieces if p.path is not None})

        ref_dir = folder / "reference"
        ref_dir.mkdir()
        ref_seconds, ref_runs = reference(pieces, ref_dir)

        levels = Levels(folder / "levels")
        before = tools.STARTS["ffmpeg"]
        t0 = time.perf_counter()
        length = assemble(pieces, folder / "program.wav", AudioSettings(), levels=levels,
                          jobs=args.jobs)
        cold = time.perf_counter() - t0
        cold_runs = tools.STARTS["ffmpeg"] - before
        t0 = time.perf_counter()
        assemble(pieces[::-1], folder / "program2.wav", AudioSettings(),
                 levels=Levels(folder / "levels"), jobs=args.jobs)
        warm = time.perf_counter() - t0
        warm_runs = tools.STARTS["ffmpeg"] - before - cold_runs
        ours_lufs, ours_peak = ebur128(folder / "program.wav")
        ref_lufs, ref_peak = ebur128(ref_dir / "reference.wav")
    print(f"program: 200 pieces, {distinct} distinct sources, {length / 60:.1f} min; "
          f"levelling jobs {args.jobs}")
    print(f"{'':<44}{'seconds':>9}{'ffmpeg runs':>13}{'LUFS':>8}{'dBTP':>7}")
    print(f"{'reference (measure+limit each, 1 concat)':<44}{ref_seconds:>9.2f}{ref_runs:>13}"
          f"{ref_lufs:>8.1f}{ref_peak:>7.1f}")
    print(f"{'radiocli assemble, cold levels':<44}{cold:>9.2f}{cold_runs:>13}"
          f"{ours_lufs:>8.1f}{ours_peak:>7.1f}")
    print(f"{'radiocli assemble, warm levels':<44}{warm:>9.2f}{warm_runs:>13}")
    ratio = cold / ref_seconds
    print(f"ratio radiocli cold / reference: {ratio:.2f}  "
          f"goal <= 1.5: {'ok' if ratio <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
