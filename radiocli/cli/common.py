"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import click

from radiocli.cli import Env
from radiocli.i18n import _


def parse_day(_ctx: click.Context | None, _param: click.Parameter | None, value: Any
              ) -> date | None:
    if value is None or isinstance(value, date):
        return value
    from radiocli.schedule.values import parse_date

    try:
        return parse_date(str(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--station CODE (repeatable), --district CODE, --all."""
    func = click.option("--all", "all_stations", is_flag=True,
                        help=_("All stations (the default when nothing is chosen)."))(func)
    func = click.option("--district", "-d", "districts", multiple=True, metavar="CODE",
                        help=_("Stations of this district (repeatable)."))(func)
    func = click.option("--station", "stations", multiple=True, metavar="CODE",
                        help=_("This station (repeatable)."))(func)
    return func


def load_schedule(env: Env) -> Any:
    """The schedule from env.schedules; a ScheduleError lists every problem."""
    from radiocli.schedule import load

    return load(env.schedules)


def selected_stations(schedule: Any, stations: tuple[str, ...], districts: tuple[str, ...],
                      day: date) -> list[str] | None:
    """Station codes chosen on the command line (None: all). Unknown codes are usage errors."""
    if not stations and not districts:
        return None
    registry = schedule.registry
    chosen: list[str] = []
    for code in stations:
        if not registry.known(code):
            raise click.UsageError(_("unknown station code") + f" {code} " +
                                   _("(see radiocli stations list)"))
        chosen.append(code)
    current = registry.as_of(day)
    for code in districts:
        if code not in registry.districts:
            raise click.UsageError(_("unknown district code") + f" {code} " +
                                   _("(see radiocli stations list)"))
        found = [s.code for s in current.values() if s.district == code]
        if not found:  # e.g. any district from 2025-07-01, when districts were abolished
            raise click.UsageError(_("district {code} has no units on {day} (its last day: "
                                     "{last})").format(
                code=code, day=day, last=registry.district_before(code, day)[0]))
        chosen.extend(found)
    return sorted(set(chosen))
