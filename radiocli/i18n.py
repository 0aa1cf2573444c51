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

What one program writes for another (the as-run log, the daemon's ``status.json`` and
replies) stays English whatever language it runs in, and is shown translated by
:func:`reason`, from English templates listed below (``_REASONS``). A thread can speak
a language of its own (:func:`speaking`, :func:`said`): the playout daemon says a
reload's problems and an alert's refusal in the language of the command that asked,
while its log keeps the daemon's. Dates people read are written by :func:`day_text` and
:func:`moment_text` (05/08/2021 in Vietnamese), numbers by :func:`number_text` and
:func:`decimal_text` (3.000 and 2,5).
"""

from __future__ import annotations

import _thread
import errno
import gettext
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

DOMAIN = "radiocli"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")

_catalog: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
_here: dict[int, tuple[str, gettext.NullTranslations]] = {}  # thread -> its own language
_missing: Callable[[str], None] | None = None
_sources: dict[str, str] | None = None
T = TypeVar("T")


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


_loaded: dict[str, gettext.NullTranslations] = {}


def _translations(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language``, read once (``gettext.translation`` looks for the
    file and copies its catalogue at every call: 48 us, and a report switches language
    for every word it shows, a million times over the 2021 city period)."""
    found = _loaded.get(language)
    if found is None:
        found = (gettext.NullTranslations() if language == "en" else
                 gettext.translation(DOMAIN, LOCALE_DIR, [language], fallback=True))
        _loaded[language] = found
    return found


def set_language(language: str) -> None:
    """Translate from now on into ``language`` ('vi' or 'en'; anything else is English)."""
    global _catalog, _language
    _language = language if language in LANGUAGES else "en"
    _catalog = _translations(_language)


def _current() -> tuple[str, gettext.NullTranslations]:
    """The language of this thread: its own (:func:`speaking`), else the one set."""
    if _here:
        found = _here.get(_thread.get_ident())
        if found is not None:
            return found
    return _language, _catalog


def language() -> str:
    return _current()[0]


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


@contextmanager
def speaking(language: object) -> Iterator[None]:
    """Inside the block, the messages this thread makes are in ``language`` (one of
    LANGUAGES; anything else leaves the language as it is), while other threads keep
    theirs: the playout daemon answers a request (a reload's problems, an alert's
    refusal) in the language of the command that sent it."""
    ident = _thread.get_ident()
    before = _here.get(ident)
    if isinstance(language, str) and language in LANGUAGES:
        _here[ident] = (language, _translations(language))
    try:
        yield
    finally:
        if before is None:
            _here.pop(ident, None)
        else:
            _here[ident] = before


