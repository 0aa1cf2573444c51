"""Check as-run logs: the chain, the format, the file each line sits in.

:func:`verify_file` re-computes the chain of one file and reports, each at its
``file:line``: edited, removed, inserted and reordered lines, lines moved from another
station or day, unknown or missing keys, bytes that are not UTF-8 or JSON, a torn last
line and a past day without its ``sealed`` line (possibly truncated).

Limits: the chain is unkeyed, so it shows that lines were changed by someone who did
not re-compute every later hash; a change to the very last line of an unsealed file,
or a whole file re-chained by hand, cannot be seen from the file alone (compare with a
collected copy, which ``logs collect`` keeps).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from radiocli.aslog.format import (
    ALL_EVENTS,
    BOOKKEEPING,
    EVENT_KEYS,
    MINUTE_KEYS,
    PRIORITIES,
    SEALED_KEYS,
    TORN_RE,
    genesis,
)
from radiocli.aslog.reader import Line, file_identity, read_lines
from radiocli.aslog.scan import (
    EVENT_RE,
    MAX_SEGMENT,
    MINUTE_RE,
    clean_text,
    overlap_limit,
    scan,
)
from radiocli.errors import Problem
from radiocli.i18n import _, day_text as shown_day, os_reason

MAX_FILE = 64 << 20  # a day's log is well under 1 MB; larger files are read line by line

@dataclass
class FileCheck:
    """What verifying one file found."""

    path: Path
    station: str
    day: date | None
    lines: int = 0
    sealed: bool = False
    torn: bool = False
    minutes: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def verify_file(
    path: Path | str,
    *,
    today: date | None = None,
    station: str | None = None,
    day: date | None = None,
) -> list[Problem]:
    """Every problem of one log file (empty list: the file checks out).

    ``today``: files of this day or later may lack their ``sealed`` line (still being
    written); with ``today=None`` every day counts as past. ``station``/``day`` override
    what the file's place says (``<station>/<YYYY-MM-DD>.jsonl`` or the collected
    ``station=<code>/date=<YYYY-MM-DD>.jsonl``)."""
    return check_file(path, today=today, station=station, day=day).problems


def check_file(
    path: Path | str,
    *,
    today: date | None = None,
    station: str | None = None,
    day: date | None = None,
) -> FileCheck:
    """Verify one file and say what it holds (lines, sealed, torn) besides problems."""
    path = Path(path)
    where_station, where_day = file_identity(path)
    station = station or where_station
    day = day or where_day
    if day is None:
        check = FileCheck(path, station, day)
        check.problems.append(Problem(str(path), 0, 0, _("not an as-run log file name"),
                                      _("expected <YYYY-MM-DD>.jsonl"), "name"))
        return check
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError as exc:
        check = FileCheck(path, station, day)
        check.problems.append(Problem(str(path), 0, 0,
                                      _("cannot read the file: {reason}").format(
                                          reason=os_reason(exc)),
                                      code="unreadable"))
        return check
    if len(data) > MAX_FILE:  # not a day's log; read it line by line, not whole
        return _check_lines(path, path, station, day, today)
    return check_bytes(data, station, day, today=today, path=path)


def check_bytes(
    data: bytes, station: str, day: date, *, today: date | None = None, path: Path | str = ""
) -> FileCheck:
    """Verify a file's bytes (``path`` names it in problems). A file the fast reader
    finds clean, sealed and plain costs one pass; any other is read line by line to
    say what is wrong where."""
    found = scan(data, station, day)
    past = today is None or day < today
    if found.clean and not (found.torn or found.late or found.controls) and (
        found.sealed or not past
    ):
        return FileCheck(Path(path), station, day, lines=found.lines, sealed=found.sealed,
                         minutes=found.minutes, events=found.events)
    return _check_lines(data, Path(path), station, day, today)


def _check_lines(
    source: Path | bytes, path: Path, station: str, day: date, today: date | None
) -> FileCheck:
    check = FileCheck(path, station, day)
    name = str(path)
    problems = check.problems

    def problem(line: int, code: str, message: str, hint: str = "", severity: str = "error"):
        problems.append(Problem(name, line, 0, message, hint, code, severity))

    try:
        lines = list(read_lines(source))
    except OSError as exc:
        problem(0, "unreadable", _("cannot read the file: {reason}").format(
            reason=os_reason(exc)))
        return check
    check.lines = len(lines)
    if not lines:
        problem(0, "empty", _("the file is empty"),
                _("a day's log has at least its sealed line"))
        return check

    first = genesis(station, day)
    day_text = day.isoformat().encode()
    station_bytes = station.encode()
    prevs: list[str | None] = []
    kinds: list[str] = []  # "minute", event name, or "" when unreadable
    minute_of: list[bytes] = []
    canonical: list[bool] = []
    sealed_at: list[int] = []  # indexes of sealed lines
    sealed_count: dict[int, int] = {}
    first_seen: dict[tuple[bytes, bytes], int] = {}  # (occurrence, minute) -> line number
    on_air: dict[bytes, list[int]] = {}  # minute -> [seconds, lines, first line number]

    for index, line in enumerate(lines):
        n = line.number
        raw = line.raw
        if line.torn:
            check.torn = True
            problem(
                n,
                "torn",
                _("the last line is cut short ({n} bytes without a newline)").format(
                    n=line.length),
                _("a power cut or a copy stopped mid-line; `radiocli run` sets it aside"),
            )
            prevs.append(None)
            kinds.append("")
            minute_of.append(b"")
            canonical.append(False)
            continue
        match = MINUTE_RE.fullmatch(raw) if raw[:30].find(b'"minute"') > 0 else None
        kind = ""
        line_day = b""
        line_station = b""
        if match is not None:
            kind = "minute"
            line_day = match.group("day")
            line_station = match.group("station")
            seconds = int(match.group("seconds"))
            if seconds > 60:
                problem(n, "value", _("'seconds' is more than 60"))
            segment = match.group("segment")
            if len(segment) > 7 or int(segment) > MAX_SEGMENT:
                problem(n, "value", _("'segment' is out of range"))
            check.minutes += 1
            start = match.start("day")
            minute_of.append(raw[start : start + 16])
            stamp = raw[start : start + 22]
            key = (match.group("occ"), stamp)
            if key in first_seen:
                problem(n, "duplicate",
                        _("minute {minute} of occurrence {occurrence} is written twice "
                          "(lines {first} and {n})").format(
                            minute=stamp[11:16].decode(),
                            occurrence=match.group("occ").decode(errors="replace"),
                            first=first_seen[key], n=n),
                        _("a minute is counted once; the file was written twice over or "
                          "re-chained by hand"))
            else:
                first_seen[key] = n
            entry = on_air.setdefault(stamp, [0, 0, n])
            entry[0] += seconds
            entry[1] += 1
        else:
            match = EVENT_RE.fullmatch(raw)
            minute_of.append(b"")
            if match is not None:
                kind = match.group("event").decode()
                line_day = match.group("day")
                line_station = match.group("station")
                check.events += 1
                _event_rules(kind, match, n, problem)
                if kind == "sealed" and match.group("lines") is not None:
                    sealed_at.append(index)
                    sealed_count[index] = int(match.group("lines"))
        if match is None:
            canonical.append(False)
            prev, kind, line_station, line_day = _explain(line, n, problem)
            prevs.append(prev)
            kinds.append(kind)
            if kind == "sealed":
                sealed_at.append(index)
                lines_value = (line.data or {}).get("lines")
                if isinstance(lines_value, int):
                    sealed_count[index] = lines_value
        else:
            if not raw.isascii():
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problem(n, "encoding", _("invalid UTF-8 at column {n}").format(
                        n=exc.start + 1))
            _controls(line, n, problem)
            canonical.append(True)
            prevs.append(match.group("prev").decode())
            kinds.append(kind)
        if line_station and line_station != station_bytes:
            problem(
                n,
                "wrong-station",
                _("line of station {other} in the log of station {station}").format(
                    other=line_station.decode(errors="replace"), station=station),
                _("a line was moved between stations"),
            )
        if line_day and line_day != day_text:
            problem(
                n,
                "wrong-day",
                _("line of {other} in the log of {day}").format(
                    other=shown_day(line_day.decode(errors="replace")), day=shown_day(day)),
                _("a line was moved between days"),
            )

    for stamp, (seconds, count, n) in on_air.items():
        if seconds > overlap_limit(count):
            problem(n, "overlap",
                    _("{seconds} seconds on air in minute {minute} ({count} minute "
                      "lines)").format(seconds=seconds, minute=stamp[11:16].decode(),
                                       count=count),
                    _("a station airs one program at a time: at most 60 seconds a minute"))
    _check_chain(lines, prevs, kinds, minute_of, canonical, sealed_count, first, problem)

    # sealed, late lines, truncation
    last_good = len(lines) - 1
    while last_good >= 0 and lines[last_good].torn:
        last_good -= 1
    if last_good < 0:
        problem(lines[-1].number, "empty", _("the file holds no complete line"),
                _("a day's log has at least its sealed line"))
    if sealed_at:
        final = sealed_at[-1]
        check.sealed = final == last_good
        if final < last_good:
            problem(
                lines[final + 1].number,
                "late",
                _("{n} line(s) written after the day was sealed (line {line})").format(
                    n=last_good - final, line=lines[final].number),
                _("late writes are kept; seal the day again"),
                severity="warning",
        )
    past = today is None or day < today
    if past and not check.sealed:
        problem(
            lines[-1].number,
            "truncated",
            _("the log of {day} has no 'sealed' line at its end: possibly truncated").format(
                day=shown_day(day)),
            _("a day's log ends with its sealed line; the player stopped, or lines were "
              "removed"),
        )
    return check


def _controls(line: Line, n: int, problem) -> None:  # noqa: ANN001
    """Warn about control characters in a line's text (a spreadsheet cannot hold them)."""
    raw = line.raw
    if b"\\" not in raw and b"\x7f" not in raw and b"\xc2" not in raw:
        return
    data = line.data or {}
    for key, value in data.items():
        if isinstance(value, str) and clean_text(value)[1]:
            problem(n, "control-characters",
                    _("'{key}' holds control characters").format(key=key),
                    _("kept in the log; replaced by spaces or U+FFFD in reports"),
                    severity="warning")


