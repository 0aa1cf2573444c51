"""``radiocli reload``: the running daemon re-reads the schedules."""

from __future__ import annotations

import click

from radiocli.cli import Env, fail


@click.command("reload", epilog="Example: radiocli reload")
@click.option("--name", help="Only the daemon with this name [default: every daemon].")
@click.option("--wait", "timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait for the answer.")
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
        fail("no playout daemon is running in this home (start one: radiocli run)", code=3)
    refused = False
    for rundir, _info in running:
        request_id = control.submit(rundir, control.Request.RELOAD, {"by": "radiocli reload"},
                                    datetime.now(TZ))
        reply = control.wait_reply(rundir, request_id, timeout)
        if reply is None:
            fail(f"daemon {rundir.name}: no answer in {timeout:g} s (see {rundir.log_file})")
        assert reply is not None
        if reply.get("ok"):
            click.echo(f"daemon {rundir.name}: reloaded: {reply.get('programs')} programs "
                       f"for {reply.get('stations')} stations")
            continue
        refused = True
        click.echo(f"daemon {rundir.name}: reload refused; the old schedule keeps running:",
                   err=True)
        for problem in reply.get("problems", []):
            where = problem.get("file", "")
            if problem.get("line"):
                where += f":{problem['line']}:{problem.get('column') or 1}"
            hint = f" ({problem['hint']})" if problem.get("hint") else ""
            click.echo(f"  {where + ': ' if where else ''}{problem.get('severity', 'error')}: "
                       f"{problem.get('message')}{hint}", err=True)
    if refused:
        raise click.exceptions.Exit(1)
