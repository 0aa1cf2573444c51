"""radiocli simulate"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click

from radiocli.cli import Env
from radiocli.cli.common import (
    DATE, hanoi_today, load_schedule, selected_stations, selection_options,
)
from radiocli.cli.output import Progress
from radiocli.i18n import N_, _, day_text, decimal_text, number_text


SEPARATORS = ("--", "~", "_", "/")  # between FROM and TO; "/" last: dates may hold it
DATE_AND_TIME = re.compile(r"(.+?)(?:\s+|(?<=\d)T)(\S+)")  # 2021-08-10T06:00, 10/08/2021 6h


def parse_offline(values: tuple[str, ...], today: date
                  ) -> tuple[tuple[str, datetime, datetime], ...]:
    """STATION:FROM--TO, FROM and TO each a date (YYYY-MM-DD, DD/MM/YYYY, today, ...: the
    whole day) or a date and a time (2021-08-10T06:00, "10/08/2021 06:00"); or
    STATION:DATE for one whole day."""
    out = []
    for value in values:
        station, colon, span = value.partition(":")
        station, span = station.strip(), span.strip()
        if not colon or not station or not span:
            raise click.BadParameter(
                _('"{value}": use STATION:FROM--TO, e.g. 00001:2021-08-10T06:00--2021-08-12T12:00 '
                  "or 00001:10/08/2021--11/08/2021").format(value=value),
                param_hint="--offline")
        start, end = _span(value, span, today)
        if end <= start:
            raise click.BadParameter(_('"{value}": the end is not after the start').format(
                value=value), param_hint="--offline")
        out.append((station, start, end))
    return tuple(out)


def _span(value: str, text: str, today: date) -> tuple[datetime, datetime]:
    """FROM--TO (or a single date): the first split whose two sides both read."""
    from radiocli.schedule.values import NoSuchDay

    problem = None
    for sep in SEPARATORS:
        at = text.find(sep)
        while at > 0:
            try:
                return (_moment(text[:at], today, end=False),
                        _moment(text[at + len(sep):], today, end=True))
            except ValueError as exc:
                if isinstance(exc, NoSuchDay) and problem is None:
                    problem = str(exc)
            at = text.find(sep, at + 1)
    try:
        return _moment(text, today, end=False, day_only=True), _moment(text, today, end=True)
    except ValueError as exc:
        problem = problem or str(exc)
    raise click.BadParameter(
        _('"{value}": {problem}; use STATION:FROM--TO with dates (YYYY-MM-DD, DD/MM/YYYY) or '
          "dates and times (2021-08-10T06:00, \"10/08/2021 06:00\")").format(
            value=value, problem=problem), param_hint="--offline")


def _moment(text: str, today: date, end: bool, day_only: bool = False) -> datetime:
    """A date (its midnight; with ``end``, the next midnight: the day included) or a date
    and a time, in Hanoi."""
    from radiocli import TZ
    from radiocli.schedule.values import NoSuchDay, parse_day, parse_time

    text = text.strip()
    try:
        moment = datetime.combine(parse_day(text, today), time(0), TZ)
        return moment + timedelta(days=1) if end else moment
    except ValueError as exc:
        parts = DATE_AND_TIME.fullmatch(text)
        if isinstance(exc, NoSuchDay) or parts is None:
            raise
    if day_only:
        raise ValueError(_("a single day takes no time of day: give FROM--TO"))
    return datetime.combine(parse_day(parts[1], today), parse_time(parts[2]), TZ)


@click.command("simulate")
@click.option("--from", "first", required=True, type=DATE, metavar=N_("DATE"),
              help=N_("First day: YYYY-MM-DD, DD/MM/YYYY, today or tomorrow."))
@click.option("--to", "last", required=True, type=DATE, metavar=N_("DATE"),
              help=N_("Last day (included)."))
@selection_options
@click.option("--offline", multiple=True, metavar=N_("STATION:FROM--TO"),
              help=N_("A station off the air from one moment to another: it writes nothing, "
                     "what is on air stops, nothing missed airs later; dates as --from takes "
                     "them (whole days) or with a time, e.g. "
                     "00001:2021-08-10T06:00--2021-08-12T12:00, 00001:10/08/2021--11/08/2021 "
                     "or 00001:10/08/2021."))
@click.option("--fail", "failing", multiple=True, metavar=N_("PROGRAM[:FRACTION]"),
              help=N_("Occurrences of this program fail (all, or the given fraction)."))
@click.option("--late", type=click.FloatRange(0, 1), default=0.0, metavar=N_("FRACTION"),
              help=N_("Fraction of starts that are late (by up to 90 s)."))
@click.option("--seed", type=int, default=2021, show_default=True, metavar=N_("NUMBER"),
              help=N_("Random seed for the injected faults."))
@click.option("--logs", "logs_dir", type=click.Path(file_okay=False, path_type=Path),
              help=N_("Where to write the logs [default: <home>/logs]."))
@click.option("--workers", type=click.IntRange(1, 64), default=None, metavar=N_("PROCESSES"),
              help=N_("Processes [default: the number of cores]."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the totals as JSON."))
@click.pass_obj
def command(env: Env, first: date, last: date, stations: tuple[str, ...],
            districts: tuple[str, ...], all_stations: bool, offline: tuple[str, ...],
            failing: tuple[str, ...], late: float, seed: int, logs_dir: Path | None,
            workers: int | None, as_json: bool) -> None:
    """Run the schedules on a virtual clock over days or months and write the as-run
    logs the stations would write, through the same planner, priority rules and log
    writer as `radiocli run`. Each day runs the units in force that day (across
    2025-07-01: the 526 units until 30/06, the 126 from 01/07).

    Example: radiocli simulate --from 2021-07-24 --to 2021-09-20 --all

    Example: radiocli simulate --from 2021-08-01 --to 2021-08-31 --district 017
    --offline 00478:10/08/2021--12/08/2021 --fail chuong-trinh-017:0.1 --late 0.05
    """
    from radiocli.play.simulate import Faults, simulate, station_days
    from radiocli.report.numbers import fmt_num

    if last < first:
        raise click.UsageError(_("--to is before --from: the date range is backwards"))
    if (last - first).days > 3660:
        raise click.UsageError(_("at most ten years at a time"))
    schedule = load_schedule(env)
    selected_stations(schedule, stations, districts, first)  # unknown codes: usage errors
    roster = station_days(schedule.registry, first, last, stations, districts)
    for code in stations:
        if code not in roster:
            raise click.UsageError(_("station {code} is not in force on any day from {first} "
                                     "to {last} (see radiocli stations history {code})").format(
                code=code, first=day_text(first), last=day_text(last)))
    fail_rules = []
    for item in failing:
        program, _sep, fraction = item.partition(":")
        if program not in schedule.programs:
            raise click.BadParameter(_("unknown program {program}").format(program=program),
                                     param_hint="--fail")
        try:
            share = float(fraction) if fraction else 1.0
        except ValueError:
            raise click.BadParameter(f'"{item}"', param_hint="--fail") from None
        fail_rules.append((program, share))
    faults = Faults(parse_offline(offline, hanoi_today()), tuple(fail_rules), late, 90.0, seed)
    for code, _start, _end in faults.offline:
        if code not in roster:
            raise click.BadParameter(_("station {code} is not simulated (choose it with "
                                       "--station or --district)").format(code=code),
                                     param_hint="--offline")
    logs = logs_dir or env.home.logs
    existing = [(code, a) for code, spans in roster.items() for a, _b in spans
                if (logs / code / f"{a}.jsonl").exists()]
    if existing:
        raise click.UsageError(
            _("logs for {n} station(s) already exist for {day} in {logs}; simulate into an "
              "empty folder with --logs DIR (or another --home)").format(
                n=len({code for code, _a in existing}), day=day_text(existing[0][1]),
                logs=logs))
    logs.mkdir(parents=True, exist_ok=True)
    from radiocli.cli.plan import rendered_durations

    durations = rendered_durations(env, schedule)
    with Progress(len(roster), _("simulating")) as bar:
        totals = simulate(schedule, roster, first, last, logs, faults, durations,
                          workers or os.cpu_count() or 1, bar.advance)
    data = totals.as_dict()
    data["logs"] = str(logs)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    per_day = totals.station_days or 1
    click.echo(_("{stations} stations, {days} days: {sessions} sessions, {minutes} minutes on "
                 "air ({spd} sessions and {mpd} minutes per station per day); "
                 "{missed} missed, {failed} failed, {preempted} preempted, {offline} not aired "
                 "and {interrupted} cut off (station offline). Logs: {logs}").format(
        spd=decimal_text(f"{totals.sessions / per_day:.1f}"),
        mpd=f"{totals.seconds / 60 / per_day:.0f}",
        **{k: number_text(v) if type(v) is int else v for k, v in data.items()
           if k != "minutes"},
        minutes=fmt_num(round(totals.seconds / 60, 1), env.lang)))  # as reports show it
