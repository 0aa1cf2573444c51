"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import click

from radiocli.cli import Env
from radiocli.i18n import N_, _, day_text


def hanoi_today() -> date:
    """Today in Hanoi, whatever the machine's time zone."""
    from radiocli import TZ

    return datetime.now(TZ).date()


class DateParam(click.ParamType):
    """Every date option of every command: YYYY-MM-DD or DD/MM/YYYY (as in the YAML), or
    today, tomorrow, yesterday, hôm nay, ngày mai, hôm qua (Hanoi's today)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> date:
        if isinstance(value, date):
            return value
        from radiocli.schedule.values import parse_day

        try:
            return parse_day(str(value), hanoi_today())
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DateParam()


class DateOrMomentParam(click.ParamType):
    """A date option that also takes a date and time: dates as :data:`DATE` takes them
    become YYYY-MM-DD; anything else (an ISO 8601 date and time) is passed on as typed,
    for the command to read."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> str:
        text = str(value)
        from radiocli.schedule.values import NoSuchDay, parse_day

        try:
            return parse_day(text, hanoi_today()).isoformat()
        except NoSuchDay as exc:
            self.fail(str(exc), param, ctx)
        except ValueError:
            return text


DATE_OR_MOMENT = DateOrMomentParam()


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--station CODE (repeatable), --district CODE, --all."""
    func = click.option("--all", "all_stations", is_flag=True,
                        help=N_("All stations (the default when nothing is chosen)."))(func)
    func = click.option("--district", "-d", "districts", multiple=True, metavar=N_("CODE"),
                        help=N_("Stations of this district (repeatable)."))(func)
    func = click.option("--station", "stations", multiple=True, metavar=N_("CODE"),
                        help=N_("This station (repeatable)."))(func)
    return func


def load_schedule(env: Env) -> Any:
    """The schedule from env.schedules; a ScheduleError lists every problem."""
    from radiocli.schedule.load import load

    return load(env.schedules)


def selected_stations(schedule: Any, stations: tuple[str, ...], districts: tuple[str, ...],
                      day: date) -> list[str] | None:
    """Station codes chosen on the command line (None: all). Unknown codes are usage
    errors. A district's stations are those it had on ``day`` (Registry.select)."""
    if not stations and not districts:
        return None
    from radiocli.schedule.model import Targets

    registry = schedule.registry
    for code in stations:
        if not registry.known(code):
            raise click.UsageError(_("unknown station code {code} (see radiocli stations "
                                     "list)").format(code=code))
    for code in districts:
        if code not in registry.districts:
            raise click.UsageError(_("unknown district code {code} (see radiocli stations "
                                     "list)").format(code=code))
    chosen = set(stations)
    for code in districts:
        found = registry.select(Targets(districts=frozenset({code})), day)
        if not found:  # e.g. any district from 2025-07-01, when districts were abolished
            raise click.UsageError(_("district {code} has no units on {day} (its last day: "
                                     "{last})").format(
                code=code, day=day_text(day),
                last=last_day_text(registry.district_before(code, day)[0])))
        chosen.update(found)
    return sorted(chosen)


def every_station(schedule: Any, day: date) -> list[str]:
    """Every station that exists on ``day`` (Registry.select)."""
    from radiocli.schedule.model import Targets

    return sorted(schedule.registry.select(Targets(everywhere=True), day))


def last_day_text(day: date | None) -> str:
    """A district's last day (``Registry.district_before``), or "?" when it had none."""
    return day_text(day) if day is not None else "?"
