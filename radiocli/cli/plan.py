"""radiocli plan"""

from __future__ import annotations

import json
from datetime import date

import click

from radiocli.cli import Env
from radiocli.cli.common import load_schedule, parse_day, selection_options, selected_stations
from radiocli.cli.output import print_rows
from radiocli.i18n import _


@click.command("plan")
@click.option("--date", "day", callback=parse_day, metavar="YYYY-MM-DD",
              help=_("First day to plan [default: today]."))
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True,
              help=_("How many days."))
@selection_options
@click.option("--json", "as_json", is_flag=True, help=_("Print a JSON list of occurrences."))
@click.option("--csv", "as_csv", is_flag=True, help=_("Print CSV."))
@click.option("--skipped/--no-skipped", default=True, show_default=True,
              help=_("Show occurrences that will not air (conflicts, blackouts)."))
@click.pass_obj
def command(env: Env, day: date | None, days: int, stations: tuple[str, ...],
            districts: tuple[str, ...], all_stations: bool, as_json: bool, as_csv: bool,
            skipped: bool) -> None:
    """Show what will air, station by station, with conflicts resolved by priority.

    Occurrences come from the same APScheduler triggers the playout daemon uses; end
    times use rendered audio lengths when `radiocli render` has run, estimates otherwise.

    Example: radiocli plan --date 2021-08-02 --station 00001
    """
    from radiocli.plan import day_window, plan

    schedule = load_schedule(env)
    day = day or date.today()
    chosen = selected_stations(schedule, stations, districts, day)
    start, end = day_window(day, days)
    occurrences = plan(schedule, start, end, chosen, rendered_durations(env, schedule))
    if not skipped:
        occurrences = [o for o in occurrences if o.status != "skipped"]
    rows = []
    for occ in occurrences:
        row = occ.as_dict()
        row["start"] = row["start"] or row["scheduled"]
        row["end"] = row["end"] or row["start"]
        rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row, occ in zip(rows, occurrences, strict=True):
        row["when"] = (occ.start or occ.scheduled).strftime("%Y-%m-%d %H:%M:%S")
        row["until"] = (occ.end or occ.scheduled).strftime("%H:%M:%S")
        row["minutes"] = f"{occ.duration_s / 60:.1f}"
        row["title"] = schedule.programs[occ.program].title
        row["note"] = occ.reason
    columns = [("station", _("station")), ("when", _("start")), ("until", _("end")),
               ("minutes", _("min")), ("priority", _("priority")), ("program", _("program")),
               ("status", _("status")), ("note", _("note"))]
    print_rows(rows, columns, "csv" if as_csv else None,
               title=_("{n} occurrences from {start} for {days} day(s)").format(
                   n=len(rows), start=day, days=days))
    if not rows:
        click.echo(_("nothing is scheduled in this window for these stations"), err=True)


def rendered_durations(env: Env, schedule: object) -> dict[str, float] | None:
    """Exact program lengths from the render cache, when speech has been rendered."""
    try:
        from radiocli.render.programs import rendered_durations as durations
    except ImportError:
        return None
    try:
        return durations(env.home.cache, schedule)
    except Exception:  # noqa: BLE001 - estimates are a fine fallback for a plan
        return None