def _event_rules(kind: str, match: re.Match[bytes], n: int, problem) -> None:  # noqa: ANN001
    if kind not in ALL_EVENTS:
        problem(n, "value", _("unknown event {event}").format(event=repr(kind)))
    bookkeeping = kind in BOOKKEEPING
    if bookkeeping and match.group("priority"):
        problem(n, "value", _("a '{event}' line has an empty priority").format(event=kind))
    if not bookkeeping and not match.group("priority"):
        problem(n, "value", _("'priority' is empty"))
    if (kind == "sealed") != (match.group("lines") is not None):
        problem(
            n,
            "keys",
            _("'lines' belongs to sealed lines only") if kind != "sealed"
            else _("'lines' is missing"),
        )


def _explain(line: Line, n: int, problem) -> tuple[str | None, str, bytes, bytes]:  # noqa: ANN001
    """A line the fast patterns refused: say precisely what is wrong with it.
    Returns (prev, kind, station, day-text)."""
    data = line.data
    if data is None:
        problem(n, "unreadable", f"{line.error}: {line.text(60)}")
        return None, "", b"", b""
    prev = data.get("prev")
    prev = prev if isinstance(prev, str) else None
    if "minute" in data:
        kind = "minute"
        expected: tuple[str, ...] = MINUTE_KEYS
        when = data.get("minute")
    elif "event" in data:
        kind = str(data.get("event"))
        expected = SEALED_KEYS if kind == "sealed" else EVENT_KEYS
        when = data.get("at")
    else:
        problem(n, "keys", _("neither a minute line nor an event line (no 'minute' or "
                             "'event')"))
        return prev, "", b"", b""
    keys = tuple(data)
    unknown = [k for k in keys if k not in expected]
    missing = [k for k in expected if k not in data]
    reported = False
    if unknown:
        problem(n, "unknown-keys", _("unknown key(s): {keys}").format(
            keys=", ".join(map(repr, unknown))))
        reported = True
    if missing:
        problem(n, "missing-keys", _("missing key(s): {keys}").format(
            keys=", ".join(map(repr, missing))))
        reported = True
    if not reported and keys != expected:
        problem(n, "format", _("keys are not in the documented order"),
                _("the line was rewritten"))
        reported = True
    if kind != "minute" and kind not in ALL_EVENTS:
        problem(n, "value", _("unknown event {event}").format(event=repr(kind)))
        reported = True
    seconds = data.get("seconds")
    if kind == "minute" and not (isinstance(seconds, int) and 1 <= seconds <= 60):
        problem(n, "value", _("'seconds' must be a whole number 1..60, got {value}").format(
            value=repr(seconds)))
        reported = True
    if data.get("priority") not in PRIORITIES | {""}:
        problem(n, "value", _("unknown priority {value}").format(
            value=repr(data.get("priority"))))
        reported = True
    if not isinstance(prev, str) or not re.fullmatch(r"[0-9a-f]{32}", prev):
        problem(n, "value", _("'prev' must be 32 lowercase hex digits"))
        reported = True
    if not reported:
        canon = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        if canon != line.raw:
            problem(
                n,
                "format",
                _("the line is not written the way the writer writes it (spacing, escapes "
                  "or number format)"),
                _("the line was rewritten by another program"),
            )
        else:
            problem(n, "value", _("a time or value is not in the documented format"))
    station = data.get("station")
    station_b = station.encode() if isinstance(station, str) else b""
    day_b = when[:10].encode() if isinstance(when, str) else b""
    return prev, kind, station_b, day_b


