"""Parsing the small values an operator types: times, dates, durations, weekdays.

Each parser returns the value or raises ValueError with a message that says what was
expected, e.g. ``'at' must be a time of day, got "25:00"``. They never see YAML types:
they get the raw text of the scalar, so "06:00" is never YAML 1.1's base-60 integer 360.

:data:`FORMATS` is the one table of what each kind of value may look like: the parsers
below match with its patterns, and the JSON Schema (``radiocli schema``) is built from
the same patterns and word lists, so an editor and ``validate`` accept the same values.
Patterns use only the regular-expression syntax Python and JSON Schema (ECMA 262) share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from radiocli.i18n import N_, _
from radiocli.schedule.registry import DISTRICT_KINDS, STATION_KINDS

__all__ = ["DISTRICT_KINDS", "FORMATS", "STATION_KINDS", "parse_date", "parse_datetime",
           "parse_days", "parse_duration", "parse_span", "parse_time"]

# --- words ---------------------------------------------------------------------------

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# the weekdays as people read them in messages (Monday first, as datetime.weekday())
WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
                 N_("Saturday"), N_("Sunday"))
VI_DAY_NAMES = ("thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật")

# every way a single weekday is written: English, Vietnamese in words, in numbers (thứ 2 is
# Monday: Vietnamese counts Sunday as the first day), abbreviated (T2 ... T7, CN) and
# without diacritics as typed on a keyboard without a Vietnamese input method
WEEKDAYS: dict[str, int] = {}
for _n, (_en, _vi, _plain) in enumerate(zip(
        DAY_NAMES, VI_DAY_NAMES,
        ("thu hai", "thu ba", "thu tu", "thu nam", "thu sau", "thu bay", "chu nhat"),
        strict=True)):
    for _word in (_en, _en[:3], _vi, _plain):
        WEEKDAYS[_word] = _n
    if _n < 6:
        WEEKDAYS[f"thứ {_n + 2}"] = WEEKDAYS[f"thu {_n + 2}"] = WEEKDAYS[f"t{_n + 2}"] = _n
WEEKDAYS.update({"thứ bẩy": 5, "cn": 6, "chủ nhựt": 6})
DAY_GROUPS = {
    "every day": (0, 1, 2, 3, 4, 5, 6), "daily": (0, 1, 2, 3, 4, 5, 6),
    "hằng ngày": (0, 1, 2, 3, 4, 5, 6), "hàng ngày": (0, 1, 2, 3, 4, 5, 6),
    "các ngày trong tuần": (0, 1, 2, 3, 4, 5, 6),
    "weekdays": (0, 1, 2, 3, 4), "ngày thường": (0, 1, 2, 3, 4),
    "weekends": (5, 6), "cuối tuần": (5, 6),
}
RANGE_WORDS = ("-", "–", "đến", "tới", "to")  # thứ hai đến thứ sáu, T2-T6, monday to friday
PRIORITIES = ("normal", "priority", "emergency")
ALL_WORDS = ("all", "tất cả")  # targets: all
HOLIDAY_WORDS = ("holidays", "ngày lễ")  # except: [holidays]
ENGINES = ("pyttsx3", "espeak-ng", "piper")
AUDIO_FORMATS = ("wav", "mp3")
_UNITS = {"h": 3600, "hour": 3600, "hours": 3600, "giờ": 3600,
          "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "phút": 60,
          "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "giây": 1}


# --- patterns ------------------------------------------------------------------------


def either(words: tuple[str, ...] | list[str]) -> str:
    """A regex group matching any of the words (longest first, spaces flexible)."""
    parts = sorted({_escape(w) for w in words}, key=len, reverse=True)
    return "(?:" + "|".join(p.replace(" ", r"\s+") for p in parts) + ")"


def _escape(word: str) -> str:
    # re.escape also escapes "-", which an ECMA regex in unicode mode refuses
    return "".join("\\" + c if c in r".^$*+?()[]{}|\/" else c for c in word)


def any_case(pattern: str) -> str:
    """The pattern with every letter outside an escape matching either case, so that one
    pattern string serves Python and JSON Schema alike (ECMA regexes have no flags)."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c.isalpha() and c.lower() != c.upper():
            pair = c.lower() + c.upper()
            out.append(pair if in_class else f"[{pair}]")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


