"""``radiocli run``: the playout daemon."""

from __future__ import annotations

import logging
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from radiocli.cli import Env
from radiocli.cli.common import selection_options, selected_stations
from radiocli.i18n import N_, _


def parse_icecast(text: str | None) -> Any:
    """icecast://source:PASSWORD@HOST:PORT/PREFIX -> Icecast."""
    from urllib.parse import urlsplit

    from radiocli.play.outputs import Icecast

    if not text:
        return None
    url = urlsplit(text)
    if url.scheme not in ("icecast", "http") or not url.hostname:
        raise click.BadParameter(_("expected icecast://source:PASSWORD@HOST:PORT/PREFIX"))
    return Icecast(host=url.hostname, port=url.port or 8000, password=url.password or "hackme",
                   user=url.username or "source", mount_prefix=url.path or "/")


def parse_when(text: str | None, now: datetime) -> datetime | None:
    from radiocli import TZ
    from radiocli.schedule.values import parse_datetime, parse_time

    if not text:
        return None
    try:
        if " " in text.strip() or "T" in text:
            return parse_datetime(text, TZ)
        at = datetime.combine(now.date(), parse_time(text), TZ)
        return at if at > now else at + timedelta(days=1)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command(
    "run",
    epilog=N_("Example: radiocli run --district 001 --sink file --for 2h"),
)
@selection_options
@click.option("--sink", type=click.Choice(["null", "file", "device", "stream"]),
              help=N_("null: pace in real time, no output; file: aircheck WAV per session "
                      "under <home>/aircheck; device: ALSA through ffmpeg; stream: Icecast, "
                      "one mount per station [default: config run.sink, else null]"))
@click.option("--until", "until", metavar=N_("TIME"),
              help=N_("Stop at this time (HH:MM or date time)."))
@click.option("--for", "for_", metavar=N_("DURATION"),
              help=N_("Stop after this long (90s, 10m, 2h)."))
@click.option("--on-stop", type=click.Choice(["cut", "finish"]),
              help=N_("On SIGTERM: cut the program on air, or let it finish [default: cut]."))
@click.option("--name", default="main", show_default=True, metavar=N_("NAME"),
              help=N_("Daemon name (several daemons may share a home)."))
@click.option("--device", metavar=N_("DEVICE"),
              help=N_("ALSA device for --sink device [default: default]."))
@click.option("--icecast", metavar=N_("URL"),
              help=N_("icecast://source:PASSWORD@HOST:PORT/PREFIX for --sink stream."))
@click.option("--relay-fallback", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("A local recording to air when a relay fails [default: skip the "
                      "relay]."))
@click.option("--trust", "trusted", type=click.Path(file_okay=False, path_type=Path),
              help=N_("Folder of trusted .pub keys: air only schedules that verify against "
                      "<schedules>/approved.json (from a private copy under <home>/approved) "
                      "and only signed alerts [default: config run.trust, else off]."))
@click.option("--no-render", is_flag=True,
              help=N_("Never render on demand (estimate lengths)."))
@click.option("--allow-past-clock", is_flag=True,
              help=N_("Start even when the clock looks wrong (tests only)."))
@click.option("--clock", "clock_at", metavar=N_("DATETIME"),
              help=N_("Start the daemon's clock at this local time: a rehearsal (implies "
                      "--rehearsal)."))
@click.option("--rehearsal", is_flag=True,
              help=N_("Rehearse: as-run lines and aircheck recordings go under "
                      "<home>/rehearsal, never into the as-run log (the proof of "
                      "broadcast)."))
