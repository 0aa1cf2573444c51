"""``radiocli alert``: an emergency announcement on air now, at the running daemon(s)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from radiocli.cli import Env, fail
from radiocli.cli.common import selection_options


@click.command("alert", epilog='Example: radiocli alert --district 001 "Bão số 5 sắp đổ bộ..."')
@selection_options
@click.argument("text", required=False)
@click.option("--file", "audio", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Air this recording instead of a spoken text.")
@click.option("--wait", "timeout", type=float, default=10.0, show_default=True,
              help="Seconds to wait for the daemon to put it on air (0: do not wait).")
@click.option("--key", "key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the alert with this private key (emergency role); required by a "
                   "daemon run with --trust.")
@click.option("--json", "as_json", is_flag=True, help="Print the daemons' replies as JSON.")
@click.pass_obj
def command(env: Env, stations: tuple[str, ...], districts: tuple[str, ...], all_stations: bool,
            text: str | None, audio: Path | None, key_path: Path | None, timeout: float,
            as_json: bool) -> None:
    """Put an emergency announcement on air now: it preempts whatever is playing and the
    preempted program resumes afterwards. The alert is written (fsynced) to each
    daemon's spool before it airs, so a restart cannot lose it. A daemon run with
    --trust airs only alerts signed with --key (a trusted key with the emergency role),
    issued less than 10 minutes ago; it refuses others and moves them to rejected/."""
    import json
    from datetime import datetime

    from radiocli.play import control
    from radiocli.plan.triggers import TZ

    if bool(text) == bool(audio):
        raise click.UsageError("give the TEXT to speak or --file AUDIO (one of them)")
    if not (stations or districts or all_stations):
        raise click.UsageError("choose where: --station CODE, --district CODE or --all")
    if text is not None and not text.strip():
        raise click.UsageError("the alert text is empty")
    running = list(control.daemons(env.home.run))
    if not running:
        fail("no playout daemon is running in this home (start one: radiocli run); "
             "nothing was aired", code=3)
    trusting = [r.name for r, info in running if info.get("trust")]
    if trusting and key_path is None:
        raise click.UsageError(f"daemon {trusting[0]} airs only signed alerts: give --key KEY "
                               "(a private key whose .pub has the emergency role)")
    now = datetime.now(TZ)
    payload: dict[str, object] = {"stations": list(stations), "districts": list(districts),
                                  "all": all_stations, "title": "alert"}
    if text:
        payload["text"] = text.strip()
    signed = None
    if key_path is not None:
        from radiocli.trust import check_alert_key, sign_alert
        from radiocli.trust.bundle import sha256_file

        pub = key_path.with_suffix(".pub")
        for _rundir, info in running:
            if info.get("trust") and pub.is_file():
                check_alert_key(pub, Path(str(info["trust"])))  # refuse before the spool
        body = dict(payload)
        if audio is not None:
            body["sha256"] = sha256_file(audio)
        signed = sign_alert(body, key_path, now=now)
    ids = []
    for rundir, _info in running:
        if audio is not None:
            keep = rundir.folder / "alert-audio" / f"{now:%Y%m%dT%H%M%S%f}{audio.suffix}"
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(audio, keep)
            payload["file"] = str(keep)
        if signed is not None:
            payload["signed"] = signed
        ids.append((rundir, control.submit(rundir, control.Request.ALERT, payload, now)))
    replies = []
    for rundir, request_id in ids:
        reply = control.wait_reply(rundir, f"alert-{request_id}", timeout) if timeout else None
        replies.append({"daemon": rundir.name, "id": request_id, "reply": reply})
    if as_json:
        click.echo(json.dumps(replies, ensure_ascii=False, indent=2))
    reached = sum(len((r["reply"] or {}).get("stations", [])) for r in replies)
    for r in replies:
        reply = r["reply"]
        if reply is None:
            if timeout:
                click.echo(f"radiocli: daemon {r['daemon']}: no answer in {timeout:g} s; the "
                           "alert stays in its spool", err=True)
            continue
        if not reply.get("ok") and str(reply.get("reason", "")).startswith("alert refused"):
            click.echo(f"radiocli: daemon {r['daemon']}: {reply['reason']}", err=True)
        if reply.get("stations"):
            click.echo(f"daemon {r['daemon']}: on air at {reply.get('on_air')} at "
                       f"{len(reply['stations'])} station(s)"
                       + (f" ({reply['reason']})" if reply.get("reason") else ""), err=True)
    if timeout and reached == 0 and all(r["reply"] is not None for r in replies):
        if any(str(r["reply"].get("reason", "")).startswith("alert refused") for r in replies):
            fail("the alert was refused; nothing was aired", code=1)
        fail("no running daemon serves those stations", code=1)
