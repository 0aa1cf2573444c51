"""Warnings about what stays hard to speak after normalization."""

from __future__ import annotations

import re
import unicodedata

from .abbreviations import BUILTIN_ABBREVIATIONS
from .core import normalize
from .letters import is_vietnamese_syllable, spell, strip_tones

_CAPS_RUN = re.compile(r"(?<![\w])[^\W\d_]{2,}(?![\w])")
_FOREIGN_LETTERS = set("fjwz")
_MAX_REPORTED = 20


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ")[0]
    except ValueError:
        return "UNKNOWN"


def find_unspeakable(text: str) -> list[str]:
    """Human-readable warnings for a text's hard-to-speak parts (after normalization)."""
    if not isinstance(text, str) or not text:
        return []
    warnings: list[str] = []
    spoken = normalize(text)

    seen: set[str] = set()
    for match in _CAPS_RUN.finditer(text):
        word = match.group(0)
        if (word.isupper() and word not in BUILTIN_ABBREVIATIONS and word not in seen
                and not is_vietnamese_syllable(word)):
            seen.add(word)
            warnings.append(f"unknown abbreviation {word!r} will be spelled: {spell(word)!r}")

    symbols: list[str] = []
    scripts: dict[str, list[str]] = {}
    for ch in text:
        if ch.isascii() or ch.isspace():
            continue
        category = unicodedata.category(ch)
        if category in ("So", "Sk", "Co", "Cn"):
            if ch not in symbols:
                symbols.append(ch)
        elif ch.isalpha() and not _is_latin(ch):
            scripts.setdefault(_script(ch), [])
            if len(scripts[_script(ch)]) < 5 and ch not in scripts[_script(ch)]:
                scripts[_script(ch)].append(ch)
    if symbols:
        warnings.append("symbols or emoji dropped: " + " ".join(symbols[:_MAX_REPORTED]))
    for script, chars in scripts.items():
        warnings.append(f"non-Vietnamese script {script.lower()}: {''.join(chars)} (read badly or not at all)")

    digits = sorted(set(re.findall(r"\d+", spoken)))
    if digits:
        warnings.append("digits left after normalization: " + ", ".join(digits[:_MAX_REPORTED]))

    foreign = []
    for word in re.findall(r"[^\W\d_]+", spoken):
        if not word.isascii() and not all(_is_latin(c) for c in word):
            continue
        base = strip_tones(word)
        if (_FOREIGN_LETTERS & set(base) or not is_vietnamese_syllable(word)) and word not in foreign:
            foreign.append(word)
    if foreign:
        warnings.append("words that may be mispronounced: " + ", ".join(foreign[:_MAX_REPORTED]))

    leftover = sorted({ch for ch in spoken if not (ch.isalnum() or ch.isspace() or ch in ".,;:!?()'\"…-")})
    if leftover:
        warnings.append("symbols left in the spoken text: " + " ".join(leftover[:_MAX_REPORTED]))
    return warnings


def _is_latin(ch: str) -> bool:
    if ch.isascii():
        return True
    return _script(ch) == "LATIN"
