"""radiocli validate"""

from __future__ import annotations

import json
from pathlib import Path

import click

from radiocli.cli import Env
from radiocli.i18n import N_, _, ngettext, word


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the problems as JSON."))
@click.option("--strict", is_flag=True, help=N_("Warnings count as problems too (exit 1)."))
@click.pass_obj
def command(env: Env, paths: tuple[Path, ...], as_json: bool, strict: bool) -> None:
    """Check schedules: every problem with file:line:column and what to do.

    PATHS are schedule folders or files (default: the schedules folder). Checks YAML
    syntax, unknown keys, types, times and dates, station and district codes, audio
    files, same-priority overlaps, the policy profile, rules that never fire, and
    speech text. Exit 1 when there is any error.

    Example: radiocli validate schedules/stations/00001.yaml
    """
    from radiocli.plan.validate import validate

    root = env.schedules
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            root = path
        elif not path.exists():
            raise click.UsageError(_("no such file or folder: {path}").format(path=path))
        else:
            files.append(path)
    schedule, problems = validate(root, files or None)
    wanted: set[str] | None = None
    if files:
        from radiocli.schedule.load import shown_path

        wanted = {shown_path(f) for f in files}
        problems = [p for p in problems if p.file in wanted]
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    checked = len(files) if files else len(schedule.files)
    written = sum(n for shown, n in schedule.programs_written.items()
                  if wanted is None or shown in wanted)
    loaded = sum(1 for p in schedule.programs.values()
                 if wanted is None or p.where.file in wanted)
    if as_json:
        click.echo(json.dumps({"ok": not errors and not (strict and warnings),
                               "errors": len(errors), "warnings": len(warnings),
                               "files": checked, "programs": written,
                               "programs_loaded": loaded,
                               "problems": [p.as_dict() for p in problems]},
                              ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            text = f"{problem.location()}: {word('severity', problem.severity)}: {problem.message}"
            if problem.hint:
                text += f"\n    -> {problem.hint}"
            click.echo(text)
        summary = ngettext("{n} file checked", "{n} files checked", checked).format(n=checked)
        summary += ", " + ngettext("{n} program", "{n} programs", written).format(n=written)
        if loaded < written:
            summary += " " + _("({n} left out because of errors)").format(n=written - loaded)
        summary += ": " + ngettext("{n} error", "{n} errors", len(errors)).format(n=len(errors))
        summary += ", " + ngettext("{n} warning", "{n} warnings",
                                   len(warnings)).format(n=len(warnings))
        click.echo(summary, err=True)
    if errors or (strict and warnings):
        raise click.exceptions.Exit(1)
