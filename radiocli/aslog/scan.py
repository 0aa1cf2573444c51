"""The fast reader of as-run log files: one pass over a file's bytes checks the chain
and the form of every line and returns the lines as columns.

It accepts only what the writer writes (docs/asrun-log.md), byte for byte. Anything
else (a broken chain, a line that is not exactly as the writer writes it, a line of
another station or day, a minute written twice within one occurrence, more than 60
seconds on air in one minute, a sealed line whose count is wrong) makes
:attr:`Scan.clean` false; :func:`radiocli.aslog.verify.check_bytes` then says precisely
what is wrong and where. Both apply the same rules (a test holds them together).

Why not one regular expression per line: most minute lines of a file share everything
between the minute and the seconds (program, occurrence, segment, priority), so that
part is checked once per file and the rest of a line with slices, at about a third of
the cost.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from array import array
from sys import intern
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from radiocli.aslog.format import ALL_EVENTS, BOOKKEEPING, genesis
from radiocli.aslog.reader import MAX_LINE

_JSTR = rb'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
_OFF = rb"[+-]\d{2}:\d{2}"
MINUTE_RE = re.compile(
    rb'\{"station":"(?P<station>[A-Za-z0-9_.-]+)","minute":"(?P<day>\d{4}-\d{2}-\d{2})T'
    rb"(?P<hh>[01]\d|2[0-3]):[0-5]\d" + _OFF + rb'","program":' + _JSTR
    + rb',"occurrence":(?P<occ>' + _JSTR + rb'),"segment":(?P<segment>0|[1-9]\d*),'
    rb'"priority":"(?:normal|priority|emergency)","seconds":(?P<seconds>[1-9]\d?),'
    rb'"prev":"(?P<prev>[0-9a-f]{32})"\}'
)
EVENT_RE = re.compile(
    rb'\{"station":"(?P<station>[A-Za-z0-9_.-]+)","event":"(?P<event>[a-z]+)",'
    rb'"at":"(?P<at>(?P<day>\d{4}-\d{2}-\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}'
    + _OFF + rb')","scheduled":"(?P<scheduled>(?:\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:'
    rb"[0-5]\d" + _OFF + rb')?)","program":(?P<program>' + _JSTR + rb'),"occurrence":(?P<occ>'
    + _JSTR + rb'),"priority":"(?P<priority>normal|priority|emergency|)","reason":(?P<reason>'
    + _JSTR + rb'),(?:"lines":(?P<lines>0|[1-9]\d*),)?"prev":"(?P<prev>[0-9a-f]{32})"\}'
)
# What sits between a minute line's time and its seconds (program .. priority).
_MIDDLE_RE = re.compile(
    rb'","program":' + _JSTR + rb',"occurrence":' + _JSTR
    + rb',"segment":(?:0|[1-9]\d*),"priority":"(?:normal|priority|emergency)"'
)
EVENT_NAMES = tuple(sorted(ALL_EVENTS))
_EVENT_NUMBER = {name.encode(): i for i, name in enumerate(EVENT_NAMES)}
MAX_SEGMENT = 1_000_000  # a program has a few segments; larger numbers are not the writer's
_TIME_RE = re.compile(rb"T(?:[01]\d|2[0-3]):[0-5]\d" + _OFF)
_SECONDS = {str(i).encode(): i for i in range(1, 61)}
_TAIL = b',"prev":"'
_END = b'"}'
# C0 and C1 control characters, DEL and lone surrogates: a spreadsheet cannot hold them.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def overlap_limit(lines: int) -> int:
    """The most seconds ``lines`` minute lines of one minute may add up to: 60, plus
    one per extra line for rounding (each part is rounded half up, at least 1)."""
    return 60 + max(lines - 1, 0)


def clean_text(text: str) -> tuple[str, bool]:
    """(text a spreadsheet can hold, whether anything was replaced): tabs and line
    breaks become spaces, other control characters and lone surrogates U+FFFD."""
    if _CONTROL_RE.search(text) is None:
        return text, False
    return _CONTROL_RE.sub("\ufffd", text.translate(_SPACES)), True


@dataclass
class Scan:
    """What one file holds: counts, and its complete lines as columns.

    Minute lines: ``minute_lines``, one number each: ``kind << 17 | seconds << 11 |
    minute of day``, where kind indexes ``kinds`` (program, occurrence, segment,
    priority); :func:`unpack` splits them. Event lines: ``event_ms``
    (milliseconds since the day's midnight, local time), ``event_name`` (index into
    :data:`EVENT_NAMES`), ``event_occ``
    (index into ``occurrences``: scheduled, program, occurrence, priority),
    ``event_reason`` (index into ``reasons``), ``event_lines`` (-1 when absent).
    Text is as written, except control characters (``controls`` counts the lines
    where :func:`clean_text` replaced some)."""

    lines: int = 0
    minutes: int = 0
    events: int = 0
    sealed: bool = False
    torn: bool = False
    late: int = 0  # lines after the last sealed line (a late write, not sealed again)
    controls: int = 0
    clean: bool = True
    minute_lines: array = field(default_factory=lambda: array("q"))
    kinds: list[tuple[str, str, int, str]] = field(default_factory=list)
    event_ms: array = field(default_factory=lambda: array("I"))
    event_name: array = field(default_factory=lambda: array("B"))  # index into EVENT_NAMES
    event_occ: array = field(default_factory=lambda: array("I"))
    event_reason: array = field(default_factory=lambda: array("I"))
    event_lines: array = field(default_factory=lambda: array("i"))
    occurrences: list[tuple[str, str, str, str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def scan(data: bytes, station: str, day: date) -> Scan:
    """Check and read one file's bytes (the log of ``station`` on ``day``)."""
    out = Scan()
    cut = data.rfind(b"\n") + 1
    out.torn = cut < len(data)
    lines = data[:cut].split(b"\n")
    lines.pop()
    out.lines = len(lines)
    if not lines:
        out.clean = False
        return out
    station_b = station.encode()
    day_b = day.isoformat().encode()
    head_m = b'{"station":"' + station_b + b'","minute":"' + day_b
    head_e = b'{"station":"' + station_b + b'","event":"'
    hm = len(head_m)
    ht = hm + 12
    want = _TAIL + genesis(station, day).encode() + _END  # how the next line must end
    sha = hashlib.sha256
    hexlify = binascii.hexlify
    seconds_of = _SECONDS
    stamps = _STAMPS
    long_lines = len(data) > MAX_LINE
    firsts: dict[int, int] = {}  # stamp number -> the first minute line of that minute
    repeats: dict[int, list[int]] = {}  # stamp number -> its lines, when several
    middles: dict[bytes, int] = {}  # a minute line's middle -> index into kinds
    kind_occ: list[int] = []  # kinds index -> occurrence number (duplicates are per occurrence)
    kind_controls: list[bool] = []  # kinds index -> control characters were replaced
    occ_number: dict[str, int] = {}
    packed: list[int] = []
    occ_ids: dict[tuple[str, str, str, str], int] = {}
    reason_ids: dict[str, int] = {}
    texts: dict[bytes, tuple[int, int, bool]] = {}  # an event's scheduled..reason -> ids
    last_sealed = -1
    for index, raw in enumerate(lines):
        if not raw.endswith(want) or long_lines and len(raw) > MAX_LINE:
            out.clean = False
            return out
        want = _TAIL + hexlify(sha(raw).digest()[:16]) + _END
        if raw.startswith(head_m):
            stamp = raw[hm:ht]
            sid = stamps.get(stamp)
            if sid is None:
                sid = _stamp_number(stamp)
                if sid is None:
                    out.clean = False
                    return out
            k = raw.rfind(b',"seconds":', ht)
            secs = seconds_of.get(raw[k + 11 : -43]) if k > 0 else None
            if secs is None:
                out.clean = False
                return out
            middle = raw[ht:k]
            kind = middles.get(middle)
            if kind is None:
                described = _middle(middle)
                if described is None:
                    out.clean = False
                    return out
                kind = middles[middle] = len(out.kinds)
                fields, occurrence, changed = described
                out.kinds.append(fields)
                kind_occ.append(occ_number.setdefault(occurrence, len(occ_number)))
                kind_controls.append(changed)
            value = kind << 17 | secs << 11 | sid % 1440
            first = firsts.get(sid)
            if first is None:
                firsts[sid] = value
            else:  # another line of the same minute (a preemption, or a duplicate)
                repeats.setdefault(sid, [first]).append(value)
            packed.append(value)
            continue
        match = EVENT_RE.fullmatch(raw) if raw.startswith(head_e) else None
        if match is None or match.group("day") != day_b:
            out.clean = False
            return out
        event = match.group("event")
        number = _EVENT_NUMBER.get(event)
        lines_text = match.group("lines")
        if (
            number is None
            or (EVENT_NAMES[number] in BOOKKEEPING) == bool(match.group("priority"))
            or (event == b"sealed") != (lines_text is not None)
        ):
            out.clean = False
            return out
        if lines_text is not None:
            if int(lines_text) != index:
                out.clean = False
                return out
            last_sealed = index
        at = match.group("at")
        ms = ((int(at[11:13]) * 60 + int(at[14:16])) * 60 + int(at[17:19])) * 1000 + int(at[20:23])
        described_event = texts.get(raw[match.start("scheduled") : match.end("reason")])
        if described_event is None:
            described_event = _event_texts(match, occ_ids, reason_ids, out)
            if described_event is None:
                out.clean = False
                return out
            texts[raw[match.start("scheduled") : match.end("reason")]] = described_event
        occ, reason, changed = described_event
        if changed:
            out.controls += 1
        out.event_ms.append(ms)
        out.event_name.append(number)
        out.event_occ.append(occ)
        out.event_reason.append(reason)
        out.event_lines.append(int(lines_text) if lines_text is not None else -1)
    for values in repeats.values():
        occurrences = [kind_occ[v >> 17] for v in values]
        if len(set(occurrences)) < len(occurrences):  # a minute twice in one occurrence
            out.clean = False
            return out
        if sum(v >> 11 & 63 for v in values) > overlap_limit(len(values)):
            out.clean = False
            return out
    if any(kind_controls):
        out.controls += sum(1 for v in packed if kind_controls[v >> 17])
    out.minute_lines = array("q", packed)
    out.minutes = len(packed)
    out.events = len(out.event_ms)
    out.sealed = last_sealed == len(lines) - 1
    out.late = len(lines) - 1 - last_sealed if last_sealed >= 0 and not out.sealed else 0
    return out


