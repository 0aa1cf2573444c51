"""`radiocli approve`: sign schedule files and their audio into an approved bundle."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import click

from radiocli import TZ
from radiocli.cli import Env
from radiocli.cli.common import DATE_OR_MOMENT
from radiocli.i18n import N_, _

DEFAULT_DAYS = 31


def parse_moment(text: str, end_of_day: bool) -> datetime:
    """YYYY-MM-DD (start of the day, or the end of it for --valid-to) or an ISO 8601
    date and time; without an offset it is Hanoi time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(_('must be YYYY-MM-DD or YYYY-MM-DDTHH:MM[+07:00], got '
                                   '"{text}"').format(text=text[:40])) from None
    if len(text.strip()) == 10 and end_of_day:
        moment += timedelta(days=1)
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


@click.command("approve")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Private key (NAME.key from radiocli keys generate)."))
@click.option("--valid-from", default=None, metavar=N_("DATE"), type=DATE_OR_MOMENT,
              help=N_("Start of validity: YYYY-MM-DD, DD/MM/YYYY, today, or an ISO 8601 date "
                     "and time [default: now]."))
@click.option("--valid-to", default=None, metavar=N_("DATE"), type=DATE_OR_MOMENT,
              help=N_("End of validity (a date includes that whole day) [default: 31 days]."))
@click.option("--approver", default=None, metavar=N_("NAME"),
              help=N_("Who approves, as recorded in the bundle [default: $USER]."))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=N_("Bundle file [default: approved.json in the schedules folder]."))
@click.option("--trust", "trusted_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=N_("Folder of trusted .pub keys, to check the approvals "
                                   "already in the bundle [default: <home>/trusted]."))
@click.pass_obj
def command(env: Env, paths: tuple[Path, ...], key_path: Path, valid_from: str | None,
            valid_to: str | None, approver: str | None, out: Path | None,
            trusted_dir: Path | None) -> None:
    """Sign schedule files and every audio file they play (play:, chime:) into an
    approved bundle: SHA-256 of each file, who approved, when, valid from/to, and an
    Ed25519 signature. PATHS are schedule folders or files. The approval is added to
    the bundle: a district key approves its district's file next to what the city
    approved (the registry, policy, city programs). The whole bundle is checked as
    radiocli verify checks it, and refused with the same message, before it is written;
    a schedule file that another key must still approve is noted, not refused.

    Example: radiocli approve schedules --key keys/city-hanoi.key --valid-to 2021-09-30
    """
    from radiocli.trust import approve

    now = datetime.now(TZ).replace(microsecond=0)
    start = parse_moment(valid_from, False) if valid_from else now
    end = parse_moment(valid_to, True) if valid_to else start + timedelta(days=DEFAULT_DAYS)
    root = None
    if any(not p.is_dir() for p in paths) or len(paths) > 1:  # files, or removed files
        dirs = [p for p in paths if p.is_dir()]
        root = dirs[0] if len(dirs) == 1 else env.schedules
    trusted = trusted_dir or env.home.root / "trusted"
    notes: list[str] = []
    bundle = approve(paths, key_path, start, end, approver or os.environ.get("USER", ""),
                     now=now, root=root, out=out, trusted_dir=trusted, notes=notes)
    for note in notes:
        click.echo("radiocli: " + _("note: {note}").format(note=note), err=True)
    click.echo(str(bundle))
