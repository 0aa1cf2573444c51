"""Program audio: a program's segments -> a cached playlist (audio parts + relays).

The entry points other packages use:

- :func:`render_program` renders one program (speech through the cache, then assembly);
- :func:`render_programs` renders many, in parallel over the cores;
- :func:`rendered_durations` gives ``plan`` the exact length of every program whose
  current content has been rendered;
- :func:`program_playlist` gives the playout daemon what to play.

A program's key is the sha256 of its segments' content (normalized text with engine,
voice, rate and engine version; the bytes of every recording and chime; silences;
relays) and the audio settings, so the same program for 579 stations is one entry,
and an edit to any text or file makes a new one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli.errors import RadioError, RenderError
from radiocli.i18n import _
from radiocli.render import engines as eng
from radiocli.render import speech, tools
from radiocli.render.assemble import AudioSettings, Piece, assemble
from radiocli.render.cache import Cache, digest, speech_key
from radiocli.render.playlist import MANIFEST, Part, Playlist
from radiocli.render.tools import DiskFull
from radiocli.schedule.audiofiles import resolve_audio
from radiocli.schedule.model import Chime, Program, Recording, Relay, Schedule, Silence, Speech

MAX_TEXT_CHARS = speech.MAX_TEXT_CHARS
_LETTER = speech.LETTER


@dataclass(frozen=True)
class RenderSettings:
    engine: str = eng.DEFAULT_ENGINE
    voice: str = eng.DEFAULT_VOICE
    rate: int = eng.DEFAULT_RATE
    audio: AudioSettings = AudioSettings()
    piper_model: Path | None = None

    @classmethod
    def from_schedule(cls, schedule: Schedule, **overrides: Any) -> RenderSettings:
        """Defaults, then a ``render:`` mapping in the schedule settings, then overrides."""
        raw = schedule.settings.get("render")
        given: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
        given.update({k: v for k, v in overrides.items() if v is not None})
        audio_keys = {"sample_rate", "loudness", "true_peak", "crossfade", "format", "bitrate"}
        audio = AudioSettings(**{k: v for k, v in given.items() if k in audio_keys})
        rest = {k: v for k, v in given.items() if k in ("engine", "voice", "rate")}
        model = given.get("piper_model")
        return cls(audio=audio, piper_model=Path(model) if model else None, **rest)

    def as_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "voice": self.voice, "rate": self.rate,
                **self.audio.as_dict()}


@dataclass(frozen=True)
class Context:
    """What rendering needs from a schedule (small and picklable, for worker processes)."""

    audio_dir: Path
    abbreviations: tuple[tuple[str, str], ...] = ()  # city-wide
    # the table of each scope (city + district + station words, see render.words)
    scopes: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @classmethod
    def of(cls, schedule: Schedule) -> Context:
        from radiocli.render.words import all_scopes

        scopes = tuple((scope, tuple(table.items()))
                       for scope, table in all_scopes(schedule).items())
        return cls(schedule.audio_dir, tuple(schedule.abbreviations.items()), scopes)

    def abbreviations_for(self, program: Program) -> dict[str, str]:
        """The abbreviations ``program``'s speech is made with."""
        table = dict(self.abbreviations)
        table.update(dict(dict(self.scopes).get(program.scope, ())))
        table.update(dict(program.abbreviations))
        return table


@dataclass(frozen=True)
class Item:
    """One segment, resolved: what to render and what identifies its content."""

    index: int
    kind: str  # say, play, chime, silence, relay
    label: str
    ident: dict[str, Any]  # the part of the program key this segment contributes
    text: str = ""  # say: normalized
    voice: str = ""
    rate: int = 0
    path: Path | None = None  # play/chime
    seconds: float = 0.0  # silence/relay
    url: str = ""


@dataclass
class RenderResult:
    program: str
    key: str = ""
    playlist: Playlist | None = None
    rendered: bool = False  # False: it came from the cache
    synthesized: int = 0  # speech segments synthesized (not from the cache)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


# --- resolving segments ----------------------------------------------------------------


def label_of(program: Program, index: int, kind: str, where: object) -> str:
    text = _('program "{id}", segment {n} ({kind})').format(id=program.id, n=index + 1,
                                                             kind=kind)
    where_text = str(where) if where is not None else ""
    return f"{where_text}: {text}" if where_text else text


