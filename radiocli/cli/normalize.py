"""``radiocli normalize``: print the spoken form of written Vietnamese bulletin text."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from radiocli.cli import Env
from radiocli.i18n import N_, _, os_reason


def _read_abbreviations(path: Path) -> dict[str, str]:
    """A station's extra abbreviations: one 'ABBR<TAB>spoken form' per line, '#' comments."""
    table: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise click.BadParameter(f"{path}: {os_reason(exc)}",
                                 param_hint="--abbreviations") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("\t")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(
                _("{path}:{number}: expected 'ABBREVIATION<TAB>spoken form'").format(
                    path=path, number=number),
                param_hint="--abbreviations",
            )
        table[key.strip()] = value.strip()
    return table


def station_words(env: Env, station: str | None, district: str | None) -> dict[str, str]:
    """The abbreviations of a station (with its district's and the city's) or of a
    district, from the schedules folder; {} when neither is given."""
    if station is None and district is None:
        return {}
    from radiocli.cli.common import load_schedule
    from radiocli.render.words import scope_abbreviations

    schedule = load_schedule(env)
    if station is not None:
        if not schedule.registry.known(station):
            raise click.BadParameter(_("unknown station code {code} (see radiocli stations "
                                       "list)").format(code=station), param_hint="--station")
        return scope_abbreviations(schedule, f"station:{station}")
    if district not in schedule.registry.districts:
        raise click.BadParameter(_("unknown district code {code} (see radiocli stations "
                                   "list)").format(code=district), param_hint="--district")
    return scope_abbreviations(schedule, f"district:{district}")


def _write(line: str) -> None:
    sys.stdout.buffer.write(line.encode("utf-8", errors="replace") + b"\n")
    sys.stdout.buffer.flush()


@click.command("normalize",
               epilog=N_('Example: echo "UBND xã có 156.000 hộ" | radiocli normalize'))
@click.argument("text", required=False)
@click.option(
    "--check", is_flag=True,
    help=N_("Also print warnings about hard-to-speak text to stderr."),
)
@click.option("--station", metavar=N_("CODE"),
              help=N_("Use this station's abbreviations (its schedule file's, its district's "
                     "and the city's), as render does for its programs."))
@click.option("--district", "-d", metavar=N_("CODE"),
              help=N_("Use this district's abbreviations (and the city's)."))
@click.option(
    "--abbreviations",
    "abbreviations_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Extra abbreviations of a station or district: ABBR<TAB>spoken form per line."),
)
@click.pass_obj
def command(env: Env, text: str | None, check: bool, station: str | None,
            district: str | None, abbreviations_file: Path | None) -> None:
    """Turn written Vietnamese into the spoken Northern (Hanoi) form.

    Normalizes TEXT, or else every line of standard input (one line out per line in):
    numbers, dates, times, phone numbers, units, abbreviations and loanwords become
    words the speech engine reads correctly. With --station, the station's own
    abbreviations (from the schedules folder) apply, as they do in its programs.
    """
    from radiocli.render.normalize import normalize_with_warnings

    extra = station_words(env, station, district)
    if abbreviations_file:
        extra.update(_read_abbreviations(abbreviations_file))
    lines: Iterable[str]
    if text is not None:
        lines = text.split("\n")
    else:
        lines = (raw.decode("utf-8", errors="replace") for raw in sys.stdin.buffer)
    try:
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\r\n")
            spoken, warnings = normalize_with_warnings(line, extra)
            _write(spoken)
            if check:
                for warning in warnings:
                    click.echo(_("line {number}: warning: {warning}").format(
                        number=number, warning=warning), err=True)
    except BrokenPipeError:
        sys.stderr.close()
