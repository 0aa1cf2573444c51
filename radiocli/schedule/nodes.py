"""Reading located YAML nodes: the generic helpers every section reader uses.

A :class:`Nodes` holds the list of problems found so far and the file being read; its
helpers return a value, or note a located problem (file, line, column, what to do) and
return None. They never raise for bad content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from radiocli.errors import Problem
from radiocli.i18n import _
from radiocli.schedule import schema, values
from radiocli.schedule.model import Where
from radiocli.schedule.suggest import did_you_mean
from radiocli.schedule.yamlfile import MappingNode, Node, ScalarNode, SequenceNode

T = TypeVar("T")
NULL_TAG = "tag:yaml.org,2002:null"


class Nodes:
    """Turns located YAML nodes into values, noting every problem on the way."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.file = ""

    # --- reporting -----------------------------------------------------------------
    def where(self, node: Node) -> Where:
        return Where(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: Node | None, message: str, hint: str = "", code: str = "invalid",
                severity: str = "error") -> None:
        if node is None:
            self.problems.append(Problem(self.file, 0, 0, message, hint, code, severity))
            return
        w = self.where(node)
        self.problems.append(Problem(w.file, w.line, w.column, message, hint, code, severity))

    # --- shapes --------------------------------------------------------------------
    def mapping(self, node: Node, kind: str, label: str) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node), reporting duplicates and unknown keys (the keys
        of ``kind`` in the JSON Schema; any key when ``kind`` is empty)."""
        if not isinstance(node, MappingNode):
            self.problem(node, _("{label} must be a mapping of keys").format(label=label),
                         code="type")
            return {}
        allowed = schema.keys(kind) if kind else None
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, _("{label}: keys must be plain words").format(
                    label=label), code="type")
                continue
            key = key_node.value
            if key in out:
                first = out[key][0].start_mark.line + 1
                self.problem(key_node, _('duplicate key "{key}" in {label} (first on line '
                                         "{first})").format(key=key, label=label, first=first),
                             _("keep one of them"), "duplicate-key")
                continue
            if allowed is not None and key not in allowed:
                self.problem(key_node, _('unknown key "{key}" in {label}{did_you_mean}').format(
                    key=key, label=label, did_you_mean=did_you_mean(key, allowed)),
                    _("allowed: {keys}").format(keys=", ".join(allowed)), "unknown-key")
                continue
            out[key] = (key_node, value_node)
        return out

    def text(self, node: Node, label: str) -> str | None:
        if isinstance(node, ScalarNode) and node.tag != NULL_TAG:
            return str(node.value)
        self.problem(node, _("{label} must be a single value (text)").format(label=label),
                     code="type")
        return None

    def items(self, node: Node, label: str) -> list[Node]:
        """A sequence's items, or the node itself when a single value is given."""
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, ScalarNode):
            return [node]
        self.problem(node, _("{label} must be a value or a list of values").format(
            label=label), code="type")
        return []

    def texts(self, node: Node, label: str) -> list[tuple[Node, str]]:
        out = []
        for item in self.items(node, label):
            value = self.text(item, label)
            if value is not None:
                out.append((item, value))
        return out

    # --- values --------------------------------------------------------------------
    def value(self, node: Node, label: str, parse_fn: Callable[[str], T]) -> T | None:
        raw = self.text(node, label)
        if raw is None:
            return None
        try:
            return parse_fn(raw)
        except ValueError as exc:
            self.problem(node, f"'{label}' {exc}", code="format")
            return None

    def optional(self, fields: dict[str, tuple[Node, Node]], key: str,
                 parse_fn: Callable[[str], T]) -> T | None:
        """``fields[key]`` parsed, or None when the key is absent (or wrong: noted)."""
        return self.value(fields[key][1], key, parse_fn) if key in fields else None

    def optional_text(self, fields: dict[str, tuple[Node, Node]], key: str) -> str | None:
        return self.text(fields[key][1], key) if key in fields else None

    def integer(self, node: Node, label: str, low: int, high: int) -> int | None:
        raw = self.text(node, label)
        if raw is None:
            return None
        try:
            return values.parse_whole_number(raw, low, high)
        except ValueError as exc:
            code = "range" if isinstance(exc, values.OutOfRange) else "type"
            self.problem(node, f"'{label}' {exc}", code=code)
            return None

    def number(self, node: Node, label: str) -> float | None:
        raw = self.text(node, label)
        if raw is None:
            return None
        try:
            return values.parse_number(raw)
        except ValueError as exc:
            self.problem(node, f"'{label}' {exc}", code="type")
            return None

    def boolean(self, node: Node, label: str) -> bool | None:
        raw = self.text(node, label)
        if raw is None:
            return None
        try:
            return values.parse_boolean(raw)
        except ValueError as exc:
            self.problem(node, f"'{label}' {exc}", code="type")
            return None

    def choice(self, node: Node, value: str, choices: tuple[str, ...], label: str) -> bool:
        if value in choices:
            return True
        self.problem(node, _('\'{label}\' must be one of {choices}, got "{value}"{did_you_mean}'
                             ).format(label=label, choices=", ".join(choices), value=value,
                                      did_you_mean=did_you_mean(value, choices)),
                     code="format")
        return False

    def choices(self, fields: dict[str, tuple[Node, Node]], key: str,
                choices: tuple[str, ...]) -> frozenset[str]:
        """The listed words of ``fields[key]`` that are among ``choices`` (others noted)."""
        if key not in fields:
            return frozenset()
        return frozenset(v for n, v in self.texts(fields[key][1], key)
                         if self.choice(n, v, choices, key))

    def codes(self, node: Node, label: str, known: Callable[[str], bool],
              what: str, choices: Iterable[str]) -> frozenset[str]:
        """Station or district codes; unknown ones are noted with a "did you mean"."""
        out = set()
        for item, code in self.texts(node, label):
            if not known(code):
                message = (_("unknown station code {code}{did_you_mean}") if what == "station"
                           else _("unknown district code {code}{did_you_mean}"))
                self.problem(item, message.format(code=code,
                                                  did_you_mean=did_you_mean(code, choices)),
                             _("see radiocli stations list"), f"unknown-{what}")
            else:
                out.add(code)
        return frozenset(out)
