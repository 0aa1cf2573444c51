"""radiocli say"""

from __future__ import annotations

from pathlib import Path

import click

from radiocli.cli import Env
from radiocli.i18n import N_, _


@click.command("say")
@click.argument("text", required=False)
@click.option("--file", "-f", "text_file", type=click.File("r", encoding="utf-8"),
              help=N_("Read the text from a file ('-' for stdin)."))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Write the speech to this WAV file."))
@click.option("--play", is_flag=True, help=N_("Play it on the default audio device (ffmpeg)."))
@click.option("--voice", "-v", help=N_("Voice: vi (Northern, default), vi-vn-x-central, "
                                        "vi-vn-x-south; a .onnx file for piper."))
@click.option("--rate", "-r", type=click.IntRange(60, 400),
              help=N_("Words a minute [default: 140]."))
@click.option("--engine", "-e", type=click.Choice(["pyttsx3", "espeak-ng", "piper"]),
              help=N_("Speech engine [default: espeak-ng, the same eSpeak NG voice as "
                     "render's pyttsx3 without the worker's start-up]."))
@click.option("--station", metavar=N_("CODE"),
              help=N_("Speak with this station's abbreviations (its schedule file's, its "
                     "district's and the city's), as its programs are spoken."))
@click.option("--district", "-d", metavar=N_("CODE"),
              help=N_("Speak with this district's abbreviations (and the city's)."))
@click.option("--raw", is_flag=True, help=N_("Do not normalize the text (digits are read badly)."))
@click.option("--loudness", type=click.FloatRange(-40, -5), default=-16.0, show_default=True,
              help=N_("Target loudness of the WAV in LUFS (integrated)."))
@click.option("--true-peak", type=click.FloatRange(-10, 0), default=-1.0, show_default=True,
              help=N_("True-peak ceiling in dBTP."))
@click.pass_obj
def command(env: Env, text: str | None, text_file: object, output: Path | None, play: bool,
            voice: str | None, rate: int | None, engine: str | None, station: str | None,
            district: str | None, raw: bool, loudness: float, true_peak: float) -> None:
    """Speak a Vietnamese text: normalize it, synthesize it, write a WAV or play it.

    The speech goes through the same cache as `radiocli render`, so saying a text twice
    synthesizes it once. It is spoken by the eSpeak NG command line unless --engine says
    otherwise: the same voice as programs get through pyttsx3, without starting the
    pyttsx3 worker for one text (0.3 s, twenty times the synthesis of a sentence).

    Example: radiocli say "UBND xã thông báo: 7h30 ngày 2/8 tiêm vắc xin" -o thong-bao.wav
    """
    from radiocli.cli import exit_quickly
    from radiocli.render.engines import DEFAULT_RATE, DEFAULT_VOICE, SAY_ENGINE
    from radiocli.render.speech import say_to_file, write_normalized_wav

    exit_quickly()  # one text: nothing to tear down but the interpreter
    if text_file is not None:
        text = text_file.read()  # type: ignore[attr-defined]
    if text is None:
        raise click.UsageError(_("give the text to say, or --file"))
    if output is None and not play:
        raise click.UsageError(_("say where the speech goes: -o FILE.wav or --play"))
    from radiocli.cli.normalize import station_words

    words = station_words(env, station, district)
    result = say_to_file(
        env.home.cache,
        text,
        engine=engine or SAY_ENGINE,
        voice=voice or DEFAULT_VOICE,
        rate=rate or DEFAULT_RATE,
        normalize_text=not raw,
        abbreviations=words,
    )
    for warning in result.warnings:
        click.echo("radiocli: " + _("warning: {warning}").format(warning=warning), err=True)
    if output is not None:
        measured = write_normalized_wav(result, env.home.cache, output, loudness=loudness,
                                        true_peak=true_peak)
        click.echo(_("wrote {path} ({seconds:.1f} s, {lufs:.1f} LUFS, true peak {tp:.1f} dBTP)"
                     ).format(path=output, seconds=measured.seconds, lufs=measured.loudness,
                              tp=measured.true_peak), err=True)
    if play:
        from radiocli.render.tools import play_file

        if output is not None:
            play_file(output)
        else:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="radiocli-say-") as folder:
                loud = Path(folder) / "say.wav"
                write_normalized_wav(result, env.home.cache, loud, loudness=loudness,
                                     true_peak=true_peak)
                play_file(loud)
