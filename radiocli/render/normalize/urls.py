"""Web addresses and e-mail addresses: 'hanoi.gov.vn' -> 'hà nội chấm gốp chấm vê en'."""

from __future__ import annotations

import re

from . import regex
from .letters import is_vietnamese_syllable, segment_syllables, spell
from .loanwords import LOANWORDS
from .numbers import read_digits

#: domain labels with a settled spoken form
DOMAIN_WORDS: dict[str, str] = {
    "hanoi": "hà nội",
    "hanoimoi": "hà nội mới",
    "gov": "gốp",
    "vn": "vê en",
    "com": "com",
    "net": "nét",
    "org": "o rờ gờ",
    "edu": "e đu",
    "info": "in phô",
    "www": "vê kép vê kép vê kép",
    "dichvucong": "dịch vụ công",
    "chinhphu": "chính phủ",
    "baochinhphu": "báo chính phủ",
    "congan": "công an",
    "suckhoe": "sức khỏe",
    "tiemchung": "tiêm chủng",
    "tiemchungcovid": "tiêm chủng cô vít",
    "mic": "mic",
    "moh": "mô hát",
}

_SEPARATORS = {
    ".": "chấm", "/": "gạch chéo", "-": "gạch ngang", "_": "gạch dưới", "@": "a còng",
    ":": "hai chấm", "?": "hỏi chấm", "=": "bằng", "&": "và", "#": "thăng",
}

_SCHEME_URL = regex.compile(r"(?i)(?<![\w])(?:https?|ftp)://[^\s<>\"']+")
_BARE_URL = regex.compile(
    r"(?i)(?<![\w.@/-])(?:www\.)?(?:[a-z0-9-]+\.)+(?:vn|com|net|org|gov|edu|info|io|int|biz)"
    r"(?![\w-])(?:/[^\s<>\"']*)?"
)
_EMAIL = regex.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w])"
)
_PIECES = regex.compile(r"([./\-_@:?=&#])")
_RUNS = regex.compile(r"[0-9]+|[^\W\d_]+")
_TRAILING = ".,;:!?)]}'\""


def read_label(label: str) -> str:
    """Read one piece of an address ('hanoi', 'gov', 'ubnd123')."""
    low = label.lower()
    if low in DOMAIN_WORDS:
        return DOMAIN_WORDS[low]
    if low in LOANWORDS:
        return LOANWORDS[low]
    words = []
    for run in _RUNS.findall(low):
        if run.isdigit():
            words.append(read_digits(run))
        elif run in DOMAIN_WORDS:
            words.append(DOMAIN_WORDS[run])
        elif run.isascii() and len(run) > 1 and is_vietnamese_syllable(run):
            words.append(run)
        else:
            parts = segment_syllables(run) if run.isascii() and len(run) > 3 else None
            if parts and all(len(p) > 1 for p in parts):
                words.append(" ".join(parts))
            elif not run.isascii():
                words.append(run)
            else:
                words.append(spell(run))
    return " ".join(words)


def read_address(address: str) -> str:
    """Read a URL or e-mail address piece by piece; the scheme is not read."""
    address = re.sub(r"(?i)^(?:https?|ftp)://", "", address).rstrip("/")
    words = []
    for piece in _PIECES.split(address):
        if not piece:
            continue
        if piece in _SEPARATORS:
            words.append(_SEPARATORS[piece])
        else:
            words.append(read_label(piece))
    return " " + " ".join(w for w in words if w) + " "


def _replace(match: re.Match[str]) -> str:
    text = match.group(0)
    kept = len(text.rstrip(_TRAILING))
    return read_address(text[:kept]) + text[kept:]


def speak_addresses(text: str) -> str:
    """Replace e-mail addresses and URLs by their spoken form."""
    if "@" in text:
        text = _EMAIL.sub(_replace, text)
    if "://" in text:
        text = _SCHEME_URL.sub(_replace, text)
    if "." in text:
        text = _BARE_URL.sub(_replace, text)
    return text
