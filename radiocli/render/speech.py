"""One text to speech through the cache (what ``radiocli say`` uses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import os
import tempfile
import wave

from radiocli.errors import RenderError
from radiocli.render.cache import Cache, speech_key
from radiocli.render.loudness import (
    DEFAULT_LOUDNESS,
    DEFAULT_TRUE_PEAK,
    SAMPLE_RATE,
    Measure,
    normalize_to_raw,
)
from radiocli.render.programs import (
    _LETTER,
    MAX_TEXT_CHARS,
    Item,
    RenderSettings,
    _normalizer,
    engine_for,
    ensure_speech,
)


@dataclass
class Said:
    path: Path  # the cached WAV (do not modify it)
    seconds: float
    text: str  # what the engine read
    synthesized: bool
    warnings: list[str] = field(default_factory=list)


def say_to_file(
    cache_dir: Path,
    text: str,
    *,
    engine: str,
    voice: str,
    rate: int,
    normalize_text: bool = True,
    abbreviations: dict[str, str] | None = None,
) -> Said:
    """Normalize and speak ``text`` into the speech cache; return where it is."""
    label = "text"
    if len(text) > MAX_TEXT_CHARS:
        raise RenderError(f"{label}: {len(text):,} characters is more than {MAX_TEXT_CHARS:,} "
                          "(about 20 minutes of speech); split it")
    if not text.strip():
        raise RenderError(f"{label}: the text is empty")
    warnings: list[str] = []
    spoken = text
    if normalize_text:
        spoken, warnings = _normalizer()(text, abbreviations)
    spoken = " ".join(spoken.split())
    if not _LETTER.search(spoken):
        raise RenderError(f"{label}: nothing speakable is left after normalization")
    settings = RenderSettings(engine=engine, voice=voice, rate=rate)
    key = speech_key(spoken, engine, voice, rate, engine_for(settings).version())
    cache = Cache(cache_dir)
    item = Item(0, "say", label, {"say": key}, text=spoken, voice=voice, rate=rate)
    synthesized = ensure_speech(cache, item, settings)
    meta = cache.speech_meta(key) or {}
    return Said(cache.speech_path(key), float(meta.get("seconds", 0.0)), spoken, synthesized,
                warnings)


def write_normalized_wav(src: Path, dst: Path, *, loudness: float | None = DEFAULT_LOUDNESS,
                         true_peak: float = DEFAULT_TRUE_PEAK,
                         sample_rate: int = SAMPLE_RATE) -> Measure:
    """Write ``src`` to ``dst`` as mono 16-bit WAV at the loudness target (the same
    per-segment normalization programs get); the file appears whole or not at all."""
    what = str(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, raw_name = tempfile.mkstemp(suffix=".raw", dir=dst.parent, prefix=".radiocli-")
    os.close(fd)
    raw = Path(raw_name)
    tmp = dst.with_name(f".{dst.name}.tmp")
    try:
        measured = normalize_to_raw(src, raw, what, loudness=loudness, true_peak=true_peak,
                                    sample_rate=sample_rate)
        with open(raw, "rb") as pcm, wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            while block := pcm.read(1 << 20):
                out.writeframes(block)
        os.replace(tmp, dst)
        return measured
    except OSError as exc:
        raise RenderError(f"{dst}: cannot write: {exc.strerror or exc}") from exc
    finally:
        raw.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
