"""radiocli voices"""

from __future__ import annotations

from pathlib import Path

import click

from radiocli.cli import Env
from radiocli.cli.output import output_options, print_rows
from radiocli.i18n import N_, _


@click.command("voices")
@output_options
@click.option("--piper-model", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("A Piper voice file (.onnx) to list."))
@click.pass_obj
def command(env: Env, fmt: str | None, piper_model: Path | None) -> None:
    """List the speech engines and their Vietnamese voices.

    An engine that is not installed is listed with what to install.

    Example: radiocli voices --json
    """
    from radiocli.errors import RadioError
    from radiocli.render.engines import DEFAULT_ENGINE, DEFAULT_VOICE, ENGINES, get_engine

    rows: list[dict[str, object]] = []
    for name in ENGINES:
        engine = get_engine(name, piper_model=piper_model)
        try:
            voices = engine.voices()
            note = "" if voices else _("no voice file: pass --piper-model voice.onnx")
            if name == "piper":
                from radiocli.tools import on_path

                if on_path("piper") is None:
                    note = _("not installed: pip install piper-tts")
        except RadioError as exc:
            voices, note = [], str(exc)
        finally:
            engine.close()
        for voice in voices:
            row: dict[str, object] = {**voice.as_dict()}
            row["default"] = name == DEFAULT_ENGINE and voice.id == DEFAULT_VOICE
            row["note"] = note
            rows.append(row)
        if not voices:
            rows.append({"engine": name, "id": "", "name": "", "language": "",
                         "default": False, "note": note})
    columns = [("engine", _("engine")), ("id", _("voice")), ("name", _("name")),
               ("default", _("default")), ("note", _("note"))]
    print_rows(rows, columns, fmt)
