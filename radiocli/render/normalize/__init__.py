"""Vietnamese text normalization for broadcast speech (Northern, Hanoi convention).

    >>> normalize("UBND xã có 156.000 hộ")
    'ủy ban nhân dân xã có một trăm năm mươi sáu nghìn hộ'
"""

from __future__ import annotations

from .abbreviations import BUILTIN_ABBREVIATIONS
from .core import normalize, normalize_lines
from .numbers import read_digits, read_number
from .unspeakable import find_unspeakable, normalize_with_warnings

__all__ = [
    "BUILTIN_ABBREVIATIONS",
    "find_unspeakable",
    "normalize",
    "normalize_lines",
    "normalize_with_warnings",
    "read_digits",
    "read_number",
]
