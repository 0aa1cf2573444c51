"""A Babel extractor: the messages of a Python file, and the help of its commands.

Babel's Python extractor finds ``_()``, ``N_()``, ``ngettext()`` and ``pgettext()``. A
click command's help is its function's docstring, which the command line translates when
it shows the help (``radiocli.cli.localize``): this extractor adds the docstring of every
function decorated as a command or group, cleaned as click shows it
(``inspect.cleandoc``). babel.cfg names it as ``babel_help.extract``; scripts/catalog.py
puts this folder on the path.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

COMMAND_DECORATORS = ("command", "group")


def _is_command(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in COMMAND_DECORATORS


def extract(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
            options: dict[str, Any]) -> Iterator[tuple[int, str | None, str, list[str]]]:
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(_is_command(d) for d in node.decorator_list):
            continue
        doc = ast.get_docstring(node, clean=False)
        if doc:
            yield (node.lineno, None, inspect.cleandoc(doc),
                   [f"help of the command {node.name}(); keep the \\b lines and line breaks"])
