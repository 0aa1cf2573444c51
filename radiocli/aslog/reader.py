"""Read as-run log files robustly: bad bytes are reported, never raised.

Whatever a file holds (invalid UTF-8, NUL bytes from a power cut, a line of 100 MB, a
last line cut short), :func:`read_lines` yields one :class:`Line` per line with what
was wrong with it, and keeps going. Every line carries the SHA-256 of its full bytes,
so the chain can be checked even for lines too long to keep.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from radiocli.aslog.format import FILE_RE, HASH_HEX
from radiocli.i18n import _, number_text

MAX_LINE = 1 << 20  # longer lines are reported and not parsed (their hash still counts)
_CHUNK = 1 << 20


@dataclass
class Line:
    """One line of a log file (1-based ``number``); ``raw`` has no ``\\n``."""

    number: int
    offset: int
    raw: bytes
    length: int
    digest: str  # first 32 hex of SHA-256 over the full line bytes
    torn: bool = False  # the file ends without a newline after this line
    error: str = ""  # why the line cannot be read as a JSON object ("" when fine)
    _data: Any = None
    _parsed: bool = False

    @property
    def data(self) -> dict[str, Any] | None:
        """The JSON object, or None (then ``error`` says why)."""
        if not self._parsed:
            self._parsed = True
            self._data, problem = parse_line(self.raw, self.length)
            if problem and not self.error:
                self.error = problem
        return self._data if isinstance(self._data, dict) else None

    def text(self, limit: int = 120) -> str:
        """The line for people: decoded with replacement, control bytes shown, cut."""
        shown = self.raw[:limit].decode("utf-8", "replace")
        shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in shown)
        return shown + ("…" if self.length > limit else "")


def parse_line(raw: bytes, length: int | None = None) -> tuple[Any, str]:
    """(object, "") or (None, what is wrong)."""
    if length is not None and length > len(raw):
        return None, _("line too long ({n} bytes)").format(n=number_text(length))
    nul = raw.find(b"\x00")
    if nul >= 0:
        return None, _("NUL byte at column {n}").format(n=nul + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, _("invalid UTF-8 at column {n}").format(n=exc.start + 1)
    if not text.strip():
        return None, _("empty line")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, _("not JSON (column {n})").format(n=exc.colno)
    except ValueError as exc:  # a number too long to read
        return None, _("not JSON ({error})").format(error=exc)
    if not isinstance(obj, dict):
        return None, _("not a JSON object")
    return obj, ""


def read_lines(source: Path | str | bytes, max_line: int = MAX_LINE) -> Iterator[Line]:
    """Every line of a file (a path, or the file's bytes); raises only OSError (cannot
    open/read the file)."""
    number = 0
    offset = 0
    opened = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    with opened as fh:
        carry = b""
        huge: Any = None  # hashlib object while skipping a line longer than max_line
        huge_head = b""
        huge_len = 0
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            if huge is not None:
                cut = chunk.find(b"\n")
                if cut < 0:
                    huge.update(chunk)
                    huge_len += len(chunk)
                    continue
                huge.update(chunk[:cut])
                huge_len += cut
                number += 1
                yield Line(number, offset, huge_head, huge_len, huge.hexdigest()[:HASH_HEX])
                offset += huge_len + 1
                huge = None
                chunk = chunk[cut + 1 :]
            data = carry + chunk if carry else chunk
            parts = data.split(b"\n")
            carry = parts.pop()
            for raw in parts:
                number += 1
                yield Line(
                    number, offset, raw, len(raw), hashlib.sha256(raw).hexdigest()[:HASH_HEX]
                )
                offset += len(raw) + 1
            if len(carry) > max_line:
                huge = hashlib.sha256(carry)
                huge_head = carry[:max_line]
                huge_len = len(carry)
                carry = b""
        if huge is not None:
            number += 1
            yield Line(
                number, offset, huge_head, huge_len, huge.hexdigest()[:HASH_HEX], torn=True
            )
        elif carry:
            number += 1
            yield Line(
                number,
                offset,
                carry,
                len(carry),
                hashlib.sha256(carry).hexdigest()[:HASH_HEX],
                torn=True,
            )


def records(path: Path | str) -> Iterator[dict[str, Any]]:
    """The JSON objects of a file, skipping lines that are not (use verify to see them)."""
    for line in read_lines(path):
        data = line.data
        if data is not None and not line.torn:
            yield data


def file_identity(path: Path) -> tuple[str, date | None]:
    """(station, day) a log file belongs to, from its place:
    ``<station>/<YYYY-MM-DD>.jsonl`` or ``station=<code>/date=<YYYY-MM-DD>.jsonl``."""
    name = path.name
    if name.startswith("date="):
        name = name[len("date=") :]
    match = FILE_RE.match(name)
    day: date | None = None
    if match:
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            day = None
    station = path.parent.name
    if station.startswith("station="):
        station = station[len("station=") :]
    return station, day
