"""radiocli simulate"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from pathlib import Path

import click

from radiocli.cli import Env
from radiocli.cli.common import (
    DATE, every_station, load_schedule, selected_stations, selection_options,
)
from radiocli.cli.output import Progress
from radiocli.i18n import _


def parse_offline(values: tuple[str, ...]) -> tuple[tuple[str, datetime, datetime], ...]:
    """STATION:FROM-TO with FROM/TO as YYYY-MM-DDTHH:MM (or dates for whole days)."""
    from radiocli.plan.triggers import TZ
    from radiocli.schedule.values import parse_date

    out = []
    for value in values:
        match = re.fullmatch(r"([^:]+):(\S+?)(?:--|/|~|_)(\S+)|([^:]+):(\S+)", value)
        station, a, b = (match.group(1), match.group(2), match.group(3)) if match and \
            match.group(1) else (None, None, None)
        if station is None:
            raise click.BadParameter(f'"{value}": use STATION:FROM--TO, e.g. '
                                     "00001:2021-08-10T06:00--2021-08-12T12:00")
        try:
            start = _moment(a, TZ, parse_date, end=False)
            end = _moment(b, TZ, parse_date, end=True)
        except ValueError as exc:
            raise click.BadParameter(f'"{value}": {exc}') from None
        if end <= start:
            raise click.BadParameter(f'"{value}": the end is not after the start')
        out.append((station, start, end))
    return tuple(out)


def _moment(text: str, tz: object, parse_date: object, end: bool) -> datetime:
    from datetime import time, timedelta

    if "T" in text:
        return datetime.fromisoformat(text).replace(tzinfo=tz)  # type: ignore[arg-type]
    day = parse_date(text)  # type: ignore[operator]
    moment = datetime.combine(day, time(0), tz)  # type: ignore[arg-type]
    return moment + timedelta(days=1) if end else moment


@click.command("simulate")
@click.option("--from", "first", required=True, type=DATE, metavar="DATE",
              help=_("First day: YYYY-MM-DD, DD/MM/YYYY, today or tomorrow."))
@click.option("--to", "last", required=True, type=DATE, metavar="DATE",
              help=_("Last day (included)."))
@selection_options
@click.option("--offline", multiple=True, metavar="STATION:FROM--TO",
              help=_("A station off the air (writes nothing), e.g. "
                     "00001:2021-08-10T06:00--2021-08-12T12:00 or 00001:2021-08-10--2021-08-11."))
@click.option("--fail", "failing", multiple=True, metavar="PROGRAM[:FRACTION]",
              help=_("Occurrences of this program fail (all, or the given fraction)."))
@click.option("--late", type=click.FloatRange(0, 1), default=0.0,
              help=_("Fraction of starts that are late (by up to 90 s)."))
@click.option("--seed", type=int, default=2021, show_default=True,
              help=_("Random seed for the injected faults."))
@click.option("--logs", "logs_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_("Where to write the logs [default: <home>/logs]."))
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help=_("Processes [default: the number of cores]."))
@click.option("--json", "as_json", is_flag=True, help=_("Print the totals as JSON."))
@click.pass_obj
def command(env: Env, first: date, last: date, stations: tuple[str, ...],
            districts: tuple[str, ...], all_stations: bool, offline: tuple[str, ...],
            failing: tuple[str, ...], late: float, seed: int, logs_dir: Path | None,
            workers: int | None, as_json: bool) -> None:
    """Run the schedules on a virtual clock over days or months and write the as-run
    logs the stations would write, through the same planner, priority rules and log
    writer as `radiocli run`.

    Example: radiocli simulate --from 2021-07-24 --to 2021-09-20 --all

    Example: radiocli simulate --from 2021-08-01 --to 2021-08-31 --district 017
    --offline 00478:2021-08-10--2021-08-12 --fail chuong-trinh-017:0.1 --late 0.05
    """
    from radiocli.play.simulate import Faults, simulate

    if last < first:
        raise click.UsageError(_("--to is before --from: the date range is backwards"))
    if (last - first).days > 3660:
        raise click.UsageError(_("at most ten years at a time"))
    schedule = load_schedule(env)
    chosen = selected_stations(schedule, stations, districts, first)
    if chosen is None:
        chosen = every_station(schedule, first)
    fail_rules = []
    for item in failing:
        program, _sep, fraction = item.partition(":")
        if program not in schedule.programs:
            raise click.BadParameter(_("unknown program") + f" {program}", param_hint="--fail")
        try:
            share = float(fraction) if fraction else 1.0
        except ValueError:
            raise click.BadParameter(f'"{item}"', param_hint="--fail") from None
        fail_rules.append((program, share))
    faults = Faults(parse_offline(offline), tuple(fail_rules), late, 90.0, seed)
    logs = logs_dir or env.home.logs
    existing = [code for code in chosen if (logs / code / f"{first}.jsonl").exists()]
    if existing:
        raise click.UsageError(
            _("logs for {n} station(s) already exist for {day} in {logs}; simulate into an "
              "empty folder with --logs DIR (or another --home)").format(
                n=len(existing), day=first, logs=logs))
    logs.mkdir(parents=True, exist_ok=True)
    from radiocli.cli.plan import rendered_durations

    durations = rendered_durations(env, schedule)
    with Progress(len(chosen), _("simulating")) as bar:
        totals = simulate(schedule, chosen, first, last, logs, faults, durations,
                          workers or os.cpu_count() or 1, bar.advance)
    data = totals.as_dict()
    data["logs"] = str(logs)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    per_day = totals.stations * totals.days or 1
    click.echo(_("{stations} stations, {days} days: {sessions} sessions, {minutes} minutes on "
                 "air ({spd:.1f} sessions and {mpd:.0f} minutes per station per day); "
                 "{missed} missed, {failed} failed, {preempted} preempted, {offline} not aired "
                 "(station offline). Logs: {logs}").format(
        spd=totals.sessions / per_day, mpd=totals.seconds / 60 / per_day, **data))
