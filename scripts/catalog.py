#!/usr/bin/env python3
"""The message catalogues: extract, check, compile (run after changing a message).

    .venv/bin/python scripts/catalog.py            # extract, check, compile
    .venv/bin/python scripts/catalog.py --check    # change nothing; exit 1 on a problem

1. Extract: Babel's ``pybabel extract`` with babel.cfg writes radiocli/locale/radiocli.pot,
   the template of every message in the code (``_()``, ``N_()``, ``ngettext()``,
   ``pgettext()`` and the commands' help).
2. Check radiocli/locale/vi.po, the source of the Vietnamese catalogue (edit it by hand or
   with any PO editor): every message of the template and every Click message the command
   line shows has a translation; no entry is fuzzy, empty, twice there or left over;
   placeholders ({name}, %(name)s) are the same in the English and the Vietnamese.
3. Compile vi.po to radiocli/locale/vi/LC_MESSAGES/radiocli.mo, which radiocli loads with
   the standard gettext module. The .mo is committed, so a clean clone and an installed
   wheel need no build step; --check (run by the test suite) fails when it is out of date.
"""

from __future__ import annotations

import io
import re
import string
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "radiocli" / "locale"
# messages of modules other work is changing now, allowed to lack a translation for a
# while (tests/test_i18n.py keeps the list honest: it may only shrink)
PENDING = ROOT / "tests" / "i18n_pending.txt"
TEMPLATE = LOCALE / "radiocli.pot"
LANGUAGES = ("vi",)
# Click's own messages shown by radiocli (usage errors, "Usage:", "Options:"): the
# modules whose gettext radiocli.cli points at its catalogue
CLICK_MODULES = ("core", "exceptions", "parser", "types", "formatting", "termui", "utils",
                 "decorators")
CLICK_DYNAMIC = ("required",)  # looked up by Click as _(extra["required"])

sys.path.insert(0, str(Path(__file__).resolve().parent))  # babel_help, named in babel.cfg


def po_file(language: str) -> Path:
    return LOCALE / f"{language}.po"


