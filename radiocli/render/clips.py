"""Short audio in memory: trimming synthesized speech, joining short parts (pydub).

- :func:`trim_silence`: eSpeak NG ends every text with silence (0.43 s at 140 words a
  minute, 0.8 s at 100); each synthesized piece is trimmed to :data:`LEAD` before and
  :data:`TAIL` after the speech, so the pause after a text, between the pieces of a
  long text and before the next chime is the same whatever the voice and rate. The
  silence is found as pydub's ``detect_leading_silence`` finds it (5 ms chunks whose
  RMS is under -50 dBFS, on pydub's millisecond grid), with the same cut, but with
  ``audioop`` on the chunks at the ends only: pydub's import and its copy of the clip
  on every slice cost ``radiocli say`` more than eSpeak NG's synthesis.
- :func:`join_to_wav`: a short part (an alert: chime, speech, chime) is joined in
  memory with pydub; longer parts stream (:mod:`radiocli.render.assemble`), with the
  same bytes out. pydub keeps a whole clip in one bytes object and copies it on every
  operation, which is fine for seconds of audio and ruinous for a 40-minute program
  (823 MB for 200 items; see ../shared/FINDINGS.md).

pydub never starts ffmpeg here: clips are read and written as WAV by pydub itself and
the standard ``wave`` module (any decoding or resampling is done by ffmpeg through
:mod:`radiocli.render.tools`; pydub's ``set_frame_rate`` has no anti-alias filter).
Joins pass ``crossfade=0``: pydub's ``append`` crossfades 100 ms by default.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from radiocli.i18n import _

if TYPE_CHECKING:
    from pydub import AudioSegment

    from radiocli.render.levels import Levelled

LEAD = 0.05  # seconds of silence kept before speech
TAIL = 0.3  # seconds of silence kept after speech
THRESHOLD = -50.0  # dBFS: quieter 5 ms chunks are silence


def _pydub() -> type[AudioSegment]:
    import warnings

    with warnings.catch_warnings():  # pydub imports audioop, deprecated in Python 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    return AudioSegment


def load(path: Path) -> AudioSegment:
    """A mono 16-bit WAV as an AudioSegment (read by ``wave``, never by ffmpeg)."""
    with wave.open(str(path), "rb") as fh:
        if fh.getsampwidth() != 2 or fh.getnchannels() != 1:
            raise ValueError(_("{name}: not 16-bit mono").format(name=path.name))
        rate = fh.getframerate()
        data = fh.readframes(fh.getnframes())
    return _pydub()(data=data, sample_width=2, frame_rate=rate, channels=1)


def silence(frames: int, sample_rate: int) -> AudioSegment:
    """``frames`` samples of digital silence (exact, unlike pydub's millisecond count)."""
    return _pydub()(data=bytes(2 * frames), sample_width=2, frame_rate=sample_rate,
                    channels=1)


def save(clip: AudioSegment, path: Path) -> None:
    """Write a clip as WAV (pydub writes WAV itself, without ffmpeg)."""
    with open(path, "wb") as fh:
        clip.export(fh, format="wav")


def trim_silence(path: Path, lead: float = LEAD, tail: float = TAIL,
                 threshold: float = THRESHOLD) -> float:
    """Cut the silence before and after the speech in a mono 16-bit WAV file down to
    ``lead`` and ``tail`` seconds, in place; its new duration in seconds. A file with no
    sound at all is left alone."""
    with wave.open(str(path), "rb") as fh:
        if fh.getsampwidth() != 2 or fh.getnchannels() != 1:
            raise ValueError(f"{path.name}: not 16-bit mono")
        rate = fh.getframerate()
        pcm = fh.readframes(fh.getnframes())
    trimmed = trim_pcm(pcm, rate, lead, tail, threshold)
    if len(trimmed) != len(pcm):
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(trimmed)
    return len(trimmed) // 2 / rate


def trim_pcm(pcm: bytes, rate: int, lead: float = LEAD, tail: float = TAIL,
             threshold: float = THRESHOLD, chunk_ms: int = 5) -> bytes:
    """16-bit mono ``pcm`` with its leading and trailing silence cut to ``lead`` and
    ``tail`` seconds (pydub's detection and cut, on its millisecond grid); unchanged
    when it holds no sound."""
    frames = len(pcm) // 2
    length = round(1000 * frames / rate)  # milliseconds, as pydub counts them

    def frame(ms: int) -> int:  # pydub's position of a millisecond
        return int(min(ms, length) * (rate / 1000.0))

    start = _silent_ms(pcm, rate, length, threshold, chunk_ms, frame, from_end=False)
    if start >= length:
        return pcm
    end = length - _silent_ms(pcm, rate, length, threshold, chunk_ms, frame, from_end=True)
    first = max(0, start - int(lead * 1000))
    last = min(length, end + int(tail * 1000))
    if first == 0 and last == length:
        return pcm
    cut = pcm[2 * frame(first):2 * frame(last)]
    missing = frame(last) - frame(first) - len(cut) // 2
    return cut + bytes(2 * missing) if missing > 0 else cut  # pydub pads its last frames


def _silent_ms(pcm: bytes, rate: int, length: int, threshold: float, chunk_ms: int,
               frame: Callable[[int], int], from_end: bool) -> int:
    """pydub's detect_leading_silence (of the reversed clip when ``from_end``): the
    milliseconds before the first chunk whose RMS reaches ``threshold`` dBFS."""
    from radiocli.render.pcmlevel import audioop_module

    rms = audioop_module().rms
    frames = len(pcm) // 2
    trim = 0
    while trim < length:
        a, b = frame(trim), frame(trim + chunk_ms)
        if from_end:  # the reversed clip's samples a..b are these, backwards
            a, b = frames - b, frames - a
        chunk = pcm[2 * max(0, a):2 * max(0, b)]
        expected = b - a
        if len(chunk) // 2 < expected:  # pydub pads a short slice with silence
            chunk += bytes(2 * (expected - len(chunk) // 2))
        level = rms(chunk, 2) if chunk else 0
        if level and 20 * math.log10(level / 32768) >= threshold:
            break
        trim += chunk_ms
    return min(trim, length)


def join_to_wav(parts: Sequence[Levelled | float], out: Path, sample_rate: int) -> int:
    """Join levelled sources and silences (seconds) in memory into ``out``; frames."""
    from radiocli.render.assemble import silence_frames
    from radiocli.render.levels import Levelled

    joined = silence(0, sample_rate)
    for part in parts:
        if isinstance(part, Levelled):
            clip = load(part.path)
        else:
            clip = silence(silence_frames(part, sample_rate), sample_rate)
        joined = joined.append(clip, crossfade=0)
    save(joined, out)
    return int(joined.frame_count())
