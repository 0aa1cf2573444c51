"""Cell text that cannot be used against the reader of a spreadsheet, and cannot break
the file it is written to.

- Control characters (other than tab and line breaks) become their visible Unicode
  pictures (U+2400..U+241F: "\\x07" shows as "␇"): XLSX cannot hold them at all, and
  a reader should see that something odd was in the log, not lose it.
- Text a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a
  leading quote, and so does every line after a line break that would start one: some
  importers split cells at line breaks whatever the quoting.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AFTER_BREAK = re.compile(r"(\r\n|\r|\n)(?=[=+\-@\t])")


def visible_controls(text: str) -> str:
    """Control characters (not tab, CR, LF) as their Unicode pictures."""
    return _CONTROL.sub(lambda m: "\u2421" if m.group() == "\x7f" else chr(0x2400 + ord(m.group())),
                        text)


def safe_cell(value: object) -> object:
    """Neutralize text a spreadsheet would run as a formula and make control characters
    visible; numbers and other values pass unchanged."""
    if not isinstance(value, str):
        return value
    text = visible_controls(value)
    text = _AFTER_BREAK.sub(lambda m: m.group(1) + "'", text)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text
