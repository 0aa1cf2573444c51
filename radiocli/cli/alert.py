"""``radiocli alert``: an emergency announcement on air now, at the running daemon(s).

The command says, per station, what became of the alert, from the daemons' replies:
on air (its start line is in the as-run log), missed, failed, waiting behind another
emergency, or refused; and it exits 0 only when every station it reached put it on
air. A rehearsal (``run --clock``) gets the alert stamped with its own clock.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from radiocli.cli import Env, fail
from radiocli.cli.common import selection_options
from radiocli.i18n import N_, _, decimal_text, language, moment_text, reason as shown, word

SHOWN = 5  # station codes named per line, then a count


@click.command("alert",
               epilog=N_('Example: radiocli alert --district 001 "Bão số 5 sắp đổ bộ..."'))
@selection_options
@click.argument("text", required=False, metavar=N_("[TEXT]"))
@click.option("--file", "audio", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=N_("Air this recording instead of a spoken text."))
@click.option("--wait", "timeout", type=float, default=10.0, show_default=True,
              metavar=N_("SECONDS"), help=N_("Seconds to wait for every station's start line (0: only put it in "
                      "the spool; exit 0 then says it was queued, not that it aired)."))
@click.option("--key", "key_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=N_("Sign the alert with this private key (emergency role); required by "
                      "a daemon run with --trust."))
@click.option("--json", "as_json", is_flag=True,
              help=N_("Print the daemons' replies as JSON."))
@click.pass_obj
def command(env: Env, stations: tuple[str, ...], districts: tuple[str, ...], all_stations: bool,
            text: str | None, audio: Path | None, key_path: Path | None, timeout: float,
            as_json: bool) -> None:
    """Put an emergency announcement on air now: it preempts whatever is playing and the
    preempted program resumes afterwards. The alert is written (fsynced) to each
    daemon's spool before it airs, so a restart cannot lose it, and stamped with the
    daemon's clock (a rehearsal's too). The command then waits for the daemons'
    replies and says, per station, whether the alert went on air (its start line is in
    the as-run log), was missed, failed, waits behind another emergency, or was
    refused; it exits 0 only when it went on air at every station reached, 1
    otherwise, 3 when no daemon runs. A daemon run with --trust airs only alerts
    signed with --key (a trusted key with the emergency role whose codes cover the
    targets), issued less than 10 minutes ago, once; it refuses others and moves them
    to rejected/."""
    import json
    from datetime import datetime

    from radiocli import TZ
    from radiocli.play import control

    if bool(text) == bool(audio):
        raise click.UsageError(_("give the TEXT to speak or --file AUDIO (one of them)"))
    if not (stations or districts or all_stations):
        raise click.UsageError(_("choose where: --station CODE, --district CODE or --all"))
    if text is not None and not text.strip():
        raise click.UsageError(_("the alert text is empty"))
    if timeout < 0:
        raise click.UsageError(_("--wait must be 0 or more seconds"))
    if text is not None:
        problem = control.check_alert_text(text.strip())
        if problem:
            fail(_("nothing was sent: {problem}").format(problem=problem))
    running = list(control.daemons(env.home.run))
    if not running:
        fail(_("no playout daemon is running in this home (start one: radiocli run); "
               "nothing was aired"), code=3)
    trusting = [r.name for r, info in running if info.get("trust")]
    if trusting and key_path is None:
        raise click.UsageError(_("daemon {name} airs only signed alerts: give --key KEY "
                                 "(a private key whose .pub has the emergency role)")
                               .format(name=trusting[0]))
    body: dict[str, Any] = {"stations": list(stations), "districts": list(districts),
                            "all": all_stations, "title": "alert"}
    if text:
        body["text"] = text.strip()
    digest = None
    if key_path is not None:
        from radiocli.trust import check_alert_key
        from radiocli.trust.bundle import sha256_file

        pub = key_path.with_suffix(".pub")
        for _rundir, info in running:
            if info.get("trust") and pub.is_file():
                check_alert_key(pub, Path(str(info["trust"])))  # refuse before the spool
        if audio is not None:
            digest = sha256_file(audio)
    machine_now = datetime.now(TZ)
    ids = []
    for rundir, info in running:
        now = control.daemon_now(info, machine_now)  # a rehearsal's clock is its own
        payload = dict(body, lang=language())  # a refusal comes in this command's language
        if audio is not None:
            payload["file"] = str(_keep(audio, rundir.alert_audio / f"{now:%Y%m%dT%H%M%S%f}"
                                                                  f"{audio.suffix}"))
        if key_path is not None:
            from radiocli.trust import sign_alert

            payload["signed"] = sign_alert({**body, **({"sha256": digest} if digest else {})},
                                           key_path, now=now)
        ids.append((rundir, control.submit(rundir, control.Request.ALERT, payload, now)))
    if not timeout:
        for rundir, request_id in ids:
            click.echo(_("daemon {daemon}: queued as {id} (not waiting: nothing is known to "
                         "have aired; see radiocli status)").format(daemon=rundir.name,
                                                                    id=request_id), err=True)
        return
    import time

    deadline = time.monotonic() + timeout
    replies = []
    for rundir, request_id in ids:
        left = max(deadline - time.monotonic(), 0.0)
        reply = control.wait_reply(rundir, f"alert-{request_id}", left)
        replies.append({"daemon": rundir.name, "id": request_id, "reply": reply})
    if as_json:
        click.echo(json.dumps(replies, ensure_ascii=False, indent=2))
    if not report(replies, timeout, stations):
        fail(_("the alert is not on air at every station it was sent to (see above)"))


def _keep(audio: Path, keep: Path) -> Path:
    """A copy of the recording in the daemon's run folder (0640 in a 0750 folder)."""
    from radiocli.play import control

    from radiocli import fileio

    control.make_folder(keep.parent)
    # durable before the request that names it is written to the spool
    fileio.write_new(keep, lambda path: shutil.copyfile(audio, path), mode=control.FILE_MODE,
                     sync=fileio.Sync.FULL)
    return keep


