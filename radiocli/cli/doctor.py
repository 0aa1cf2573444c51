"""``radiocli doctor``: is this machine ready to run the playout?"""

from __future__ import annotations

import json

import click

from radiocli.cli import Env
from radiocli.i18n import N_, _, word


@click.command("doctor", epilog=N_("Example: radiocli doctor --sink device"))
@click.option("--sink", type=click.Choice(["null", "file", "device", "stream"]),
              help=N_("The sink this machine airs through [default: config run.sink]. With "
                      "device, a sound card that cannot play or is muted is a FAIL; with "
                      "stream, an Icecast that does not answer."))
@click.option("--device", metavar=N_("DEVICE"),
              help=N_("ALSA device to test [default: config run.device or default]."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.pass_obj
def command(env: Env, sink: str | None, device: str | None, as_json: bool) -> None:
    """Check espeak-ng, ffmpeg, the audio device, clock sync, disk space of the home and
    the schedule. Each check says OK, WARN or FAIL and what to fix; exit 1 on any FAIL.

    On a playout PC (`--sink device`, or `sink: device` under `run:` in the home's
    config.yaml) the sound card drives the amplifier: missing, or muted, it is a FAIL."""
    from datetime import datetime

    from radiocli import TZ
    from radiocli.cli.output import print_rows
    from radiocli.cli.run import parse_icecast
    from radiocli.play.doctor import FAIL, run_checks

    settings = env.config().get("run") or {}
    sink = sink or settings.get("sink")
    checks = run_checks(env.home.root, env.schedules, datetime.now(TZ),
                        device=device or settings.get("device") or "default", sink=sink,
                        icecast=parse_icecast(settings.get("icecast")))
    rows = [c.as_dict() for c in checks]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        shown = [{**row, "check": word("check", row["check"]),
                  "result": word("result", row["result"])} for row in rows]
        print_rows(shown, [("check", _("Check")), ("result", _("Result")),
                           ("detail", _("Detail")), ("fix", _("What to do"))], None)
    if any(c.result == FAIL for c in checks):
        raise click.exceptions.Exit(1)
