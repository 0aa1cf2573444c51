"""radiocli stations list | history"""

from __future__ import annotations

from datetime import date, timedelta

import click

from radiocli.cli import Env
from radiocli.cli.common import DATE, last_day_text, load_schedule
from radiocli.cli.output import output_options, print_rows
from radiocli.i18n import N_, _, day_text, ngettext


@click.group("stations")
def command() -> None:
    """The station registry: one loudspeaker station per commune, ward or town.

    Hanoi had 579 units until 2024-12-31, 526 from 2025-01-01 and 126 (no districts)
    from 2025-07-01; the registry answers for any date.

    Example: radiocli stations list --on 2025-07-01
    """


@command.command("list")
@click.option("--district", "-d", metavar=N_("CODE"), help=N_("Only this district's stations."))
@click.option("--on", "day", type=DATE, default="today", metavar=N_("DATE"),
              help=N_("The units in force on this date: YYYY-MM-DD, DD/MM/YYYY, today or "
                     "tomorrow [default: today]."))
@output_options
@click.pass_obj
def stations_list(env: Env, district: str | None, day: date | None, fmt: str | None) -> None:
    """List the stations of a date with their official codes and centroids (lat/lon, WGS 84).

    Names are not unique: use codes. A code may be reused by a new unit (00004 was Phường
    Trúc Bạch until 2025-06-30, Phường Ba Đình from 2025-07-01): see stations history.

    Example: radiocli stations list --district 001 --on 2024-12-31 --json
    """
    from radiocli.cli.common import hanoi_today

    registry = load_schedule(env).registry
    day = day or hanoi_today()
    if district is not None and district not in registry.districts:
        raise click.UsageError(_("unknown district code {code} (see radiocli stations "
                                 "list)").format(code=district))
    if district is not None and district not in registry.districts_on(day):
        last, _units = registry.district_before(district, day)
        raise click.UsageError(_("district {code} has no units on {day} (its last day: "
                                 "{last})").format(code=district, day=day_text(day),
                                                  last=last_day_text(last)))
    from radiocli.schedule.model import Targets

    current = registry.as_of(day)
    chosen = Targets(districts=frozenset({district})) if district is not None else \
        Targets(everywhere=True)
    rows = [current[code].as_dict() for code in sorted(registry.select(chosen, day))]
    columns = [("code", _("code")), ("name", _("name")), ("kind", _("kind"))]
    if any(row["district"] for row in rows):
        columns += [("district", _("district")), ("district_name", _("district name"))]
    columns += [("lat", _("lat")), ("lon", _("lon"))]
    print_rows(rows, columns, fmt, title=ngettext("{n} station on {day}", "{n} stations on {day}",
                                                  len(rows)).format(n=len(rows), day=day_text(day)))


@command.command("history")
@click.argument("code")
@output_options
@click.pass_obj
def stations_history(env: Env, code: str, fmt: str | None) -> None:
    """Every unit that held a station code, with its validity, what it was formed from and
    where it went (the main successor first).

    Example: radiocli stations history 00004
    """
    registry = load_schedule(env).registry
    if not registry.known(code):
        raise click.UsageError(_("unknown station code {code} (see radiocli stations "
                                 "list)").format(code=code))
    rows = []
    for unit in registry.history(code):
        start = unit.valid_from
        before = registry.predecessors(code, start, start - timedelta(days=1)) if start else ()
        after = registry.successors(code, unit.valid_to, unit.valid_to + timedelta(days=1)) \
            if unit.valid_to else ()
        row = unit.as_dict()
        row["formed_from"] = [f"{s.code} {s.name}" for s in before if s.key != unit.key]
        row["went_to"] = [f"{s.code} {s.name}" for s in after]
        row["main_successor"] = after[0].code if after else None
        rows.append(row)
    print_rows(rows, [("code", _("code")), ("name", _("name")), ("valid_from", _("from")),
                      ("valid_to", _("until")), ("district_name", _("district name")),
                      ("formed_from", _("formed from")), ("went_to", _("went to"))],
               fmt, title=ngettext("{n} unit held code {code}", "{n} units held code {code}",
                                   len(rows)).format(n=len(rows), code=code))