def resolve(
    ctx: Context, program: Program, settings: RenderSettings, versions: dict[str, str]
) -> tuple[str, list[Item], list[str]]:
    """(program key, items, text warnings); RenderError names the program and segment."""
    speak_text = speech.normalizer()
    abbreviations = ctx.abbreviations_for(program)
    version = versions.get(settings.engine)
    if version is None:
        version = versions[settings.engine] = engine_version(settings)
    items: list[Item] = []
    warnings: list[str] = []
    for index, segment in enumerate(program.segments):
        kind = {Speech: "say", Recording: "play", Silence: "silence", Chime: "chime",
                Relay: "relay"}[type(segment)]
        label = label_of(program, index, kind, getattr(segment, "where", None))
        if isinstance(segment, Speech):
            if len(segment.text) > MAX_TEXT_CHARS:
                raise RenderError(
                    _("{label}: the text has {n:,} characters, more than {limit:,} (about 20 "
                      "minutes of speech); split it into several say: segments").format(
                        label=label, n=len(segment.text), limit=MAX_TEXT_CHARS)
                )
            if not segment.text.strip():
                raise RenderError(_("{label}: the text is empty").format(label=label))
            spoken, found = speak_text(segment.text, abbreviations)
            warnings += [f"{label}: {w}" for w in found]
            text = " ".join(spoken.split())
            if not _LETTER.search(text):
                raise RenderError(
                    _("{label}: nothing speakable is left after normalization (the text was "
                      "{text!r})").format(label=label, text=segment.text[:40])
                )
            voice = segment.voice or settings.voice
            rate = int(segment.rate or settings.rate)
            key = speech_key(text, settings.engine, voice, rate, version)
            items.append(Item(index, kind, label, {"say": key}, text=text, voice=voice,
                              rate=rate))
        elif isinstance(segment, (Recording, Chime)):
            path = audio_file(ctx.audio_dir, segment, label)
            items.append(Item(index, kind, label, {kind: eng.file_digest(path)}, path=path))
        elif isinstance(segment, Silence):
            seconds = float(segment.seconds)
            if not 0 <= seconds <= 24 * 3600:
                raise RenderError(_("{label}: a silence of {seconds} s is not possible").format(
                    label=label, seconds=seconds))
            items.append(Item(index, kind, label, {"silence": seconds}, seconds=seconds))
        else:
            items.append(Item(index, kind, label, {"relay": segment.url,
                                                   "seconds": float(segment.seconds)},
                              seconds=float(segment.seconds), url=segment.url))
    key = digest({"format": 2, "audio": settings.audio.as_dict(),
                  "segments": [item.ident for item in items]})
    return key, items, warnings


def audio_file(audio_dir: Path, segment: Recording | Chime, label: str) -> Path:
    """The file a play:/chime: segment names, inside the audio folder, or RenderError."""
    if isinstance(segment, Chime):
        name = segment.name
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise RenderError(_("{label}: {name!r} is not a chime name").format(
                label=label, name=name))
        candidates = [f"chimes/{name}{suffix}" for suffix in (".wav", ".ogg", ".mp3")]
    else:
        candidates = [segment.path]
    for relative in candidates:
        try:
            path = resolve_audio(audio_dir, relative)
        except ValueError as exc:
            raise RenderError(f"{label}: {exc}") from None
        if path.is_dir():
            raise RenderError(_("{label}: {path} is a folder, not an audio file").format(
                label=label, path=relative))
        if path.is_file():
            return path
    wanted = " or ".join(candidates)
    raise RenderError(_("{label}: {path} not found in the audio folder {folder}").format(
        label=label, path=wanted, folder=audio_dir))


# --- engines and speech ------------------------------------------------------------------


def engine_for(settings: RenderSettings) -> eng.Engine:
    return speech.engine_for(settings.engine, settings.piper_model)


def engine_version(settings: RenderSettings) -> str:
    return engine_for(settings).version()


def ensure_speech(cache: Cache, item: Item, settings: RenderSettings) -> bool:
    """Synthesize ``item`` into the speech cache unless it is there; True if synthesized."""
    return speech.synthesize(cache, item.ident["say"], item.text, item.voice, item.rate,
                             item.label, engine_for(settings))


# --- rendering -------------------------------------------------------------------------


def render_program(
    cache_dir: Path,
    ctx: Context | Schedule,
    program: Program,
    settings: RenderSettings,
    *,
    force: bool = False,
    jobs: int | None = None,
) -> RenderResult:
    """Render ``program`` into the cache (or find it there) and return its playlist.

    ``jobs``: how many of its sources are levelled at once (default: one per core).
    """
    if isinstance(ctx, Schedule):
        ctx = Context.of(ctx)
    cache = Cache(cache_dir)
    key, items, warnings = resolve(ctx, program, settings, {})
    result = RenderResult(program.id, key, warnings=warnings)
    folder = cache.program_dir(key)
    if not force:
        result.playlist = Playlist.read(folder)
        if result.playlist is not None:
            return result
    for item in items:
        if item.kind == "say" and ensure_speech(cache, item, settings):
            result.synthesized += 1
    runs: list[list[Item]] = [[]]
    for item in items:
        if item.kind == "relay":
            runs += [[item], []]
        else:
            runs[-1].append(item)
    runs = [run for run in runs if run]
    from radiocli.render.cache import staging_dir

    suffix = settings.audio.format
    levels = settings.audio.levels(cache.levels_dir)
    parts: list[Part] = []
    with staging_dir(folder, f'program "{program.id}"') as tmp:
        for n, run in enumerate(runs):
            indexes = tuple(item.index for item in run)
            if run[0].kind == "relay":
                parts.append(Part("relay", run[0].seconds, url=run[0].url, segments=indexes))
                continue
            pieces = [_piece(cache, item) for item in run]
            out = tmp / f"part-{n}.{suffix}"
            seconds = assemble(pieces, out, settings.audio, levels=levels,
                               jobs=jobs or os.cpu_count() or 1)
            parts.append(Part("audio", seconds, path=folder / out.name, segments=indexes))
        playlist = Playlist(program.id, key, tuple(parts), folder, settings.as_dict())
        created = datetime.now().astimezone().isoformat(timespec="seconds")
        text = json.dumps(playlist.manifest(created), ensure_ascii=False, indent=2)
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
    result.playlist = Playlist.read(folder)
    result.rendered = True
    return result


