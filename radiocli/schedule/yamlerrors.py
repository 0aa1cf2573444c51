"""PyYAML's syntax errors, said where the problem starts and with what to do.

The parser reports where it gave up, which is often lines after the mistake: an
unclosed quote on line 7 is noticed at the end of the file, a key indented one space too
far is noticed on the next line. :func:`explain` looks at the error and the text around
it and returns the line where the mistake is and a sentence an operator can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import yaml

from radiocli.i18n import _


@dataclass(frozen=True)
class Explained:
    line: int  # 1-based
    column: int  # 1-based
    message: str
    hint: str


At = Callable[[int, int, str, str], "Explained"]  # 0-based line and column, message, hint


def explain(exc: yaml.MarkedYAMLError, text: str) -> Explained:
    lines = text.splitlines()
    problem = exc.problem or ""
    context = exc.context or ""
    pmark = exc.problem_mark or exc.context_mark
    cmark = exc.context_mark
    pline, pcol = (pmark.line, pmark.column) if pmark else (0, 0)
    cline, ccol = (cmark.line, cmark.column) if cmark else (pline, pcol)

    def at(line: int, column: int, message: str, hint: str) -> Explained:
        return Explained(line + 1, column + 1, message, hint)

    def line_text(n: int) -> str:
        return lines[n] if 0 <= n < len(lines) else ""

    # a tab in the indentation, anywhere from where the parser started this part to where
    # it gave up (libyaml does not say "tab"; the pure-Python parser says it differently)
    for n in range(min(cline, pline), pline + 1):
        raw = line_text(n)
        indent = raw[: len(raw) - len(raw.lstrip(" \t"))]
        if "\t" in indent:
            return at(n, indent.index("\t"), _("a tab character is used for indentation"),
                      _("YAML indents with spaces only: replace the tab with spaces"))
    if line_text(pline)[pcol:pcol + 1] == "\t":
        return at(pline, pcol, _("a tab character where YAML does not allow one"),
                  _("replace the tab with spaces"))

    if "quoted scalar" in context:
        quote = line_text(cline)[ccol:ccol + 1] or '"'
        if "escape" in problem:
            return at(pline, pcol,
                      _("unknown escape \\{char} in a double-quoted value").format(
                          char=line_text(pline)[pcol + 1:pcol + 2]),
                      _("write \\\\ for a backslash, or use single quotes 'like this'"))
        return at(cline, ccol,
                  _("the quote {quote} opened here is never closed").format(quote=quote),
                  _("close it at the end of the value ({quote}...{quote}) or remove it").format(
                      quote=quote))

    if "flow sequence" in context or "flow mapping" in context:
        opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
        return at(cline, ccol, _("the {opening} opened here is not closed, or a comma is "
                                 "missing between its items").format(opening=opening),
                  _("close it with {closing} on the same line and separate items with "
                    "commas").format(closing=closing))

    # a value that goes on after its closing quote: title: "a" b
    before = line_text(pline)[:pcol].rstrip()
    if before.endswith(("'", '"')) and ":" in before:
        return at(pline, pcol, _("text after the closing quote of a value"),
                  _("put the whole value inside the quotes"))

    # a '-' without a space after it, between where the list began and where it failed
    for n in range(min(cline, pline), pline + 1):
        stripped = line_text(n).lstrip(" ")
        if stripped.startswith("-") and len(stripped) > 1 and stripped[1] not in " -\n":
            col = len(line_text(n)) - len(stripped)
            return at(n, col, _('"-" needs a space after it to start a list item '
                                '("{text}")').format(text=stripped[:20]),
                      _('write "- {text}"').format(text=stripped[1:20]))

    # libyaml: "did not find expected key"; pure Python: "expected <block end>, but found"
    if "expected '-' indicator" in problem or "<block sequence start>" in problem or (
            ("expected key" in problem or "<block end>" in problem)
            and line_text(pline).lstrip().startswith("- ")):
        return _list_item(lines, pline, at)

    if "expected key" in problem or "<block end>" in problem:
        return _misplaced_key(lines, pline, at)

    if "mapping values are not allowed" in problem:
        return _colon(lines, pline, pcol, at)

    if "cannot start any token" in problem:
        char = line_text(pline)[pcol:pcol + 1]
        return at(pline, pcol, _('a value cannot start with "{char}"').format(char=char),
                  _('put the value in quotes: "{text}"').format(
                      text=line_text(pline)[pcol:pcol + 30].strip()))

    if "directive" in context:
        return at(pline, 0, _('a line cannot start with "%" (YAML reads it as a directive)'),
                  _("indent it under its key or put the value in quotes"))

    return at(pline, pcol, problem or _("invalid YAML"),
              _("check the indentation (spaces only, the same for the keys of one level) and "
                "the quoting on this line and the one above"))


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" "))


def _previous(lines: list[str], n: int) -> int:
    """The nearest line above ``n`` that holds something (not blank, not a comment)."""
    n -= 1
    while n >= 0 and (not lines[n].strip() or lines[n].lstrip().startswith("#")):
        n -= 1
    return n


def _list_item(lines: list[str], n: int, at: At) -> Explained:
    """A '- item' not lined up with the items of its list."""
    raw = lines[n] if n < len(lines) else ""
    column = _indent(raw)
    m = n - 1
    while m >= 0:
        other = lines[m]
        if other.lstrip().startswith("- ") and _indent(other) != column:
            return at(n, column, _("this list item is not lined up with the item on line "
                                   "{line} (column {column})").format(
                line=m + 1, column=_indent(other) + 1),
                _("start every item of one list at the same column: indent this '-' by "
                  "{indent} spaces").format(indent=_indent(other)))
        if other.strip() and not other.lstrip().startswith(("- ", "#")) and \
                _indent(other) < column:
            break
        m -= 1
    return at(n, column, _("a list item where a key was expected"),
              _("put the list under a key (for example segments:) and indent its items further "
                "than the key"))


def _misplaced_key(lines: list[str], n: int, at: At) -> Explained:
    raw = lines[n] if n < len(lines) else ""
    column = _indent(raw)
    prev = _previous(lines, n)
    if prev >= 0:
        above = _indent(lines[prev])
        if column != above:
            return at(n, column, _("this line is indented by {column} spaces, the line above by "
                                   "{above}: YAML cannot tell which key it belongs to").format(
                column=column, above=above),
                _("indent keys of the same level by the same number of spaces"))
    return at(n, column, _("this line does not fit where it stands (a key was expected)"),
              _("check its indentation against the lines above"))


def _colon(lines: list[str], n: int, col: int, at: At) -> Explained:
    raw = lines[n] if n < len(lines) else ""
    prev = _previous(lines, n)
    if prev >= 0 and _indent(raw) > _indent(lines[prev]) and \
            not lines[prev].rstrip().endswith(":"):
        above = lines[prev]
        if ":" not in above.split("#")[0]:
            return at(prev, _indent(above),
                      _('this line has no "key: value" colon ("{text}")').format(
                          text=above.strip()[:30]), _('write it as "key: value"'))
        return at(n, _indent(raw), _("this line is indented further than the line above, so "
                                     "YAML reads it as more of that line's value"),
                  _("line it up with the key above (indent by {indent} spaces)").format(
                      indent=_indent(above)))
    if prev >= 0 and _indent(raw) == _indent(lines[prev]) and \
            ":" not in lines[prev].split("#")[0] and not lines[prev].lstrip().startswith("-"):
        above = lines[prev]
        return at(prev, _indent(above),
                  _('this line has no "key: value" colon ("{text}")').format(
                      text=above.strip()[:30]), _('write it as "key: value"'))
    key, _sep, value = raw.strip().partition(": ")
    return at(n, col, _('a ": " (colon and space) inside a value'),
              _('put the value in quotes: {key}: "{value}"').format(key=key, value=value.strip())
              if value else _("put the value in quotes"))
