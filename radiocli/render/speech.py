"""Speech through the cache: one text -> a cached WAV (what ``render`` and ``say`` use).

The path of ``radiocli say`` imports only this module, the normalizer, the engines and
the loudness code (not the program renderer, the schedule loader or numpy): for one
sentence, start-up is most of the time.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from radiocli.errors import RenderError
from radiocli.i18n import _
from radiocli.render import engines as eng
from radiocli.render.cache import Cache, atomic_write, atomic_write_bytes, speech_key
from radiocli.render.loudness import DEFAULT_LOUDNESS, DEFAULT_TRUE_PEAK, SAMPLE_RATE, Measure

MAX_TEXT_CHARS = 20_000  # about 20 minutes of speech at 140 words a minute
LETTER = re.compile(r"[^\W\d_]")


@dataclass
class Said:
    path: Path  # the cached WAV (do not modify it)
    seconds: float
    text: str  # what the engine read
    synthesized: bool
    key: str = ""
    warnings: list[str] = field(default_factory=list)


def normalizer() -> Callable[[str, Mapping[str, str] | None], tuple[str, list[str]]]:
    """normalize_with_warnings, imported when first needed."""
    try:
        from radiocli.render.normalize import normalize_with_warnings
    except ImportError as exc:  # pragma: no cover - the normalizer is part of the package
        raise RenderError(_("the text normalizer is not available: {error}").format(
            error=exc)) from exc
    return normalize_with_warnings


# --- engines, one set per process --------------------------------------------------------

_ENGINES: dict[tuple[str, Path | None], eng.Engine] = {}


def engine_for(name: str, piper_model: Path | None = None) -> eng.Engine:
    key = (name, piper_model)
    if key not in _ENGINES:
        _ENGINES[key] = eng.get_engine(name, piper_model=piper_model)
    return _ENGINES[key]


@atexit.register
def close_engines() -> None:
    while _ENGINES:
        _key, engine = _ENGINES.popitem()
        try:
            engine.close()
        except Exception:  # noqa: BLE001 - closing at exit is best effort
            pass


def synthesize(cache: Cache, key: str, text: str, voice: str, rate: int, label: str,
               engine: eng.Engine) -> bool:
    """Speak ``text`` into the speech cache under ``key`` unless it is there; True if it
    was synthesized now. Errors name ``label``; a full disk stops the engine."""
    if cache.speech_meta(key) is not None:
        return False
    path = cache.speech_path(key)
    seconds: list[float] = []
    try:
        atomic_write(path, lambda tmp: seconds.append(eng.speak(engine, text, tmp, voice, rate)),
                     "writing speech")
        meta = {"seconds": seconds[0], "engine": engine.name, "voice": voice, "rate": rate,
                "version": engine.version(), "text": text[:200]}
        atomic_write_bytes(path.with_suffix(".json"),
                           json.dumps(meta, ensure_ascii=False).encode(), "writing speech")
    except RenderError as exc:
        from radiocli.render.tools import DiskFull

        if isinstance(exc, DiskFull):
            engine.close()  # stop the worker: nothing can be written until there is room
            raise DiskFull(path, exc.reason) from None  # the file, not its temporary name
        raise RenderError(f"{label}: {exc}") from None
    return True


# --- radiocli say --------------------------------------------------------------------------


def say_to_file(
    cache_dir: Path,
    text: str,
    *,
    engine: str,
    voice: str,
    rate: int,
    normalize_text: bool = True,
    abbreviations: Mapping[str, str] | None = None,
    piper_model: Path | None = None,
) -> Said:
    """Normalize and speak ``text`` into the speech cache; return where it is."""
    label = _("the text")
    if len(text) > MAX_TEXT_CHARS:
        raise RenderError(_("{label}: {n:,} characters is more than {limit:,} (about 20 minutes "
                            "of speech); split it").format(label=label, n=len(text),
                                                           limit=MAX_TEXT_CHARS))
    if not text.strip():
        raise RenderError(_("{label}: the text is empty").format(label=label))
    warnings: list[str] = []
    spoken = text
    if normalize_text:
        spoken, warnings = normalizer()(text, abbreviations)
    spoken = " ".join(spoken.split())
    if not LETTER.search(spoken):
        raise RenderError(_("{label}: nothing speakable is left after normalization").format(
            label=label))
    speaker = engine_for(engine, piper_model)
    key = speech_key(spoken, engine, voice, rate, speaker.version())
    cache = Cache(cache_dir)
    synthesized = synthesize(cache, key, spoken, voice, rate, label, speaker)
    meta = cache.speech_meta(key) or {}
    return Said(cache.speech_path(key), float(meta.get("seconds", 0.0)), spoken, synthesized,
                key, warnings)


def write_normalized_wav(said: Said, cache_dir: Path, dst: Path, *,
                         loudness: float | None = DEFAULT_LOUDNESS,
                         true_peak: float = DEFAULT_TRUE_PEAK,
                         sample_rate: int = SAMPLE_RATE) -> Measure:
    """Write the speech to ``dst`` as mono 16-bit WAV at the loudness target (the same
    levelling, and the same levelled-source cache, as programs); the file appears whole
    or not at all."""
    from radiocli.render.levels import Levels, Source

    levels = Levels(Cache(cache_dir).levels_dir, sample_rate, loudness, true_peak)
    done = levels.get(Source(said.path, f"speech:{said.key}", str(dst)))
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        from radiocli.render.tools import disk_error

        raise disk_error(exc, _("writing {path}").format(path=dst), dst) from exc
    tmp = Path(tmp_name)
    try:
        with open(done.path, "rb") as src, open(tmp, "wb") as out:
            while block := src.read(1 << 20):
                out.write(block)
        os.replace(tmp, dst)
    except OSError as exc:
        from radiocli.render.tools import disk_error

        raise disk_error(exc, _("writing {path}").format(path=dst), dst) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return Measure(done.loudness, done.true_peak, done.seconds)
