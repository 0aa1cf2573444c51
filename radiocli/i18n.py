"""Messages in the user's language, through the standard gettext module.

Code writes every message in English and marks it where it is made, with named
placeholders filled after translation (never an f-string inside ``_()``)::

    _("unknown station code {code}").format(code=code)
    ngettext("{n} station", "{n} stations", n).format(n=n)
    pgettext("priority", "normal")        # a word whose sense needs its context
    N_("Print JSON.")                     # marked here, translated where it is shown

``radiocli/locale/vi.po`` is the source of the Vietnamese catalogue. ``scripts/catalog.py``
extracts the template (``radiocli.pot``) with Babel, checks the catalogue and compiles it
to ``vi/LC_MESSAGES/radiocli.mo``, which is committed and which :func:`set_language`
loads. The language is set once, by the command line, before any command runs; this
module never reads the environment (:func:`language_from_env` is given it).

A test can watch for messages without a translation: :func:`on_missing` installs a hook
called with every message looked up in a language other than English and not found.
"""

from __future__ import annotations

import errno
import gettext
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "radiocli"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")

_catalog: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
_missing: Callable[[str], None] | None = None
_sources: dict[str, str] | None = None


def language_from_env(environ: Mapping[str, str]) -> str:
    """'vi' when LANGUAGE, LC_ALL, LC_MESSAGES or LANG asks for Vietnamese, else 'en'
    (the first of them that is set decides, as gettext reads them)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def catalog_file(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def set_language(language: str) -> None:
    """Translate from now on into ``language`` ('vi' or 'en'; anything else is English)."""
    global _catalog, _language
    _language = language if language in LANGUAGES else "en"
    if _language == "en":
        _catalog = gettext.NullTranslations()
        return
    _catalog = gettext.translation(DOMAIN, LOCALE_DIR, [_language], fallback=True)


def language() -> str:
    return _language


@contextmanager
def using(language: str) -> Iterator[None]:
    """Translate into ``language`` inside the block (a report in Vietnamese while the
    messages around it are English), then back."""
    before = _language
    set_language(language)
    try:
        yield
    finally:
        set_language(before)


def on_missing(hook: Callable[[str], None] | None) -> None:
    """Call ``hook(message)`` for every message looked up without a translation (in a
    language other than English); None removes the hook."""
    global _missing
    _missing = hook


def _note(message: str) -> None:
    if _missing is not None and _language != "en":
        _missing(message)


def _(message: str) -> str:
    """``message`` in the current language."""
    text = _catalog.gettext(message)
    if text is message and message:  # gettext returns its argument when it has nothing
        _note(message)
    return text


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` (Vietnamese has one form, English two)."""
    text = _catalog.ngettext(singular, plural, n)
    if text is singular or text is plural:
        _note(singular)
    return text


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, in the sense ``context`` gives it
    ("normal" as a priority, "start" as an as-run event)."""
    text = _catalog.pgettext(context, message)
    if text is message:
        _note(f"{context}|{message}")
    return text


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (it is translated where it
    is shown, e.g. a command's help)."""
    return message


def source(text: str) -> str:
    """The English message of ``text`` when ``text`` is one of the Vietnamese
    translations, else ``text`` itself: a help text translated when its module was
    imported can then be shown again in another language."""
    global _sources
    if _sources is None:
        vi = gettext.translation(DOMAIN, LOCALE_DIR, ["vi"], fallback=True)
        catalog = getattr(vi, "_catalog", {})
        _sources = {v: k for k, v in catalog.items() if isinstance(k, str) and k and v}
    return _sources.get(text, text)


def os_reason(exc: BaseException) -> str:
    """Why an operating-system call failed, in the current language ("permission
    denied", "no space left on the disk"), for the errors people meet; otherwise the
    exception's own text. Without the file name: the message around it names the file."""
    if isinstance(exc, OSError) and exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


_OS_REASONS: dict[int, Callable[[], str]] = {
    errno.ENOENT: lambda: _("no such file or folder"),
    errno.EACCES: lambda: _("permission denied"),
    errno.EPERM: lambda: _("operation not permitted"),
    errno.ENOSPC: lambda: _("no space left on the disk"),
    errno.EDQUOT: lambda: _("disk quota exceeded"),
    errno.EFBIG: lambda: _("file too large"),
    errno.EROFS: lambda: _("the file system is read-only"),
    errno.EISDIR: lambda: _("is a folder"),
    errno.ENOTDIR: lambda: _("not a folder"),
    errno.EEXIST: lambda: _("already exists"),
    errno.ENOTEMPTY: lambda: _("the folder is not empty"),
    errno.EIO: lambda: _("input/output error (a failing disk?)"),
    errno.ENAMETOOLONG: lambda: _("the file name is too long"),
    errno.ELOOP: lambda: _("too many symbolic links"),
    errno.EMFILE: lambda: _("too many open files"),
    errno.ENOMEM: lambda: _("out of memory"),
    errno.EBUSY: lambda: _("the device or file is busy"),
    errno.ECONNREFUSED: lambda: _("connection refused"),
    errno.ETIMEDOUT: lambda: _("the connection timed out"),
}


# --- the words of the domain shown to people --------------------------------------
# Values that stay English codes in files (YAML, the as-run log's JSON, status.json)
# and are shown translated: word("priority", "emergency") -> "khẩn cấp".


