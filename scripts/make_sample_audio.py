"""Make the small recorded audio the sample schedules use, with ffmpeg tones.

    python scripts/make_sample_audio.py [--audio audio]

Writes (mono 22.05 kHz, a few dozen kB each; re-running gives the same files):
  audio/chimes/start.wav   ~3 s two-tone start chime (rising)
  audio/chimes/end.wav     ~2 s two-tone end chime (falling)
  audio/chimes/alert.wav   ~4 s siren-like emergency tone
  audio/jingles/intro.ogg  ~8 s jingle (a little arpeggio over a soft drone)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

RATE = 22050


def tone(freq: float, start: float, length: float, volume: float = 0.35) -> str:
    """An aevalsrc expression: a sine at ``freq`` between start and start+length,
    with a 20 ms attack and an exponential decay."""
    t = f"(t-{start})"
    gate = f"between(t,{start},{start + length})"
    env = f"min(1,{t}/0.02)*exp(-2.2*{t}/{length})"
    return f"{volume}*{gate}*{env}*sin(2*PI*{freq}*{t})"


def make(ffmpeg: str, expr: str, seconds: float, out: Path, codec: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg, "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"aevalsrc={expr.replace(',', chr(92) + ',')}:s={RATE}:d={seconds}:c=mono",
         "-ac", "1", "-ar", str(RATE), *codec, "-map_metadata", "-1",
         "-fflags", "+bitexact", "-flags:a", "+bitexact", str(out)],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=Path(__file__).parents[1] / "audio")
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("ffmpeg is not installed; install it with: sudo apt-get install ffmpeg",
              file=sys.stderr)
        return 1
    pcm = ["-c:a", "pcm_s16le"]
    start = "+".join([tone(659.25, 0.0, 1.4), tone(880.0, 1.2, 1.8)])
    end = "+".join([tone(880.0, 0.0, 1.0), tone(659.25, 0.8, 1.2)])
    # a siren: a tone sweeping 600-1200 Hz twice a second, the phase integrated
    siren = ("0.3*min(1,t/0.05)*min(1,(4-t)/0.1)*"
             "sin(2*PI*(900*t-300/(2*PI*0.5)*cos(2*PI*0.5*t*2)))")
    notes = [523.25, 659.25, 783.99, 1046.5, 783.99, 659.25, 783.99, 1046.5]
    arpeggio = "+".join(tone(f, 0.9 * i, 1.2, 0.22) for i, f in enumerate(notes))
    drone = "0.08*min(1,t/0.5)*min(1,(8-t)/1.0)*sin(2*PI*261.63*t)"
    make(ffmpeg, start, 3.0, args.audio / "chimes" / "start.wav", pcm)
    make(ffmpeg, end, 2.0, args.audio / "chimes" / "end.wav", pcm)
    make(ffmpeg, siren, 4.0, args.audio / "chimes" / "alert.wav", pcm)
    make(ffmpeg, f"{arpeggio}+{drone}", 8.0, args.audio / "jingles" / "intro.ogg",
         ["-c:a", "libvorbis", "-q:a", "2"])
    for path in sorted(args.audio.glob("*/*.*")):
        print(f"{path}\t{path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
