"""``radiocli status``: what is on air, what is next, last errors."""

from __future__ import annotations

import json

import click

from radiocli.cli import Env


@click.command("status", epilog="Example: radiocli status --station 00001 --json")
@click.option("--station", "stations", multiple=True, metavar="CODE",
              help="Only this station (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def command(env: Env, stations: tuple[str, ...], as_json: bool) -> None:
    """Show each running daemon's stations: on air now, next, last errors.

    Exit status 0 when a daemon runs, 3 when none does (like systemctl is-active)."""
    from radiocli.cli.output import print_rows
    from radiocli.play import control

    running = list(control.daemons(env.home.run))
    out = []
    for rundir, info in running:
        status = control.read_json(rundir.status_file) or {}
        rows = [r for r in status.get("stations", [])
                if not stations or r.get("station") in stations]
        out.append({"daemon": rundir.name, "pid": info.get("pid"), "sink": status.get("sink"),
                    "started": status.get("started"), "updated": status.get("updated"),
                    "log_errors": status.get("log_errors", []), "stations": rows})
    if as_json:
        click.echo(json.dumps({"running": bool(running), "daemons": out}, ensure_ascii=False,
                              indent=2))
    else:
        if not running:
            click.echo("no playout daemon is running", err=True)
        for d in out:
            click.echo(f"daemon {d['daemon']} (pid {d['pid']}, sink {d['sink']}, "
                       f"since {d['started']}, updated {d['updated']})", err=True)
            for err in d["log_errors"]:
                click.echo(f"  log error: {err}", err=True)
            table = []
            for r in d["stations"]:
                air = r.get("on_air") or {}
                nxt = r.get("next") or {}
                errors = r.get("errors") or []
                table.append({
                    "station": r["station"],
                    "on_air": f"{air['program']} ({air['priority']}) since {air['since']}"
                    if air else "",
                    "next": f"{nxt['program']} at {nxt['at']}" if nxt else "",
                    "waiting": len(r.get("waiting") or []),
                    "error": f"{errors[-1]['at']} {errors[-1]['reason']}" if errors else "",
                })
            print_rows(table, [("station", "Station"), ("on_air", "On air"), ("next", "Next"),
                               ("waiting", "Waiting"), ("error", "Last error")], None)
    if not running:
        raise click.exceptions.Exit(3)
