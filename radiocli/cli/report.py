"""`radiocli report`: summary, station and compliance reports over collected logs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from radiocli.cli.output import print_rows
from radiocli.i18n import _


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("expected a date YYYY-MM-DD"), ctx, param) from None


def report_options(func: Any) -> Any:
    options = [
        click.option("--from", "start", required=True, callback=_day,
                     help=_("First day (YYYY-MM-DD).")),
        click.option("--to", "end", required=True, callback=_day,
                     help=_("Last day (YYYY-MM-DD), included.")),
        click.option("--store", type=click.Path(file_okay=False, path_type=Path),
                     help=_("A `logs collect` store [default: collect the home's logs into "
                            "<home>/store first]")),
        click.option("--csv", "fmt", flag_value="csv", help=_("Print CSV.")),
        click.option("--json", "fmt", flag_value="json", help=_("Print JSON.")),
        click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path),
                     help=_("Write an Excel workbook.")),
        click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
                     help=_("Write one self-contained HTML file with charts.")),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _lang(ctx: click.Context) -> str:
    """Reports are in Vietnamese unless --lang en was given."""
    root = ctx.find_root()
    return "en" if root.params.get("lang") == "en" else "vi"


def _engine(env: Any, store: Path | None) -> Any:
    from radiocli.aslog.collect import collect
    from radiocli.cli.logs import registry_for, today_in_hanoi
    from radiocli.report.engine import open_engine

    registry = registry_for(env)
    if store is None:
        store = env.home.root / "store"
        if env.home.logs.exists():
            result = collect([env.home.logs], store, registry, today=today_in_hanoi(),
                             on_wait=lambda message: click.echo(message, err=True))
            if result.added or result.replaced:
                click.echo(_("collected {n} new log file(s) into {store}").format(
                    n=result.added + result.replaced, store=store), err=True)
    elif not store.exists():
        from radiocli.errors import RadioError

        raise RadioError(f"{store}: no such store (make one with: radiocli logs collect ... "
                         f"--into {store})")
    return open_engine(store, registry)


def _emit(report: Any, fmt: str | None, xlsx: Path | None, html_file: Path | None) -> None:
    from radiocli.report.render import to_csv, to_html, to_xlsx

    for note in report.notes:
        click.echo(f"{_('note')}: {note}", err=True)
    if xlsx:
        to_xlsx(report, xlsx)
        click.echo(_("wrote {path}").format(path=xlsx), err=True)
    if html_file:
        html_file.write_text(to_html(report), encoding="utf-8")
        click.echo(_("wrote {path}").format(path=html_file), err=True)
    if (xlsx or html_file) and fmt is None:
        click.echo(report.headline)
        return
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "csv":
        click.echo(to_csv(report), nl=False)
        return
    from radiocli.report.numbers import fmt_num

    click.echo(report.headline)
    rows = report.rows
    if report.kind == "compliance":  # the table shows what needs attention
        rows = [row for row in rows if row.get("code") != "aired"]
    shown = [{k: fmt_num(v, report.lang) if isinstance(v, (int, float)) and k not in (
        "district", "station") else v for k, v in row.items()} for row in rows]
    print_rows(shown, report.columns, None, title=report.title)


@click.group(name="report")
def command() -> None:
    """District reports: summary, station, compliance.

    Example: radiocli report summary --from 2021-07-24 --to 2021-09-20 --xlsx tong-hop.xlsx
    """


@command.command(name="summary")
@report_options
@click.option("--district", help=_("Only this district (code)."))
@click.option("--station", help=_("Only this station (code)."))
@click.pass_context
def report_summary(ctx: click.Context, start: date, end: date, store: Path | None,
                   fmt: str | None, xlsx: Path | None, html_file: Path | None,
                   district: str | None, station: str | None) -> None:
    """Sessions and minutes aired, per district and for the city, with daily averages.

    Example: radiocli report summary --from 2021-07-24 --to 2021-09-20 --xlsx tong-hop.xlsx
    """
    from radiocli.report.engine import check_period, summary

    check_period(start, end)
    engine = _engine(ctx.obj, store)
    _emit(summary(engine, start, end, _lang(ctx), district, station), fmt, xlsx, html_file)


@command.command(name="station")
@report_options
@click.option("--station", required=True, help=_("The station (code)."))
@click.pass_context
def report_station(ctx: click.Context, start: date, end: date, store: Path | None,
                   fmt: str | None, xlsx: Path | None, html_file: Path | None,
                   station: str) -> None:
    """One station day by day: sessions, minutes, preempted, missed, failed.

    Example: radiocli report station --station 00001 --from 2021-08-01 --to 2021-08-31
    """
    from radiocli.report.engine import check_period, station_report

    check_period(start, end)
    engine = _engine(ctx.obj, store)
    _emit(station_report(engine, station, start, end, _lang(ctx)), fmt, xlsx, html_file)


@command.command(name="compliance")
@report_options
@click.option("--district", help=_("Only this district (code)."))
@click.option("--station", help=_("Only this station (code)."))
@click.pass_context
def report_compliance(ctx: click.Context, start: date, end: date, store: Path | None,
                      fmt: str | None, xlsx: Path | None, html_file: Path | None,
                      district: str | None, station: str | None) -> None:
    """Planned versus aired per occurrence (missed, preempted, partial, failed, station
    offline) and the policy checked on what aired.

    Example: radiocli report compliance --from 2021-08-02 --to 2021-08-08 --district 001
    """
    from radiocli.report.engine import check_period, compliance
    from radiocli.schedule import load

    check_period(start, end)
    schedule = load(ctx.obj.schedules)
    engine = _engine(ctx.obj, store)
    _emit(compliance(engine, schedule, start, end, _lang(ctx), district, station), fmt, xlsx,
          html_file)
