"""The ``radiocli`` command: a thin shell over the core.

Every command lives in its own module under ``radiocli/cli/`` and is imported only when
it runs, so ``radiocli --help`` starts fast. This module is the one place where errors
become messages: a :class:`~radiocli.errors.RadioError` is printed and exits 1, a usage
error exits 2, and anything unexpected is written to ``<home>/crash.log`` instead of
showing a traceback.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from radiocli import __version__
from radiocli import i18n
from radiocli.i18n import N_, _, language_from_env, set_language

# command name -> (module under radiocli.cli, short help shown by `radiocli --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "stations": ("stations", N_("The station registry through time: units, codes, centroids.")),
    "validate": ("validate", N_("Check schedule files: every problem with file:line:column.")),
    "plan": ("plan", N_("Show what will air: occurrences per station, conflicts resolved.")),
    "schema": ("schema", N_("Print the JSON Schema of the schedule format.")),
    "normalize": ("normalize", N_("Turn written Vietnamese into its spoken form.")),
    "say": ("say", N_("Speak a text: write it to a WAV file or play it.")),
    "voices": ("voices", N_("List the speech engines and their Vietnamese voices.")),
    "cache": ("cache", N_("Inspect or clear the speech and program audio cache.")),
    "render": ("render", N_("Render the audio the plan needs (speech, programs).")),
    "run": ("run", N_("Run the playout daemon: air programs on time, write as-run logs.")),
    "alert": ("alert", N_("Put an emergency announcement on air now.")),
    "reload": ("reload", N_("Make the running daemon re-read the schedules.")),
    "status": ("status", N_("What is on air now, what is next, last errors.")),
    "doctor": ("doctor", N_("Check tools, audio device, clock, disk and schedule.")),
    "logs": ("logs", N_("As-run logs: verify, tail, collect.")),
    "simulate": ("simulate", N_("Run the schedules on a virtual clock over days or months.")),
    "report": ("report", N_("District reports: summary, station, compliance.")),
    "keys": ("keys", N_("Create signing keys for schedule approval.")),
    "approve": ("approve", N_("Sign schedule files and their audio into an approved bundle.")),
    "verify": ("verify", N_("Check an approved bundle's signature and hashes.")),
}


class Env:
    """What every command needs: the home, the schedules folder, the language."""

    def __init__(self, home: Path, schedules: Path | None, lang: str) -> None:
        from radiocli.home import Home

        self.home = Home(home)
        self._schedules = schedules
        self.lang = lang

    @property
    def schedules(self) -> Path:
        if self._schedules is not None:
            return self._schedules
        configured = self.home.load_config().get("schedules")
        if configured:
            return Path(str(configured)).expanduser()
        return Path("schedules")

    def config(self) -> dict:
        return self.home.load_config()


def default_home() -> Path:
    env = os.environ.get("RADIOCLI_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("radiocli", appauthor=False))


class RadioGroup(click.Group):
    """Loads commands lazily, shows them in the user's language and turns core errors
    into messages."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"radiocli.cli.{COMMANDS[name][0]}")
        command: click.Command = module.command
        return localize(command, ctx)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        localize(self, ctx, deep=False)
        super().format_help(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _(help_text)) for name, (_module, help_text) in COMMANDS.items()]
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        from radiocli.errors import RadioError

        try:
            return super().invoke(ctx)
        except RadioError as exc:
            fail(str(exc))
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)
        except MemoryError:
            fail(_("out of memory: the input is too large"))
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            crash(ctx, exc)
        return None


def fail(message: str, code: int = 1) -> None:
    """Print a user-facing error and exit (1 by default)."""
    for line in message.splitlines() or [message]:
        click.echo(f"radiocli: {line}", err=True)
    raise click.exceptions.Exit(code)


def crash(ctx: click.Context, exc: BaseException) -> None:
    import traceback  # 2 ms of every start otherwise

    env = ctx.find_object(Env)
    where = _("(no home)")
    if env is not None:
        try:
            env.home.root.mkdir(parents=True, exist_ok=True)
            log = env.home.root / "crash.log"
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"--- {datetime.now().astimezone().isoformat()} {sys.argv}\n")
                fh.write("".join(traceback.format_exception(exc)))
            where = str(log)
        except OSError:
            pass
    fail(_("internal error: {error} (details in {where})").format(
        error=f"{type(exc).__name__}: {exc}", where=where))


