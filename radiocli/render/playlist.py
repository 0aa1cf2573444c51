"""A rendered program as the playout daemon plays it: a playlist of parts.

Relay segments are live streams and are never rendered, so a program becomes a list of
parts: an assembled audio file for each run of non-relay segments, and relay parts
(url, seconds). The playlist is stored as ``manifest.json`` beside the audio in the
program's cache folder (``<cache>/programs/<key>/``)::

    {
      "format": 1,
      "key": "<sha256 of segments + settings>",
      "program": "ban-tin-covid-thanh-pho",
      "created": "2021-08-01T22:10:00+07:00",
      "settings": {"engine": "pyttsx3", "voice": "vi", "rate": 140,
                   "sample_rate": 22050, "loudness": -16.0, "true_peak": -1.0,
                   "crossfade": 0.0, "format": "wav", "bitrate": null},
      "seconds": 1597.23,
      "parts": [
        {"kind": "audio", "file": "part-0.wav", "seconds": 37.211, "segments": [0, 1, 2, 3]},
        {"kind": "relay", "url": "http://relay.local:8000/hanoi-radio", "seconds": 1560.0,
         "segments": [4]},
        {"kind": "audio", "file": "part-2.wav", "seconds": 2.0, "segments": [5]}
      ]
    }

``seconds`` of an audio part is exact (its sample count / sample rate); of a relay part
the time the schedule gives it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Part:
    kind: str  # "audio" or "relay"
    seconds: float
    path: Path | None = None  # audio parts: the file to play
    url: str | None = None  # relay parts: the stream
    segments: tuple[int, ...] = ()  # indexes of the program's segments in this part

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind == "audio" and self.path is not None:
            data["file"] = self.path.name
        if self.kind == "relay":
            data["url"] = self.url
        data["seconds"] = round(self.seconds, 6)
        data["segments"] = list(self.segments)
        return data


@dataclass(frozen=True)
class Playlist:
    program: str
    key: str
    parts: tuple[Part, ...]
    folder: Path
    settings: dict[str, Any]

    @property
    def seconds(self) -> float:
        return sum(part.seconds for part in self.parts)

    def manifest(self, created: str) -> dict[str, Any]:
        return {
            "format": 1,
            "key": self.key,
            "program": self.program,
            "created": created,
            "settings": self.settings,
            "seconds": round(self.seconds, 6),
            "parts": [part.as_dict() for part in self.parts],
        }

    @classmethod
    def read(cls, folder: Path) -> Playlist | None:
        """The playlist stored in ``folder``; None if absent, unreadable or incomplete."""
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            parts = []
            for item in data["parts"]:
                path = folder / str(item["file"]) if item["kind"] == "audio" else None
                if path is not None and not path.is_file():
                    return None
                parts.append(
                    Part(
                        kind=str(item["kind"]),
                        seconds=float(item["seconds"]),
                        path=path,
                        url=item.get("url"),
                        segments=tuple(int(i) for i in item.get("segments", ())),
                    )
                )
            return cls(str(data["program"]), str(data["key"]), tuple(parts), folder,
                       dict(data.get("settings") or {}))
        except (OSError, ValueError, KeyError, TypeError):
            return None
