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

import math
import os
import re
from pathlib import Path
from types import ModuleType

from radiocli.errors import RenderError
from radiocli.i18n import _
from radiocli.render import tools
from radiocli.render.pcmlevel import DEFAULT_LOUDNESS, DEFAULT_TRUE_PEAK, SAMPLE_RATE, Measure
from radiocli.render.tools import last_line

__all__ = ["DEFAULT_LOUDNESS", "DEFAULT_TRUE_PEAK", "SAMPLE_RATE", "Measure", "level", "measure"]

MAX_GAIN = 30.0  # dB: never lift near-silence into noise
SILENT = -60.0  # LUFS: below this a segment is treated as silence and left alone
TOLERANCE = 0.4  # LU
MARGIN = 0.05  # dB under the true-peak ceiling that a plain gain keeps
HEADROOM = 2.0  # dB the limiter holds the peaks under its usual place (ceiling - 1 dB),
# so that the loudness limiting takes away can be given back as a plain gain
BLOCK = 1 << 20  # bytes handled at a time


_I = re.compile(r"^\s*I:\s+(-?[\d.]+|-inf)\s+LUFS", re.M)
_PEAK = re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf)\s+dBFS", re.M)
_T = re.compile(r"\bt:\s*([\d.]+)")
_DURATION = re.compile(r"Duration:\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)")
_BAD = ("Invalid data", "corrupt", "Error while decoding", "error while decoding", "CRC")


def _number(text: str) -> float:
    return -200.0 if text == "-inf" else float(text)


_SUMMARY = re.compile(r"^\[(?P<name>\S+) @ [^\]]*\] Summary:", re.M)


def _summary(stderr: str, name: str | None = None) -> tuple[float, float] | None:
    """(integrated LUFS, true peak dBTP) from the last summary of the ebur128 instance
    ``name`` (of any instance when None), or None when ffmpeg printed none. (ffmpeg
    prints an empty summary of a first, discarded filter graph before the real one.)"""
    heads = list(_SUMMARY.finditer(stderr))
    text = ""
    for n, head in enumerate(heads):
        if name is None or head.group("name") == name:
            end = heads[n + 1].start() if n + 1 < len(heads) else len(stderr)
            text = stderr[head.end():end]
    i, peak = _I.search(text), _PEAK.search(text)
    if not (i and peak):
        return None
    return _number(i.group(1)), _number(peak.group(1))


def _parse(stderr: str, what: str) -> tuple[Measure, float | None]:
    found = _summary(stderr)
    if found is None:
        raise RenderError(_("{what}: cannot measure the loudness: {error}").format(
            what=what, error=last_line(stderr)))
    times = _T.findall(stderr)
    seconds = float(times[-1]) + 0.1 if times else 0.0
    return Measure(found[0], found[1], seconds), _stated(stderr)


def _stated(stderr: str) -> float | None:
    """The duration the input's header states, if any."""
    header = _DURATION.search(stderr)
    if header is None:
        return None
    h, m, s = header.groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def _checked(stderr: str, src: Path, what: str, measured: Measure | None = None) -> Measure:
    """The measure of a first decode of ``src`` (from ffmpeg's output unless given);
    RenderError when the file is damaged, truncated or holds no audio."""
    bad = [line for line in stderr.splitlines() if any(b in line for b in _BAD)]
    if bad:
        raise RenderError(_("{what}: {name} is corrupt ({error})").format(
            what=what, name=src.name, error=bad[0].strip()[:200]))
    if measured is None:
        result, stated = _parse(stderr, what)
    else:
        result, stated = measured, _stated(stderr)
    if stated is not None and stated - result.seconds > max(0.6, 0.03 * stated):
        raise RenderError(
            _("{what}: {name} is truncated (header says {stated:.1f} s, only {seconds:.1f} s of "
              "audio)").format(what=what, name=src.name, stated=stated, seconds=result.seconds)
        )
    if result.seconds <= 0.0:
        raise RenderError(_("{what}: {name} holds no audio").format(what=what, name=src.name))
    return result


def _mono(sample_rate: int) -> str:
    return f"aresample={sample_rate},aformat=sample_fmts=flt:channel_layouts=mono"


def _raw_seconds(raw: Path, sample_rate: int) -> float:
    return raw.stat().st_size / 2 / sample_rate


