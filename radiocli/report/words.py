"""The report's words, in Vietnamese (the default) and English.

Every text a report shows goes through :func:`H` or one of the tables here, so that a
later gettext catalogue can take them over from one place.
"""

from __future__ import annotations

from datetime import date


def H(lang: str, vi: str, en: str) -> str:
    """The Vietnamese or the English text, by the report's language."""
    return vi if lang == "vi" else en


# outcome of a planned occurrence (docs/reports.md says what each means)
STATUS = {
    "aired": ("đã phát", "aired"),
    "partial": ("phát không đủ", "partial"),
    "preempted": ("bị ngắt", "preempted"),
    "missed": ("bỏ lỡ", "missed"),
    "failed": ("lỗi", "failed"),
    "offline": ("đài không hoạt động", "station offline"),
    "unplanned": ("ngoài kế hoạch", "unplanned"),
}
PROBLEMS = ("failed", "missed", "offline", "preempted", "partial", "unplanned")

# the state of a station's log for one day
LOG_STATE = {
    "ok": ("đủ", "ok"),
    "empty": ("trống", "empty"),
    "unsealed": ("chưa niêm phong", "unsealed"),
    "no-log": ("không có", "no-log"),
}


# priorities (Circular 39/2020/TT-BTTTT)
PRIORITY = {
    "normal": ("thường", "normal"),
    "priority": ("ưu tiên", "priority"),
    "emergency": ("khẩn cấp", "emergency"),
}


def priority_text(label: str, lang: str) -> str:
    pair = PRIORITY.get(label)
    return H(lang, *pair) if pair else label


def status_text(code: str, lang: str) -> str:
    pair = STATUS.get(code)
    return H(lang, *pair) if pair else code


def log_text(code: str, lang: str) -> str:
    pair = LOG_STATE.get(code)
    return H(lang, *pair) if pair else code


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
