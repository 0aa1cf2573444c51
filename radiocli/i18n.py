"""Messages in Vietnamese or English through gettext.

Code writes messages in English wrapped in ``_()``; ``radiocli/locale/<lang>.po`` holds
the translations (standard gettext PO files, editable with any PO editor). The PO file
is read directly at start, so no compiled ``.mo`` step is needed.
"""

from __future__ import annotations

import ast
import gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")

_current: gettext.NullTranslations = gettext.NullTranslations()


class POTranslations(gettext.NullTranslations):
    """A gettext catalog read straight from a .po file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._catalog: dict[str, str] = parse_po(path.read_text(encoding="utf-8"))

    def gettext(self, message: str) -> str:
        return self._catalog.get(message) or message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


def parse_po(text: str) -> dict[str, str]:
    """msgid -> msgstr for every translated entry of a PO file."""
    catalog: dict[str, str] = {}
    msgid: list[str] = []
    msgstr: list[str] = []
    target: list[str] | None = None

    def flush() -> None:
        key, value = "".join(msgid), "".join(msgstr)
        if key and value:
            catalog[key] = value

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [], []
            target = msgid
            line = line[len("msgid ") :]
        elif line.startswith("msgstr "):
            target = msgstr
            line = line[len("msgstr ") :]
        elif not line.startswith('"'):
            continue
        if target is not None and line.startswith('"'):
            target.append(ast.literal_eval(line))
    flush()
    return catalog


def language_from_env(environ: os._Environ[str] | dict[str, str]) -> str:
    """'vi' when LANGUAGE, LC_ALL, LC_MESSAGES or LANG asks for Vietnamese, else 'en'."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def set_language(language: str) -> None:
    global _current
    language = language if language in LANGUAGES else "en"
    po = LOCALE_DIR / f"{language}.po"
    _current = POTranslations(po) if po.is_file() else gettext.NullTranslations()


def _(message: str) -> str:
    """Translate a message into the current language."""
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)
