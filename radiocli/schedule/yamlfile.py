"""Read a YAML file into located nodes, safely, whatever the bytes are.

Schedules are edited by hand, so every later message must say file:line:column. We keep
PyYAML's node tree (each node has its start mark and its raw text: "06:00" stays a string
instead of YAML 1.1's base-60 integer) and refuse, with a clear message, what could hurt:
files over the size limit, invalid UTF-8, NUL bytes, aliases (alias bombs), nesting
deeper than a schedule ever needs, duplicate keys.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["MappingNode", "Node", "ScalarNode", "SequenceNode", "YamlProblem", "parse",
           "read_text", "where"]

from radiocli.errors import Problem
from radiocli.i18n import _, os_reason
from radiocli.schedule.yamlerrors import explain

MAX_BYTES = 4 * 1024 * 1024  # the 579-station registry is 45 kB
MAX_DEPTH = 32
MAX_NODES = 400_000

try:  # libyaml is much faster; PyYAML wheels ship it
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class YamlProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_text(path: Path, shown: str) -> str:
    """The file's text, or a YamlProblem saying why it cannot be a schedule file."""
    try:
        if path.is_dir():
            raise YamlProblem(Problem(shown, message=_("is a folder, not a YAML file"),
                                      code="not-a-file"))
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise YamlProblem(Problem(
                shown, message=_("file is too large ({size:.1f} MB)").format(size=size / 1e6),
                hint=_("schedule files are at most {limit} MB; split it").format(
                    limit=MAX_BYTES // (1024 * 1024)),
                code="too-large"))
        data = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(Problem(shown, message=_("cannot read: {reason}").format(
            reason=os_reason(exc)), code="unreadable")) from exc
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise YamlProblem(Problem(shown, line, 1,
                                  _("contains a NUL byte: this is not a text file"),
                                  _("save the schedule as UTF-8 text"), "binary"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem(Problem(shown, line, col, _("is not valid UTF-8 text"),
                                  _("save the file as UTF-8 (Unicode) in your editor"),
                                  "encoding")) from exc
    return text.removeprefix("\ufeff")


def parse(text: str, shown: str) -> Node | None:
    """Compose one YAML document into nodes after checking its events are harmless."""
    try:
        depth = nodes = documents = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                line, col = _position(event)
                raise YamlProblem(Problem(
                    shown, line, col,
                    _("YAML aliases (*name) are not allowed in schedules"),
                    _("write the value out in full"), "alias"))
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    line, col = _position(event)
                    raise YamlProblem(Problem(
                        shown, line, col,
                        _("nesting is deeper than {n} levels").format(n=MAX_DEPTH),
                        _("a schedule never needs this; check the indentation"), "too-deep"))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent) and documents:
                line, col = _position(event)
                raise YamlProblem(Problem(shown, line, col,
                                          _("more than one YAML document ('---') in one file"),
                                          _("put each document in its own file"), "multi-doc"))
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
            nodes += 1
            if nodes > MAX_NODES:
                raise YamlProblem(Problem(shown, message=_("too many YAML values in one file"),
                                          hint=_("split it into smaller files"),
                                          code="too-large"))
        return yaml.compose(text, Loader=_Loader)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        found = explain(exc, text)
        raise YamlProblem(Problem(shown, found.line, found.column,
                                  _("YAML syntax: {message}").format(message=found.message),
                                  found.hint, "syntax")) from exc
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise YamlProblem(Problem(shown, message=_("YAML syntax: {error}").format(error=exc),
                                  hint=_("check the file"), code="syntax")) from exc


def _position(event: yaml.Event) -> tuple[int, int]:
    """1-based line and column of an event (0, 0 when the parser gave none)."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def where(node: Node, shown: str) -> tuple[str, int, int]:
    m = node.start_mark
    return shown, m.line + 1, m.column + 1
