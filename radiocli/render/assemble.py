"""Join segments into one playable file: each distinct source levelled once, then copied.

Every piece (spoken text, recording, chime) is first brought to the loudness target by
:class:`radiocli.render.levels.Levels`, once per distinct source and settings, and
cached; a program is then a copy of those samples (silence is zero samples), with no
ffmpeg run at all for WAV output and one for MP3. Two ways to join, same bytes out:

- a short part (at most :data:`SHORT_SECONDS`, no crossfade: an alert, a notice
  between two chimes) is joined in memory with pydub;
- a longer part streams in 512k-frame blocks, never ``+=`` in a loop, so a 40-minute
  program stays far under 150 MB (pydub needed 823 MB); a crossfade, only when asked for
  (``crossfade`` seconds, default 0: pieces follow each other exactly), mixes just the
  overlapping samples with numpy.
"""

from __future__ import annotations

import shutil
import tempfile
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from radiocli.errors import RenderError
from radiocli.i18n import _
from radiocli.render import loudness as ln
from radiocli.render.levels import Levelled, Levels, Source, file_ident
from radiocli.render.tools import disk_error, run

BLOCK_FRAMES = 1 << 19  # samples copied at a time
SHORT_SECONDS = 180.0  # parts up to this long are joined in memory (pydub)


@dataclass(frozen=True)
class AudioSettings:
    sample_rate: int = ln.SAMPLE_RATE
    loudness: float | None = ln.DEFAULT_LOUDNESS  # None: leave levels alone
    true_peak: float = ln.DEFAULT_TRUE_PEAK
    crossfade: float = 0.0  # seconds between pieces, explicit
    format: str = "wav"  # "wav" or "mp3"
    bitrate: str = "48k"  # MP3 only

    def as_dict(self) -> dict[str, object]:
        return {
            "sample_rate": self.sample_rate,
            "loudness": self.loudness,
            "true_peak": self.true_peak,
            "crossfade": self.crossfade,
            "format": self.format,
            "bitrate": self.bitrate if self.format == "mp3" else None,
        }

    def levels(self, root: Path) -> Levels:
        """The levelled-source cache under ``root`` for these settings."""
        return Levels(root, self.sample_rate, self.loudness, self.true_peak)


@dataclass(frozen=True)
class Piece:
    """One input: an audio file, or ``seconds`` of silence when ``path`` is None."""

    label: str  # "program X, segment N (kind)": every error names it
    path: Path | None = None
    seconds: float = 0.0
    ident: str | None = None  # what identifies the content; None: the file's sha256


def assemble(pieces: Sequence[Piece], out: Path, settings: AudioSettings, *,
             levels: Levels | None = None, jobs: int = 1) -> float:
    """Write ``pieces`` joined into ``out`` (WAV or MP3); return the duration in seconds.

    ``levels``: where levelled sources are cached (default: a scratch folder beside
    ``out``, dropped afterwards); ``jobs``: how many sources are levelled at once.
    Scratch files go beside ``out`` (the caller's staging folder), so a full disk
    surfaces here as a RenderError and leaves nothing in the cache.
    """
    if settings.format not in ("wav", "mp3"):
        raise RenderError(_("unknown audio format {format!r} (wav or mp3)").format(
            format=settings.format))
    scratch: Path | None = None
    try:
        if levels is None:
            scratch = Path(tempfile.mkdtemp(dir=out.parent, prefix=".tmp-levels-"))
            levels = settings.levels(scratch)
        sources = [Source(p.path, p.ident or file_ident(p.path), p.label)
                   for p in pieces if p.path is not None]
        levelled = levels.get_all(sources, jobs)
        wav_path = out if settings.format == "wav" else out.with_suffix(".tmp.wav")
        parts: list[Levelled | float] = []
        for piece, source in zip(pieces, _sources_or_none(pieces, sources), strict=True):
            parts.append(piece.seconds if source is None else levelled[source.ident])
        frames = sum(_frames(p, settings.sample_rate) for p in parts)
        if settings.crossfade <= 0 and frames <= SHORT_SECONDS * settings.sample_rate:
            from radiocli.render import clips

            frames = clips.join_to_wav(parts, wav_path, settings.sample_rate)
        else:
            frames = _stream(parts, wav_path, settings)
    except OSError as exc:
        raise disk_error(exc, _("writing {path}").format(path=out.name),
                         exc.filename or out) from exc
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if settings.format == "mp3":
        run(["ffmpeg", "-hide_banner", "-v", "error", "-y", "-i", str(wav_path),
             "-codec:a", "libmp3lame", "-b:a", settings.bitrate, "-ac", "1", str(out)],
            what=_("encoding {path}").format(path=out.name), timeout=3600, writes=out)
        wav_path.unlink(missing_ok=True)
    return frames / settings.sample_rate


