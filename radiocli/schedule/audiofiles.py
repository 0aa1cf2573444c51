"""Recorded audio named in schedules: where it is, whether it may be used, how long it is.

Audio paths are relative to the project's audio folder and may never leave it: no
absolute paths, no '..', no symbolic link that points outside.
"""

from __future__ import annotations

import contextlib
import json
import wave
from functools import lru_cache
from pathlib import Path

from radiocli.i18n import _

AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a")


def resolve_audio(audio_dir: Path, relative: str) -> Path:
    """The file ``relative`` names inside ``audio_dir``; ValueError says why it cannot be."""
    if not relative or "\x00" in relative:
        raise ValueError(_("an empty audio path"))
    candidate = Path(relative)
    if candidate.is_absolute() or relative.startswith(("/", "\\", "~")):
        raise ValueError(_('"{path}" is an absolute path; audio paths are relative to the '
                           "audio folder {folder}").format(path=relative, folder=audio_dir))
    if ".." in candidate.parts:
        raise ValueError(_('"{path}" leaves the audio folder (".." is not allowed)').format(
            path=relative))
    base = audio_dir.resolve()
    path = (audio_dir / candidate).resolve()
    if path != base and base not in path.parents:
        raise ValueError(_('"{path}" points outside the audio folder {folder} (through a '
                           "symbolic link)").format(path=relative, folder=audio_dir))
    return path


def chime_path(audio_dir: Path, name: str) -> Path | None:
    for suffix in (".wav", ".ogg", ".mp3"):
        path = audio_dir / "chimes" / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=4096)
def _probe(path_text: str, mtime_ns: int, size: int, ctime_ns: int) -> float | None:
    path = Path(path_text)
    if path.suffix.lower() == ".wav":
        with contextlib.suppress(wave.Error, EOFError, OSError):
            with wave.open(str(path), "rb") as wav:
                rate = wav.getframerate()
                if rate > 0:
                    return wav.getnframes() / rate
    from radiocli import tools
    from radiocli.errors import RadioError

    if tools.on_path("ffprobe") is None:
        return None
    try:
        out = tools.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json",
             "-i", "file:" + str(path)],
            what=str(path), timeout=20, check=False,
        )
        return float(json.loads(out.stdout or b"{}")["format"]["duration"])
    except (RadioError, KeyError, ValueError, TypeError):
        return None


def audio_duration(path: Path) -> float | None:
    """Seconds of audio in a file (None when it cannot be read as audio)."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    # keyed by ctime too: a file rewritten with its mtime set back is probed again
    return _probe(str(path), st.st_mtime_ns, st.st_size, st.st_ctime_ns)