def localize(command: click.Command, ctx: click.Context, deep: bool = True
             ) -> click.Command:
    """Put ``command``'s help (its text, epilog, options, metavars, help option) in the
    current language, and its subcommands' when ``deep``.

    Help is written in English in the code (docstrings, ``help=N_("...")``) and shown
    translated, so the language chosen by --lang counts even for a module imported
    before it was read, and a test may show one command in both languages. The English
    is kept aside the first time, so translating again starts from it.
    """
    _translate(command, "help", inspect.cleandoc)
    _translate(command, "short_help")
    _translate(command, "epilog")
    params = list(command.params)
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        params.append(help_option)
    for param in params:
        _translate(param, "help")
        _translate(param, "metavar")
    if deep and isinstance(command, click.Group):
        for sub in command.commands.values():
            localize(sub, ctx)
    return command


def _translate(obj: object, name: str, clean: Any = None) -> None:
    sources: dict[str, str | None] = obj.__dict__.setdefault("_radiocli_english", {})
    if name not in sources:
        value = getattr(obj, name, None)
        if isinstance(value, str) and value:
            value = i18n.source(clean(value) if clean else value)
        sources[name] = value if isinstance(value, str) and value else None
    english = sources[name]
    if english is not None:
        setattr(obj, name, _(english))


def _translate_click() -> None:
    """Click marks its own messages (usage errors, "Usage:", "Options:", "[default: ...]")
    with the gettext module's global domain; point them at radiocli's catalogue, whose
    vi.po translates them. Click's decorators keep English: their texts are made once and
    kept, and :func:`localize` translates them where they are shown."""
    from click import core, exceptions, formatting, parser, termui, types, utils

    for module in (core, exceptions, formatting, parser, termui, types, utils):
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = i18n.ngettext  # type: ignore[attr-defined]


_translate_click()


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """--lang, read before any command is looked up (or the environment's language)."""
    language = value or language_from_env(os.environ)
    set_language(language)
    return language


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_("{program}, version {version}").format(program="radiocli",
                                                             version=__version__))
        ctx.exit()


@click.group(
    cls=RadioGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=N_("Example: radiocli plan --date 2021-08-02 --station 00001"),
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help=N_("Show the version and exit."))
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RADIOCLI_HOME",
    help=N_("Where data, caches and logs live [env RADIOCLI_HOME; default: user data dir]."),
)
@click.option(
    "--schedules",
    "-s",
    type=click.Path(path_type=Path),
    envvar="RADIOCLI_SCHEDULES",
    help=N_("Schedules folder [default: ./schedules or `schedules` in the home's "
            "config.yaml]."),
)
@click.option(
    "--lang", type=click.Choice(["vi", "en"]), is_eager=True, callback=_choose_language,
    help=N_("Message language [default: from LANG]."),
)
@click.pass_context
def cli(ctx: click.Context, home: Path | None, schedules: Path | None, lang: str) -> None:
    """radiocli: schedules, speech, playout and reports for commune loudspeaker radio."""
    ctx.obj = Env(home or default_home(), schedules, lang)


_quick_exit = False


def exit_quickly() -> None:
    """Let this process end without tearing the interpreter down (freeing every module
    and object: 8-12 ms, as long as eSpeak NG speaks a sentence). For a command that
    started no threads and closed what it wrote; the exit handlers still run."""
    global _quick_exit
    _quick_exit = True


def main() -> None:
    set_language(language_from_env(os.environ))
    if os.environ.get("RADIOCLI_I18N_STRICT"):  # for translators: name what is missing
        i18n.on_missing(lambda message: click.echo(f"radiocli: untranslated: {message!r}",
                                                   err=True))
    try:
        cli(prog_name="radiocli")
    except SystemExit as exc:
        if _quick_exit:
            _end_now(exc.code)
        raise


def _end_now(code: object) -> None:
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
