"""Levelled sources: each distinct source brought to the loudness target once, cached.

A program of 200 segments often plays the same chime, jingle or spoken text many times,
and the same chime opens every program of the day. Each distinct source is decoded and
loudness-normalized once (:func:`radiocli.render.loudness.level`) and kept as a mono
16-bit WAV at the program rate under ``<cache>/levels/<k[:2]>/<key>.wav``, keyed by
the source's content (the sha256 of a recording, the key of a spoken text) and the
settings that shape it (sample rate, loudness target, true-peak ceiling). Assembling a
program is then copying these samples, and rendering another program that uses the same
sources costs no ffmpeg run at all.
"""

from __future__ import annotations

import json
import os
import tempfile
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radiocli.i18n import _
from radiocli.render import loudness as ln
from radiocli.render.cache import atomic_write, digest, write_json_entry
from radiocli.render.tools import disk_error

FORMAT = 2  # bump when the levelling changes what it writes (2: speech levelled in Python)


@dataclass(frozen=True)
class Levelled:
    path: Path  # a mono 16-bit WAV at the program rate
    seconds: float
    loudness: float
    true_peak: float


@dataclass(frozen=True)
class Source:
    """One input to level: a file, and what identifies its content."""

    path: Path
    ident: str  # "sha256:<hex>" of a file, "speech:<key>" of a cached spoken text
    label: str  # names the program and segment in errors


def file_ident(path: Path) -> str:
    from radiocli.render.engines import file_digest

    return f"sha256:{file_digest(path)}"


class Levels:
    """The levelled-source cache under ``root`` (``<cache>/levels``) for one set of
    settings; one object per render remembers what it has already looked up."""

    def __init__(self, root: Path, sample_rate: int = ln.SAMPLE_RATE,
                 loudness: float | None = ln.DEFAULT_LOUDNESS,
                 true_peak: float = ln.DEFAULT_TRUE_PEAK) -> None:
        self.root = root
        self.sample_rate = sample_rate
        self.loudness = loudness
        self.true_peak = true_peak
        self.known: dict[str, Levelled] = {}
        self.levelled = 0  # sources levelled by this object (not found in the cache)

    def key(self, ident: str) -> str:
        return digest({"format": FORMAT, "kind": "levelled", "source": ident,
                       "sample_rate": self.sample_rate, "loudness": self.loudness,
                       "true_peak": self.true_peak})

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def find(self, ident: str) -> Levelled | None:
        """The cached levelled copy of ``ident``, None when there is no complete one."""
        key = self.key(ident)
        if key in self.known:
            return self.known[key]
        wav = self.path(key)
        try:
            meta = json.loads(wav.with_suffix(".json").read_text(encoding="utf-8"))
            with wave.open(str(wav), "rb") as fh:
                frames = fh.getnframes()
                complete = (fh.getnchannels(), fh.getsampwidth(), fh.getframerate()) == (
                    1, 2, self.sample_rate) and frames == int(meta["frames"])
        except (OSError, ValueError, KeyError, TypeError, EOFError, wave.Error):
            return None
        if not complete:
            return None
        found = Levelled(wav, frames / self.sample_rate, float(meta["loudness"]),
                         float(meta["true_peak"]))
        self.known[key] = found
        return found

    def get(self, source: Source) -> Levelled:
        """The levelled copy of ``source``, made now when it is not in the cache."""
        found = self.find(source.ident)
        if found is not None:
            return found
        key = self.key(source.ident)
        wav = self.path(key)
        measured: list[ln.Measure] = []
        frames: list[int] = []

        def write(tmp: Path) -> None:
            fd, raw_name = tempfile.mkstemp(dir=tmp.parent, prefix=".tmp-", suffix=".raw")
            os.close(fd)
            raw = Path(raw_name)
            try:
                measured.append(ln.level(source.path, raw, source.label,
                                         loudness=self.loudness, true_peak=self.true_peak,
                                         sample_rate=self.sample_rate,
                                         speech=source.ident.startswith("speech:")))
                frames.append(raw_to_wav(raw, tmp, self.sample_rate))
            finally:
                raw.unlink(missing_ok=True)

        atomic_write(wav, write, _("{source}: writing levelled audio").format(source=source.label), durable=False)
        meta: dict[str, Any] = {"source": source.ident, "frames": frames[0],
                                "loudness": round(measured[0].loudness, 3),
                                "true_peak": round(measured[0].true_peak, 3),
                                "sample_rate": self.sample_rate}
        write_json_entry(wav.with_suffix(".json"), meta, _("{source}: writing levelled audio").format(source=source.label))
        self.levelled += 1
        result = Levelled(wav, frames[0] / self.sample_rate, measured[0].loudness,
                          measured[0].true_peak)
        self.known[key] = result
        return result

    def get_all(self, sources: Iterable[Source], jobs: int = 1) -> dict[str, Levelled]:
        """Every distinct source levelled (``jobs`` ffmpeg runs at a time); by ident."""
        todo: dict[str, Source] = {}
        done: dict[str, Levelled] = {}
        for source in sources:
            if source.ident in done or source.ident in todo:
                continue
            found = self.find(source.ident)
            if found is not None:
                done[source.ident] = found
            else:
                todo[source.ident] = source
        if jobs <= 1 or len(todo) <= 1:
            for ident, source in todo.items():
                done[ident] = self.get(source)
            return done
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = dict(zip(todo, pool.map(self.get, todo.values()), strict=True))
        done.update(results)
        return done


def raw_to_wav(raw: Path, wav_path: Path, sample_rate: int) -> int:
    """Copy raw mono s16le into a WAV file; its number of frames."""
    frames = 0
    try:
        with open(raw, "rb") as pcm, wave.open(str(wav_path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            while block := pcm.read(ln.BLOCK):
                out.writeframes(block)
                frames += len(block) // 2
    except OSError as exc:
        raise disk_error(exc, _("writing levelled audio"), wav_path) from exc
    return frames


def copy_frames(src: Path, write: Callable[[bytes], None], block_frames: int = 1 << 19
                ) -> int:
    """Feed the samples of a mono 16-bit WAV to ``write`` in blocks; frames copied."""
    copied = 0
    with wave.open(str(src), "rb") as fh:
        while True:
            block = fh.readframes(block_frames)
            if not block:
                break
            write(block)
            copied += len(block) // 2
    return copied
