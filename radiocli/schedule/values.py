"""Parsing the small values an operator types: times, dates, durations, weekdays.

Each parser returns the value or raises ValueError with a message that says what was
expected, e.g. ``'at' must be HH:MM, got "6h"``. They never see YAML types: they get
the raw text of the scalar, so "06:00" is never YAML 1.1's base-60 integer 360.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

WEEKDAYS = {
    "monday": 0, "mon": 0, "thứ hai": 0, "thu hai": 0, "t2": 0,
    "tuesday": 1, "tue": 1, "thứ ba": 1, "thu ba": 1, "t3": 1,
    "wednesday": 2, "wed": 2, "thứ tư": 2, "thu tu": 2, "t4": 2,
    "thursday": 3, "thu": 3, "thứ năm": 3, "thu nam": 3, "t5": 3,
    "friday": 4, "fri": 4, "thứ sáu": 4, "thu sau": 4, "t6": 4,
    "saturday": 5, "sat": 5, "thứ bảy": 5, "thu bay": 5, "t7": 5,
    "sunday": 6, "sun": 6, "chủ nhật": 6, "chu nhat": 6, "cn": 6,
}
DAY_GROUPS = {
    "every day": (0, 1, 2, 3, 4, 5, 6), "daily": (0, 1, 2, 3, 4, 5, 6),
    "hằng ngày": (0, 1, 2, 3, 4, 5, 6), "hàng ngày": (0, 1, 2, 3, 4, 5, 6),
    "weekdays": (0, 1, 2, 3, 4), "ngày thường": (0, 1, 2, 3, 4),
    "weekends": (5, 6), "cuối tuần": (5, 6),
}
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(h|hours?|giờ|m|min|mins|minutes?|phút|s|sec|secs|seconds?|giây)",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"h": 3600, "giờ": 3600, "m": 60, "min": 60, "phút": 60, "s": 1, "giây": 1}


def parse_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f'must be a time of day HH:MM (24-hour), got "{text}"')
    hour, minute, second = match.groups()
    return time(int(hour), int(minute), int(second or 0))


def parse_date(text: str) -> date:
    text = text.strip()
    match = _ISO_DATE.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = _VN_DATE.match(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        raise ValueError(f'is not a real date: "{text}"') from None
    raise ValueError(f'must be a date YYYY-MM-DD (or DD/MM/YYYY), got "{text}"')


def parse_datetime(text: str, tz: object) -> datetime:
    """ "2021-08-15 09:00" or "15/8/2021 09:00" (local time) -> aware datetime."""
    parts = text.strip().replace("T", " ").split()
    if len(parts) != 2:
        raise ValueError(f'must be a date and a time, e.g. "2021-08-15 09:00", got "{text}"')
    first, second = parts
    try:
        day, clock = parse_date(first), parse_time(second)
    except ValueError:
        try:
            day, clock = parse_date(second), parse_time(first)
        except ValueError:
            raise ValueError(
                f'must be a date and a time, e.g. "2021-08-15 09:00", got "{text}"'
            ) from None
    return datetime.combine(day, clock, tzinfo=tz)  # type: ignore[arg-type]


def parse_duration(text: str) -> float:
    """ "15m", "2h", "90s", "1h30m", "45 phút" -> seconds."""
    raw = text.strip()
    if re.fullmatch(r"\d+(?:[.,]\d+)?", raw):
        raise ValueError(f'needs a unit: write "{raw}m" (minutes) or "{raw}s" (seconds)')
    pos, total, found = 0, 0.0, False
    for match in _DURATION_PART.finditer(raw):
        if raw[pos : match.start()].strip():
            break
        unit = match[2].lower()
        key = unit if unit in _UNIT_SECONDS else unit[0]
        total += float(match[1].replace(",", ".")) * _UNIT_SECONDS[key]
        pos, found = match.end(), True
    if not found or raw[pos:].strip():
        raise ValueError(f'must be a duration like "15m", "2h", "90s" or "1h30m", got "{text}"')
    if total <= 0:
        raise ValueError(f'must be longer than zero, got "{text}"')
    return total


def parse_days(values: list[str]) -> tuple[int, ...]:
    """Weekday names (English or Vietnamese) or a group -> sorted weekday numbers."""
    days: set[int] = set()
    for value in values:
        key = " ".join(value.strip().lower().split())
        if key in DAY_GROUPS:
            days.update(DAY_GROUPS[key])
        elif key in WEEKDAYS:
            days.add(WEEKDAYS[key])
        elif key.isdigit():
            raise ValueError(
                f'use weekday names (monday ... sunday, or "thứ hai" ... "chủ nhật"), '
                f'not numbers: "{value}"'
            )
        else:
            from radiocli.schedule.suggest import did_you_mean

            hint = did_you_mean(key, [*WEEKDAYS, *DAY_GROUPS])
            raise ValueError(f'unknown day "{value}"{hint}')
    return tuple(sorted(days))


def parse_span(text: str) -> tuple[time, time]:
    """ "06:00-20:00" -> (06:00, 20:00)."""
    parts = re.split(r"\s*(?:-|–|to|đến)\s*", text.strip())
    if len(parts) != 2:
        raise ValueError(f'must be a span "HH:MM-HH:MM", got "{text}"')
    return parse_time(parts[0]), parse_time(parts[1])


def expand_every(every: float, between: tuple[time, time]) -> tuple[time, ...]:
    """``every: 2h, between: "07:00-19:00"`` -> 07:00, 09:00, ..., 19:00: from the start,
    every ``every`` seconds, up to and including the end when a step lands on it."""
    start = between[0].hour * 3600 + between[0].minute * 60 + between[0].second
    stop = between[1].hour * 3600 + between[1].minute * 60 + between[1].second
    out = []
    second = start
    while second <= stop:
        out.append(time(second // 3600, (second % 3600) // 60, second % 60))
        second += int(every)
    return tuple(out)


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs or not out:
        out += f"{secs}s"
    return out
