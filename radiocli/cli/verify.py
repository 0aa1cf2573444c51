"""`radiocli verify`: check an approved bundle's signature and hashes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from radiocli import TZ
from radiocli.cli import Env
from radiocli.i18n import N_


@click.command("verify")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--trust", "trusted_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=N_("Folder of trusted .pub keys [default: <home>/trusted]."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.pass_context
def command(ctx: click.Context, bundle: Path, trusted_dir: Path | None, as_json: bool) -> None:
    """Check an approved bundle: trusted key and role, signature, validity period, and
    that no schedule or audio file was changed, swapped or added. Exit 0 when it checks
    out, 1 with the reason otherwise. The schedules folder is the bundle's folder
    unless --schedules is given.

    Example: radiocli verify schedules/approved.json --trust /etc/radiocli/trusted
    """
    from radiocli.trust import verify_bundle

    env: Env = ctx.obj
    trusted = trusted_dir or env.home.root / "trusted"
    explicit = ctx.parent is not None and ctx.parent.params.get("schedules") is not None
    root = env.schedules if explicit else None
    now = datetime.now(TZ).replace(microsecond=0)
    result = verify_bundle(bundle, trusted, root, now=now)
    if as_json:
        click.echo(json.dumps({
            "ok": True, "bundle": str(result.path), "key": result.key.name,
            "fingerprint": result.key.fingerprint, "roles": sorted(result.key.roles),
            "approver": result.approver, "approved_at": result.approved_at.isoformat(),
            "valid_from": result.valid_from.isoformat(),
            "valid_to": result.valid_to.isoformat(),
            "schedules": list(result.schedules), "audio": list(result.audio),
            "approvals": [{"key": a.key.name, "fingerprint": a.key.fingerprint,
                           "roles": sorted(a.key.roles), "covers": a.key.scope_text(),
                           "approver": a.approver, "approved_at": a.approved_at.isoformat(),
                           "valid_from": a.valid_from.isoformat(),
                           "valid_to": a.valid_to.isoformat(), "schedules": list(a.schedules)}
                          for a in result.approvals],
        }, ensure_ascii=False, indent=2))
    else:
        click.echo(result.summary())