_HOUR = "(?:[01]?[0-9]|2[0-3])"
_MINUTE = "[0-5][0-9]"
# 06:30, 6:30, 06:30:15, 6h30, 17h30, 6h, 6g45, 6 giờ 45, 6 giờ 45 phút
_TIME = (f"(?:{_HOUR}:{_MINUTE}(?::{_MINUTE})?"
         f"|{_HOUR}\\s*(?:h|g|giờ)(?:\\s*{_MINUTE}(?:\\s*phút)?)?)")
_DATE = "(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4})"
_RANGE = either(RANGE_WORDS)
_SPAN = f"({_TIME})\\s*{_RANGE}\\s*({_TIME})"
_DAY = either(list(WEEKDAYS))
_DAY_ITEM = f"(?:{either(list(DAY_GROUPS))}|{_DAY}(?:\\s*{_RANGE}\\s*{_DAY})?)"
_NUMBER = "[0-9]+(?:[.,][0-9]+)?"
_DURATION = f"(?=[^1-9]*[1-9])(?:{_NUMBER}\\s*{either(list(_UNITS))}\\s*)+"


def _whole(pattern: str) -> str:
    return any_case(f"^\\s*(?:{pattern})\\s*$")


@dataclass(frozen=True)
class Format:
    """What one kind of value looks like: the pattern both the loader and the JSON
    Schema use, a description for editors, and examples."""

    pattern: str
    description: str
    examples: tuple[str, ...]

    def matches(self, text: str) -> bool:
        return _compiled(self.pattern).fullmatch(text) is not None


FORMATS: dict[str, Format] = {
    "time": Format(_whole(_TIME), "time of day: 24-hour HH:MM (also 6h45, 17h30, 6g45, "
                   "6 giờ 45)", ("06:30", "17h30", "6 giờ 45")),
    "date": Format(_whole(_DATE), "a date, YYYY-MM-DD or DD/MM/YYYY",
                   ("2021-08-02", "02/08/2021")),
    "datetime": Format(_whole(f"{_DATE}(?:\\s+|T){_TIME}|{_TIME}\\s+{_DATE}"),
                       'a local date and time, "2021-08-15 09:00" or "15/8/2021 9h00"',
                       ("2021-08-15 09:00", "15/08/2021 9h00")),
    "duration": Format(_whole(_DURATION), 'a duration: "15m", "2h", "90s", "1h30m", '
                       '"45 phút"', ("15m", "1h30m", "45 phút")),
    "span": Format(_whole(_SPAN), 'a span of the day, "HH:MM-HH:MM"; both ends included',
                   ("06:00-20:00", "6h đến 20h")),
    "days": Format(_whole(f"{_DAY_ITEM}(?:\\s*,\\s*{_DAY_ITEM})*"),
                   "monday ... sunday, thứ hai ... chủ nhật, thứ 2 ... thứ 7, T2 ... T7, CN, "
                   "a range (thứ hai đến thứ sáu, T2-T6), weekdays, weekends, every day",
                   ("monday", "thứ 2", "T2-T6", "thứ hai đến thứ sáu", "weekdays")),
    "priority": Format(_whole(either(PRIORITIES)), "normal, priority or emergency "
                       "(Circular 39/2020/TT-BTTTT)", PRIORITIES),
    "all": Format(_whole(either(ALL_WORDS)), "every station", ALL_WORDS),
    "holidays": Format(_whole(either(HOLIDAY_WORDS)), "the public holidays", HOLIDAY_WORDS),
    "except": Format(_whole(f"{_DATE}|{either(HOLIDAY_WORDS)}"),
                     "a date to skip (YYYY-MM-DD or DD/MM/YYYY), or holidays",
                     ("2021-09-02", "holidays")),
}

