"""``radiocli reload``: the running daemon re-reads the schedules."""

from __future__ import annotations

import click

from radiocli.cli import Env, fail
from radiocli.i18n import N_, _, decimal_text, language, ngettext, word


@click.command("reload", epilog=N_("Example: radiocli reload"))
@click.option("--name", metavar=N_("NAME"), help=N_("Only the daemon with this name [default: every daemon]."))
@click.option("--wait", "timeout", type=float, default=30.0, show_default=True,
              metavar=N_("SECONDS"), help=N_("Seconds to wait for the answer."))
@click.pass_obj
def command(env: Env, name: str | None, timeout: float) -> None:
    """Make the running daemon(s) re-read the schedules (like SIGHUP). Jobs are replaced
    without touching what is on air. An edit with errors is refused: the problems are
    printed (and written to the daemon's log) and the old schedule keeps running. A
    daemon run with --trust also refuses schedules that do not verify against their
    approved bundle, with the reason, and keeps airing the previous approved ones."""
    from datetime import datetime

    from radiocli import TZ
    from radiocli.play import control

    running = [(r, i) for r, i in control.daemons(env.home.run) if name in (None, r.name)]
    if not running:
        fail(_("no playout daemon is running in this home (start one: radiocli run)"), code=3)
    refused = False
    for rundir, _info in running:
        # the daemon says the problems in this command's language
        request_id = control.submit(rundir, control.Request.RELOAD,
                                    {"by": "radiocli reload", "lang": language()},
                                    datetime.now(TZ))
        reply = control.wait_reply(rundir, request_id, timeout)
        if reply is None:
            fail(_("daemon {name}: no answer in {seconds} s (see {log})").format(
                name=rundir.name, seconds=decimal_text(f"{timeout:g}"), log=rundir.log_file))
        assert reply is not None
        if reply.get("ok"):
            programs, stations = reply.get("programs") or 0, reply.get("stations") or 0
            click.echo(_("daemon {name}: reloaded: {programs} for {stations}").format(
                name=rundir.name,
                programs=ngettext("{n} program", "{n} programs", programs).format(n=programs),
                stations=ngettext("{n} station", "{n} stations", stations).format(n=stations)))
            continue
        refused = True
        click.echo(_("daemon {name}: reload refused; the old schedule keeps running:").format(
            name=rundir.name), err=True)
        for problem in reply.get("problems", []):
            where = problem.get("file", "")
            if problem.get("line"):
                where += f":{problem['line']}:{problem.get('column') or 1}"
            hint = f" ({problem['hint']})" if problem.get("hint") else ""
            severity = word("severity", problem.get("severity", "error"))
            click.echo(f"  {where + ': ' if where else ''}{severity}: "
                       f"{problem.get('message')}{hint}", err=True)
    if refused:
        raise click.exceptions.Exit(1)
