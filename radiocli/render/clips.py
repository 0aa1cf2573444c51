"""Short audio in memory, with pydub: trimming synthesized speech, joining short parts.

pydub keeps a whole clip in one bytes object and copies it on every operation, which is
fine for seconds of audio and ruinous for a 40-minute program (823 MB for 200 items;
see ../shared/FINDINGS.md), so radiocli uses it only where a clip is short:

- :func:`trim_silence`: eSpeak NG ends every text with silence (0.43 s at 140 words a
  minute, 0.8 s at 100); each synthesized piece is trimmed to :data:`LEAD` before and
  :data:`TAIL` after the speech, so the pause after a text, between the pieces of a
  long text and before the next chime is the same whatever the voice and rate;
- :func:`join_to_wav`: a short part (an alert: chime, speech, chime) is joined in
  memory; longer parts stream (:mod:`radiocli.render.assemble`), with the same bytes out.

pydub never starts ffmpeg here: clips are read and written as WAV by pydub itself and
the standard ``wave`` module (any decoding or resampling is done by ffmpeg through
:mod:`radiocli.render.tools`; pydub's ``set_frame_rate`` has no anti-alias filter).
Joins pass ``crossfade=0``: pydub's ``append`` crossfades 100 ms by default.
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from radiocli.i18n import _
from radiocli.render.levels import Levelled

if TYPE_CHECKING:
    from pydub import AudioSegment

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
    """Cut the silence before and after the speech in a WAV file down to ``lead`` and
    ``tail`` seconds, in place; its new duration in seconds. A file with no sound at
    all is left alone."""
    clip = load(path)  # imports pydub first, quietly
    from pydub.silence import detect_leading_silence

    length = len(clip)  # milliseconds
    start = detect_leading_silence(clip, silence_threshold=threshold, chunk_size=5)
    if start >= length:
        return clip.frame_count() / clip.frame_rate
    end = length - detect_leading_silence(clip.reverse(), silence_threshold=threshold,
                                          chunk_size=5)
    first = max(0, start - int(lead * 1000))
    last = min(length, end + int(tail * 1000))
    if first > 0 or last < length:
        clip = clip[first:last]
        save(clip, path)
    return clip.frame_count() / clip.frame_rate


def join_to_wav(parts: Sequence[Levelled | float], out: Path, sample_rate: int) -> int:
    """Join levelled sources and silences (seconds) in memory into ``out``; frames."""
    from radiocli.render.assemble import silence_frames

    joined = silence(0, sample_rate)
    for part in parts:
        if isinstance(part, Levelled):
            clip = load(part.path)
        else:
            clip = silence(silence_frames(part, sample_rate), sample_rate)
        joined = joined.append(clip, crossfade=0)
    save(joined, out)
    return int(joined.frame_count())
