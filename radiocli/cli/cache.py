"""radiocli cache info | clear"""

from __future__ import annotations

import json

import click

from radiocli.cli import Env
from radiocli.cli.output import print_rows
from radiocli.i18n import N_, _, ngettext, pgettext


@click.group("cache")
def command() -> None:
    """Inspect or clear the speech and program audio cache (under the radiocli home).

    speech: synthesized texts; levels: each distinct source at the loudness target;
    programs: assembled program audio.

    Example: radiocli cache info --json
    """


@command.command("info")
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@click.pass_obj
def cache_info(env: Env, as_json: bool) -> None:
    """Entries and bytes in the cache, per kind (speech, levels, programs).

    Example: radiocli cache info
    """
    from radiocli.render.cache import Cache

    info = Cache(env.home.cache).info()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    kinds = {"speech": pgettext("cache", "speech"), "levels": pgettext("cache", "levels"),
             "programs": pgettext("cache", "programs")}
    rows = [{"kind": kinds.get(kind, kind), **values} for kind, values in info["kinds"].items()]
    rows.append({"kind": _("total"), "entries": info["entries"], "bytes": info["bytes"]})
    print_rows(rows, [("kind", _("kind")), ("entries", _("entries")), ("bytes", _("bytes"))],
               None, title=info["path"])


@command.command("clear")
@click.option("--kind", type=click.Choice(["speech", "levels", "programs"]),
              help=N_("Only this kind [default: everything]."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print what was removed as JSON."))
@click.pass_obj
def cache_clear(env: Env, kind: str | None, as_json: bool) -> None:
    """Remove cached speech and program audio (it is made again on the next render).

    Example: radiocli cache clear --kind programs
    """
    from radiocli.render.cache import Cache

    removed = Cache(env.home.cache).clear(kind)
    if as_json:
        click.echo(json.dumps(removed))
        return
    click.echo(ngettext("removed {entries} entry ({bytes} bytes)",
                        "removed {entries} entries ({bytes} bytes)", removed["entries"]).format(
        entries=removed["entries"], bytes=removed["bytes"]))
