"""Numbers the way district offices write them: 167.400; 6,4 triệu (English: 167,400)."""

from __future__ import annotations

import math


def fmt_int(value: float, lang: str = "vi") -> str:
    text = f"{round(value):,}"
    return text.replace(",", ".") if lang == "vi" else text


def fmt_num(value: float, lang: str = "vi", decimals: int = 1) -> str:
    """1234.5 -> '1.234,5' (vi) or '1,234.5' (en); whole numbers without decimals."""
    if float(value).is_integer():
        return fmt_int(value, lang)
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def fmt_large(value: float, lang: str = "vi") -> tuple[str, bool]:
    """Millions rounded down to one decimal: ('6,4 triệu', True) — True when rounded down
    (the report then says 'hơn' / 'more than')."""
    if value >= 1_000_000:
        shown = math.floor(value / 100_000) / 10
        unit = "triệu" if lang == "vi" else "million"
        return f"{fmt_num(shown, lang)} {unit}", shown * 1_000_000 < value
    return fmt_int(value, lang), False


def headline(lang: str, stations: int, sessions: int, minutes: float, avg_sessions: float,
             avg_minutes: float) -> str:
    """The sentence districts open their report with, filled with the period's figures."""
    big, more = fmt_large(minutes, lang)
    if lang == "vi":
        return (
            f"{fmt_int(stations, lang)} đài truyền thanh xã, phường, thị trấn đã thực hiện "
            f"{fmt_int(sessions, lang)} buổi phát thanh với {'hơn ' if more else ''}{big} phút "
            f"phát thanh; trung bình hằng ngày mỗi đài cơ sở phát "
            f"{fmt_num(round(avg_sessions, 1), lang)} buổi và "
            f"{fmt_num(round(avg_minutes), lang)} phút."
        )
    return (
        f"{fmt_int(stations, lang)} commune, ward and town radio stations aired "
        f"{fmt_int(sessions, lang)} sessions and {'more than ' if more else ''}{big} minutes; "
        f"on average each station aired {fmt_num(round(avg_sessions, 1), lang)} sessions and "
        f"{fmt_num(round(avg_minutes), lang)} minutes a day."
    )


def shown(kind: str, value: object, lang: str = "vi") -> str:
    """A report value as people read it: numbers the Vietnamese way (or English),
    dates DD/MM/YYYY, percentages with one decimal."""
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}" if lang == "vi" else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}" if lang == "vi" else value.isoformat()
    if isinstance(value, (int, float)) and kind != "code":
        if kind == "percent":
            return f"{fmt_num(round(float(value), 1), lang)}%"
        if kind == "num2":
            return fmt_num(round(float(value), 2), lang, decimals=2)
        return fmt_num(value, lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