@click.pass_obj
def command(env: Env, stations: tuple[str, ...], districts: tuple[str, ...],
            all_stations: bool, sink: str | None, until: str | None, for_: str | None,
            on_stop: str | None, name: str, device: str | None, icecast: str | None,
            relay_fallback: Path | None, trusted: Path | None, no_render: bool,
            allow_past_clock: bool, clock_at: str | None, rehearsal: bool) -> None:
    """Run the playout daemon: air programs on time and write the as-run logs.

    Jobs are built from the schedules at start (one per program). SIGHUP or
    `radiocli reload` re-reads them; SIGTERM stops (cut or finish the program on air).
    At midnight the daemon serves the units in force that day (--all, --district).
    A station is served by one daemon on a machine: a second one is refused.
    With --trust, the schedules and their audio must verify against their approved
    bundle at start and at every reload; what is refused does not air.

    A rehearsal (--clock, --rehearsal) airs the same way but writes its as-run lines to
    <home>/rehearsal/logs and its recordings to <home>/rehearsal/aircheck, starting
    empty for its stations; `logs collect` and `report` never count it (see it with
    `logs tail --rehearsal`).
    """
    from radiocli import TZ
    from radiocli.home import Home
    from radiocli.play.clock import OffsetClock, SystemClock
    from radiocli.play.daemon import Config, Daemon
    from radiocli.schedule.load import read
    from radiocli.schedule.values import parse_datetime, parse_duration

    settings = (env.config().get("run") or {})
    clock: Any = SystemClock()
    if clock_at:
        try:
            clock = OffsetClock(parse_datetime(clock_at, TZ))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--clock") from None
    now = clock.now()
    end = parse_when(until, now)
    if for_:
        try:
            end = now + timedelta(seconds=parse_duration(for_))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--for") from None
    schedule, _problems = read(env.schedules)
    if stations or districts:  # usage errors (unknown codes, a district gone that day)
        selected_stations(schedule, stations, districts, now.date())
    home: Home = env.home
    config = Config(
        home=home, schedules=env.schedules, stations=list(stations) or None,
        districts=tuple(districts), rehearsal=rehearsal or bool(clock_at),
        sink=sink or settings.get("sink") or "null", name=name,
        on_stop=on_stop or settings.get("on_stop") or "cut",
        device=device or settings.get("device") or "default",
        icecast=parse_icecast(icecast or settings.get("icecast")),
        until=end, render=not no_render,
        relay_fallback=relay_fallback or (Path(str(settings["relay_fallback"]))
                                          if settings.get("relay_fallback") else None),
        allow_bad_clock=allow_past_clock or bool(clock_at),
        trust=trusted or (Path(str(settings["trust"])).expanduser()
                          if settings.get("trust") else None),
    )
    daemon = Daemon(config, clock=clock)
    more_files()
    handlers = setup_logging(daemon.rundir, None if clock.live else clock)
    try:
        serve(daemon, clock)
    finally:
        for handler in handlers:
            handler.close()
            logging.getLogger("radiocli.play").removeHandler(handler)
            logging.getLogger("apscheduler").removeHandler(handler)


def serve(daemon: Any, clock: Any) -> None:
    daemon.start()

    def on_term(signum: int, _frame: Any) -> None:
        logging.getLogger("radiocli.play").info(_("signal {n}: stopping").format(n=signum))
        daemon.request_stop()

    def on_hup(_signum: int, _frame: Any) -> None:
        from radiocli.play import control

        control.submit(daemon.rundir, control.Request.RELOAD, {"by": "SIGHUP"}, clock.now())

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    started = _("radiocli: rehearsal ({n} stations, sink {sink}, pid file {pid})") \
        if daemon.config.rehearsal else \
        _("radiocli: on air ({n} stations, sink {sink}, pid file {pid})")
    click.echo(started.format(n=len(daemon.stations), sink=daemon.sink.kind,
                              pid=daemon.rundir.pid_file), err=True)
    if daemon.config.rehearsal:
        click.echo(_("radiocli: rehearsal: as-run lines go to {logs}, not to the as-run "
                     "log (see them: radiocli logs tail --rehearsal)").format(
                         logs=daemon.logs_root), err=True)
    try:
        while not daemon.stop_requested.wait(0.5):
            pass
    finally:
        daemon.stop()
    click.echo(_("stopped"), err=True)


def more_files() -> None:
    """A daemon for 579 stations holds a lock, a log file and, streaming, a socket for
    each: raise the soft limit of open files to the hard one (systemd's default soft
    limit is 1024)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < min(wanted, 65536):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 65536), hard))


class DaemonClock(logging.Filter):
    """Puts the daemon's clock beside the machine's in every line of a rehearsal."""

    def __init__(self, clock: Any) -> None:
        super().__init__()
        self.clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        record.daemon_clock = (_("[rehearsal clock {clock}] ").format(
            clock=f"{self.clock.now():%Y-%m-%d %H:%M:%S}") if self.clock is not None else "")
        return True


def setup_logging(rundir: Any, clock: Any = None) -> list[logging.Handler]:
    """The daemon log (``daemon.log``, 0640, and stderr): radiocli's messages, and
    APScheduler's warnings (a job that ran late) with them. The time of each line is
    the machine's; a rehearsal puts its own clock beside it.

    The messages are in the daemon's language (``--lang``, ``LANG``: Vietnamese under
    vi_VN, English under the service's C.UTF-8); the time stamp, the level (INFO,
    WARNING, ERROR) and the ``first audio`` line benchmarks read stay as they are."""
    from radiocli.play import control
    from radiocli.play.jobs import SchedulerWords

    control.make_folder(rundir.folder)
    control.private_file(rundir.log_file)
    logger = logging.getLogger("radiocli.play")
    logger.setLevel(logging.INFO)
    scheduler = logging.getLogger("apscheduler")
    scheduler.setLevel(logging.WARNING)
    scheduler.propagate = False
    fmt = logging.Formatter("%(asctime)s %(daemon_clock)s%(levelname)s %(message)s")
    handlers: list[logging.Handler] = [logging.FileHandler(rundir.log_file, encoding="utf-8"),
                                       logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(SchedulerWords())
        handler.addFilter(DaemonClock(clock))
        logger.addHandler(handler)
        scheduler.addHandler(handler)
    return handlers