_STAMPS: dict[bytes, int] = {}  # "THH:MM+07:00" -> its number (see _stamp_number)


def unpack(minute_lines: array) -> tuple[Any, Any, Any]:
    """(kind, seconds, minute of day) arrays of packed minute lines (NumPy)."""
    import numpy as np

    packed = np.frombuffer(minute_lines, dtype=np.int64)
    return packed >> 17, (packed >> 11) & 63, packed & 2047


def _stamp_number(stamp: bytes) -> int | None:
    """A minute stamp's number, unique per (UTC offset, minute of day) with the minute
    of day as its remainder by 1440; None when malformed. Stamps of the first few
    offsets seen are remembered for the next files."""
    if _TIME_RE.fullmatch(stamp) is None:
        return None
    minutes = int(stamp[7:9]) * 60 + int(stamp[10:12])
    offset = (minutes if stamp[6:7] == b"+" else -minutes) + 6000  # 0 .. 11999
    number = offset * 1440 + int(stamp[1:3]) * 60 + int(stamp[4:6])
    if len(_STAMPS) < 64 * 1440:
        _STAMPS[stamp] = number
    return number


def _middle(middle: bytes) -> tuple[tuple[str, str, int, str], str, bool] | None:
    """((program, occurrence, segment, priority) cleaned, the occurrence as written,
    whether control characters were replaced) of a minute line's middle; None when it
    is not as the writer writes it."""
    if _MIDDLE_RE.fullmatch(middle) is None:
        return None
    try:
        obj = json.loads((b"{" + middle[2:] + b"}").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if obj["segment"] > MAX_SEGMENT:
        return None
    program, changed_p = clean_text(obj["program"])
    occurrence, changed_o = clean_text(obj["occurrence"])
    fields = (intern(program), intern(occurrence), obj["segment"], intern(obj["priority"]))
    return fields, obj["occurrence"], changed_p or changed_o


def _event_texts(
    match: re.Match[bytes],
    occ_ids: dict[tuple[str, str, str, str], int],
    reason_ids: dict[str, int],
    out: Scan,
) -> tuple[int, int, bool] | None:
    """(occurrence index, reason index, control characters replaced) of an event line,
    adding new ones to ``out``; None when its text is not UTF-8."""
    cleaned = []
    changed = False
    for group in ("program", "occ", "reason"):
        text = _string(match.group(group))
        if text is None:
            return None
        text, replaced = clean_text(text)
        cleaned.append(text)
        changed = changed or replaced
    occ_key = (intern(match.group("scheduled").decode()), intern(cleaned[0]),
               intern(cleaned[1]), intern(match.group("priority").decode()))
    occ = occ_ids.get(occ_key)
    if occ is None:
        occ = occ_ids[occ_key] = len(out.occurrences)
        out.occurrences.append(occ_key)
    reason = reason_ids.get(cleaned[2])
    if reason is None:
        reason = reason_ids[cleaned[2]] = len(out.reasons)
        out.reasons.append(intern(cleaned[2]))
    return occ, reason, changed


def _string(literal: bytes) -> str | None:
    """A JSON string literal's text (None when its bytes are not UTF-8)."""
    try:
        if b"\\" not in literal:
            return literal[1:-1].decode("utf-8")
        text = json.loads(literal.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return text if isinstance(text, str) else None
