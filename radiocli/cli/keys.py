"""`radiocli keys`: create signing keys for schedule approval and emergency alerts."""

from __future__ import annotations

from pathlib import Path

import click

from radiocli.cli import Env
from radiocli.i18n import N_, _

ROLE_CHOICES = ("city", "district", "station", "emergency")


@click.group(name="keys")
def command() -> None:
    """Create signing keys for schedule approval and emergency alerts.

    Example: radiocli keys generate --out keys --name district-001 --role district --district 001
    """


@command.command(name="generate")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=N_("Folder for NAME.key (private, mode 0600) and NAME.pub."))
@click.option("--name", default=None, metavar=N_("NAME"),
              help=N_("Key name, e.g. district-001 [default: radiocli-<first role>]."))
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLE_CHOICES),
              help=N_("What the key may sign (repeatable) [default: station]."))
@click.option("--district", "districts", multiple=True, metavar=N_("CODE"),
              help=N_("District this key covers (repeatable; district or emergency role)."))
@click.option("--station", "stations", multiple=True, metavar=N_("CODE"),
              help=N_("Station this key covers (repeatable; station or emergency role)."))
@click.pass_obj
def keys_generate(env: Env, out_dir: Path, name: str | None, roles: tuple[str, ...],
                  districts: tuple[str, ...], stations: tuple[str, ...]) -> None:
    """Make an Ed25519 key pair: NAME.key stays with its holder, NAME.pub goes into
    each station's trusted keys folder. A district key needs --district, a station key
    --station; a city key takes neither (it covers the whole city); an emergency key
    without codes alerts the whole city. Codes are checked against the registry of the
    schedules folder when there is one.

    Example: radiocli keys generate --out ~/keys --name city-hanoi --role city --role emergency
    """
    from radiocli.trust import check_key_scope, generate_key, read_public

    roles = roles or ("station",)
    name = name or f"radiocli-{roles[0]}"
    check_key_scope(roles, districts, stations)  # before reading any registry
    registry = None
    if (districts or stations) and env.schedules.is_dir():
        from radiocli.schedule.load import read

        registry = read(env.schedules)[0].registry
        if not len(registry):
            registry = None
    if registry is None and (districts or stations):
        click.echo(_("note: no station registry in the schedules folder; the codes were "
                     "not checked against it"), err=True)
    key_path, pub_path = generate_key(out_dir, name, roles, districts, stations,
                                      registry=registry)
    public = read_public(pub_path)
    click.echo(_("{path}\tprivate key (keep it secret, mode 0600)").format(path=key_path),
               err=True)
    click.echo(_("{path}\tpublic key (copy into the trusted keys folder)").format(
        path=pub_path), err=True)
    click.echo(f"{public.name} {public.fingerprint} {','.join(sorted(public.roles))}")
