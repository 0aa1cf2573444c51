"""How commands print: rich tables on a terminal, plain text when piped, JSON or CSV."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import click

from radiocli.i18n import N_, pgettext
from radiocli.report.cells import safe_cell


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --json and --csv to a listing command (``fmt`` argument: table/json/csv)."""
    func = click.option(
        "--csv", "fmt", flag_value="csv", help=N_("Print CSV (spreadsheet-safe).")
    )(func)
    func = click.option("--json", "fmt", flag_value="json", help=N_("Print JSON."))(func)
    return func


def is_terminal(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, no_color="NO_COLOR" in os.environ, highlight=False)



@dataclass(frozen=True)
class Column:
    """A column of a listing. On a terminal, columns that are not ``wrap`` are shown
    whole (a date is never cut to "2021-08…"): when the table is wider than the
    terminal, the columns with the highest ``drop`` go first (0: never dropped), then the
    ``wrap`` columns (titles, notes) wrap over several lines."""

    key: str
    heading: str
    wrap: bool = False
    drop: int = 0
    justify: Literal["left", "right"] = "left"


WRAP_ROOM = 16  # columns are dropped before a wrapping column gets narrower than this
WRAP_MIN = 6  # ... and when nothing is left to drop, it may get this narrow


def print_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str] | Column],
    fmt: str | None,
    title: str | None = None,
    terminal: Any = None,
) -> None:
    """Print rows as a table (terminal), tab-separated text (pipe), JSON or CSV.

    ``columns`` are (key, heading) pairs or :class:`Column`. JSON prints every key of
    every row. ``terminal`` is the rich console to draw on (tests pass one of a given
    width); by default a table is drawn when stdout is a terminal.
    """
    pairs = [(c.key, c.heading) if isinstance(c, Column) else c for c in columns]
    if fmt == "json":
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\r\n")
        writer.writerow([heading for _key, heading in pairs])
        for row in rows:
            writer.writerow([safe_cell(_text(row.get(key))) for key, _h in pairs])
        return
    if terminal is not None or is_terminal():
        draw_table(rows, columns, title, terminal or console())
        return
    if title:
        click.echo(title)
    click.echo("\t".join(heading for _key, heading in pairs))
    for row in rows:
        click.echo("\t".join(_text(row.get(key)) for key, _h in pairs))


def draw_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str] | Column],
               title: str | None, terminal: Any) -> None:
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    if not any(isinstance(c, Column) for c in columns):  # (key, heading) pairs: rich decides
        pairs = [c for c in columns if not isinstance(c, Column)]
        table = Table(title=title, show_lines=False)
        for _key, heading in pairs:
            table.add_column(heading)
        for row in rows:
            table.add_row(*[_text(row.get(key)) for key, _h in pairs])
        terminal.print(table)
        return
    chosen = [c if isinstance(c, Column) else Column(c[0], c[1]) for c in columns]

    def width(column: Column) -> int:
        cells = [cell_len(line) for row in rows for line in _text(row.get(column.key)
                                                                 ).splitlines() or [""]]
        natural = max([cell_len(column.heading), *cells])
        if column.wrap:
            longest_word = max([cell_len(w) for row in rows
                                for w in _text(row.get(column.key)).split()] or [0])
            return min(natural, max(WRAP_ROOM, min(longest_word, 20)))
        return natural

    def needed(cols: list[Column]) -> int:  # cells, and three spaces between two columns
        return sum(width(c) for c in cols) + 3 * (len(cols) - 1)

    while needed(chosen) > terminal.width and any(c.drop for c in chosen):
        worst = max((c for c in chosen if c.drop), key=lambda c: c.drop)
        chosen.remove(worst)
    table = Table(title=title, show_lines=False, expand=False, box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    for column in chosen:
        if column.wrap:
            table.add_column(column.heading, overflow="fold", justify=column.justify,
                             min_width=min(width(column), WRAP_MIN))
        else:
            table.add_column(column.heading, no_wrap=True, min_width=width(column),
                             justify=column.justify)
    for row in rows:
        table.add_row(*[_text(row.get(c.key)) for c in chosen])
    terminal.print(table)


def decimal(value: float, lang: str, digits: int = 1) -> str:
    """12.5 -> "12.5", or "12,5" in Vietnamese (the decimal comma)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return pgettext("value", "yes") if value else pgettext("value", "no")
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
