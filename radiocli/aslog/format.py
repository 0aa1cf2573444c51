"""The as-run log format (format 1): names, keys and the chain, shared by writer,
reader and verifier. See docs/asrun-log.md."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta, UTC

FORMAT = 1

MINUTE_KEYS = (
    "station",
    "minute",
    "program",
    "occurrence",
    "segment",
    "priority",
    "seconds",
    "prev",
)
EVENT_KEYS = (
    "station",
    "event",
    "at",
    "scheduled",
    "program",
    "occurrence",
    "priority",
    "reason",
    "prev",
)
SEALED_KEYS = EVENT_KEYS[:-1] + ("lines", "prev")

EVENTS = frozenset({"start", "end", "preempted", "resumed", "missed", "failed"})
BOOKKEEPING = frozenset({"sealed", "recovered"})
ALL_EVENTS = EVENTS | BOOKKEEPING
PRIORITIES = frozenset({"normal", "priority", "emergency"})
# Events after which a durable writer fsyncs at once.
FSYNC_EVENTS = frozenset({"start", "end", "missed", "failed", "sealed", "recovered"})

STATION_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
FILE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.jsonl$")
TORN_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.jsonl\.torn-(\d+)$")

HASH_HEX = 32


def genesis(station: str, day: date | str) -> str:
    """The ``prev`` of a file's first line: it ties the chain to station and day."""
    text = f"radiocli-asrun-{FORMAT}:{station}:{day}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_HEX]


def line_hash(line: bytes) -> str:
    """The ``prev`` the next line carries: SHA-256 of this line's bytes without ``\\n``."""
    return hashlib.sha256(line).hexdigest()[:HASH_HEX]


def valid_station(code: str) -> bool:
    return bool(STATION_RE.match(code)) and ".." not in code


def offset_text(offset: timedelta | None) -> str:
    """``+07:00`` for a UTC offset."""
    if offset is None:
        return "+00:00"
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


UTC = UTC
