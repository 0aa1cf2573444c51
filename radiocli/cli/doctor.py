"""``radiocli doctor``: is this machine ready to run the playout?"""

from __future__ import annotations

import json

import click

from radiocli.cli import Env


@click.command("doctor", epilog="Example: radiocli doctor --json")
@click.option("--device", help="ALSA device to test [default: config run.device or default].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def command(env: Env, device: str | None, as_json: bool) -> None:
    """Check espeak-ng, ffmpeg, the audio device, clock sync, disk space of the home and
    the schedule. Each check says OK, WARN or FAIL and what to fix; exit 1 on any FAIL."""
    from datetime import datetime

    from radiocli.cli.output import print_rows
    from radiocli.play.doctor import FAIL, run_checks
    from radiocli.plan.triggers import TZ

    settings = env.config().get("run") or {}
    checks = run_checks(env.home.root, env.schedules, datetime.now(TZ),
                        device=device or settings.get("device") or "default",
                        device_needed=(settings.get("sink") == "device"))
    rows = [c.as_dict() for c in checks]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print_rows(rows, [("check", "Check"), ("result", "Result"), ("detail", "Detail"),
                          ("fix", "What to do")], None)
    if any(c.result == FAIL for c in checks):
        raise click.exceptions.Exit(1)
