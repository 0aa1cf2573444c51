"""The normalization pipeline: written bulletin text -> spoken Northern Vietnamese."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from . import regex
from .abbreviations import BUILTIN_ABBREVIATIONS
from .dates import speak_dashed_dates, speak_dates, speak_numbered, speak_times
from .letters import LETTER_NAMES, is_vietnamese_syllable, spell
from .loanwords import LOANWORDS
from .numbers import read_integer_text, read_numeral
from .phones import speak_phone_numbers
from .units import speak_ranges, speak_special_numbers, speak_units
from .urls import speak_addresses

# --- clean-up of the raw text --------------------------------------------------------

# control characters, line/paragraph separators, surrogates, zero-width and BOM
_INVISIBLE = regex.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffd\u200b-\u200f\u2060\ufeff]"
)


def clean(text: str) -> str:
    """NFKC (m² -> m2, fullwidth digits -> ASCII), no control characters or surrogates."""
    text = _INVISIBLE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2044", "/").replace("\u2215", "/")
    return _INVISIBLE.sub(" ", text)


# --- document codes: 16/CT-TTg -> mười sáu ---------------------------------------------

_DOC_CODE = regex.compile(
    r"(?<![\w/.,])([0-9]{1,6})(?:/([0-9]{4}))?/"
    r"([A-ZĐ][A-Za-zĐđ0-9]*(?:[-–&.][A-Za-zĐđ0-9&]+)*)(?![\w/])"
)


def _doc_code(match: re.Match[str]) -> str:
    number, year, code = match.groups()
    if not any(ch.isupper() for ch in code[:2]) or (len(code) == 1 and not year):
        return match.group(0)
    spoken = read_integer_text(number.lstrip("0") or "0")
    if year:
        spoken += " năm " + read_integer_text(year)
    return spoken


def speak_document_numbers(text: str) -> str:
    """Read a document number without its code suffix (announcers' convention)."""
    return _DOC_CODE.sub(_doc_code, text) if "/" in text else text


# --- abbreviations and loanwords -------------------------------------------------------


@lru_cache(maxsize=64)
def _abbreviation_patterns(
    items: tuple[tuple[str, str], ...],
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, dict[str, str]]:
    table = {k: v for k, v in items if k and k.strip()}
    lowered = {k.lower(): v for k, v in table.items() if k == k.lower()}

    def build(keys: Iterable[str], flags: int) -> re.Pattern[str] | None:
        keys = sorted(keys, key=len, reverse=True)
        if not keys:
            return None
        alternation = "|".join(re.escape(k) for k in keys)
        return regex.compile(rf"(?<![\w&])(?:{alternation})(?![\w&])", flags)

    exact = build([k for k in table if k != k.lower()], 0)
    loose = build(list(lowered), re.IGNORECASE)
    return exact, loose, {**table, **{f"\0{k}": v for k, v in lowered.items()}}


def _merged_items(extra: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if not extra:
        return _BUILTIN_ITEMS
    merged = dict(BUILTIN_ABBREVIATIONS)
    for key, value in extra.items():
        merged[str(key)] = str(value)
    return tuple(sorted(merged.items()))


_BUILTIN_ITEMS = tuple(sorted(BUILTIN_ABBREVIATIONS.items()))
_PLACE_PREFIX = regex.compile(r"(?<![\w.])(TP|Tp|TX|TT|P|Q|H|X)\.\s*(?=\w)")
_PLACE_WORDS = {
    "TP": "thành phố", "Tp": "thành phố", "TX": "thị xã", "TT": "thị trấn",
    "P": "phường", "Q": "quận", "H": "huyện", "X": "xã",
}


def _place_prefix(match: re.Match[str]) -> str:
    following = match.string[match.end():match.end() + 1]
    if not (following.isupper() or following.isdigit()):
        return match.group(0)
    return _PLACE_WORDS[match.group(1)] + " "


def speak_abbreviations(text: str, extra: Mapping[str, str] | None = None) -> str:
    """Expand table abbreviations (UBND, TT&TT, Đ/c...) and P./Q./TP. before a name."""
    if "." in text:
        text = _PLACE_PREFIX.sub(_place_prefix, text)
    exact, loose, table = _abbreviation_patterns(_merged_items(extra))
    if exact is not None:
        text = exact.sub(lambda m: " " + table[m.group(0)] + " ", text)
    if loose is not None:
        text = loose.sub(lambda m: " " + table["\0" + m.group(0).lower()] + " ", text)
    return text


_LOANWORD = regex.compile(
    r"(?i)(?<![\w-])(?:"
    + "|".join(re.escape(k) for k in sorted(LOANWORDS, key=len, reverse=True))
    + r")(?![\w])"
)


def speak_loanwords(text: str) -> str:
    """Covid -> cô vít, vaccine -> vắc xin, Facebook -> phây búc."""
    return _LOANWORD.sub(lambda m: LOANWORDS[m.group(0).lower()], text)


# --- house numbers: số 18/5 -> số mười tám trên năm ------------------------------------

_HOUSE_NUMBER = regex.compile(
    r"(?i:(?<![\w])(số nhà|số|ngõ|ngách|hẻm|kiệt|nhà|phòng|lô|ki ốt|kiốt|kiot)\s+)"
    r"([0-9]+[A-Za-z]?(?:/[0-9]+[A-Za-z]?)+)(?![\w/])"
)
_PART = regex.compile(r"([0-9]+)([A-Za-z]?)")


def _house_number(match: re.Match[str]) -> str:
    parts = []
    for part in match.group(2).split("/"):
        m = _PART.fullmatch(part)
        if m is None:
            return match.group(0)
        spoken = read_integer_text(m.group(1))
        if m.group(2):
            spoken += " " + LETTER_NAMES.get(m.group(2).lower(), m.group(2))
        parts.append(spoken)
    return f"{match.group(1)} " + " trên ".join(parts)


def speak_house_numbers(text: str) -> str:
    """A slash after số/ngõ/ngách/hẻm/nhà is a house number, not a date."""
    return _HOUSE_NUMBER.sub(_house_number, text) if "/" in text else text


# --- plain numbers, letters glued to digits, acronyms ---------------------------------

_LETTER_DIGIT = regex.compile(r"(?<=[^\W\d_])-?(?=[0-9])|(?<=[0-9])(?=[^\W\d_])")
_NUMERAL = regex.compile(
    r"(?<![0-9])(?:[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?(?![0-9])|[0-9]+(?:[.,][0-9]+)?)"
)
_WORD = regex.compile(r"(?<![\w])[^\W\d_]+(?![\w])")
_VIETNAMESE_VOWELS = set("aăâeêioôơuưy")


def speak_numbers(text: str) -> str:
    """156.000 -> một trăm năm mươi sáu nghìn; 6,4 -> sáu phẩy bốn; F0 -> F không."""
    text = _LETTER_DIGIT.sub(" ", text)
    return _NUMERAL.sub(lambda m: " " + read_numeral(m.group(0)) + " ", text)


def _acronym(word: str) -> str | None:
    """The spelling of an unknown acronym, or None when the word is not one."""
    if not word.isupper():
        return None
    if len(word) == 1:
        low = word.lower()
        if low in _VIETNAMESE_VOWELS or low not in LETTER_NAMES:
            return None
        return LETTER_NAMES[low]
    if is_vietnamese_syllable(word):
        return None
    return spell(word)


def speak_acronyms(text: str, report: Report | None = None) -> str:
    """Spell unknown runs of capitals letter by letter (PCR -> pê xê e rờ)."""

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        spelled = _acronym(word)
        if spelled is None:
            return word
        if report is not None and len(word) > 1 and word not in report.spelled:
            report.spelled[word] = spelled
        return spelled

    return _WORD.sub(replace, text)


# --- symbols and the final safety net --------------------------------------------------

_SYMBOL_WORDS = {
    "&": " và ", "+": " cộng ", "=": " bằng ", "@": " a còng ", "%": " phần trăm ",
    "‰": " phần nghìn ", "°": " độ ", "~": " khoảng ", "≈": " khoảng ", "≥": " lớn hơn hoặc bằng ",
    "≤": " nhỏ hơn hoặc bằng ", ">": " lớn hơn ", "<": " nhỏ hơn ", "$": " đô la ", "€": " ơ rô ",
    "×": " nhân ", "#": " ", "*": " ", "_": " ", "|": ", ", "\\": " ", "^": " ", "`": " ",
    "/": " ", "•": ", ", "·": " ", "§": " ", "¶": " ", "†": " ",
}
_SYMBOLS = regex.compile("[" + re.escape("".join(_SYMBOL_WORDS)) + "]")
_WORD_HYPHEN = regex.compile(r"(?<=[^\W_])[-–](?=[^\W_])")
_SPACED_DASH = regex.compile(r"(?:^|(?<=\s))[-–—]+(?=\s|$)")
_ANY_DIGITS = regex.compile(r"\d+")
_SPACES = regex.compile(r"[ \t]+")
_SPACE_BEFORE_PUNCT = regex.compile(r" +([,.;:!?)\]}…])")


_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Co", "Cn", "Cs", "Cc", "Cf"})


def _drop_unspeakable_symbols(text: str, report: Report | None = None) -> str:
    """Emoji, pictographs, private-use and format characters become spaces."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if not ch.isalnum() and unicodedata.category(ch) in _DROPPED_CATEGORIES:
            if report is not None and ch not in report.dropped:
                report.dropped.append(ch)
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def speak_symbols(text: str, report: Report | None = None) -> str:
    """&, +, %, ° ... as words; hyphens inside words become spaces; emoji are dropped."""
    text = _WORD_HYPHEN.sub(" ", text)
    text = _SPACED_DASH.sub(",", text)
    text = _SYMBOLS.sub(lambda m: _SYMBOL_WORDS[m.group(0)], text)
    text = _drop_unspeakable_symbols(text, report)
    return _ANY_DIGITS.sub(lambda m: " " + read_integer_text(m.group(0)) + " ", text)


def tidy(text: str) -> str:
    """Lowercase, single spaces, no space before punctuation."""
    text = _SPACES.sub(" ", text.lower()).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = re.sub(r"([(\[{]) +", r"\1", text)
    text = re.sub(r"([,.;:!?])(?:\s*,)+", r"\1", text)
    return text.lstrip(",;: ")


# --- the pipeline ----------------------------------------------------------------------


@dataclass
class Report:
    """What normalization had to guess: acronyms spelled, symbols dropped."""

    spelled: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


def normalize(
    text: str, abbreviations: Mapping[str, str] | None = None, report: Report | None = None
) -> str:
    """Turn written Vietnamese bulletin text into its spoken Northern form (lowercase).

    ``abbreviations`` extends or overrides :data:`BUILTIN_ABBREVIATIONS`. Never raises
    for a string input; the result contains no digit and no line break. ``report``, if
    given, collects the acronyms spelled letter by letter and the symbols dropped.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text:
        return ""
    text = clean(text)
    text = speak_addresses(text)
    text = speak_document_numbers(text)
    text = speak_phone_numbers(text)
    text = speak_special_numbers(text)
    text = speak_loanwords(text)
    text = speak_abbreviations(text, abbreviations)
    text = speak_numbered(text)
    text = speak_dates_and_times(text)
    text = speak_units(text)
    text = speak_numbers(text)
    text = speak_acronyms(text, report)
    text = speak_symbols(text, report)
    return tidy(text)


def speak_dates_and_times(text: str) -> str:
    """House numbers, ranges, times and dates, in that order."""
    text = speak_house_numbers(text)
    text = speak_dashed_dates(text)
    text = speak_ranges(text)
    text = speak_times(text)
    return speak_dates(text)


def normalize_lines(
    lines: Iterable[str], abbreviations: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Normalize each line; exactly one output line (without newline) per input line."""
    for line in lines:
        yield normalize(line.rstrip("\r\n"), abbreviations)
