"""radiocli render"""

from __future__ import annotations

import os
from datetime import date

import click

from radiocli.cli import Env
from radiocli.cli.common import DATE, load_schedule, selected_stations, selection_options
from radiocli.i18n import N_, _, ngettext


@click.command("render")
@click.option("--date", "day", type=DATE, default="today", metavar=N_("DATE"),
              help=N_("First day to render for: YYYY-MM-DD, DD/MM/YYYY, today or tomorrow "
                     "[default: today]."))
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True,
              help=N_("How many days."))
@selection_options
@click.option("--jobs", "-j", type=click.IntRange(1, 64),
              help=N_("Programs rendered at once [default: the number of cores]."))
@click.option("--format", "audio_format", type=click.Choice(["wav", "mp3"]),
              help=N_("Program audio format [default: wav, mono 22.05 kHz]."))
@click.option("--loudness", type=click.FloatRange(-40, -5),
              help=N_("Target loudness in LUFS [default: -16]."))
@click.option("--true-peak", type=click.FloatRange(-9, 0),
              help=N_("True-peak ceiling in dBTP [default: -1]."))
@click.pass_obj
def command(env: Env, day: date | None, days: int, stations: tuple[str, ...],
            districts: tuple[str, ...], all_stations: bool, jobs: int | None,
            audio_format: str | None, loudness: float | None,
            true_peak: float | None) -> None:
    """Render the audio the plan needs: every distinct program in the window.

    Program audio is the same for every station, so a program aired by 579 stations is
    rendered once; speech is cached by content, so a second run over unchanged input
    renders nothing. Relays are live and are not rendered.

    Example: radiocli render --date 2021-08-02 --all
    """
    from radiocli.cli.output import Progress
    from radiocli.errors import RenderError
    from radiocli.plan import day_window, plan
    from radiocli.render.assemble import AudioSettings
    from radiocli.render.programs import RenderSettings, render_programs

    schedule = load_schedule(env)
    day = day or date.today()
    chosen = selected_stations(schedule, stations, districts, day)
    start, end = day_window(day, days)
    wanted = {occ.program for occ in plan(schedule, start, end, chosen)}
    settings = RenderSettings.from_schedule(schedule)
    if audio_format or loudness is not None or true_peak is not None:
        audio = settings.audio
        settings = RenderSettings(
            settings.engine, settings.voice, settings.rate,
            AudioSettings(audio.sample_rate,
                          loudness if loudness is not None else audio.loudness,
                          true_peak if true_peak is not None else audio.true_peak,
                          audio.crossfade, audio_format or audio.format, audio.bitrate),
            settings.piper_model)
    progress: list[Progress] = []

    def started(count: int) -> None:
        if count:
            progress.append(Progress(count, _("rendering")).__enter__())

    def done(_result: object) -> None:
        progress[0].advance()

    try:
        results = render_programs(env.home.cache, schedule, wanted, settings,
                                  jobs=jobs or os.cpu_count() or 1, on_start=started,
                                  on_done=done)
    finally:
        for bar in progress:
            bar.__exit__(None, None, None)
    for result in sorted(results, key=lambda r: r.program):
        for warning in result.warnings:
            click.echo("radiocli: " + _("warning: {warning}").format(warning=warning), err=True)
    failed = [r for r in results if r.error]
    rendered = sum(1 for r in results if r.rendered)
    cached = sum(1 for r in results if not r.rendered and not r.error)
    summary = ngettext("{n} program, {rendered} rendered, {cached} from cache",
                       "{n} programs, {rendered} rendered, {cached} from cache",
                       len(results)).format(n=len(results), rendered=rendered, cached=cached)
    if failed:
        summary += ", " + _("{n} failed").format(n=len(failed))
    click.echo(summary)
    if failed:
        raise RenderError("\n".join(r.error or "" for r in sorted(failed,
                                                                   key=lambda r: r.program)))
