"""`radiocli logs`: verify, tail and collect as-run logs."""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

import click

from radiocli.cli.common import hanoi_today
from radiocli.cli.output import echo_lines
from radiocli.i18n import N_, _, day_text, moment_text, reason as shown_reason, word

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import Progress, TaskID

    from radiocli.cli import Env
    from radiocli.schedule.registry import Registry


def registry_for(env: Env) -> Registry:
    """The station registry of the schedules folder (schedule errors do not matter here)."""
    from radiocli.schedule.load import read

    schedule, _problems = read(env.schedules)
    if len(schedule.registry) == 0:
        from radiocli.errors import RadioError

        raise RadioError(
            _("{schedules}: no station registry found (pass --schedules DIR holding "
              "registry/units.yaml)").format(schedules=env.schedules)
        )
    return schedule.registry


@click.group(name="logs")
def command() -> None:
    """As-run logs: verify, tail, collect.

    Example: radiocli logs verify && radiocli logs collect station-logs/ --into store
    """


REHEARSAL_HELP = N_("The rehearsals' logs (<home>/rehearsal/logs), not the as-run log.")


@command.command(name="verify")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.option("--rehearsal", is_flag=True, help=REHEARSAL_HELP)
@click.pass_obj
def logs_verify(env: Env, paths: tuple[Path, ...], as_json: bool, rehearsal: bool) -> None:
    """Re-compute the chains: report edited, removed, inserted, reordered or truncated
    lines (exit 1 on any problem). PATHS: log files or folders [default: the home's logs].

    Example: radiocli logs verify ~/radiocli/logs/00001
    """
    from radiocli.aslog.verify import iter_log_files, verify_tree

    targets = list(paths) or [env.home.rehearsal / "logs" if rehearsal else env.home.logs]
    today = hanoi_today()
    problems = []
    files = 0
    for target in targets:
        files += sum(1 for _f in iter_log_files(target)) if target.exists() else 0
        problems.extend(verify_tree(target, today=today))
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        click.echo(json.dumps({"files": files, "errors": len(errors),
                               "problems": [p.as_dict() for p in problems]},
                              ensure_ascii=False, indent=2))
    else:
        echo_lines(str(p) for p in problems)
        click.echo(
            _("{files} file(s) checked, {errors} problem(s)").format(files=files,
                                                                  errors=len(errors)),
            err=True,
        )
    if errors:
        raise click.exceptions.Exit(1)


def _human(data: dict) -> str:
    """A line of the as-run log as people read it: its time (DD/MM/YYYY in Vietnamese),
    station, event (or minute and seconds), occurrence and reason, in their language."""
    station = data.get("station", "?")
    if "minute" in data:
        when = moment_text(str(data.get("minute", ""))[:16], seconds=False)
        what = _("minute {seconds}s").format(seconds=data.get("seconds", "?"))
    else:
        when = moment_text(str(data.get("at", ""))[:19])
        what = word("event", str(data.get("event", "?")))
    program = data.get("occurrence") or data.get("program") or ""
    reason = shown_reason(str(data.get("reason") or ""))
    text = f"{when}  {station}  {what:<12}  {program}"
    return f"{text}  ({reason})" if reason else text


@command.command(name="tail")
@click.option("--station", metavar=N_("CODE"), help=N_("Only this station (code)."))
@click.option("-n", "count", default=20, show_default=True, metavar=N_("LINES"),
              help=N_("How many lines."))
@click.option("--follow", "-f", is_flag=True, help=N_("Keep printing new lines."))
@click.option("--rehearsal", is_flag=True, help=REHEARSAL_HELP)
@click.pass_obj
def logs_tail(env: Env, station: str | None, count: int, follow: bool, rehearsal: bool
              ) -> None:
    """The last lines of the as-run logs, readable: time, station, event or minute,
    occurrence.

    Example: radiocli logs tail --station 00001 -n 5
    """
    from radiocli.aslog.format import valid_station
    from radiocli.aslog.reader import read_lines

    root = env.home.rehearsal / "logs" if rehearsal else env.home.logs
    if station is not None and not valid_station(station):
        raise click.BadParameter(_("not a station code"), param_hint="--station")
    folders = [root / station] if station else sorted(p for p in root.glob("*") if p.is_dir())
    latest: list[Path] = []
    for folder in folders:
        files = sorted(folder.glob("????-??-??.jsonl"))
        if files:
            latest.append(files[-1])
    last: deque[tuple[str, str]] = deque(maxlen=max(count, 0))
    rows = []
    for path in latest:
        for line in read_lines(path):
            data = line.data
            if data is None or line.torn:
                continue
            key = str(data.get("minute") or data.get("at") or "")
            rows.append((key, _human(data)))
    rows.sort(key=lambda r: r[0])
    last.extend(rows)
    echo_lines(text for _k, text in last)
    if not follow:
        return
    offsets = {p: p.stat().st_size for p in latest}
    try:
        while True:  # pragma: no cover - interactive
            time.sleep(1.0)
            for folder in folders:
                for path in sorted(folder.glob("????-??-??.jsonl"))[-1:]:
                    size = path.stat().st_size
                    start = offsets.get(path, 0)
                    if size > start:
                        with open(path, "rb") as fh:
                            fh.seek(start)
                            chunk = fh.read(size - start)
                        cut = chunk.rfind(b"\n") + 1
                        offsets[path] = start + cut
                        for raw in chunk[:cut].split(b"\n")[:-1]:
                            try:
                                click.echo(_human(json.loads(raw)))
                            except ValueError:
                                continue
    except KeyboardInterrupt:
        return


