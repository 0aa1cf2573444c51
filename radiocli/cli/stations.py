"""radiocli stations list"""

from __future__ import annotations

from datetime import date

import click

from radiocli.cli import Env
from radiocli.cli.common import DATE, load_schedule
from radiocli.cli.output import output_options, print_rows
from radiocli.i18n import _


@click.group("stations")
def command() -> None:
    """The station registry: one loudspeaker station per commune, ward or town.

    Example: radiocli stations list --district 017
    """


@command.command("list")
@click.option("--district", "-d", metavar="CODE", help=_("Only this district's stations."))
@click.option("--on", "day", type=DATE, default="today", metavar="DATE",
              help=_("The registry as it was on this date (renames and merges applied): "
                     "YYYY-MM-DD, DD/MM/YYYY, today or tomorrow."))
@output_options
@click.pass_obj
def stations_list(env: Env, district: str | None, day: date | None, fmt: str | None) -> None:
    """List stations with their official codes (names are not unique: use codes).

    Example: radiocli stations list --district 001 --json
    """
    registry = load_schedule(env).registry
    if district is not None and district not in registry.districts:
        raise click.UsageError(_("unknown district code") + f" {district}")
    stations = registry.as_of(day or date.today()).values()
    rows = [s.as_dict() for s in sorted(stations, key=lambda s: s.code)
            if district is None or s.district == district]
    print_rows(rows, [("code", _("code")), ("name", _("name")), ("kind", _("kind")),
                      ("district", _("district")), ("district_name", _("district name"))],
               fmt, title=_("{n} stations").format(n=len(rows)))