def _codes(codes: list[str]) -> str:
    more = len(codes) - SHOWN
    return ", ".join(codes[:SHOWN]) + (_(" and {n} more").format(n=more) if more > 0 else "")


def report(replies: list[dict[str, Any]], timeout: float, asked: tuple[str, ...]) -> bool:
    """Say, per daemon and per station, what became of the alert; True when it went on
    air (start line written) at every station reached and at every station asked for."""
    ok = True
    reached: set[str] = set()
    served_any = False
    for item in replies:
        daemon, reply = item["daemon"], item["reply"]

        def say(text: str, daemon: str = daemon, **values: Any) -> None:
            click.echo(_("daemon {daemon}: ").format(daemon=daemon) + text.format(**values),
                       err=True)

        if reply is None:
            ok = False
            say(_("no answer in {seconds} s: nothing is known to have aired; the alert "
                  "stays in its spool and airs when the daemon takes it"),
                seconds=decimal_text(f"{timeout:g}"))
            continue
        if reply.get("outcome") == "refused":
            ok = False
            served_any = served_any or bool(reply.get("stations"))
            where = [s["station"] for s in reply.get("stations") or []]
            say(_("REFUSED{where}: {reason}; nothing was aired"),
                where=_(" at {n} station(s) ({codes})").format(n=len(where), codes=_codes(where))
                if where else "", reason=shown(reply.get("reason", "")))
            reached.update(where)
            continue
        answers = reply.get("stations") or []
        if answers:
            served_any = True
        groups: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}
        for answer in answers:
            reached.add(answer["station"])
            key = (answer["outcome"], shown(answer.get("reason", "")),
                   answer.get("logged", True))
            groups.setdefault(key, []).append(answer)
        clock = _(" (rehearsal clock)") if reply.get("clock") == "rehearsal" else ""
        for (outcome, reason, logged), group in groups.items():
            codes = [a["station"] for a in group]
            n = len(codes)
            at = moment_text(min(a["at"] for a in group))
            if outcome == "on-air" and logged:
                say(_("on air at {n} station(s) ({codes}) since {at}{clock}"), n=n,
                    codes=_codes(codes), at=at, clock=clock)
                continue
            if outcome == "aired":
                say(_("aired before a restart at {n} station(s) ({codes})"), n=n,
                    codes=_codes(codes))
                continue
            ok = False
            if outcome == "on-air":
                say(_("on air at {n} station(s) ({codes}) since {at}{clock}, but {reason}"),
                    n=n, codes=_codes(codes), at=at, clock=clock, reason=reason)
            elif outcome == "failed":
                say(_("FAILED at {n} station(s) ({codes}) at {at}{clock}: {reason}"), n=n,
                    codes=_codes(codes), at=at, clock=clock, reason=reason)
            elif outcome == "missed":
                say(_("MISSED at {n} station(s) ({codes}) at {at}{clock}: {reason}"), n=n,
                    codes=_codes(codes), at=at, clock=clock, reason=reason)
            elif outcome == "waiting":
                say(_("NOT on air yet at {n} station(s) ({codes}): {reason} (after {seconds} "
                      "s; it starts when the station is free, or is missed after its "
                      "max_delay)"), n=n, codes=_codes(codes), reason=reason,
                    seconds=decimal_text(f"{timeout:g}"))
            else:
                say(_("{outcome} at {n} station(s) ({codes}): {reason}"),
                    outcome=word("outcome", outcome), n=n, codes=_codes(codes), reason=reason)
        if not reply.get("final", True):
            ok = False
    if all(r["reply"] is not None and r["reply"].get("outcome") == "none" for r in replies):
        fail(_("no running daemon serves those stations; nothing was aired"))
    missing = [code for code in asked if code not in reached]
    if missing and served_any:
        ok = False
        click.echo(_("radiocli: no running daemon serves {codes}: the alert did not air "
                     "there").format(codes=_codes(missing)), err=True)
    elif missing:
        ok = False
    return ok