def _check_chain(
    lines: list[Line],
    prevs: list[str | None],
    kinds: list[str],
    minute_of: list[bytes],
    canonical: list[bool],
    sealed_count: dict[int, int],
    first: str,
    problem,  # noqa: ANN001
) -> None:
    digests = [line.digest for line in lines]
    position: dict[str, int] = {}
    for index, digest in enumerate(digests):
        position.setdefault(digest, index)
    # Does some line point at a line that comes after it? Then lines were reordered.
    reordered = any(
        p is not None and position.get(p, -1) >= i for i, p in enumerate(prevs)
    )
    expected = first
    for i, prev in enumerate(prevs):
        if lines[i].torn:
            break
        if prev is None:  # unreadable line: it breaks the chain by itself
            expected = digests[i]
            continue
        if prev != expected:
            n = lines[i].number
            j = position.get(prev)
            if reordered and (j is not None or prev == first):
                problem(
                    n,
                    "reordered",
                    _("line {n} is out of order: it belongs right after line {m}").format(
                        n=n, m=j + 1) if j is not None else
                    _("line {n} is out of order: it belongs at the top of the file").format(
                        n=n),
                    _("lines were moved within the file"),
                )
            elif prev == first:
                problem(
                    n,
                    "inserted",
                    _("lines 1..{last} were inserted before line {n}, the true first "
                      "line").format(last=n - 1, n=n),
                    _("the chain starts at line {n}").format(n=n),
                )
            elif j is not None and j < i - 1:
                message = _("line {first} inserted: line {n} follows line {before}") \
                    if j + 2 == n - 1 else \
                    _("lines {first}..{last} inserted: line {n} follows line {before}")
                problem(n - 1 if j + 2 == n - 1 else j + 2, "inserted",
                        message.format(first=j + 2, last=n - 1, n=n, before=j + 1),
                        _("lines were added by hand"))
            else:
                at_line, code, message, hint = _edited_or_removed(
                    i, lines, kinds, minute_of, canonical, sealed_count
                )
                problem(at_line, code, message, hint)
        expected = digests[i]
    for index, count in sealed_count.items():
        if count != index:
            n = lines[index].number
            if count > index:
                problem(
                    n,
                    "removed",
                    _("the sealed line counts {count} line(s) before it, the file has "
                      "{index}: {n} line(s) removed").format(count=count, index=index,
                                                            n=count - index),
                )
            else:
                problem(
                    n,
                    "inserted",
                    _("the sealed line counts {count} line(s) before it, the file has "
                      "{index}: {n} line(s) added").format(count=count, index=index,
                                                          n=index - count),
                )


