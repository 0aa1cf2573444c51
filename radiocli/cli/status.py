"""``radiocli status``: what is on air, what is next, last errors."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from radiocli.cli import Env
from radiocli.i18n import N_, _, moment_text, reason, word


def when(text: str | None, today: str = "") -> str:
    """An ISO time as an operator reads it: '17:10:02' today, else '2021-08-05 17:10:02'
    ('05/08/2021 17:10:02' in Vietnamese; never microseconds nor an offset)."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.date().isoformat() == today:
        return f"{moment:%H:%M:%S}"
    return moment_text(moment)


def minutes(seconds: Any) -> str:
    """'12:05' (minutes:seconds) or '1:02:05'."""
    if not isinstance(seconds, int | float):
        return ""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def last_error(errors: list[dict[str, str]], today: str) -> str:
    if not errors:
        return ""
    latest = max(errors, key=lambda e: e.get("at", ""))
    return f"{when(latest.get('at'), today)} {reason(latest.get('reason', ''))}"


@click.command("status", epilog=N_("Example: radiocli status --station 00001 --json"))
@click.option("--station", "stations", multiple=True, metavar=N_("CODE"),
              help=N_("Only this station (repeatable)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.pass_obj
def command(env: Env, stations: tuple[str, ...], as_json: bool) -> None:
    """Show each running daemon's stations: the station's name, what is on air (for how
    long, how long is left), what waits, the next program, the latest error.

    A fault or a refused reload shows at once. Exit status 0 when a daemon runs, 3 when
    none does (like systemctl is-active)."""
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
                    "rehearsal": bool(status.get("rehearsal")),
                    "real_time": status.get("real_time"),
                    "log_errors": status.get("log_errors", []), "stations": rows})
    if as_json:
        click.echo(json.dumps({"running": bool(running), "daemons": out}, ensure_ascii=False,
                              indent=2))
    else:
        if not running:
            click.echo(_("no playout daemon is running"), err=True)
        for d in out:
            today = (d["updated"] or "")[:10]
            head = _("daemon {name} (pid {pid}, sink {sink}, since {started}, updated "
                     "{updated})").format(name=d["daemon"], pid=d["pid"], sink=d["sink"],
                                          started=when(d["started"]),
                                          updated=when(d["updated"]))
            if d["rehearsal"]:
                head += " " + _("rehearsal: its clock says {clock}, the machine's {real}").format(
                    clock=when(d["updated"]), real=when(d["real_time"]) or "?")
            click.echo(head, err=True)
            for err in d["log_errors"]:
                click.echo("  " + _("log error: {error}").format(error=reason(err)), err=True)
            table = []
            for r in d["stations"]:
                air = r.get("on_air") or {}
                nxt = r.get("next") or {}
                table.append({
                    "station": r["station"], "name": r.get("name", ""),
                    "on_air": f"{air['program']} ({word('priority', air['priority'])})"
                    if air else "",
                    "elapsed": minutes(air.get("elapsed_s")) if air else "",
                    "left": minutes(air.get("remaining_s")) if air else "",
                    "next": f"{nxt['program']} {when(nxt['at'], today)}" if nxt else "",
                    "waiting": len(r.get("waiting") or []),
                    "error": last_error(r.get("errors") or [], today),
                })
            print_rows(table, [("station", _("Station")), ("name", _("Name")),
                               ("on_air", _("On air")), ("elapsed", _("Elapsed")),
                               ("left", _("Left")), ("next", _("Next")),
                               ("waiting", _("Waiting")), ("error", _("Last error"))], None)
    if not running:
        raise click.exceptions.Exit(3)