def _piece(cache: Cache, item: Item) -> Piece:
    if item.kind == "say":
        key = item.ident["say"]
        return Piece(item.label, cache.speech_path(key), ident=f"speech:{key}")
    if item.kind == "silence":
        return Piece(item.label, None, item.seconds)
    return Piece(item.label, item.path, ident=f"sha256:{item.ident[item.kind]}")


def _render_in_worker(
    cache_dir: Path, ctx: Context, program: Program, settings: RenderSettings,
    jobs: int | None = None,
) -> RenderResult:
    try:
        return render_program(cache_dir, ctx, program, settings, jobs=jobs)
    except DiskFull:
        raise  # no other program can be written either
    except RadioError as exc:
        return RenderResult(program.id, error=str(exc))


def render_programs(
    cache_dir: Path,
    schedule: Schedule,
    program_ids: Collection[str],
    settings: RenderSettings,
    *,
    jobs: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[RenderResult], None] | None = None,
) -> list[RenderResult]:
    """Render the programs (cache hits are found first, in this process; the rest in
    parallel worker processes). A program that fails does not stop the others: its
    result has ``error`` set."""
    ctx = Context.of(schedule)
    cache = Cache(cache_dir)
    versions: dict[str, str] = {}
    results: list[RenderResult] = []
    todo: list[Program] = []
    for program_id in sorted(program_ids):
        program = schedule.programs[program_id]
        try:
            key, _items, warnings = resolve(ctx, program, settings, versions)
        except RadioError as exc:
            if type(exc).__name__ == "ToolMissing":
                raise
            results.append(RenderResult(program_id, error=str(exc)))
            continue
        playlist = Playlist.read(cache.program_dir(key))
        if playlist is not None:
            results.append(RenderResult(program_id, key, playlist, warnings=warnings))
        else:
            todo.append(program)
    if on_start is not None:
        on_start(len(todo))
    if not todo:
        return results
    workers = max(1, min(jobs or 1, len(todo)))
    if workers == 1:
        for program in todo:
            result = _render_in_worker(cache_dir, ctx, program, settings, jobs)
            results.append(result)
            if on_done is not None:
                on_done(result)
        return results
    with ProcessPoolExecutor(max_workers=workers, initializer=tools.die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_render_in_worker, cache_dir, ctx, p, settings, 1)
                   for p in todo]
        try:
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                if on_done is not None:
                    on_done(result)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results


# --- what plan and playout read ----------------------------------------------------------


def _cached_playlist(
    cache_dir: Path, ctx: Context, program: Program, settings: RenderSettings,
    versions: dict[str, str],
) -> Playlist | None:
    try:
        key, _items, _warnings = resolve(ctx, program, settings, versions)
    except RadioError:
        return None
    return Playlist.read(Cache(cache_dir).program_dir(key))


def rendered_durations(home_cache_dir: Path, schedule: Schedule) -> dict[str, float]:
    """Program id -> exact seconds, for programs whose current content is rendered."""
    settings = RenderSettings.from_schedule(schedule)
    ctx = Context.of(schedule)
    versions: dict[str, str] = {}
    durations: dict[str, float] = {}
    for program_id, program in schedule.programs.items():
        playlist = _cached_playlist(home_cache_dir, ctx, program, settings, versions)
        if playlist is not None:
            durations[program_id] = playlist.seconds
    return durations


def program_playlist(
    cache_dir: Path, schedule: Schedule, program: Program | str
) -> Playlist | None:
    """What the playout daemon plays for ``program``: None when it is not rendered."""
    if isinstance(program, str):
        found = schedule.programs.get(program)
        if found is None:
            return None
        program = found
    settings = RenderSettings.from_schedule(schedule)
    return _cached_playlist(cache_dir, Context.of(schedule), program, settings, {})


def with_overrides(settings: RenderSettings, **changes: Any) -> RenderSettings:
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})
