"""Units, currencies, percentages and numeric ranges after a number."""

from __future__ import annotations

import re

from . import regex
from .numbers import read_numeral

#: unit symbols read after a number (case-sensitive)
UNITS: dict[str, str] = {
    "km/h": "ki lô mét trên giờ",
    "m/s": "mét trên giây",
    "km2": "ki lô mét vuông",
    "m2": "mét vuông",
    "cm2": "xen ti mét vuông",
    "m3": "mét khối",
    "°C": "độ xê",
    "°F": "độ ép",
    "°": "độ",
    "mm": "mi li mét",
    "cm": "xen ti mét",
    "km": "ki lô mét",
    "m": "mét",
    "ha": "héc ta",
    "kg": "ki lô gam",
    "mg": "mi li gam",
    "g": "gam",
    "ml": "mi li lít",
    "l": "lít",
    "kWh": "ki lô oát giờ",
    "kW": "ki lô oát",
    "MW": "mê ga oát",
    "W": "oát",
    "kV": "ki lô vôn",
    "V": "vôn",
    "GB": "gi ga bai",
    "MB": "mê ga bai",
    "đ": "đồng",
    "k": "nghìn",
    "tr": "triệu",
    "%": "phần trăm",
    "‰": "phần nghìn",
    "$": "đô la",
    "€": "ơ rô",
}

#: words before '/' that make it 'trên' (đồng/hộ -> đồng trên hộ, tạ/ha -> tạ trên héc ta)
PER_WORDS = {
    "đồng", "đ", "vnđ", "usd", "đô", "tạ", "tấn", "kg", "g", "km", "m", "mét", "lít", "l", "ml",
    "ha", "người", "lượt", "ca", "liều", "suất", "xe", "chuyến", "chiếc", "con", "lần", "giờ",
    "phút", "ngày", "tuần", "tháng", "hộ", "triệu", "nghìn", "tỷ", "cây", "bao", "kwh", "km2",
    "m2", "m3", "mm", "cm", "giây", "khẩu", "phần", "trăm", "héc",
}
#: unit symbols after '/' (km/h, tạ/ha, người/km2)
PER_UNITS = {
    "h": "giờ", "s": "giây", "ha": "héc ta", **{k: v for k, v in UNITS.items() if k.isalnum()}
}

_NUMBER = r"(?:[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?(?![0-9])|[0-9]+(?:[.,][0-9]+)?)"
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_WITH_UNIT = regex.compile(rf"(?<![\w.,])({_NUMBER})\s*({_UNIT_ALT})(?![\w])")
_WITH_SYMBOL_UNIT = regex.compile(rf"(?<![\w.,])({_NUMBER})\s*(%|‰|°C|°F|°|\$|€)")
_MONEY_BEFORE = regex.compile(rf"(\$|€)\s*({_NUMBER})(?![\w])")
_RANGE = regex.compile(r"(?:(?<=[0-9%])|(?<=[0-9]h))\s*[-–—]\s*(?=[0-9])")
_NEGATIVE = regex.compile(r"(?<![\w.,])[-−](?=[0-9][0-9.,]*\s*(?:°|độ))")
_PER = regex.compile(r"(?<![\w/])([^\W\d_]+[0-9]?) ?/ ?([^\W\d_]+[0-9]?)(?![\w])")
_NUMBER_SLASH = regex.compile(r"(?<=[0-9])\s*/\s*(?=[0-9])")


def _with_unit(match: re.Match[str]) -> str:
    return f"{read_numeral(match.group(1))} {UNITS[match.group(2)]}"


def _money_before(match: re.Match[str]) -> str:
    return f"{read_numeral(match.group(2))} {UNITS[match.group(1)]}"


def _per(match: re.Match[str]) -> str:
    left, right = match.group(1), match.group(2)
    if left.lower() not in PER_WORDS:
        return f"{left} {right}"
    left_word = PER_UNITS.get(left, left)
    return f"{left_word} trên {PER_UNITS.get(right, right)}"


def speak_ranges(text: str) -> str:
    """'5-10%' -> '5 đến 10%', '2021-2025' -> '2021 đến 2025', '-5°C' -> 'âm 5°C'."""
    if "-" not in text and "–" not in text and "—" not in text and "−" not in text:
        return text
    text = _NEGATIVE.sub("âm ", text)
    return _RANGE.sub(" đến ", text)


def speak_units(text: str) -> str:
    """85% -> tám mươi lăm phần trăm, 500m2, 35°C, 62,3 tạ/ha, 1,5 triệu đồng/hộ."""
    text = _MONEY_BEFORE.sub(_money_before, text)
    text = _WITH_UNIT.sub(_with_unit, text)
    text = _WITH_SYMBOL_UNIT.sub(_with_unit, text)
    if "/" in text:
        for _round in range(3):  # đồng/người/tháng: chained slashes
            text = _PER.sub(_per, text)
            if "/" not in text:
                break
        text = _NUMBER_SLASH.sub(" trên ", text)
    return text


# --- fractions, scores, licence plates -------------------------------------------------

_FRACTION = regex.compile(
    r"(?i:(?<![\w])(chiếm|khoảng|gần|hơn|bằng|còn|giảm|tăng|mất|thêm|dưới|hết|được)\s+)"
    r"([1-9])/([2-9]|10)(?![\w/]|[.,][0-9])"
)
_SCORE = regex.compile(
    r"(?i:(?<![\w])(tỷ số|tỉ số|thắng|thua|hòa|hoà)\s+)"
    r"([0-9]{1,2})\s*[-:–]\s*([0-9]{1,2})(?![\w/.,])"
)
_PLATE = regex.compile(
    r"(?<![\w.-])([0-9]{2}[A-Z]{1,2}[0-9]?)\s*[-\s]\s*"
    r"([0-9]{3}\.[0-9]{2}|[0-9]{4,5})(?![\w.]|\.[0-9])"
)


def _fraction(match: re.Match[str]) -> str:
    word, top, bottom = match.group(1), int(match.group(2)), int(match.group(3))
    if top >= bottom:
        return match.group(0)
    bottom_word = "tư" if bottom == 4 else read_numeral(str(bottom))
    return f"{word} {read_numeral(str(top))} phần {bottom_word}"


def _plate(match: re.Match[str]) -> str:
    from .letters import spell

    return f"{spell(match.group(1))}, {spell(match.group(2).replace('.', ''))}"


def speak_special_numbers(text: str) -> str:
    """'chiếm 1/3' -> một phần ba; 'tỷ số 2-1' -> hai một; plate 29B-123.45 digit by digit."""
    if "/" in text:
        text = _FRACTION.sub(_fraction, text)
    text = _SCORE.sub(
        lambda m: f"{m.group(1)} {read_numeral(m.group(2))} {read_numeral(m.group(3))}", text
    )
    return _PLATE.sub(_plate, text)
