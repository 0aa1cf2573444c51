"""Phone numbers and hotlines, read digit by digit: 'tổng đài 1022' -> 'một không hai hai'."""

from __future__ import annotations

import re

from .numbers import read_digits

_CONTEXT_WORDS = {"sđt": "số điện thoại", "đt": "điện thoại"}

_NUM = r"\+?[0-9]+(?:[ .-][0-9]+){0,5}(?![0-9])"
_AFTER_CONTEXT = re.compile(
    r"(?i)(?<![\w])(tổng đài|đường dây nóng|hotline|số điện thoại|điện thoại|sđt|đt|fax|"
    r"gọi|liên hệ|liên lạc|số máy)((?:\s*[:(]\s*|\s+)(?:(?:số|là)\s*:?\s*)?)"
    rf"({_NUM}(?:\s*(?:,|/|;|hoặc|và)\s*{_NUM}){{0,5}})"
)
_ONE_NUMBER = re.compile(_NUM)
_BARE = re.compile(r"(?<![\w.,+/:])(?:\+84|0)[0-9]*(?:[ .-][0-9]+){0,5}(?![0-9])")
_GROUPS = re.compile(r"[ .-]?[0-9]+")


def _digit_count(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def _phone_prefix(number: str, lo: int, hi: int) -> int:
    """Length of the longest prefix of whole digit groups with lo..hi digits, or 0."""
    best = 0
    count = 0
    pos = 0
    for group in _GROUPS.finditer(number):
        count += _digit_count(group.group(0))
        if count > hi:
            break
        pos = group.end()
        if count >= lo:
            best = pos
    return best


def _looks_like_service_number(number: str) -> bool:
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.startswith("+"):
        return True
    if len(digits) < 3:
        return False
    return digits[0] in "01" or len(digits) >= 7


def _read_service_number(number: str) -> str:
    """Digits of one hotline; trailing space-separated groups only if they complete it."""
    first = re.match(r"\+?[0-9]+(?:[.-][0-9]+)*", number)
    end = first.end() if first else len(number)
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits[:4] in ("1800", "1900") and _digit_count(number) <= 10:
        end = len(number)
    end = max(end, _phone_prefix(number, 9, 12))
    return read_digits(number[:end]) + number[end:]


def _context(match: re.Match[str]) -> str:
    word, sep, numbers = match.group(1), match.group(2), match.group(3)
    before = match.string[max(0, match.start() - 6):match.start()]
    if word.lower() == "gọi" and re.search(r"(?i)kêu\s*$", before):
        return match.group(0)
    first = _ONE_NUMBER.match(numbers)
    if first is None or not _looks_like_service_number(first.group(0)):
        return match.group(0)

    def one(m: re.Match[str]) -> str:
        if not _looks_like_service_number(m.group(0)):
            return m.group(0)
        return _read_service_number(m.group(0))

    spoken_word = _CONTEXT_WORDS.get(word.lower(), word)
    return f"{spoken_word}{sep}{_ONE_NUMBER.sub(one, numbers)}"


def _bare(match: re.Match[str]) -> str:
    number = match.group(0)
    end = _phone_prefix(number, 9, 12)
    if not end:
        return number
    return read_digits(number[:end]) + number[end:]


def speak_phone_numbers(text: str) -> str:
    """Read hotlines (after 'tổng đài', 'hotline', 'gọi'...) and 0xxx phone numbers."""
    text = _AFTER_CONTEXT.sub(_context, text)
    return _BARE.sub(_bare, text)