TRUE_WORDS = ("true", "yes", "on")
FALSE_WORDS = ("false", "no", "off")
BOOLEAN_PATTERN = _whole(either(TRUE_WORDS + FALSE_WORDS))
NUMBER_PATTERN = _whole("-?[0-9]+(?:[.][0-9]+)?")


def whole_number_pattern(low: int, high: int) -> str:
    """A pattern for the whole numbers low..high written as text (every one listed: the
    ranges a schedule uses are small)."""
    return _whole("0*(?:" + "|".join(str(n) for n in range(high, low - 1, -1)) + ")")


class OutOfRange(ValueError):
    """A number outside the range a value allows."""


class NoSuchDay(ValueError):
    """A date written correctly that names a day the calendar does not have."""


def parse_whole_number(text: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\s*[0-9]+\s*", text):
        raise ValueError(_('must be a whole number, got "{text}"').format(text=text))
    number = int(text)
    if not low <= number <= high:
        raise OutOfRange(_("must be between {low} and {high}, got {number}").format(
            low=low, high=high, number=number))
    return number


def parse_number(text: str) -> float:
    if not _compiled(NUMBER_PATTERN).fullmatch(text):
        raise ValueError(_('must be a number, got "{text}"').format(text=text))
    return float(text)


def parse_boolean(text: str) -> bool:
    key = _words(text)
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise ValueError(_("must be true or false"))


_cache: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _cache.get(pattern)
    if found is None:
        found = _cache[pattern] = re.compile(pattern)
    return found


def _words(text: str) -> str:
    return " ".join(text.strip().lower().split())


# --- parsers -------------------------------------------------------------------------

_TIME_PARTS = re.compile(r"\s*([0-9]+)\s*(?::|giờ|h|g)\s*(?:([0-9]+)(?::([0-9]+))?)?",
                         re.IGNORECASE)


def parse_time(text: str) -> time:
    """ "06:30", "6h30", "17h", "6 giờ 45" -> time."""
    if not FORMATS["time"].matches(text):
        raise ValueError(_('must be a time of day, 24-hour HH:MM (or 6h45, 17h30, 6 giờ 45), '
                           'got "{text}"').format(text=text))
    match = _TIME_PARTS.match(text)
    assert match is not None
    hour, minute, second = match.groups()
    return time(int(hour), int(minute or 0), int(second or 0))


def parse_date(text: str) -> date:
    raw = text.strip()
    if not FORMATS["date"].matches(raw):
        raise ValueError(_('must be a date YYYY-MM-DD (or DD/MM/YYYY), got "{text}"').format(
            text=text))
    if "-" in raw:
        year, month, day = (int(p) for p in raw.split("-"))
    else:
        day, month, year = (int(p) for p in raw.split("/"))
    try:
        return date(year, month, day)
    except ValueError:
        raise NoSuchDay(_('names a day that does not exist: "{date}" ({why})').format(
            date=raw, why=_why_not_a_day(year, month))) from None


MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))


def _why_not_a_day(year: int, month: int) -> str:
    if not 1 <= month <= 12:
        return _("there is no month {month}").format(month=month)
    import calendar

    last = calendar.monthrange(year, month)[1]
    return _("{month_name} {year} has {days} days").format(
        month_name=_(MONTHS[month - 1]), year=year, days=last)


_DATETIME_PARTS = re.compile(
    any_case(f"^\\s*(?:({_DATE})(?:\\s+|T)({_TIME})|({_TIME})\\s+({_DATE}))\\s*$"))


def parse_datetime(text: str, tz: object) -> datetime:
    """ "2021-08-15 09:00", "15/8/2021 9h00" or "9h00 15/8/2021" (local time) -> aware
    datetime."""
    match = _DATETIME_PARTS.fullmatch(text)
    if match is None:
        raise ValueError(_('must be a date and a time, e.g. "2021-08-15 09:00", got "{text}"'
                           ).format(text=text))
    day_text = match.group(1) or match.group(4)
    time_text = match.group(2) or match.group(3)
    return datetime.combine(parse_date(day_text), parse_time(time_text),
                            tzinfo=tz)  # type: ignore[arg-type]


_DURATION_PART = re.compile(any_case(f"({_NUMBER})\\s*({either(list(_UNITS))})"))