def _sources_or_none(pieces: Sequence[Piece], sources: list[Source]) -> Iterator[Source | None]:
    it = iter(sources)
    for piece in pieces:
        yield None if piece.path is None else next(it)


def silence_frames(seconds: float, sample_rate: int) -> int:
    return int(round(max(0.0, seconds) * sample_rate))


def _frames(part: Levelled | float, sample_rate: int) -> int:
    if isinstance(part, Levelled):
        return int(round(part.seconds * sample_rate))
    return silence_frames(part, sample_rate)


def blocks(part: Levelled | float, sample_rate: int) -> Iterator[bytes]:
    """The samples of one part (a levelled source, or seconds of silence) in blocks."""
    if isinstance(part, Levelled):
        with wave.open(str(part.path), "rb") as fh:
            while block := fh.readframes(BLOCK_FRAMES):
                yield block
        return
    remaining = silence_frames(part, sample_rate) * 2
    zeros = bytes(min(BLOCK_FRAMES * 2, remaining))
    while remaining > 0:
        step = min(len(zeros), remaining)
        yield zeros[:step]
        remaining -= step


def _stream(parts: Sequence[Levelled | float], wav_path: Path, settings: AudioSettings) -> int:
    fade = int(round(settings.crossfade * settings.sample_rate)) * 2  # bytes
    frames = 0
    with wave.open(str(wav_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(settings.sample_rate)
        tail = b""  # the last `fade` bytes, held back to mix with the next piece
        for n, part in enumerate(parts):
            tail, written = _append(wav, blocks(part, settings.sample_rate), tail,
                                    fade if n else 0, fade)
            frames += written
        wav.writeframes(tail)
        frames += len(tail) // 2
    return frames


def _append(
    wav: wave.Wave_write, source: Iterator[bytes], tail: bytes, overlap: int, keep: int
) -> tuple[bytes, int]:
    """Copy ``source`` into ``wav``; mix its first ``overlap`` bytes with ``tail``
    (crossfade) and hold back its last ``keep`` bytes. Returns (new tail, frames)."""
    written = 0
    head = b""
    if tail and overlap:
        want = min(overlap, len(tail))
        for block in source:
            head += block
            if len(head) >= want:
                break
        rest, head = head[want:], head[:want]
        mixed = _crossfade(tail[len(tail) - len(head):], head) if head else b""
        out = tail[: len(tail) - len(head)] + mixed
        wav.writeframes(out)
        written += len(out) // 2
        held = b""
        pending: Iterator[bytes] = _chain(rest, source)
    else:
        if tail:
            wav.writeframes(tail)
            written += len(tail) // 2
        held = b""
        pending = source
    for block in pending:
        data = held + block
        cut = max(0, len(data) - keep)
        wav.writeframes(data[:cut])
        written += cut // 2
        held = data[cut:]
    return held, written


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _crossfade(a: bytes, b: bytes) -> bytes:
    import numpy as np

    x = np.frombuffer(a, dtype="<i2").astype(np.float32)
    y = np.frombuffer(b, dtype="<i2").astype(np.float32)
    ramp = np.linspace(0.0, 1.0, len(x), dtype=np.float32)
    mixed = x * (1.0 - ramp) + y * ramp
    return bytes(np.clip(np.round(mixed), -32768, 32767).astype("<i2").tobytes())


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()

