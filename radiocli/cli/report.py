"""`radiocli report`: summary, station and compliance reports over collected logs."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from radiocli.cli.common import DATE
from radiocli.cli.output import print_rows
from radiocli.i18n import N_, _


def report_options(func: Any) -> Any:
    file = click.Path(dir_okay=False, path_type=Path)
    options = [
        click.option("--from", "start", required=True, type=DATE, metavar=N_("DATE"),
                     help=N_("First day: YYYY-MM-DD, DD/MM/YYYY, today or tomorrow.")),
        click.option("--to", "end", required=True, type=DATE, metavar=N_("DATE"),
                     help=N_("Last day, included.")),
        click.option("--store", type=click.Path(file_okay=False, path_type=Path),
                     help=N_("A `logs collect` store [default: collect the home's logs into "
                            "<home>/store first]")),
        click.option("--json", "as_json", is_flag=True, help=N_("Print JSON.")),
        click.option("--csv", "csv_file", is_flag=False, flag_value="-", default=None,
                     metavar=N_("[FILE]"),
                     help=N_("Print CSV, or write it to FILE (with a UTF-8 byte-order mark, "
                            "for Excel).")),
        click.option("--xlsx", type=file, help=N_("Write an Excel workbook (the annex).")),
        click.option("--html", "html_file", type=file,
                     help=N_("Write one self-contained HTML page with a map and charts.")),
        click.option("--docx", type=file,
                     help=N_("Write the report as a Word document to sign (A4, Decree "
                            "30/2020/NĐ-CP layout; issuer and signer from `report:` in the "
                            "home's config.yaml).")),
        click.option("--number", help=N_("The document's number for --docx (Số: ...).")),
        click.option("--as-of", "on", type=DATE, metavar=N_("DATE"),
                     help=N_("Count the history under the units in force on DATE: a merged "
                             "unit's under the unit it merged into, a divided unit's under "
                             "its main successor [default: each session under the unit that "
                             "aired it, as it was that day].")),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _lang(ctx: click.Context) -> str:
    """Reports are in Vietnamese unless --lang en was given."""
    from click.core import ParameterSource

    root = ctx.find_root()
    given = root.get_parameter_source("lang") == ParameterSource.COMMANDLINE
    return "en" if given and root.params.get("lang") == "en" else "vi"


def _engine(env: Any, store: Path | None, registry: Any = None) -> Any:
    from radiocli.aslog.collect import collect
    from radiocli.cli.common import hanoi_today
    from radiocli.cli.logs import registry_for
    from radiocli.report.connection import open_engine

    if registry is None:  # only the registry is needed: kept in <home>/cache/registry
        from radiocli.schedule.registry_cache import cached_registry

        registry = cached_registry(env.schedules, env.home.cache / "registry",
                                   lambda: registry_for(env))
    if store is None:
        store = env.home.root / "store"
        if env.home.logs.exists():
            result = collect([env.home.logs], store, registry, today=hanoi_today(), quick=True,
                             on_wait=lambda message: click.echo(message, err=True))
            if result.added or result.replaced:
                click.echo(_("collected {n} new log file(s) into {store}").format(
                    n=result.added + result.replaced, store=store), err=True)
    elif not store.exists():
        from radiocli.errors import RadioError

        raise RadioError(_("{store}: no such store (make one with: radiocli logs collect ... "
                           "--into {store})").format(store=store))
    return open_engine(store, registry)


def _plan_inputs(env: Any, schedule: Any) -> dict[str, Any]:
    """What compliance plans with: the rendered program lengths the playout used, and
    where plans are cached."""
    from radiocli.cli.plan import rendered_durations

    return {"durations": rendered_durations(env, schedule),
            "plan_cache": env.home.cache / "plans"}


def _emit(ctx: click.Context, report: Any, outputs: dict[str, Any]) -> None:
    from radiocli.report.files import write_text

    env = ctx.obj
    for note in report.notes:
        click.echo(_("note: {note}").format(note=note), err=True)
    written = []
    if outputs["xlsx"]:
        from radiocli.report.spreadsheet import to_xlsx

        to_xlsx(report, outputs["xlsx"])
        written.append(outputs["xlsx"])
    if outputs["html_file"]:
        from radiocli.report.page import to_html

        write_text(outputs["html_file"], to_html(report))
        written.append(outputs["html_file"])
    if outputs["docx"]:
        from radiocli.cli.common import hanoi_today
        from radiocli.report.document import to_docx
        from radiocli.report.settings import OfficeSettings

        settings = OfficeSettings.from_config(env.config(), str(env.home.config_file))
        settings = settings.with_number(outputs["number"])
        if not settings.configured:
            click.echo(_("note: the document's issuing body and signer are not set; add "
                         "`report:` to {file} (see docs/reports.md)").format(
                file=env.home.config_file), err=True)
        annex = outputs["xlsx"].name if outputs["xlsx"] else ""
        to_docx(report, outputs["docx"], settings, hanoi_today(), annex=annex)
        written.append(outputs["docx"])
    csv_file = outputs["csv_file"]
    if csv_file and csv_file != "-":
        from radiocli.report.spreadsheet import to_csv

        write_text(Path(csv_file), to_csv(report, bom=True))
        written.append(csv_file)
    for path in written:
        click.echo(_("wrote {path}").format(path=path), err=True)
    if outputs["as_json"]:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=_json))
        return
    if csv_file == "-":
        from radiocli.report.spreadsheet import to_csv

        click.echo(to_csv(report), nl=False)
        return
    click.echo(report.headline)
    if written:
        return
    from radiocli.report.numbers import shown

    rows = report.rows
    if report.kind == "compliance":  # the table shows what needs attention
        rows = [row for row in rows if row.get("code") != "aired"]
    kinds = {c.key: c.kind for c in report.main.columns}
    table = [{k: shown(kinds.get(k, "text"), v, report.lang) for k, v in row.items()}
             for row in rows]
    print_rows(table, report.columns, None, title=report.title)


def _json(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@click.group(name="report")
def command() -> None:
    """District reports: summary, station, compliance.

    \b
    Example: radiocli report summary --from 01/08/2021 --to 31/08/2021 --district 017
               --docx bao-cao.docx --xlsx phu-luc.xlsx --html bao-cao.html
    """


@command.command(name="summary")
@report_options
@click.option("--district", help=N_("Only this district (code): one row per commune."))
@click.option("--station", help=N_("Only this station (code)."))
@click.pass_context
def report_summary(ctx: click.Context, start: date, end: date, store: Path | None,
                   district: str | None, station: str | None, on: date | None,
                   **outputs: Any) -> None:
    """Sessions and minutes aired, for the city, per district and per commune, with
    daily averages.

    \b
    Example: radiocli report summary --from 01/08/2021 --to 31/08/2021 --district 017
               --docx bao-cao.docx --xlsx phu-luc.xlsx --html bao-cao.html
    """
    from radiocli.report.model import check_period
    from radiocli.report.summary import summary

    check_period(start, end)
    engine = _engine(ctx.obj, store)
    _emit(ctx, summary(engine, start, end, _lang(ctx), district, station, on), outputs)


@command.command(name="station")
@report_options
@click.option("--station", required=True, help=N_("The station (code)."))
@click.pass_context
def report_station(ctx: click.Context, start: date, end: date, store: Path | None,
                   station: str, on: date | None, **outputs: Any) -> None:
    """One station day by day: planned, aired, not aired, minutes, and whether the day's
    log is complete.

    Example: radiocli report station --station 00478 --from 01/08/2021 --to 31/08/2021
    """
    from radiocli.cli.common import load_schedule
    from radiocli.report.model import check_period
    from radiocli.report.station import station_report

    check_period(start, end)
    schedule = load_schedule(ctx.obj)
    engine = _engine(ctx.obj, store, schedule.registry)
    _emit(ctx, station_report(engine, station, start, end, _lang(ctx), schedule,
                              on=on, **_plan_inputs(ctx.obj, schedule)), outputs)


@command.command(name="compliance")
@report_options
@click.option("--district", help=N_("Only this district (code)."))
@click.option("--station", help=N_("Only this station (code)."))
@click.pass_context
def report_compliance(ctx: click.Context, start: date, end: date, store: Path | None,
                      district: str | None, station: str | None, on: date | None,
                      **outputs: Any) -> None:
    """Planned versus aired per occurrence (missed, preempted, partial, failed, station
    offline), problems first, and the policy checked on what aired.

    Example: radiocli report compliance --from 02/08/2021 --to 08/08/2021 --district 001
    """
    from radiocli.cli.common import load_schedule
    from radiocli.report.compliance import compliance
    from radiocli.report.model import check_period

    check_period(start, end)
    schedule = load_schedule(ctx.obj)
    engine = _engine(ctx.obj, store, schedule.registry)
    _emit(ctx, compliance(engine, schedule, start, end, _lang(ctx), district, station,
                          on=on, **_plan_inputs(ctx.obj, schedule)), outputs)
