"""``radiocli normalize``: print the spoken form of written Vietnamese bulletin text."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from radiocli.i18n import _


def _read_abbreviations(path: Path) -> dict[str, str]:
    """A station's extra abbreviations: one 'ABBR<TAB>spoken form' per line, '#' comments."""
    table: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise click.BadParameter(f"{path}: {exc.strerror or exc}",
                                 param_hint="--abbreviations") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("\t")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(
                f"{path}:{number}: expected 'ABBREVIATION<TAB>spoken form'",
                param_hint="--abbreviations",
            )
        table[key.strip()] = value.strip()
    return table


def _write(line: str) -> None:
    sys.stdout.buffer.write(line.encode("utf-8", errors="replace") + b"\n")
    sys.stdout.buffer.flush()


@click.command("normalize", epilog='Example: echo "UBND xã có 156.000 hộ" | radiocli normalize')
@click.argument("text", required=False)
@click.option(
    "--check", is_flag=True, help="Also print warnings about hard-to-speak text to stderr."
)
@click.option(
    "--abbreviations",
    "abbreviations_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Extra abbreviations of a station or district: ABBR<TAB>spoken form per line.",
)
def command(text: str | None, check: bool, abbreviations_file: Path | None) -> None:
    """Turn written Vietnamese into the spoken Northern (Hanoi) form.

    Normalizes TEXT, or else every line of standard input (one line out per line in):
    numbers, dates, times, phone numbers, units, abbreviations and loanwords become
    words the speech engine reads correctly.
    """
    from radiocli.render.normalize import find_unspeakable, normalize

    extra = _read_abbreviations(abbreviations_file) if abbreviations_file else None
    if text is not None:
        lines = text.split("\n")
    else:
        lines = (raw.decode("utf-8", errors="replace") for raw in sys.stdin.buffer)
    try:
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\r\n")
            _write(normalize(line, extra))
            if check:
                for warning in find_unspeakable(line):
                    click.echo(f"{_('line')} {number}: {_('warning')}: {warning}", err=True)
    except BrokenPipeError:
        sys.stderr.close()
