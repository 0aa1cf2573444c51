"""Loudness: bring one source (speech, recording, chime) to the target, in as few ffmpeg
runs as it takes.

Each source is brought to the target integrated loudness (default -16 LUFS) with its
true peak at most the ceiling (default -1 dBTP), measured by ffmpeg's ``ebur128``:

1. one ffmpeg run decodes the source, resamples it to mono at the program rate, writes
   it as raw 16-bit PCM and measures it (loudness, true peak, duration; damaged or
   truncated files are refused here);
2. when the gain to the target keeps the true peak under the ceiling, the gain is
   applied in Python (``audioop``, block by block: integrated loudness and true peak
   both move exactly by the gain) and that is all;
3. otherwise (eSpeak's speech peaks at 0 dBFS) a second ffmpeg run applies the gain
   through a peak limiter (``alimiter``) and measures the result. Limiting lowers the
   loudness (by 0.7-3 LU on eSpeak's voices), so the limiter holds the peaks
   :data:`HEADROOM` dB under its usual place (1 dB under the ceiling) and what it took
   away is given back as a plain gain in Python; a limiter is scale-invariant, so this
   is the same as limiting that much higher (the true peak after the gain is checked
   against the ceiling, exactly: it moves with the gain). Only when the gain would push
   the true peak over the ceiling does the limiter run again, with more gain into it
   (at most three times in all; measured on eSpeak's speech it ran once).

Everything streams: a 40-minute recording never sits in Python's memory.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from radiocli.errors import RenderError
from radiocli.render import tools
from radiocli.render.tools import last_line

DEFAULT_LOUDNESS = -16.0  # LUFS integrated
DEFAULT_TRUE_PEAK = -1.0  # dBTP
SAMPLE_RATE = 22050
MAX_GAIN = 30.0  # dB: never lift near-silence into noise
SILENT = -60.0  # LUFS: below this a segment is treated as silence and left alone
TOLERANCE = 0.4  # LU
MARGIN = 0.05  # dB under the true-peak ceiling that a plain gain keeps
HEADROOM = 2.0  # dB the limiter holds the peaks under its usual place (ceiling - 1 dB),
# so that the loudness limiting takes away can be given back as a plain gain
BLOCK = 1 << 20  # bytes handled at a time


@dataclass(frozen=True)
class Measure:
    loudness: float  # LUFS integrated (-70 for silence)
    true_peak: float  # dBTP (-inf as -200)
    seconds: float  # decoded duration

    def plus(self, gain: float) -> Measure:
        """The measure of the same audio ``gain`` dB louder."""
        return Measure(self.loudness + gain, self.true_peak + gain, self.seconds)


_I = re.compile(r"^\s*I:\s+(-?[\d.]+|-inf)\s+LUFS", re.M)
_PEAK = re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf)\s+dBFS", re.M)
_T = re.compile(r"\bt:\s*([\d.]+)")
_DURATION = re.compile(r"Duration:\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)")
_BAD = ("Invalid data", "corrupt", "Error while decoding", "error while decoding", "CRC")


def _number(text: str) -> float:
    return -200.0 if text == "-inf" else float(text)


def _parse(stderr: str, what: str) -> tuple[Measure, float | None]:
    summary = stderr[stderr.rfind("Summary:") :] if "Summary:" in stderr else ""
    i, peak = _I.search(summary), _PEAK.search(summary)
    if not (i and peak):
        raise RenderError(f"{what}: cannot measure the loudness: {last_line(stderr)}")
    times = _T.findall(stderr)
    seconds = float(times[-1]) + 0.1 if times else 0.0
    header = _DURATION.search(stderr)
    stated = None
    if header:
        h, m, s = header.groups()
        stated = int(h) * 3600 + int(m) * 60 + float(s)
    return Measure(_number(i.group(1)), _number(peak.group(1)), seconds), stated


def _checked(stderr: str, src: Path, what: str) -> Measure:
    """The measure in ffmpeg's output of a first decode of ``src``; RenderError when the
    file is damaged, truncated or holds no audio."""
    bad = [line for line in stderr.splitlines() if any(b in line for b in _BAD)]
    if bad:
        raise RenderError(f"{what}: {src.name} is corrupt ({bad[0].strip()[:200]})")
    result, stated = _parse(stderr, what)
    if stated is not None and stated - result.seconds > max(0.6, 0.03 * stated):
        raise RenderError(
            f"{what}: {src.name} is truncated (header says {stated:.1f} s, "
            f"only {result.seconds:.1f} s of audio)"
        )
    if result.seconds <= 0.0:
        raise RenderError(f"{what}: {src.name} holds no audio")
    return result


def _mono(sample_rate: int) -> str:
    return f"aresample={sample_rate},aformat=sample_fmts=flt:channel_layouts=mono"


def measure(path: Path, what: str, sample_rate: int = SAMPLE_RATE) -> Measure:
    """Loudness, true peak and duration of an audio file; RenderError if it is damaged."""
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-vn",
            "-af", f"{_mono(sample_rate)},ebur128=peak=true", "-f", "null", "-"]
    proc = tools.run(argv, what=what, timeout=3600, check=False)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RenderError(
            f"{what}: {path.name} is not a readable audio file ({last_line(stderr)})"
        )
    return _checked(stderr, path, what)


def level(
    src: Path,
    dst: Path,
    what: str,
    *,
    loudness: float | None = DEFAULT_LOUDNESS,
    true_peak: float = DEFAULT_TRUE_PEAK,
    sample_rate: int = SAMPLE_RATE,
) -> Measure:
    """Decode ``src`` into ``dst`` as raw mono s16le at ``sample_rate``, at the target
    loudness with its true peak under the ceiling (``loudness=None`` only converts).
    Returns the measure of what was written."""
    before = _convert(src, dst, what, sample_rate)
    if loudness is None or before.loudness <= SILENT:
        return before
    gain = min(MAX_GAIN, loudness - before.loudness)
    if before.true_peak + gain <= true_peak - MARGIN:
        gain_file(dst, gain)
        return before.plus(gain)
    limited = dst.with_name(dst.name + ".limited")
    threshold = true_peak - 1.0 - HEADROOM  # dBFS: where the limiter holds the peaks
    try:
        for _pass in range(3):
            after = _limit(dst, limited, what, gain, threshold, sample_rate)
            error = loudness - after.loudness  # what limiting took away, and a bit more
            room = true_peak - MARGIN - after.true_peak
            if error <= room:
                break
            gain += error - room + 0.2  # too quiet for its peaks: more into the limiter
        else:
            error = room  # as loud as the ceiling allows
        gain_file(limited, error)
        os.replace(limited, dst)
        return after.plus(error)
    finally:
        limited.unlink(missing_ok=True)


def _convert(src: Path, dst: Path, what: str, sample_rate: int) -> Measure:
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", str(src), "-vn",
            "-af", f"{_mono(sample_rate)},ebur128=peak=true",
            "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", str(dst)]
    proc = tools.run(argv, what=what, timeout=3600, check=False, writes=dst)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        tools.check_disk(dst)
        raise RenderError(
            f"{what}: {src.name} is not a readable audio file ({last_line(stderr)})"
        )
    return _checked(stderr, src, what)


def _limit(raw: Path, dst: Path, what: str, gain: float, threshold: float, sample_rate: int
           ) -> Measure:
    limit = 10 ** (threshold / 20)
    chain = (f"volume={gain:.3f}dB,alimiter=limit={limit:.5f}:level=0:attack=2:release=60,"
             "ebur128=peak=true")
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-y", "-f", "s16le", "-ar", str(sample_rate),
            "-ac", "1", "-i", str(raw), "-af", chain, "-ac", "1", "-ar", str(sample_rate),
            "-f", "s16le", str(dst)]
    proc = tools.run(argv, what=what, timeout=3600, writes=dst)
    result, _stated = _parse(proc.stderr.decode("utf-8", "replace"), what)
    return result


def _audioop() -> ModuleType:
    """The standard ``audioop`` (``audioop-lts`` from Python 3.13, as pydub needs it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    return audioop


def gain_file(raw: Path, gain: float) -> None:
    """Make raw s16le audio ``gain`` dB louder in place, block by block (saturating)."""
    if abs(gain) < 1e-4:
        return
    audioop = _audioop()
    factor = 10 ** (gain / 20)
    with open(raw, "r+b") as fh:
        while True:
            start = fh.tell()
            block = fh.read(BLOCK)
            if not block:
                break
            fh.seek(start)
            fh.write(audioop.mul(block, 2, factor))


def measure_program(path: Path) -> Measure:
    """Loudness of a finished file (used by tests and ``doctor``-style checks)."""
    return measure(path, str(path))
