"""Speech through the cache: one text -> a cached WAV (what ``render`` and ``say`` use).

The path of ``radiocli say`` imports only this module, the normalizer, the engines and
:mod:`radiocli.render.pcmlevel` (not the program renderer, the schedule loader, pydub,
numpy or ffmpeg's levelling): for one sentence, start-up is most of the time. Its WAV
is levelled in Python (:func:`radiocli.render.pcmlevel.level`, the same levelling
``render`` gives spoken text) and written once, not kept in the levelled-source cache.
"""

from __future__ import annotations

import atexit
import re
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from radiocli.errors import RenderError
from radiocli.i18n import _
from radiocli.render import engines as eng
from radiocli.render.cache import Cache, atomic_write, speech_key, write_json_entry
from radiocli.render.pcmlevel import DEFAULT_LOUDNESS, DEFAULT_TRUE_PEAK, SAMPLE_RATE, Measure

MAX_TEXT_CHARS = 20_000  # about 20 minutes of speech at 140 words a minute
MEMO = "tools.json"  # in the cache folder: what the speech tools said about themselves
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


def engine_for(name: str, piper_model: Path | None = None, memo: Path | None = None
               ) -> eng.Engine:
    """The engine ``name`` of this process. ``memo``: where espeak-ng's version and voices
    are remembered between runs (see :func:`radiocli.render.engines.espeak_info`)."""
    key = (name, piper_model)
    if key not in _ENGINES:
        _ENGINES[key] = eng.get_engine(name, piper_model=piper_model, memo=memo)
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
                     "writing speech", durable=False)
        meta = {"seconds": seconds[0], "engine": engine.name, "voice": voice, "rate": rate,
                "version": engine.version(), "text": text[:200]}
        write_json_entry(path.with_suffix(".json"), meta, "writing speech")
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
    speaker = engine_for(engine, piper_model, memo=cache_dir / MEMO)
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
    """Write the speech to ``dst`` as a mono 16-bit WAV at the loudness target, levelled
    as ``render`` levels spoken text; the file appears whole or not at all (it is not
    fsynced: it is the user's copy, not a record)."""
    from radiocli.render import pcmlevel

    try:
        with wave.open(str(said.path), "rb") as fh:
            usable = (fh.getnchannels(), fh.getsampwidth(), fh.getframerate()) == (
                1, 2, sample_rate)
            pcm = fh.readframes(fh.getnframes()) if usable else b""
    except (OSError, EOFError, wave.Error) as exc:
        raise RenderError(_("text: cannot read the speech {path}: {error}").format(
            path=said.path, error=exc)) from exc
    if not usable or loudness is None:  # another rate (piper), or no levelling asked
        return _write_levelled_source(said, cache_dir, dst, loudness, true_peak, sample_rate)
    done = pcmlevel.level(pcm, sample_rate, loudness, true_peak)

    def write(tmp: Path) -> None:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(done.pcm)

    _replace(dst, write)
    return Measure(done.loudness, done.true_peak, len(done.pcm) / 2 / sample_rate)


def _write_levelled_source(said: Said, cache_dir: Path, dst: Path, loudness: float | None,
                           true_peak: float, sample_rate: int) -> Measure:
    """Through the levelled-source cache (ffmpeg converts the rate)."""
    from radiocli.render.levels import Levels, Source

    levels = Levels(Cache(cache_dir).levels_dir, sample_rate, loudness, true_peak)
    done = levels.get(Source(said.path, f"speech:{said.key}", str(dst)))

    def copy(tmp: Path) -> None:
        with open(done.path, "rb") as src, open(tmp, "wb") as out:
            while block := src.read(1 << 20):
                out.write(block)

    _replace(dst, copy)
    return Measure(done.loudness, done.true_peak, done.seconds)


def _replace(dst: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` beside ``dst``, then rename it to ``dst`` (0600, not fsynced: the
    user's copy); a full disk is said."""
    from radiocli import fileio
    from radiocli.render.tools import disk_error

    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_atomic(dst, write, mode=0o600, sync=fileio.Sync.NONE)
    except OSError as exc:
        raise disk_error(exc, _("writing {path}").format(path=dst), dst) from exc
    except wave.Error as exc:
        raise RenderError(_("writing {path}: {error}").format(path=dst, error=exc)) from exc
