"""Warnings about what stays hard to speak after normalization."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from .core import Report, normalize
from .letters import is_vietnamese_syllable, strip_tones

from radiocli.i18n import _

_FOREIGN_LETTERS = frozenset("fjwz")
_MAX_REPORTED = 20
_SPEECH_PUNCTUATION = frozenset(".,;:!?()[]{}'\"…-–—«»“”‘’")


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ")[0]
    except ValueError:
        return "UNKNOWN"


def _is_latin(ch: str) -> bool:
    return ch.isascii() or _script(ch) == "LATIN"


def find_unspeakable(text: str, abbreviations: Mapping[str, str] | None = None) -> list[str]:
    """Human-readable warnings for what remains hard to speak once ``text`` is normalized
    with ``abbreviations`` (the same table the speech is made with).

    Reports leftover digits (a bug if ever), acronyms spelled letter by letter because
    no table knows them, dropped symbols and emoji, non-Vietnamese scripts, and words
    that are not Vietnamese syllables (likely read badly by the voice).
    """
    return normalize_with_warnings(text, abbreviations)[1]


def normalize_with_warnings(
    text: str, abbreviations: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """(the spoken form, the warnings about it): one normalization, so the warnings are
    about exactly what is spoken."""
    if not isinstance(text, str) or not text:
        return "", []
    report = Report()
    spoken = normalize(text, abbreviations, report=report)
    return spoken, _warnings(spoken, report)


def _warnings(spoken: str, report: Report) -> list[str]:
    warnings: list[str] = []

    for word, spelled in list(report.spelled.items())[:_MAX_REPORTED]:
        warnings.append(_("unknown abbreviation {word!r} spelled letter by letter: "
                          "{spelled!r}").format(word=word, spelled=spelled))
    if report.dropped:
        warnings.append(_("symbols or emoji dropped: {symbols}").format(
            symbols=" ".join(report.dropped[:_MAX_REPORTED])))

    digits = sorted(set(re.findall(r"\d+", spoken)))
    if digits:
        warnings.append(_("digits left after normalization: {digits}").format(
            digits=", ".join(digits[:_MAX_REPORTED])))

    scripts: dict[str, list[str]] = {}
    foreign: list[str] = []
    for word in re.findall(r"[^\W\d_]+", spoken):
        if not all(_is_latin(ch) for ch in word):
            for ch in word:
                if not _is_latin(ch) and ch.isalpha():
                    chars = scripts.setdefault(_script(ch).lower(), [])
                    if ch not in chars and len(chars) < 5:
                        chars.append(ch)
            continue
        if (_FOREIGN_LETTERS & set(strip_tones(word)) or not is_vietnamese_syllable(word)) \
                and word not in foreign:
            foreign.append(word)
    for script, chars in scripts.items():
        sample = "".join(chars)
        warnings.append(_("non-Vietnamese script ({script}): {sample} may be read badly or "
                          "skipped").format(script=script, sample=sample))
    if foreign:
        words = ", ".join(foreign[:_MAX_REPORTED])
        warnings.append(_("not Vietnamese, may be mispronounced: {words}").format(words=words))

    leftover = sorted({
        ch for ch in spoken
        if not (ch.isalnum() or ch.isspace() or ch in _SPEECH_PUNCTUATION
                or unicodedata.category(ch).startswith("M"))
    })
    if leftover:
        warnings.append(_("symbols left in the spoken text: {symbols}").format(
            symbols=" ".join(leftover[:_MAX_REPORTED])))
    return warnings
