"""Dates, times, weekdays, ordinals, quarters and Roman numerals."""

from __future__ import annotations

import re

from . import regex
from .numbers import read_number, read_ordinal

_ROMAN = regex.compile(r"X{0,3}(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}

#: words after which a number or Roman numeral is an ordinal (thứ 1 -> thứ nhất)
_ORDINAL_WORDS = ("lần thứ", "kỳ họp thứ", "kì họp thứ", "thứ")
#: prize and rank words: giải 1 -> giải nhất, giải 2 -> giải nhì, hạng 4 -> hạng tư
_PRIZE_WORDS = ("giải", "hạng")
#: words after which a Roman numeral is read as a cardinal (khóa XV -> khóa mười lăm)
_ROMAN_WORDS = (
    "quý", "khóa", "khoá", "thế kỷ", "thế kỉ", "kỳ họp", "kì họp", "đại hội", "phần", "chương",
    "mục", "tập", "phụ lục", "loại", "cấp độ", "cấp", "vùng", "khu vực", "nhóm", "quân khu",
    "quân đoàn", "sư đoàn", "kỳ", "kì", "điều", "khoản", "bài", "bậc",
)


def _alternation(words: tuple[str, ...]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


_NUMBERED = regex.compile(
    rf"(?i:(?<![\w])({_alternation(_ORDINAL_WORDS + _PRIZE_WORDS + _ROMAN_WORDS)}))\s+"
    r"(?:([IVX]+)|([0-9]{1,3}))(?![\w]|[.,:][0-9]|/(?![0-9]{4}(?![0-9])))"
    r"(?:\s*(?:[/-]|(?i:năm))\s*([0-9]{4})(?![\w]))?"
)


def roman_value(numeral: str) -> int | None:
    """I..XXXIX as an int, or None when not a well-formed Roman numeral."""
    if not numeral or _ROMAN.fullmatch(numeral) is None:
        return None
    total = 0
    for i, ch in enumerate(numeral):
        value = _ROMAN_VALUES[ch]
        if i + 1 < len(numeral) and _ROMAN_VALUES[numeral[i + 1]] > value:
            total -= value
        else:
            total += value
    return total


def _prize(n: int) -> str:
    return {1: "nhất", 2: "nhì", 4: "tư"}.get(n) or read_number(n)


def _numbered(match: re.Match[str]) -> str:
    word, roman, digits, year = match.groups()
    key = re.sub(r"\s+", " ", word.lower())
    if roman is not None:
        value = roman_value(roman)
        if value is None:
            return match.group(0)
    else:
        if key not in _ORDINAL_WORDS and key not in _PRIZE_WORDS and key != "quý":
            return match.group(0)
        value = int(digits)
    if key in _ORDINAL_WORDS:
        spoken = read_ordinal(value)
    elif key in _PRIZE_WORDS:
        spoken = _prize(value)
    else:
        spoken = read_number(value)
    out = f"{word} {spoken}"
    if year:
        out += " năm " + read_number(int(year))
    return out


def speak_numbered(text: str) -> str:
    """Quý IV/2021, khóa XV, lần thứ 1, thứ 4, giải 2, thế kỷ XXI."""
    return _NUMBERED.sub(_numbered, text)


# --- times ---------------------------------------------------------------------------

_TIME_HM = regex.compile(
    r"(?<![\w:.,])([0-9]{1,2})(?:[:hg]|h\s)([0-9]{2})(?::([0-9]{2}))?"
    r"(?:'|p(?:h(?:út)?)?(?![\w])|\s*phút)?(?![\w:]|[.,][0-9])"
)
_TIME_H = regex.compile(r"(?<![\w:.,])([0-9]{1,2})h(?![\w])")


def _time_hm(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    second = match.group(3)
    if hour > 24 or minute > 59 or (second is not None and int(second) > 59):
        return match.group(0)
    out = read_number(hour) + " giờ"
    if minute or second:
        out += " " + read_number(minute) + " phút"
    if second is not None and int(second):
        out += " " + read_number(int(second)) + " giây"
    return out


def speak_times(text: str) -> str:
    """12:37 -> mười hai giờ ba mươi bảy phút; 6h30 -> sáu giờ ba mươi phút; 17h."""
    text = _TIME_HM.sub(_time_hm, text)
    return _TIME_H.sub(lambda m: read_number(int(m.group(1))) + " giờ", text)


# --- dates ---------------------------------------------------------------------------

_DASHED_DATE = regex.compile(
    r"(?<![\w.,/-])([0-9]{1,2})([.-])([0-9]{1,2})\2([0-9]{4})(?![\w/-]|[.,][0-9])"
)
_MONTH_YEAR = regex.compile(
    r"(?<![\w/.,:])(?:(?i:(tháng))\s+)?([0-9]{1,2})\s*/\s*([0-9]{4})(?![\w/]|[.,][0-9])"
)
_DATE = regex.compile(
    r"(?<![\w/.,:])(?:([0-9]{1,2})\s+(đến|-)\s+)?([0-9]{1,2})/([0-9]{1,2})"
    r"(?:/([0-9]{4}|[0-9]{2}))?(?![\w/]|[.,][0-9])"
)
_MONTH = regex.compile(r"(?i:(?<![\w])(tháng))\s+([0-9]{1,2})(?![\w/]|[.,][0-9])")
_DAY_WORD_BEFORE = regex.compile(r"(?i)(?:ngày|mồng|mùng)\s*$")


def month_name(month: int) -> str:
    """tháng 4 is 'tháng tư'; other months are read as cardinals."""
    return "tư" if month == 4 else read_number(month)


def _valid(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def _dashed(match: re.Match[str]) -> str:
    day, month = int(match.group(1)), int(match.group(3))
    if not _valid(day, month):
        return match.group(0)
    return f"{match.group(1)}/{match.group(3)}/{match.group(4)}"


def _month_year(match: re.Match[str]) -> str:
    month, year = int(match.group(2)), int(match.group(3))
    if not 1 <= month <= 12:
        return match.group(0)
    word = match.group(1) or "tháng"
    return f"{word} {month_name(month)} năm {read_number(year)}"


def _day_word_before(text: str, pos: int) -> bool:
    """'ngày 2/9', 'mồng 2/9' or a named day: 'ngày Quốc khánh 2/9', 'Ngày Nhà giáo 20/11'."""
    before = text[max(0, pos - 80):pos]
    if _DAY_WORD_BEFORE.search(before):
        return True
    words = before.split()[-6:]
    for i in range(len(words) - 1, 0, -1):
        if words[i - 1].lower() == "ngày":
            return words[i][:1].isupper()
    return False


def _date(match: re.Match[str]) -> str:
    first, link, day_s, month_s, year_s = match.groups()
    day, month = int(day_s), int(month_s)
    if not _valid(day, month) or (first is not None and not 1 <= int(first) <= 31):
        return match.group(0)
    if f"{day}/{month}" == "24/7" and year_s is None and first is None:
        return "hai mươi tư trên bảy"
    need_day_word = not _day_word_before(match.string, match.start())
    out = ""
    if first is not None:
        out = ("ngày " if need_day_word else "") + read_number(int(first)) + " đến "
        need_day_word = True
    out += ("ngày " if need_day_word else "") + read_number(day) + " tháng " + month_name(month)
    if year_s is not None:
        out += " năm " + read_number(int(year_s))
    return out


def _month(match: re.Match[str]) -> str:
    month = int(match.group(2))
    if not 1 <= month <= 12:
        return match.group(0)
    return f"{match.group(1)} {month_name(month)}"


def speak_dashed_dates(text: str) -> str:
    """27-4-2021 and 27.4.2021 become 27/4/2021 (before '-' is read as a range)."""
    if "-" in text or "." in text:
        return _DASHED_DATE.sub(_dashed, text)
    return text


def speak_dates(text: str) -> str:
    """27/4/2021 -> ngày hai mươi bảy tháng tư năm ...; tháng 9/2021; tháng 4."""
    if "/" in text:
        text = _MONTH_YEAR.sub(_month_year, text)
        text = _DATE.sub(_date, text)
    return _MONTH.sub(_month, text)
