"""Loudness: measure with ffmpeg's ``ebur128`` filter, normalize each segment to a target.

Each segment (spoken text, recording, chime) is brought to the target integrated
loudness (default -16 LUFS) with its true peak at most the ceiling (default -1 dBTP).
Gain alone would clip eSpeak's output (it peaks at 0 dBFS), so the gain goes through a
peak limiter (``alimiter``) set 1 dB under the ceiling, and because limiting lowers the
loudness a little the gain is corrected and the segment processed again (at most three
passes, each measured by ``ebur128`` on the way out). Everything is ffmpeg, streamed:
a 40-minute recording never sits in Python's memory.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from radiocli.errors import RenderError
from radiocli.render.tools import last_line, which

DEFAULT_LOUDNESS = -16.0  # LUFS integrated
DEFAULT_TRUE_PEAK = -1.0  # dBTP
SAMPLE_RATE = 22050
MAX_GAIN = 30.0  # dB: never lift near-silence into noise
SILENT = -60.0  # LUFS: below this a segment is treated as silence and left alone
TOLERANCE = 0.4  # LU


@dataclass(frozen=True)
class Measure:
    loudness: float  # LUFS integrated (-70 for silence)
    true_peak: float  # dBTP (-inf as -200)
    seconds: float  # decoded duration


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


def measure(path: Path, what: str, sample_rate: int = SAMPLE_RATE) -> Measure:
    """Loudness, true peak and duration of an audio file; RenderError if it is damaged."""
    argv = [which("ffmpeg"), "-hide_banner", "-nostats", "-i", str(path), "-vn",
            "-af", f"aresample={sample_rate},ebur128=peak=true", "-f", "null", "-"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=3600, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"{what}: ffmpeg did not finish measuring {path.name}") from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RenderError(
            f"{what}: {path.name} is not a readable audio file ({last_line(stderr)})"
        )
    bad = [line for line in stderr.splitlines() if any(b in line for b in _BAD)]
    if bad:
        raise RenderError(f"{what}: {path.name} is corrupt ({bad[0].strip()[:200]})")
    result, stated = _parse(stderr, what)
    if stated is not None and stated - result.seconds > max(0.6, 0.03 * stated):
        raise RenderError(
            f"{what}: {path.name} is truncated (header says {stated:.1f} s, "
            f"only {result.seconds:.1f} s of audio)"
        )
    if result.seconds <= 0.0:
        raise RenderError(f"{what}: {path.name} holds no audio")
    return result


def normalize_to_raw(
    src: Path,
    dst: Path,
    what: str,
    *,
    loudness: float | None = DEFAULT_LOUDNESS,
    true_peak: float = DEFAULT_TRUE_PEAK,
    sample_rate: int = SAMPLE_RATE,
    measured: Measure | None = None,
) -> Measure:
    """Decode ``src`` to raw mono s16le at ``sample_rate`` in ``dst``, loudness-normalized.

    ``loudness=None`` only converts. Returns the measure of what was written.
    """
    before = measured or measure(src, what, sample_rate)
    if loudness is None or before.loudness <= SILENT:
        return _process(src, dst, what, None, true_peak, sample_rate)
    gain = min(MAX_GAIN, loudness - before.loudness)
    after = before
    for _pass in range(3):
        after = _process(src, dst, what, gain, true_peak, sample_rate)
        error = loudness - after.loudness
        if abs(error) <= TOLERANCE and after.true_peak <= true_peak + 0.05:
            break
        if after.true_peak > true_peak + 0.05:
            gain -= after.true_peak - true_peak + 0.1
        else:
            gain = min(MAX_GAIN, gain + error)
    return after


def _process(
    src: Path, dst: Path, what: str, gain: float | None, true_peak: float, sample_rate: int
) -> Measure:
    chain = [f"aresample={sample_rate}"]
    if gain is not None:
        limit = 10 ** ((true_peak - 1.0) / 20)
        chain += [
            f"volume={gain:.3f}dB",
            f"alimiter=limit={limit:.5f}:level=0:attack=2:release=60",
        ]
    chain.append("ebur128=peak=true")
    argv = [which("ffmpeg"), "-hide_banner", "-nostats", "-y", "-i", str(src), "-vn",
            "-af", ",".join(chain), "-ac", "1", "-ar", str(sample_rate),
            "-f", "s16le", str(dst)]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=3600, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"{what}: ffmpeg did not finish converting {src.name}") from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RenderError(f"{what}: cannot convert {src.name}: {last_line(stderr)}")
    result, _stated = _parse(stderr, what)
    return result


def measure_program(path: Path) -> Measure:
    """Loudness of a finished file (used by tests and ``doctor``-style checks)."""
    return measure(path, str(path))
