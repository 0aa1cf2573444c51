"""The content-addressed audio cache under the radiocli home (``Home.cache``).

Layout::

    <cache>/speech/<k[:2]>/<key>.wav     one spoken text (engine output, silence trimmed)
    <cache>/speech/<k[:2]>/<key>.json    its metadata (seconds, engine, voice, rate, text)
    <cache>/levels/<k[:2]>/<key>.wav     one source at the loudness target (levels.py)
    <cache>/levels/<k[:2]>/<key>.json    its metadata (frames, loudness, true peak)
    <cache>/programs/<key>/manifest.json a rendered program: its playlist (parts)
    <cache>/programs/<key>/part-<n>.wav  the assembled audio of each part (or .mp3)

A speech key is the sha256 of the normalized text, engine, voice, rate and engine
version, so a bulletin aired by 579 stations is synthesized once. A program key is the
sha256 of its segments' content and the render settings. Every write is atomic: a
temporary file (or folder) in the same directory, fsync, then rename; a crash or a
full disk leaves at most a ``.tmp-*`` leftover, which readers ignore and ``clear``
removes, never a half-written entry. An entry's audio is fsynced before its rename and
its JSON is written after it (and is not fsynced: a torn JSON file does not parse, and
the entry is made again); the folders of entries are not fsynced (an entry lost to a
power cut is made again).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radiocli import fileio
from radiocli.render.tools import disk_error

KINDS = ("speech", "levels", "programs")
FORMAT = 2  # 2: speech is stored with its silence trimmed
ENTRY_MODE = 0o600  # the files of cache entries


def digest(data: Any) -> str:
    """sha256 of the canonical JSON of ``data``."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def speech_key(text: str, engine: str, voice: str, rate: int, engine_version: str) -> str:
    return digest(
        {
            "format": FORMAT,
            "kind": "speech",
            "text": text,
            "engine": engine,
            "voice": voice,
            "rate": rate,
            "engine_version": engine_version,
        }
    )


def atomic_write(path: Path, write: Callable[[Path], object], what: str = "cache", *,
                 durable: bool = True) -> None:
    """Make ``path`` by calling ``write(tmp)`` then fsync + rename; nothing half-written
    (:func:`radiocli.fileio.write_atomic`, 0600).

    ``durable=False`` (a cache entry, which may be made again): the data is still
    fsynced before the rename, so the name never points at data a power cut lost, but
    the folder is not, so the entry itself may be lost (one fsync instead of two).
    An OSError (a full disk: ENOSPC) becomes a RenderError naming ``what``.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_atomic(path, write, mode=ENTRY_MODE,
                            sync=fileio.Sync.FULL if durable else fileio.Sync.DATA)
    except OSError as exc:
        raise disk_error(exc, what, path) from exc


def write_json_entry(path: Path, data: dict[str, Any], what: str = "cache") -> None:
    """The metadata of a cache entry, written after its data: renamed into place whole,
    not fsynced (a torn or lost JSON file does not parse, and the entry is made again)."""
    try:
        fileio.write_atomic(path, json.dumps(data, ensure_ascii=False), mode=ENTRY_MODE,
                            sync=fileio.Sync.NONE)
    except OSError as exc:
        raise disk_error(exc, what, path) from exc


@contextmanager
def staging_dir(final: Path, what: str = "cache") -> Iterator[Path]:
    """A temporary folder beside ``final`` that becomes ``final`` when the block ends
    (:func:`radiocli.fileio.staged_folder`: what is in it is fsynced, then renamed). If
    ``final`` appeared meanwhile (another process rendered the same content), the
    staged copy is dropped: both are the same content.
    """
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        with fileio.staged_folder(final, mode=0o700) as tmp:
            yield tmp
    except OSError as exc:
        raise disk_error(exc, what, final) from exc


@dataclass(frozen=True)
class Cache:
    root: Path  # Home.cache

    @property
    def speech_dir(self) -> Path:
        return self.root / "speech"

    @property
    def levels_dir(self) -> Path:
        return self.root / "levels"

    @property
    def programs_dir(self) -> Path:
        return self.root / "programs"

    def speech_path(self, key: str) -> Path:
        return self.speech_dir / key[:2] / f"{key}.wav"

    def program_dir(self, key: str) -> Path:
        return self.programs_dir / key

    def speech_meta(self, key: str) -> dict[str, Any] | None:
        """The metadata of a cached speech entry, None when there is no complete entry."""
        wav = self.speech_path(key)
        meta = wav.with_suffix(".json")
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and wav.is_file() else None

    def info(self) -> dict[str, Any]:
        """Entries and bytes, in total and per kind."""
        kinds: dict[str, dict[str, int]] = {}
        for kind in KINDS:
            entries = size = 0
            base = self.root / kind
            if base.is_dir():
                for path in base.rglob("*"):
                    if any(part.startswith(fileio.TEMP_PREFIX)
                           for part in path.relative_to(base).parts):
                        continue
                    if path.is_file():
                        size += path.stat().st_size
                        if kind in ("speech", "levels") and path.suffix == ".wav":
                            entries += 1
                        if kind == "programs" and path.name == "manifest.json":
                            entries += 1
            kinds[kind] = {"entries": entries, "bytes": size}
        return {
            "path": str(self.root),
            "entries": sum(k["entries"] for k in kinds.values()),
            "bytes": sum(k["bytes"] for k in kinds.values()),
            "kinds": kinds,
        }

    def clear(self, kind: str | None = None) -> dict[str, int]:
        """Remove every entry (or those of one kind); returns what was removed."""
        import shutil

        removed = {"entries": 0, "bytes": 0}
        before = self.info()
        for name in KINDS if kind is None else (kind,):
            base = self.root / name
            if base.is_dir():
                removed["entries"] += before["kinds"][name]["entries"]
                removed["bytes"] += before["kinds"][name]["bytes"]
                shutil.rmtree(base)
        return removed