def word(kind: str, code: str) -> str:
    """The word shown for the value ``code`` of ``kind`` (the code itself when it is not
    one of the known values)."""
    table = _WORDS.get(kind)
    if table is None or code not in table:
        return code
    return table[code]()


_WORDS: dict[str, dict[str, Callable[[], str]]] = {
    "priority": {
        "normal": lambda: pgettext("priority", "normal"),
        "priority": lambda: pgettext("priority", "priority"),
        "emergency": lambda: pgettext("priority", "emergency"),
    },
    # what became of a planned occurrence (plan, reports)
    "status": {
        "planned": lambda: pgettext("status", "planned"),
        "delayed": lambda: pgettext("status", "delayed"),
        "skipped": lambda: pgettext("status", "skipped"),
        "cut": lambda: pgettext("status", "cut"),
        "aired": lambda: pgettext("status", "aired"),
        "resumed": lambda: pgettext("status", "resumed"),
        "missed": lambda: pgettext("status", "missed"),
        "preempted": lambda: pgettext("status", "preempted"),
        "partial": lambda: pgettext("status", "partial"),
        "failed": lambda: pgettext("status", "failed"),
        "offline": lambda: pgettext("status", "offline"),
        "unplanned": lambda: pgettext("status", "unplanned"),
    },
    # the event lines of the as-run log (radiocli.aslog.format.ALL_EVENTS)
    "event": {
        "start": lambda: pgettext("event", "start"),
        "end": lambda: pgettext("event", "end"),
        "preempted": lambda: pgettext("event", "preempted"),
        "resumed": lambda: pgettext("event", "resumed"),
        "missed": lambda: pgettext("event", "missed"),
        "failed": lambda: pgettext("event", "failed"),
        "sealed": lambda: pgettext("event", "sealed"),
        "recovered": lambda: pgettext("event", "recovered"),
    },
    # the state of one station's log for one day
    "log": {
        "ok": lambda: pgettext("log", "ok"),
        "empty": lambda: pgettext("log", "empty"),
        "unsealed": lambda: pgettext("log", "unsealed"),
        "no-log": lambda: pgettext("log", "no-log"),
    },
    "severity": {
        "error": lambda: pgettext("severity", "error"),
        "warning": lambda: pgettext("severity", "warning"),
    },
}


# --- the reasons of the as-run log, shown to people ---------------------------------
# The log keeps its reasons as written ("late: waited 2.5 min behind another program",
# "preempted-by: morning@2021-08-05T17:10 at 17:10:00"); they are translated where they
# are shown, part by part ("; " joins the parts, " at HH:MM:SS" dates one).

_AT = r"^(?P<reason>.+) at (?P<time>\d{2}:\d{2}:\d{2})$"
_REASONS: list[tuple[str, Callable[[], str]]] = [
    (r"^blackout(: station blackout)?$", lambda: _("blackout")),
    (r"^blackout: (?P<why>.+)$", lambda: _("blackout: {why}")),
    (r"^station blackout$", lambda: _("blackout")),
    (r"^preempted-by: (?P<occurrence>\S+)$", lambda: _("preempted by {occurrence}")),
    (r"^cut: max_duration$", lambda: _("cut: longer than its max_duration")),
    (r"^cut: preempted for (?P<paused>[\d.]+) min \(more than max_delay (?P<limit>[\d.]+) "
     r"min\), the rest does not air$",
     lambda: _("cut: preempted for {paused} min (more than max_delay {limit} min), the rest "
               "does not air")),
    (r"^collision: waited (?P<late>[\d.]+) min \(more than max_delay (?P<limit>[\d.]+) "
     r"min\)$",
     lambda: _("collision: waited {late} min (more than max_delay {limit} min)")),
    (r"^late: waited (?P<late>[\d.]+) min behind another program$",
     lambda: _("late: waited {late} min behind another program")),
    (r"^late: the daemon started (?P<late>[\d.]+) min after the slot$",
     lambda: _("late: the daemon started {late} min after the slot")),
    (r"^failed: injected fault \(simulation\)$", lambda: _("failed: injected fault (simulation)")),
    (r"^failed: a part was skipped$", lambda: _("failed: a part was skipped")),
    (r"^failed: playout error: (?P<error>.+)$", lambda: _("failed: playout error: {error}")),
    (r"^failed: (?P<error>.+)$", lambda: _("failed: {error}")),
    (r"^shutdown: daemon stopped$", lambda: _("shutdown: the daemon stopped")),
]


def reason(text: str) -> str:
    """A reason of the as-run log (or of a plan) in the current language; a part it does
    not know is shown as written."""
    if not text or _language == "en":
        return text
    return "; ".join(_reason_part(part) for part in text.split("; "))


def _reason_part(part: str) -> str:
    at = re.match(_AT, part)  # re caches the compiled patterns; --help compiles none
    if at:
        return _("{reason} at {time}").format(reason=_reason_part(at["reason"]),
                                              time=at["time"])
    for pattern, message in _REASONS:
        found = re.match(pattern, part)
        if found:
            fields = {k: decimal_text(v) if re.fullmatch(r"\d+\.\d+", v) else v
                      for k, v in found.groupdict().items()}
            return message().format(**fields)
    _note(f"reason|{part}")
    return part


def decimal_text(number: str | float) -> str:
    """A decimal number as the current language writes it (Vietnamese: 2,5)."""
    text = str(number)
    return text.replace(".", ",") if _language == "vi" else text
