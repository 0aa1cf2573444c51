"""radiocli plan"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import click

from radiocli.cli import Env
from radiocli.cli.common import DATE, hanoi_today, load_schedule, selected_stations, \
    selection_options
from radiocli.cli.output import Column, decimal, print_rows
from radiocli.i18n import N_, _, day_text, ngettext, reason, word

PREEMPTED_BY = re.compile(r"preempted-by: (\S+?)@(\S+) at (\d\d:\d\d:\d\d)")


@click.command("plan")
@click.option("--date", "day", type=DATE, metavar=N_("DATE"),
              help=N_("First day to plan: YYYY-MM-DD, DD/MM/YYYY, today or tomorrow "
                     "[default: today]."))
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True,
              help=N_("How many days."))
@selection_options
@click.option("--json", "as_json", is_flag=True, help=N_("Print a JSON list of occurrences."))
@click.option("--csv", "as_csv", is_flag=True, help=N_("Print CSV."))
@click.option("--skipped/--no-skipped", default=True, show_default=True,
              help=N_("Show occurrences that will not air (conflicts, blackouts)."))
@click.pass_obj
def command(env: Env, day: date | None, days: int, stations: tuple[str, ...],
            districts: tuple[str, ...], all_stations: bool, as_json: bool, as_csv: bool,
            skipped: bool) -> None:
    """Show what will air, station by station, with conflicts resolved by priority.

    Occurrences come from the same APScheduler triggers the playout daemon uses; end
    times use rendered audio lengths when `radiocli render` has run, estimates otherwise.
    A program preempted by an emergency shows as its pieces: aired, preempted by what,
    resumed.

    Example: radiocli plan --date 2021-08-02 --station 00001
    """
    from radiocli.plan import day_window, plan

    schedule = load_schedule(env)
    day = day or hanoi_today()
    chosen = selected_stations(schedule, stations, districts, day)
    start, end = day_window(day, days)
    occurrences = plan(schedule, start, end, chosen, rendered_durations(env, schedule))
    if not skipped:
        occurrences = [o for o in occurrences if o.status != "skipped"]
    if as_json:
        data = []
        for occ in occurrences:
            row = occ.as_dict()
            row["start"] = row["start"] or row["scheduled"]
            row["end"] = row["end"] or row["start"]
            data.append(row)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    rows = [row for occ in occurrences for row in table_rows(occ, schedule, env.lang)]
    rows.sort(key=lambda r: (r["at"], r["station"]))
    one_station = len({o.station for o in occurrences}) == 1
    columns = [
        # dropped in this order when the terminal is too narrow: the program id (the
        # title says it), the date and the station when the title line says them, the
        # priority (the title of an emergency says it too), the minutes
        Column("station", _("station"), drop=4 if one_station else 0),
        Column("date", _("date"), drop=5 if days == 1 else 0),
        Column("start", _("start")),
        Column("end", _("end")),
        Column("minutes", _("min"), justify="right", drop=2),
        Column("priority", _("priority"), drop=3),
        Column("program", _("program"), drop=6),
        Column("title", _("title"), wrap=True),
        Column("status", _("status")),
        Column("note", _("note"), wrap=True),
    ]
    title = ngettext("{n} occurrence from {start} for {days} day(s)",
                     "{n} occurrences from {start} for {days} day(s)", len(occurrences)).format(
        n=len(occurrences), start=day_text(day), days=days)
    if one_station:
        code = occurrences[0].station
        station = schedule.registry.as_of(day).get(code) or schedule.registry.ever().get(code)
        title += f": {code} {station.name if station else ''}".rstrip()
    print_rows(rows, columns, "csv" if as_csv else None, title=title)
    if not occurrences:
        click.echo(_("nothing is scheduled in this window for these stations"), err=True)


def table_rows(occ: Any, schedule: Any, lang: str) -> list[dict[str, str]]:
    """An occurrence as table rows: one, or one per piece when an emergency preempted it
    (aired, preempted by ..., resumed), as --json shows in ``pieces``."""
    program = schedule.programs.get(occ.program)
    base = {"station": occ.station, "program": occ.program,
            "priority": word("priority", occ.priority.label),
            "title": program.title if program else occ.program}

    def row(start: Any, end: Any, status: str, note: str) -> dict[str, str]:
        seconds = (end - start).total_seconds() if end is not None else occ.duration_s
        return dict(base, at=start.isoformat(), date=day_text(start.date()),
                    start=f"{start:%H:%M:%S}",
                    end=f"{end:%H:%M:%S}" if end is not None else "",
                    minutes=decimal(seconds / 60, lang), status=status, note=note)

    by = PREEMPTED_BY.findall(occ.reason)
    if occ.status == "skipped" or not occ.pieces or not by:
        start = occ.start or occ.scheduled
        end = occ.end if occ.status != "skipped" else None
        status = word("status", "missed" if occ.status == "skipped" else occ.status)
        return [row(start, end, status, reason(occ.reason))]
    out = []
    for i, (start, end) in enumerate(occ.pieces):
        last = i == len(occ.pieces) - 1
        notes = []
        if i < len(by):  # this piece ended because an emergency went on air
            other = by[i][0]
            title = schedule.programs[other].title if other in schedule.programs else other
            notes.append(_("preempted by {title}").format(title=title))
        if last:
            notes.append(reason(_other_reasons(occ.reason)))
        status = word("status", "aired" if i == 0 else "resumed")
        if last and occ.status == "cut":
            status = word("status", "cut")
        out.append(row(start, end, status, "; ".join(n for n in notes if n)))
    return out


def _other_reasons(reason: str) -> str:
    """The reason without the preempted-by parts the piece rows already say."""
    return "; ".join(p for p in reason.split("; ") if not p.startswith("preempted-by: "))


def rendered_durations(env: Env, schedule: Any) -> dict[str, float] | None:
    """Exact program lengths from the render cache, when speech has been rendered."""
    try:
        from radiocli.render.programs import rendered_durations as durations
    except ImportError:
        return None
    try:
        return durations(env.home.cache, schedule)
    except Exception:  # noqa: BLE001 - estimates are a fine fallback for a plan
        return None
