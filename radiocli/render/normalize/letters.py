"""Vietnamese letter names and a Vietnamese-syllable test (acronym or word?)."""

from __future__ import annotations

import unicodedata

from . import regex
from .numbers import read_digits

#: how a letter of an acronym is read on air (PCR -> pê xê e rờ, VN -> vê en)
LETTER_NAMES: dict[str, str] = {
    "a": "a", "b": "bê", "c": "xê", "d": "đê", "đ": "đê", "e": "e", "f": "ép", "g": "gờ",
    "h": "hát", "i": "i", "j": "gi", "k": "ca", "l": "lờ", "m": "mờ", "n": "en", "o": "o",
    "p": "pê", "q": "quy", "r": "e rờ", "s": "ét", "t": "tê", "u": "u", "v": "vê",
    "w": "vê kép", "x": "ích", "y": "i dài", "z": "dét",
    "ă": "á", "â": "ớ", "ê": "ê", "ô": "ô", "ơ": "ơ", "ư": "ư",
}

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_ONSET = r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?"
_NUCLEUS = r"[aăâeêioôơuưy]{1,3}"
_CODA = r"(?:ch|ng|nh|[cmnpt])?"
_SYLLABLE = regex.compile(rf"{_ONSET}{_NUCLEUS}{_CODA}")


def strip_tones(word: str) -> str:
    """Remove the five tone marks, keep the vowel shapes: 'Việt' -> 'viêt'."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    kept = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    return unicodedata.normalize("NFC", kept)


def is_vietnamese_syllable(word: str) -> bool:
    """Whether a word is shaped like one Vietnamese syllable ('LONG', 'xã' yes; 'UBND' no)."""
    return bool(word) and _SYLLABLE.fullmatch(strip_tones(word)) is not None


def spell(letters: str) -> str:
    """Spell an acronym letter by letter: 'PCR' -> 'pê xê e rờ'; digits read one by one."""
    words = []
    for ch in letters:
        low = ch.lower()
        if low in LETTER_NAMES:
            words.append(LETTER_NAMES[low])
        elif ch.isdigit():
            words.append(read_digits(ch))
        else:
            base = strip_tones(low)
            if base in LETTER_NAMES:
                words.append(low)
    return " ".join(words)


def segment_syllables(word: str) -> list[str] | None:
    """Split a toneless run like 'dichvucong' into syllables, or None if impossible."""
    word = word.lower()
    n = len(word)
    if n == 0 or n > 60:
        return None
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 7), end):
            prefix = best[start]
            if prefix is None:
                continue
            piece = word[start:end]
            if _SYLLABLE.fullmatch(piece):
                candidate = prefix + [piece]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[n]