def parse_duration(text: str) -> float:
    """ "15m", "2h", "90s", "1h30m", "45 phút" -> seconds."""
    raw = text.strip()
    if re.fullmatch(r"[0-9]+(?:[.,][0-9]+)?", raw):
        raise ValueError(_('needs a unit: write "{number}m" (minutes) or "{number}s" (seconds)'
                           ).format(number=raw))
    if not FORMATS["duration"].matches(raw):
        if FORMATS["duration"].matches(raw.replace("0", "1")):
            raise ValueError(_('must be longer than zero, got "{text}"').format(text=text))
        raise ValueError(_('must be a duration like "15m", "2h", "90s" or "1h30m", got "{text}"'
                           ).format(text=text))
    return sum(float(m[1].replace(",", ".")) * _UNITS[m[2].lower()]
               for m in _DURATION_PART.finditer(raw))


def parse_days(values: list[str]) -> tuple[int, ...]:
    """Weekday names (English or Vietnamese, thứ 2 ... CN), ranges (thứ hai đến thứ sáu,
    T2-T6) or a group (weekdays) -> sorted weekday numbers."""
    days: set[int] = set()
    for value in values:
        for item in value.split(","):
            days.update(_day_item(item, value))
    return tuple(sorted(days))


_RANGE_SPLIT = re.compile(any_case(f"^\\s*({_DAY})\\s*{_RANGE}\\s*({_DAY})\\s*$"))


def _day_item(item: str, value: str) -> tuple[int, ...]:
    key = _words(item)
    if key in DAY_GROUPS:
        return DAY_GROUPS[key]
    if key in WEEKDAYS:
        return (WEEKDAYS[key],)
    match = _RANGE_SPLIT.fullmatch(item)
    if match:  # thứ hai đến thứ sáu; a range may wrap: thứ 7 - thứ 2 is Sat, Sun, Mon
        first, last = WEEKDAYS[_words(match[1])], WEEKDAYS[_words(match[2])]
        return tuple((first + n) % 7 for n in range((last - first) % 7 + 1))
    if key.isdigit():
        raise ValueError(_(
            'use weekday names (monday ... sunday, or "thứ hai" ... "chủ nhật", "thứ 2" ... '
            '"thứ 7", "CN"), not numbers: "{value}"').format(value=value))
    raise ValueError(_('unknown day "{day}": write monday ... sunday, thứ hai ... chủ nhật, '
                       "thứ 2 ... thứ 7, T2 ... T7, CN, a range (thứ hai đến thứ sáu, T2-T6), "
                       "weekdays, weekends or every day").format(day=item.strip()))


def parse_span(text: str) -> tuple[time, time]:
    """ "06:00-20:00", "6h đến 20h" -> (06:00, 20:00)."""
    match = _compiled(_whole(_SPAN)).fullmatch(text)
    if match is None:
        raise ValueError(_('must be a span "HH:MM-HH:MM" (or "6h-17h30"), got "{text}"').format(
            text=text))
    return parse_time(match[1]), parse_time(match[2])


def parse_choice(text: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, whatever the case and spacing."""
    key = _words(text)
    if key in choices:
        return key
    raise ValueError(_('must be one of {choices}, got "{text}"').format(
        choices=", ".join(choices), text=text))


RELATIVE_DAYS = {"today": 0, "hôm nay": 0, "tomorrow": 1, "ngày mai": 1,
                 "yesterday": -1, "hôm qua": -1}


def parse_day(text: str, today: date) -> date:
    """A date as typed on the command line: YYYY-MM-DD, DD/MM/YYYY, or today, tomorrow,
    yesterday (hôm nay, ngày mai, hôm qua) counted from ``today``."""
    from datetime import timedelta

    key = _words(text)
    if key in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[key])
    try:
        return parse_date(text)
    except NoSuchDay:
        raise
    except ValueError:
        raise ValueError(_('must be a date YYYY-MM-DD or DD/MM/YYYY (or today, tomorrow, '
                           'hôm nay, ngày mai), got "{text}"').format(text=text)) from None


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