def _size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """``16G``, ``500M``, ``2048`` (bytes)."""
    text = value.strip().upper().removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1:], 1)
    try:
        number = float(text[:-1] if scale > 1 else text)
    except ValueError:
        raise click.BadParameter(_("expected a size such as 16G or 500M"), ctx, param) from None
    if number <= 0:
        raise click.BadParameter(_("expected a size such as 16G or 500M"), ctx, param)
    return int(number * scale)


class _Bar:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self) -> None:
        from radiocli.cli.output import console, is_terminal

        self._rich: Progress | None = None
        self._task: TaskID | None = None
        if is_terminal(sys.stderr):
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._rich = Progress(TextColumn("{task.description}"), BarColumn(),
                                  MofNCompleteColumn(), TimeRemainingColumn(),
                                  console=console(stderr=True), transient=True)

    def __enter__(self) -> _Bar:
        if self._rich is not None:
            self._rich.__enter__()
            self._task = self._rich.add_task(_("collecting"), total=None)
        return self

    @property
    def callback(self) -> Callable[[int, int], None] | None:
        return self.update if self._rich is not None else None

    def update(self, done: int, total: int) -> None:
        assert self._rich is not None and self._task is not None
        self._rich.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.__exit__(None, None, None)


@command.command(name="collect")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=N_("The store folder (created if needed)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.option("--no-wait", is_flag=True,
              help=N_("When another collect is writing the store, stop at once (exit 1) "
                     "instead of waiting for it."))
@click.option("--max-unpacked", default="16G", show_default=True, callback=_size,
              metavar=N_("SIZE"),
              help=N_("Most bytes one archive may unpack to."))
@click.option("--max-ratio", default=100.0, show_default=True, type=click.FloatRange(min=1),
              metavar=N_("RATIO"),
              help=N_("Most bytes one archive may unpack per byte it holds (logs compress "
                     "about 10 to 1)."))
@click.option("--archive-timeout", default=1200.0, show_default=True,
              type=click.FloatRange(min=1), metavar=N_("SECONDS"),
              help=N_("Most seconds spent reading one archive."))
@click.pass_obj
def logs_collect(env: Env, sources: tuple[Path, ...], into: Path, as_json: bool, no_wait: bool,
                 max_unpacked: int, max_ratio: float, archive_timeout: float) -> None:
    """Collect station logs (folders, a home's logs folder, another store, .zip/.tar/
    .tar.gz/.tar.bz2/.tar.xz) into a store: the raw logs plus Parquet for reports.
    Chains are verified on the way in; running it again adds nothing; bad, conflicting,
    duplicate and unknown logs are set apart and reported. Exit 1 when a source is
    missing or cannot be read.

    Example: radiocli logs collect station-00001.tar.gz /mnt/usb/logs --into store
    """
    from radiocli.aslog.collect import collect
    from radiocli.aslog.sources import Limits

    registry = registry_for(env)
    limits = Limits(unpacked=max_unpacked, ratio=max_ratio, seconds=archive_timeout)
    with _Bar() as bar:
        result = collect(list(sources), into, registry, today=hanoi_today(),
                         progress=bar.callback, wait=not no_wait,
                         on_wait=lambda message: click.echo(message, err=True),
                         limits=limits)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        for note in result.notes:
            click.echo(str(note), err=True)
        if result.notes_left_out:
            click.echo(_("… and {n} more note(s) (see --json)").format(
                n=result.notes_left_out), err=True)
        if result.gaps:
            shown = list(result.gaps.items())[:20]
            for station, days in shown:
                click.echo(_("gap: station {station} has no log for {days}").format(
                    station=station,
                    days=", ".join(day_text(d) for d in days[:10]) + ("…" if len(days) > 10 else "")),
                    err=True)
            if len(result.gaps) > 20:
                click.echo(_("gap: … and {n} more station(s)").format(n=len(result.gaps) - 20),
                           err=True)
        counts = result.as_dict()
        click.echo(_(
            "{added} added, {replaced} replaced by a longer copy, {unchanged} already there, "
            "{older} older copies skipped; set apart: {conflicts} conflicting, {rejected} "
            "rejected, {duplicates} with duplicate minutes, {quarantined} unreadable, "
            "{unknown} from unknown stations; {minutes} minute lines, {events} events"
        ).format(**counts))
        if result.broken:
            click.echo(_("{broken} source(s), archive(s) or file(s) could not be read as given "
                         "(see above)").format(broken=result.broken), err=True)
    if result.broken:
        raise click.exceptions.Exit(1)