def _edited_or_removed(
    i: int,
    lines: list[Line],
    kinds: list[str],
    minute_of: list[bytes],
    canonical: list[bool],
    sealed_count: dict[int, int],
) -> tuple[int, str, str, str]:
    n = lines[i].number
    before = i - 1
    if before >= 0 and not canonical[before]:
        return (n - 1, "edited", _("line {edited} was edited (line {n} does not chain to "
                                   "it)").format(edited=n - 1, n=n),
                _("compare with a collected copy"))
    removed_hint = any(count > index for index, count in sealed_count.items() if index >= i)
    gap = False
    if before >= 0 and kinds[i] == "minute" and kinds[before] == "minute":
        a, b = minute_of[before], minute_of[i]
        if a and b and a[:10] == b[:10]:
            minutes_a = int(a[11:13]) * 60 + int(a[14:16])
            minutes_b = int(b[11:13]) * 60 + int(b[14:16])
            gap = minutes_b - minutes_a > 1
    if removed_hint or gap:
        return (n, "removed", _("line(s) removed between line {before} and line {n}").format(
                    before=n - 1, n=n),
                _("the chain of line {n} points at a line that is not there").format(n=n))
    if i == 0:
        return (n, "edited", _("line 1 does not start the chain of this station and day"),
                _("the line was edited or moved here from another file"))
    return (n - 1, "edited", _("line {edited} was edited, or lines after it removed (line {n} "
                               "does not chain to it)").format(edited=n - 1, n=n),
            _("compare with a collected copy"))


def iter_log_files(path: Path) -> Iterator[Path]:
    """Log files under ``path`` (a file, a station folder, a logs folder, a store)."""
    if path.is_file():
        yield path
        return
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".jsonl"):
                yield Path(folder) / name


def verify_tree(path: Path | str, *, today: date | None = None) -> list[Problem]:
    """Every problem of every log file under ``path``; torn bytes set aside by the
    writer (``*.jsonl.torn-<n>``) are listed as warnings."""
    path = Path(path)
    problems: list[Problem] = []
    if not path.exists():
        return [Problem(str(path), 0, 0, _("no such file or folder"), code="missing")]
    for file in iter_log_files(path):
        problems.extend(verify_file(file, today=today))
    if path.is_dir():
        for folder, _dirs, files in os.walk(path):
            for name in sorted(files):
                if TORN_RE.match(name):
                    problems.append(
                        Problem(
                            str(Path(folder) / name),
                            0,
                            0,
                            _("torn bytes set aside after a power cut"),
                            _("kept for inspection; the log itself was recovered"),
                            "torn-file",
                            "warning",
                        )
                    )
    return problems
