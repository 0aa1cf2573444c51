"""Reading numbers aloud in Northern (Hanoi broadcast) Vietnamese.

Conventions: nghìn (not ngàn), linh (not lẻ), mốt (21), lăm (15, 25), mươi tư (24..94),
"không trăm" for an inner empty hundreds, a fully empty group (000) skipped, tỷ for 10^9.
"""

from __future__ import annotations

import unicodedata

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUP_NAMES = ("", "nghìn", "triệu")
#: longest run of digits read as a number; longer runs are read digit by digit
MAX_NUMBER_DIGITS = 15


def _tens(n: int) -> str:
    """0 < n < 100."""
    tens, unit = divmod(n, 10)
    if tens == 0:
        return DIGITS[unit]
    if tens == 1:
        head = "mười"
        if unit == 0:
            return head
        return head + " " + ("lăm" if unit == 5 else DIGITS[unit])
    head = DIGITS[tens] + " mươi"
    if unit == 0:
        return head
    word = {1: "mốt", 4: "tư", 5: "lăm"}.get(unit, DIGITS[unit])
    return head + " " + word


def _hundreds(n: int, full: bool) -> str:
    """0 < n < 1000; ``full`` reads an empty hundreds as 'không trăm' (inner groups)."""
    hundreds, rest = divmod(n, 100)
    if hundreds == 0 and not full:
        return _tens(rest)
    head = DIGITS[hundreds] + " trăm"
    if rest == 0:
        return head
    if rest < 10:
        return head + " linh " + DIGITS[rest]
    return head + " " + _tens(rest)


def _below_billion(n: int, full: bool) -> list[str]:
    """0 < n < 10^9 as words; ``full``: the leading group is an inner group."""
    groups = []
    rest = n
    while rest:
        rest, group = divmod(rest, 1000)
        groups.append(group)
    words: list[str] = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words.append(_hundreds(group, full or index != top))
        if GROUP_NAMES[index]:
            words.append(GROUP_NAMES[index])
    return words


def read_number(n: int) -> str:
    """Read an integer: 2050 -> 'hai nghìn không trăm năm mươi', 21 -> 'hai mươi mốt'."""
    n = int(n)
    if n < 0:
        return "âm " + read_number(-n)
    if n == 0:
        return DIGITS[0]
    return " ".join(_read_positive(n, full=False))


def _read_positive(n: int, full: bool) -> list[str]:
    billions, rest = divmod(n, 10**9)
    words: list[str] = []
    if billions:
        words.extend(_read_positive(billions, full))
        words.append("tỷ")
        full = True
    if rest:
        words.extend(_below_billion(rest, full))
    return words


def digit_value(ch: str) -> int | None:
    """The value of a decimal digit in any script, or None."""
    try:
        return unicodedata.decimal(ch)
    except (TypeError, ValueError):
        return None


def read_digits(s: str) -> str:
    """Read every digit one by one ('0912' -> 'không chín một hai'); '+' is 'cộng'.

    Other characters (dots, spaces, dashes) are skipped.
    """
    words = []
    for ch in str(s):
        value = digit_value(ch)
        if value is not None:
            words.append(DIGITS[value])
        elif ch == "+":
            words.append("cộng")
    return " ".join(words)


def read_integer_text(digits: str) -> str:
    """Read a run of digits: a number, or digit by digit when it is a code.

    '2021' -> a number; '0243' (leading zero, 3+ digits) or a very long run -> digits.
    """
    digits = "".join(ch for ch in digits if digit_value(ch) is not None)
    if not digits:
        return ""
    if len(digits) > MAX_NUMBER_DIGITS or (len(digits) >= 3 and digits[0] == "0"):
        return read_digits(digits)
    return read_number(int("".join(str(digit_value(ch)) for ch in digits)))


def read_fraction_digits(digits: str) -> str:
    """The part after a decimal mark: '4' -> 'bốn', '25' -> 'hai mươi lăm', '05' -> digits."""
    if not digits:
        return ""
    if digits[0] == "0" or len(digits) > 3:
        return read_digits(digits)
    return read_number(int(digits))


def read_numeral(text: str) -> str:
    """Read a written numeral: '156.000', '6,4', '1.234,5', '1.5', '2021'."""
    text = text.strip()
    if "," in text:
        whole, _, fraction = text.partition(",")
    elif text.count(".") == 1 and len(text.partition(".")[2]) != 3:
        whole, _, fraction = text.partition(".")
    else:
        whole, fraction = text, ""
    whole_digits = whole.replace(".", "")
    if "." in whole and len(whole_digits) <= MAX_NUMBER_DIGITS:
        spoken = read_number(int(whole_digits)) if whole_digits.isdigit() else read_digits(whole)
    else:
        spoken = read_integer_text(whole_digits)
    fraction_digits = "".join(ch for ch in fraction if ch.isdigit())
    if fraction_digits:
        spoken += " phẩy " + read_fraction_digits(fraction_digits)
    return spoken


def read_ordinal(n: int) -> str:
    """Ordinal after 'thứ': 1 -> 'nhất', 4 -> 'tư', others as cardinals."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return read_number(n)
