"""How commands print: rich tables on a terminal, plain text when piped, JSON or CSV."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

from radiocli.i18n import _
from radiocli.report.cells import safe_cell


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --json and --csv to a listing command (``fmt`` argument: table/json/csv)."""
    func = click.option(
        "--csv", "fmt", flag_value="csv", help=_("Print CSV (spreadsheet-safe).")
    )(func)
    func = click.option("--json", "fmt", flag_value="json", help=_("Print JSON."))(func)
    return func


def is_terminal(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, no_color="NO_COLOR" in os.environ, highlight=False)



def print_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    fmt: str | None,
    title: str | None = None,
) -> None:
    """Print rows as a table (terminal), tab-separated text (pipe), JSON or CSV.

    ``columns`` is a list of (key, heading). JSON prints every key of every row.
    """
    if fmt == "json":
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\r\n")
        writer.writerow([heading for _key, heading in columns])
        for row in rows:
            writer.writerow([safe_cell(_text(row.get(key))) for key, _h in columns])
        return
    if is_terminal():
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for _key, heading in columns:
            table.add_column(heading)
        for row in rows:
            table.add_row(*[_text(row.get(key)) for key, _h in columns])
        console().print(table)
        return
    if title:
        click.echo(title)
    click.echo("\t".join(heading for _key, heading in columns))
    for row in rows:
        click.echo("\t".join(_text(row.get(key)) for key, _h in columns))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


class Progress:
    """A rich progress bar on a terminal, a few plain lines on stderr otherwise."""

    def __init__(self, total: int, description: str) -> None:
        self.total = max(total, 1)
        self.description = description
        self.done = 0
        self._last_pct = -1
        self._rich: Any = None
        self._task: Any = None
        if is_terminal(sys.stderr):
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(console=console(stderr=True), transient=False)

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.__enter__()
            self._task = self._rich.add_task(self.description, total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._rich is not None:
            self._rich.update(self._task, completed=self.done)
            return
        pct = int(100 * self.done / self.total)
        if pct // 10 != self._last_pct // 10:
            self._last_pct = pct
            click.echo(f"{self.description}: {pct}%", err=True)

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(None, None, None)


def echo_lines(lines: Iterable[str], err: bool = False) -> None:
    for line in lines:
        click.echo(line, err=err)
