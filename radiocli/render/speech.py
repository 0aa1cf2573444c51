"""One text to speech through the cache (what ``radiocli say`` uses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from radiocli.errors import RenderError
from radiocli.render.cache import Cache, speech_key
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
        normalize, find_unspeakable = _normalizer()
        warnings = [str(w) for w in find_unspeakable(text)]
        spoken = normalize(text, abbreviations)
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