def said(language: object, make: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``make(*args, **kwargs)`` with the messages it makes in ``language`` (this thread
    only, as :func:`speaking`): what a daemon says in a reply, in its sender's language,
    while its own log lines stay out of it."""
    with speaking(language):
        return make(*args, **kwargs)


def on_missing(hook: Callable[[str], None] | None) -> None:
    """Call ``hook(message)`` for every message looked up without a translation (in a
    language other than English); None removes the hook."""
    global _missing
    _missing = hook


def _note(message: str) -> None:
    if _missing is not None and language() != "en":
        _missing(message)


def _(message: str) -> str:
    """``message`` in the current language."""
    text = _current()[1].gettext(message)
    if text is message and message:  # gettext returns its argument when it has nothing
        _note(message)
    return text


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` (Vietnamese has one form, English two)."""
    text = _current()[1].ngettext(singular, plural, n)
    if text is singular or text is plural:
        _note(singular)
    return text


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, in the sense ``context`` gives it
    ("normal" as a priority, "start" as an as-run event)."""
    text = _current()[1].pgettext(context, message)
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


def os_text(text: str) -> str:
    """An operating system's message as a tool wrote it ("No such file or directory",
    strerror's words) in the current language, when it is one of the errors people
    meet; otherwise as written."""
    import os

    for code, reason_of in _OS_REASONS.items():
        if os.strerror(code) == text:
            return reason_of()
    return text


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
    # what became of an emergency alert at a station (radiocli.play.alerts.Outcome)
    "outcome": {
        "on-air": lambda: pgettext("outcome", "on-air"),
        "failed": lambda: pgettext("outcome", "failed"),
        "missed": lambda: pgettext("outcome", "missed"),
        "waiting": lambda: pgettext("outcome", "waiting"),
        "aired": lambda: pgettext("outcome", "aired"),
        "refused": lambda: pgettext("outcome", "refused"),
        "mixed": lambda: pgettext("outcome", "mixed"),
        "none": lambda: pgettext("outcome", "none"),
    },
    # the checks of `radiocli doctor` (radiocli.play.doctor) and their results
    "check": {
        "espeak-ng": lambda: "espeak-ng",
        "ffmpeg": lambda: "ffmpeg",
        "audio device": lambda: pgettext("check", "audio device"),
        "clock": lambda: pgettext("check", "clock"),
        "disk": lambda: pgettext("check", "disk"),
        "schedule": lambda: pgettext("check", "schedule"),
        "icecast": lambda: "Icecast",
    },
    "result": {
        "OK": lambda: pgettext("result", "OK"),
        "WARN": lambda: pgettext("result", "WARN"),
        "FAIL": lambda: pgettext("result", "FAIL"),
    },
}


# --- dates and numbers as people read them -------------------------------------------


def decimal_text(number: str | float) -> str:
    """A decimal number as the current language writes it (Vietnamese: 2,5)."""
    text = str(number)
    return text.replace(".", ",") if language() == "vi" else text


def number_text(number: int) -> str:
    """A whole number with its thousands marked as the current language does:
    3,000 in English, 3.000 in Vietnamese."""
    text = f"{number:,}"
    return text.replace(",", ".") if language() == "vi" else text


def day_text(day: date | str) -> str:
    """A date as people read it: 05/08/2021 in Vietnamese, 2021-08-05 in English (an
    ISO date as text is read first; anything else is returned as it is)."""
    if isinstance(day, str):
        try:
            return day_text(date.fromisoformat(day))
        except ValueError:
            return day
    return f"{day:%d/%m/%Y}" if language() == "vi" else day.isoformat()


def moment_text(moment: datetime | str, seconds: bool = True) -> str:
    """A date and time as people read it: 05/08/2021 17:10:00 in Vietnamese,
    2021-08-05 17:10:00 in English (no offset, no fraction of a second)."""
    if isinstance(moment, str):
        try:
            return moment_text(datetime.fromisoformat(moment), seconds)
        except ValueError:
            return moment
    clock = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    return f"{day_text(moment.date())} {clock}"


# --- the reasons of the as-run log and of the daemon, shown to people -------------------
# The as-run log keeps its reasons as written ("late: waited 2.5 min behind another
# program", "preempted-by: morning@2021-08-05T17:10 at 17:10:00"), and the daemon writes
# status.json and its replies in the same English, whatever language it runs in: they
# are files other programs read. They are translated where they are shown (status,
# alert, reload, logs tail, reports, the daemon's own log), part by part ("; " joins the
# parts, " at HH:MM:SS" dates one). Each entry is an English template; the text it
# matches is its placeholders' values in its literal words, and its translation is the
# template's (or, in a pair (written, message), the message's). Specific templates come
# before general ones. A value that is a decimal number, a date or a date and time is
# written as the language writes it; a value with words in it is translated too when it
# is itself a known reason. Only a template with "; " in its words, or with a {text}
# (free text, shown as written), matches across parts.

_REASONS: tuple[str | tuple[str, str], ...] = (
    # the plan's Timeline (radiocli.plan.timeline)
    ("blackout: station blackout", N_("blackout")),
    ("station blackout", N_("blackout")),
    N_("blackout"),
    ("preempted-by: {occurrence}", N_("preempted by {occurrence}")),
    ("cut: max_duration", N_("cut: longer than its max_duration")),
    N_("cut: preempted for {paused} min (more than max_delay {limit} min), the rest does "
       "not air"),
    N_("collision: waited {late} min (more than max_delay {limit} min)"),
    N_("late: waited {late} min behind another program"),
    ("shutdown: daemon stopped", N_("shutdown: the daemon stopped")),
    # simulation (radiocli.play.simulate)
    N_("failed: injected fault (simulation)"),
    N_("shutdown: end of simulation"),
    # the playout daemon (radiocli.play): the station desk, restarts, sinks
    N_("failed: a part was skipped"),
    N_("late: the daemon started {late} min after the slot"),
    N_("late: on air {late} s after the alert was sent"),
    N_("failed: playout overran"),
    N_("failed: cannot render: {why}; the alert chime airs instead"),
    N_("no playlist"),
    N_("offline: the scheduler ran {late} min late (more than the misfire grace)"),
    N_("offline: the daemon was down {down} min (more than max_delay {limit} min); {left} s "
       "not aired"),
    N_("offline: no daemon was running at {time}"),
    N_("offline: the alert is {age} min old (sent at {sent})"),
    N_("restart: resumed at {played} s after a restart ({unlogged} s before the stop are not "
       "in the minute lines)"),
    N_("restart: resumed at {played} s after a restart"),
    N_("restart: it had finished before the daemon stopped"),
    N_("restart: the program is no longer in the schedule"),
    N_("restart: the daemon was down longer than its max_delay"),
    N_("before a restart"),
    N_("reload: the station is no longer chosen"),
    N_("ceased: the unit is not in force on {day} (registry)"),
    N_("shutdown: cut"),
    N_("expired: the approval of the schedules ended at {at}; approve them again and reload"),
    N_("failed: relay {url}: {why}"),
    N_("failed: audio {path}: {why}"),
    N_("the file is missing"),
    N_("no audio could be decoded"),
    N_("cannot read the audio: {error}"),
    N_("aircheck {path}: {error}"),
    N_("icecast {where}: refused: {status}"),
    N_("icecast {where}: {error}"),
    N_("audio device {device}: {error}"),
    N_("mp3 encoder: {error}"),
    N_("{error} (ffmpeg exit {code})"),
    # emergency alerts (radiocli.play.alerts): what the reply says per station
    N_("alert refused: {why}"),
    N_("the daemon is stopping"),
    N_("this alert is already being aired (a copy of it was put in the spool)"),
    N_("this daemon serves none of the targets"),
    N_("the request has no valid id"),
    N_("{key} must be a list of codes"),
    N_("all must be true or false"),
    N_("an alert has a text or a file (one of them)"),
    N_("file must be a path"),
    N_("max_delay must be seconds (at most a day)"),
    N_("waiting behind {program} ({priority}), on air since {time}"),
    N_("waiting behind another alert"),
    N_("failed: alert audio {path} cannot be read; the alert chime airs instead"),
    N_("failed: speech engine: {error}; the alert chime airs instead"),
    N_("its start line may not be in the as-run log (the log reported: {why})"),
    N_("the alert is not signed; this daemon airs only alerts signed with an emergency key "
       "(radiocli alert --key KEY)"),
    N_("alert audio {path} is not the recording that was signed (SHA-256 differs)"),
    # the spool, reloads and the approval (radiocli.play.control, daemon, approved)
    N_("the request was refused: {why}"),
    N_("spool: {name} refused: {why}"),
    N_("cannot be read: {error}"),
    N_("{kind}, not a regular file"),
    N_("larger than {n} KiB"),
    N_("a symbolic link, not a regular file"),
    N_("the request is not a JSON object"),
    N_("reload refused: {text} (+{n} more); the schedule loaded before keeps airing"),
    N_("reload refused: {text}; the schedule loaded before keeps airing"),
    ("reload refused: {text}; still airing nothing",
     N_("reload refused: {text}; no approved schedule airs")),
    N_("reload refused: {text}; still airing {bundle}"),
    N_("schedules refused: {text}; airing the last {bundle}"),
    N_("approved bundle {sha} (by {who}, valid to {until})"),
    # the as-run log's writer, as status and the daemon's log show its faults
    N_("as-run log: writable again; the lines kept in memory are written (at {at})"),
    N_("as-run log: {error}"),
    N_("{file}: cannot write the as-run log: {why}; {n} line(s) kept in memory until it can "
       "be written"),
    N_("the disk is full"),
    N_("the file system is read-only"),
    N_("permission denied"),
    N_("the disk quota is exceeded"),
    N_("{path}: cannot read the as-run log to continue its chain: {error}"),
    N_("{path}: the last line is torn and cannot be set aside: {error}"),
    N_("torn: {n} bytes at offset {offset} moved to {name}"),
    N_("{folder}: cannot list the station's logs: {error}"),
    N_("sealing old logs of {code}: {error}"),
    N_("closing the as-run log: {error}"),
    N_("status file: {error}"),
    # general forms last
    N_("failed: playout error: {error}"),
    N_("blackout: {why}"),
    N_("failed: {error}"),
)

_AT = re.compile(r"^(?P<reason>.+) at (?P<time>\d{2}:\d{2}:\d{2})$")
_DECIMAL = re.compile(r"-?\d+\.\d+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?P<seconds>:\d{2}(\.\d+)?)?"
                     r"(?:[+-]\d{2}:\d{2}|Z)?")
_patterns: list[tuple[str, re.Pattern[str], str, bool]] | None = None
_reasons_shown: dict[tuple[str, str], str] = {}


def _reason_patterns() -> list[tuple[str, re.Pattern[str], str, bool]]:
    """(literal start, regular expression, message, spans parts) of every template,
    compiled the first time a reason is shown (--help compiles none)."""
    global _patterns
    if _patterns is None:
        import string

        out = []
        for entry in _REASONS:
            written, message = entry if isinstance(entry, tuple) else (entry, entry)
            pattern, seen, literals = ["^"], set(), []
            for literal, field, _spec, _conversion in string.Formatter().parse(written):
                pattern.append(re.escape(literal))
                literals.append(literal)
                if field is None:
                    continue
                pattern.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
                seen.add(field)
            pattern.append("$")
            start = written.split("{", 1)[0]
            spans = "; " in "".join(literals) or "text" in seen
            out.append((start, re.compile("".join(pattern), re.DOTALL), message, spans))
        _patterns = out
    return _patterns


def reason(text: str) -> str:
    """A reason of the as-run log, of a plan or of the daemon (status, replies) in the
    current language; a part it does not know is shown as written."""
    if not text or language() == "en":
        return text
    key = (language(), text)
    shown = _reasons_shown.get(key)
    if shown is None:
        missed: list[str] = []
        shown = _reason_parts(text, missed)
        for part in missed:
            if part.isascii():  # not a message already made in this language
                _note(f"reason|{part}")
        if not missed:
            if len(_reasons_shown) > 10000:
                _reasons_shown.clear()
            _reasons_shown[key] = shown
    return shown


def _reason_parts(text: str, missed: list[str]) -> str:
    """``text`` translated part by part: at each part, the longest run of parts that a
    template matches (a run of several parts only when the template has "; " in its
    words or a {text}, or when what its placeholders hold is known too)."""
    parts = text.split("; ")
    out = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            found = _reason_match("; ".join(parts[i:j]), several=j - i > 1)
            if found is not None:
                out.append(found)
                i = j
                break
        else:
            missed.append(parts[i])
            out.append(parts[i])
            i += 1
    return "; ".join(out)


def _reason_match(text: str, several: bool = False) -> str | None:
    at = _AT.match(text)  # "preempted-by: x at 17:10:00": the reason, then its time
    if at:
        inner = _reason_match(at["reason"], several)
        if inner is not None:
            return _("{reason} at {time}").format(reason=inner, time=at["time"])
    for start, pattern, message, spans in _reason_patterns():
        if not text.startswith(start):
            continue
        found = pattern.match(text)
        if not found:
            continue
        missed: list[str] = []
        values = {name: _reason_value(name, value, missed)
                  for name, value in found.groupdict().items()}
        if several and not spans and missed:
            continue  # the parts are separate reasons, not this one's value
        return _(message).format(**values)
    return None


def _reason_value(name: str, value: str, missed: list[str]) -> str:
    if name == "text":
        return value
    if name in _WORDS:
        return word(name, value)
    if _DECIMAL.fullmatch(value):
        return decimal_text(value)
    if _DAY.fullmatch(value):
        return day_text(value)
    moment = _MOMENT.fullmatch(value)
    if moment:
        return moment_text(value, seconds=bool(moment["seconds"]))
    if " " in value:
        return _reason_parts(value, missed)
    return value
