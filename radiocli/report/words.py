"""The report's words, in Vietnamese (the default) and English.

Every text a report shows goes through :func:`H` or one of the tables here, so that a
later gettext catalogue can take them over from one place.
"""

from __future__ import annotations

import functools
from datetime import date

from radiocli import i18n


def H(lang: str, vi: str, en: str) -> str:
    """The Vietnamese or the English text, by the report's language."""
    return vi if lang == "vi" else en


# the codes of an occurrence's outcome (docs/reports.md says what each means), of a day's
# log and of priorities: shown through radiocli.i18n.word, the one vocabulary of the
# command line and the reports
STATUS = ("aired", "partial", "preempted", "missed", "failed", "offline", "unplanned")
PROBLEMS = ("failed", "missed", "offline", "preempted", "partial", "unplanned")
LOG_STATE = ("ok", "empty", "unsealed", "no-log")
PRIORITY = ("normal", "priority", "emergency")  # Circular 39/2020/TT-BTTTT


@functools.cache
def _word(kind: str, code: str, lang: str) -> str:
    """One word of the vocabulary in ``lang`` (a handful of words; a report asks for
    them once per row, hundreds of thousands of times)."""
    with i18n.using(lang):
        return i18n.word(kind, code)


def reason_text(reason: str, lang: str) -> str:
    """A reason of the as-run log (kept in English) in ``lang``; most rows have none, and
    switching the language for each of 169,000 rows cost a second a report."""
    if not reason:
        return reason
    with i18n.using(lang):
        return i18n.reason(reason)


def priority_text(label: str, lang: str) -> str:
    return _word("priority", label, lang)


def status_text(code: str, lang: str) -> str:
    return _word("status", code, lang)


def log_text(code: str, lang: str) -> str:
    return _word("log", code, lang)


def period(start: date, end: date, lang: str) -> str:
    """'từ ngày 01/08/2021 đến ngày 31/08/2021' / 'from 2021-08-01 to 2021-08-31'."""
    return H(lang, f"từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}", f"from {start} to {end}")


def date_line(place: str, day: date, lang: str) -> str:
    """The place and date line of an administrative document (Decree 30/2020/NĐ-CP):
    days below 10 and the months January and February take a leading zero."""
    if lang != "vi":
        return f"{place}, {day:%d %B %Y}" if place else f"{day:%d %B %Y}"
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text.capitalize()