def measure(path: Path, what: str, sample_rate: int = SAMPLE_RATE) -> Measure:
    """Loudness, true peak and duration of an audio file; RenderError if it is damaged."""
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-vn",
            "-af", f"{_mono(sample_rate)},ebur128=peak=true", "-f", "null", "-"]
    proc = tools.run(argv, what=what, timeout=3600, check=False)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RenderError(
            _("{what}: {name} is not a readable audio file ({error})").format(
                what=what, name=path.name, error=last_line(stderr))
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
    speech: bool = False,
) -> Measure:
    """Decode ``src`` into ``dst`` as raw mono s16le at ``sample_rate``, at the target
    loudness with its true peak under the ceiling (``loudness=None`` only converts).
    Returns the measure of what was written.

    ``speech``: ``src`` is an engine's speech; as a mono 16-bit WAV at ``sample_rate``
    (eSpeak NG's, pyttsx3's) it is levelled in Python without ffmpeg
    (:func:`radiocli.render.pcmlevel.level`, as ``radiocli say`` levels it).

    A mono 16-bit WAV (what every speech engine writes) gets its loudness estimated in
    Python first (:func:`estimate`, within 0.6 LU of ebur128 on eSpeak's voices), and
    one ffmpeg run then both converts it and limits it at the estimated gain, measuring
    both; other sources are converted and measured first.
    """
    if loudness is None:
        return _convert(src, dst, what, sample_rate)
    if speech:
        done = _level_in_python(src, dst, what, loudness, true_peak, sample_rate)
        if done is not None:
            return done
    limited = dst.with_name(dst.name + ".limited")
    threshold = true_peak - 1.0 - HEADROOM  # dBFS: where the limiter holds the peaks
    try:
        guess = estimate(src)
        before: Measure | None = None  # the converted audio, true peak measured
        after: Measure | None = None  # the limited audio, made with gain `used`
        used = 0.0
        if guess is not None and guess > SILENT:
            used = min(MAX_GAIN, loudness - guess)
            source, sample_peak, after = _convert_and_limit(src, dst, limited, what, used,
                                                            threshold, sample_rate)
            # the true peak is at least the sample peak: over the ceiling, it must be limited
            gain = min(MAX_GAIN, loudness - source.loudness)
            if source.loudness <= SILENT or sample_peak + gain <= true_peak - MARGIN:
                before = _with_true_peak(dst, source, sample_rate, what)
        else:
            before = source = _convert(src, dst, what, sample_rate)
        if source.loudness <= SILENT:
            return before or source
        gain = min(MAX_GAIN, loudness - source.loudness)
        if before is not None and before.true_peak + gain <= true_peak - MARGIN:
            gain_file(dst, gain)  # no limiting needed: a plain gain, exact
            return before.plus(gain)
        for _pass in range(3):
            if after is None:
                used = gain
                after = _limit(dst, limited, what, gain, threshold, sample_rate)
            error = loudness - after.loudness  # what limiting took away, and a bit more
            room = true_peak - MARGIN - after.true_peak
            if error <= room:
                break
            gain = min(MAX_GAIN, used + error - room + 0.2)  # more into the limiter
            after = None
        else:
            assert after is not None
            error = room  # as loud as the ceiling allows
        gain_file(limited, error)
        os.replace(limited, dst)
        return after.plus(error)
    finally:
        limited.unlink(missing_ok=True)


def _level_in_python(src: Path, dst: Path, what: str, loudness: float, true_peak: float,
                     sample_rate: int) -> Measure | None:
    """Speech levelled by :mod:`radiocli.render.pcmlevel` into raw ``dst``; None when
    ``src`` is not a mono 16-bit WAV at ``sample_rate``."""
    import wave

    from radiocli.render import pcmlevel

    try:
        with wave.open(str(src), "rb") as fh:
            if (fh.getnchannels(), fh.getsampwidth(), fh.getframerate()) != (1, 2, sample_rate):
                return None
            pcm = fh.readframes(fh.getnframes())
    except (OSError, EOFError, wave.Error):
        return None  # ffmpeg says what is wrong with it
    done = pcmlevel.level(pcm, sample_rate, loudness, true_peak)
    try:
        dst.write_bytes(done.pcm)
    except OSError as exc:
        raise tools.disk_error(exc, what, dst) from exc
    return Measure(done.loudness, done.true_peak, len(done.pcm) / 2 / sample_rate)


def _failed(src: Path, dst: Path, what: str, stderr: str) -> RenderError:
    """A failed decode: a full disk if the output folder is full, else an unreadable file."""
    tools.check_disk(dst)
    return RenderError(_("{what}: {name} is not a readable audio file ({error})").format(
        what=what, name=src.name, error=last_line(stderr)))


def _convert(src: Path, dst: Path, what: str, sample_rate: int) -> Measure:
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", str(src), "-vn",
            "-af", f"{_mono(sample_rate)},ebur128=peak=true:framelog=verbose",
            "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", str(dst)]
    proc = tools.run(argv, what=what, timeout=3600, check=False, writes=dst)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise _failed(src, dst, what, stderr)
    found = _summary(stderr)
    if found is None:
        raise RenderError(_("{what}: cannot measure the loudness: {error}").format(
            what=what, error=last_line(stderr)))
    return _checked(stderr, src, what, Measure(*found, _raw_seconds(dst, sample_rate)))