def mo_file(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "radiocli.mo"


def extract() -> object:
    """The template of radiocli's messages (a babel Catalog), as pybabel extract makes
    it with babel.cfg."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog(project="radiocli", version="0.1.0", charset="utf-8")
    for path, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map):
        catalog.add(message, None, [(path, lineno)], auto_comments=comments,
                    context=context)
    return catalog


def click_messages() -> set[object]:
    """The msgids of the Click modules radiocli translates."""
    import click
    from babel.messages.extract import extract_from_file

    base = Path(click.__file__).parent
    out: set[object] = {(None, message) for message in CLICK_DYNAMIC}
    for name in CLICK_MODULES:
        for _lineno, message, _comments, context in extract_from_file(
                "python", str(base / f"{name}.py")):
            out.add((context, message))
    return out


def write_template(catalog: object, path: Path = TEMPLATE) -> None:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=92, no_location=True, omit_header=False,
             sort_output=True, include_previous=False)
    # the creation date changes on every run and says nothing: drop it
    text = re.sub(rb'"POT-Creation-Date: [^"]*\\n"\n', b"", buffer.getvalue())
    path.write_bytes(text)


def read(path: Path) -> object:
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        return read_po(fh, abort_invalid=True)


def key(message: object) -> tuple[str | None, object]:
    return (message.context, message.id)  # type: ignore[attr-defined]


def placeholders(text: str) -> list[str]:
    """The names of the {name} and %(name)s placeholders of a message, sorted (a
    translation may use one twice, or write a date with another format)."""
    found = {f"%({m.group(1)})" for m in re.finditer(r"%\((\w+)\)[sdifr]", text)}
    if re.search(r"(?<!%)%s", text):
        found.add("%s")
    try:
        for _text, field, _spec, _conversion in string.Formatter().parse(text):
            if field is not None:
                found.add(f"{{{field}}}")
    except ValueError as exc:
        found.add(f"<bad braces: {exc}>")
    return sorted(found)


def duplicates(path: Path) -> list[str]:
    """Entries of the .po file written twice (read_po keeps the last one silently)."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    context = ""
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if line.startswith("msgctxt "):
            context = line
        elif line.startswith("msgid "):
            text = line
            m = n
            while m < len(lines) and lines[m].startswith('"'):
                text += lines[m]
                m += 1
            if (context, text) in seen and text != 'msgid ""':
                out.append(f"{path.name}:{n}: the same message as line {seen[(context, text)]}")
            seen.setdefault((context, text), n)
            context = ""
    return out


def check_language(language: str, template: object, click: set[object]) -> list[str]:
    """Every problem of one language's catalogue, one line each."""
    path = po_file(language)
    problems = duplicates(path)
    catalog = read(path)
    wanted = {key(m): m for m in template if m.id}  # type: ignore[attr-defined]
    if catalog.plural_forms != "nplurals=1; plural=0;" and language == "vi":  # type: ignore[attr-defined]
        problems.append(f"{path.name}: the header must say Plural-Forms: nplurals=1; "
                        "plural=0; (Vietnamese has one form)")
    have = set()
    for message in catalog:  # type: ignore[attr-defined]
        if not message.id:
            continue
        k = key(message)
        have.add(k)
        where = f"{path.name}:{message.lineno}"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if k not in wanted and k not in click:
            problems.append(f"{where}: no longer in the code: {ids[0]!r}")
            continue
        if message.fuzzy:
            problems.append(f"{where}: fuzzy: {ids[0]!r}")
        if not all(strings):
            problems.append(f"{where}: no translation: {ids[0]!r}")
            continue
        template_message = wanted.get(k)
        if template_message is not None and isinstance(template_message.id, tuple) != \
                isinstance(message.id, tuple):
            problems.append(f"{where}: the code uses {'n' if isinstance(template_message.id, tuple) else ''}"
                            f"gettext, the entry is {'not ' if isinstance(template_message.id, tuple) else ''}"
                            f"a plural entry: {ids[0]!r}")
        expected = placeholders(ids[-1])
        for text in strings:
            if placeholders(text) != expected:
                problems.append(f"{where}: placeholders {placeholders(text)} in the "
                                f"translation, {expected} in the message {ids[-1]!r}")
    for k, message in wanted.items():
        if k not in have:
            ident = message.id[0] if isinstance(message.id, tuple) else message.id  # type: ignore[attr-defined]
            context = f"[{k[0]}] " if k[0] else ""
            problems.append(f"{path.name}: no entry for {context}{ident!r}")
    return problems


def pending() -> set[str]:
    """The messages tests/i18n_pending.txt lists."""
    if not PENDING.exists():
        return set()
    out = set()
    for raw in PENDING.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            text = raw.partition("\t")[2]
            out.add(text.replace("\\n", "\n").replace("\\t", "\t"))
    return out


def compiled(language: str) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, read(po_file(language)), use_fuzzy=False)  # type: ignore[arg-type]
    return buffer.getvalue()


def messages_of(mo: bytes) -> dict[object, str]:
    """What a compiled catalogue translates, without its header (which carries the date
    and Babel's version, and so differs between two compilations of one .po)."""
    import gettext

    catalog = gettext.GNUTranslations(io.BytesIO(mo))._catalog  # type: ignore[attr-defined]
    return {k: v for k, v in catalog.items() if k != ""}


def mo_current(language: str) -> bool:
    target = mo_file(language)
    return target.exists() and messages_of(target.read_bytes()) == messages_of(
        compiled(language))


def template_problems(template: object) -> list[str]:
    if not TEMPLATE.exists():
        return [f"{TEMPLATE.relative_to(ROOT)} is missing"]
    committed = {key(m) for m in read(TEMPLATE) if m.id}  # type: ignore[attr-defined]
    current = {key(m) for m in template if m.id}  # type: ignore[attr-defined]
    out = [f"radiocli.pot lacks {m[1]!r}" for m in sorted(current - committed, key=str)]
    out += [f"radiocli.pot still has {m[1]!r}" for m in sorted(committed - current, key=str)]
    return out


def main() -> int:
    check_only = "--check" in sys.argv
    template = extract()
    click = click_messages()
    problems: list[str] = []
    if check_only:
        problems += template_problems(template)
    else:
        write_template(template)
    allowed = pending()
    for language in LANGUAGES:
        problems += [p for p in check_language(language, template, click)
                     if not any(p.endswith(f"no entry for {text!r}") for text in allowed)]
        target = mo_file(language)
        if mo_current(language):
            continue
        if check_only:
            problems.append(f"{target.relative_to(ROOT)} is out of date")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(compiled(language))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s); fix radiocli/locale/*.po, then run "
              "scripts/catalog.py", file=sys.stderr)
        return 1
    if not check_only:
        print(f"wrote {TEMPLATE.relative_to(ROOT)} and the .mo files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