def _with_true_peak(raw: Path, before: Measure, sample_rate: int, what: str) -> Measure:
    """``before`` with the true peak of the raw audio measured (one more ffmpeg run)."""
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-f", "s16le", "-ar", str(sample_rate),
            "-ac", "1", "-i", str(raw), "-af", "ebur128=peak=true:framelog=verbose",
            "-f", "null", "-"]
    found = _summary(tools.run(argv, what=what, timeout=3600).stderr.decode("utf-8",
                                                                             "replace"))
    if found is None:
        raise RenderError(_("{what}: cannot measure the true peak").format(what=what))
    return Measure(before.loudness, found[1], before.seconds)


def _convert_and_limit(src: Path, dst: Path, limited: Path, what: str, gain: float,
                       threshold: float, sample_rate: int) -> tuple[Measure, float, Measure]:
    """One run: ``src`` converted into ``dst`` and, at ``gain``, limited into ``limited``.
    Returns the converted audio's loudness and duration (its true peak is not measured:
    the Measure says -200), its sample peak, and the measure of the limited audio. The
    true peak of the source matters only when its sample peak says it may need no
    limiting at all (then it is measured apart)."""
    limit = 10 ** (threshold / 20)
    graph = (f"[0:a]{_mono(sample_rate)},asplit=2[a][b];"
             "[a]ebur128@source=peak=sample:framelog=verbose[converted];"
             f"[b]volume={gain:.3f}dB,alimiter=limit={limit:.5f}:level=0:attack=2:release=60,"
             "ebur128@limited=peak=true:framelog=verbose[limited]")
    raw = ["-ac", "1", "-ar", str(sample_rate), "-f", "s16le"]
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", str(src), "-filter_complex",
            graph, "-map", "[converted]", *raw, str(dst), "-map", "[limited]", *raw,
            str(limited)]
    proc = tools.run(argv, what=what, timeout=3600, check=False, writes=dst)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise _failed(src, dst, what, stderr)
    source, after = _summary(stderr, "ebur128@source"), _summary(stderr, "ebur128@limited")
    if source is None or after is None:
        raise RenderError(_("{what}: cannot measure the loudness: {error}").format(
            what=what, error=last_line(stderr)))
    before = _checked(stderr, src, what, Measure(source[0], -200.0,
                                                 _raw_seconds(dst, sample_rate)))
    return before, source[1], Measure(*after, _raw_seconds(limited, sample_rate))


def _limit(raw: Path, dst: Path, what: str, gain: float, threshold: float, sample_rate: int
           ) -> Measure:
    limit = 10 ** (threshold / 20)
    chain = (f"volume={gain:.3f}dB,alimiter=limit={limit:.5f}:level=0:attack=2:release=60,"
             "ebur128=peak=true:framelog=verbose")
    argv = ["ffmpeg", "-hide_banner", "-nostats", "-y", "-f", "s16le", "-ar", str(sample_rate),
            "-ac", "1", "-i", str(raw), "-af", chain, "-ac", "1", "-ar", str(sample_rate),
            "-f", "s16le", str(dst)]
    proc = tools.run(argv, what=what, timeout=3600, writes=dst)
    found = _summary(proc.stderr.decode("utf-8", "replace"))
    if found is None:
        raise RenderError(_("{what}: cannot measure the loudness after limiting").format(
            what=what))
    return Measure(*found, _raw_seconds(dst, sample_rate))


#: K-weighted minus unweighted gated loudness of speech (measured on eSpeak NG's three
#: Vietnamese voices at 140 and 175 words a minute: -0.53 to +0.06)
SPEECH_WEIGHTING = -0.25


def estimate(src: Path) -> float | None:
    """The loudness of a mono 16-bit WAV estimated in Python (BS.1770 gating over 400 ms
    blocks, without the K-weighting filter), or None for any other file. It only sets
    the first gain: ebur128 measures what is written."""
    import wave

    try:
        with wave.open(str(src), "rb") as fh:
            if fh.getnchannels() != 1 or fh.getsampwidth() != 2:
                return None
            rate = fh.getframerate()
            hop = max(1, rate // 10)  # 100 ms
            powers: list[float] = []
            audioop = _audioop()
            while True:
                chunk = fh.readframes(hop)
                if len(chunk) < 2 * hop:
                    break
                rms = audioop.rms(chunk, 2) / 32768.0
                powers.append(rms * rms)
    except (OSError, EOFError, wave.Error):
        return None
    blocks = [sum(powers[i:i + 4]) / 4 for i in range(len(powers) - 3)]  # 400 ms, 75 %
    gated = [p for p in blocks if p > 1e-7]  # -70 LUFS absolute gate
    if not gated:
        return None
    relative = sum(gated) / len(gated) * 0.1  # -10 LU relative gate
    kept = [p for p in gated if p > relative] or gated
    return 10 * math.log10(sum(kept) / len(kept)) + SPEECH_WEIGHTING


def _audioop() -> ModuleType:
    """The standard ``audioop`` (``audioop-lts`` from Python 3.13, as pydub needs it)."""
    from radiocli.render.pcmlevel import audioop_module

    return audioop_module()


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
