"""The pyttsx3 worker: one persistent process that owns one pyttsx3 engine.

Run as ``python -m radiocli.render.worker --parent PID``; it ends itself as soon as
process PID is gone (killed, even with SIGKILL), whatever it is doing. It reads one JSON request per line on
stdin and answers one JSON line on the stdout it was started with; pyttsx3's own
prints go to /dev/null. The parent (:class:`radiocli.render.engines.Pyttsx3Engine`)
sends one text at a time, waits for the answer with a timeout and kills the worker
when it hangs, so pyttsx3 2.99's known faults (lost first file, cancelled audio, lost
rate change, silent fall-back to English, hangs) never stall a render.

Requests::

    {"op": "voices"}
    {"op": "say", "text": "...", "out": "/path.wav", "voice": "vi", "rate": 140}

Answers: ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``.

Each ``say`` is checked before it is answered: the file exists, is a complete WAV
(header length matches the data), the engine used the voice and rate asked for, and
the duration is plausible for the number of words. A failed check is retried in
place (a fresh engine state) up to three times, then reported.
"""

from __future__ import annotations

import json
import os
import sys
import wave
from pathlib import Path
from typing import Any

from radiocli.i18n import _, set_language

SAMPLE_RATE = 22050


def plausible_seconds(text: str, rate: int) -> tuple[float, float]:
    """The range of durations (s) a text of this many words can take at ``rate`` wpm."""
    words = max(1, len(text.split()))
    expected = words * 60.0 / max(rate, 1)
    return expected * 0.35, expected * 2.5 + 1.5


def check_wav(path: Path) -> float:
    """Duration (s) of a complete, non-empty 16-bit mono WAV; ValueError otherwise."""
    size = path.stat().st_size
    with wave.open(str(path), "rb") as wav:
        frames = wav.getnframes()
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(_("not 16-bit mono"))
        rate = wav.getframerate()
    if frames <= 0:
        raise ValueError(_("empty audio"))
    if size < 44 + frames * 2:
        raise ValueError(_("truncated file"))
    return frames / rate


def disk_problem(out: Path) -> dict[str, Any] | None:
    """The answer for a file that could not be written because its disk is full (or the
    file size limit is reached), else None."""
    from radiocli.render.tools import write_problem

    problem = write_problem(out.parent, written=out)
    return _disk_answer(out, problem)


def no_room(out: Path, text: str, rate: int) -> dict[str, Any] | None:
    """The disk-full answer when not even the shortest plausible audio of ``text`` fits
    beside ``out`` (found before speaking: a full disk can make pyttsx3 hang)."""
    from radiocli.render.tools import room_problem

    low, _high = plausible_seconds(text, rate)
    return _disk_answer(out, room_problem(out.parent, 44 + int(low * SAMPLE_RATE) * 2))


def _disk_answer(out: Path, problem: OSError | None) -> dict[str, Any] | None:
    import errno

    if problem is None or problem.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return None
    reason = (_("the file size limit (ulimit -f) is reached") if problem.errno == errno.EFBIG
              else _("free some space and run again"))
    return {"ok": False, "code": "disk", "path": str(out), "reason": reason,
            "error": _("disk full: {path}").format(path=out)}


class Speaker:
    def __init__(self) -> None:
        import pyttsx3

        self.engine = pyttsx3.init("espeak")
        self.ids: dict[str, str] = {}  # accepted name -> espeak identifier
        self.voices: list[dict[str, Any]] = []
        for voice in self.engine.getProperty("voices"):
            ident = str(voice.id).lower()
            languages = [str(lang) for lang in (voice.languages or [])]
            self.voices.append({"id": ident, "name": voice.name, "languages": languages})
            if not any(lang.lower().startswith("vi") for lang in languages):
                continue  # radiocli speaks Vietnamese only: other voices are errors
            self.ids[ident] = ident
            for lang in languages:
                self.ids.setdefault(lang.lower(), ident)
            self.ids.setdefault(ident.rsplit("/", 1)[-1], ident)

    def current_rate(self) -> int:
        """The rate eSpeak will use (pyttsx3's own binding drops the 'current' flag)."""
        import ctypes

        from pyttsx3.drivers import _espeak

        get = _espeak.dll.espeak_GetParameter
        get.argtypes = [ctypes.c_int, ctypes.c_int]
        get.restype = ctypes.c_int
        return int(get(_espeak.RATE, 1))

    def say(self, text: str, out: Path, voice: str, rate: int) -> dict[str, Any]:
        ident = self.ids.get(voice.lower())
        if ident is None:
            return {"ok": False, "error": _("unknown voice {voice!r}").format(voice=voice),
                    "code": "voice"}
        name = ident.rsplit("/", 1)[-1]  # SetVoiceByName wants the file name ("vi")
        full = no_room(out, text, rate)
        if full is not None:
            return full
        low, high = plausible_seconds(text, rate)
        problem = ""
        for _attempt in range(3):
            out.unlink(missing_ok=True)
            self.engine.setProperty("voice", name)
            self.engine.setProperty("rate", rate)
            self.engine.save_to_file(text, str(out))
            self.engine.runAndWait()
            try:
                seconds = check_wav(out)
            except (OSError, ValueError, EOFError, wave.Error) as exc:
                full = disk_problem(out)
                if full is not None:
                    out.unlink(missing_ok=True)
                    return full  # trying again cannot help
                problem = _("no complete audio file ({error})").format(error=exc)
                continue
            used_voice = (self.engine.getProperty("voice") or "").lower()
            used_rate = self.current_rate()
            if used_voice != ident:
                problem = _("engine used voice {used!r} instead of {wanted!r}").format(
                    used=used_voice, wanted=ident)
                continue
            if used_rate != rate:
                problem = _("engine used rate {used} instead of {wanted}").format(
                    used=used_rate, wanted=rate)
                continue
            if not low <= seconds <= high:
                problem = _("implausible duration {seconds:.2f} s (expected {low:.1f}-"
                            "{high:.1f})").format(seconds=seconds, low=low, high=high)
                continue
            return {"ok": True, "seconds": seconds}
        out.unlink(missing_ok=True)
        return {"ok": False, "error": problem, "code": "check"}


def main() -> int:
    args = dict(zip(sys.argv[1::2], sys.argv[2::2], strict=False))
    if "--lang" in args:  # its messages in the language of the radiocli that started it
        set_language(args["--lang"])
    if "--parent" in args:
        from radiocli.render.tools import watch_parent

        watch_parent(int(args["--parent"]))  # a killed radiocli leaves no worker behind
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pyttsx3 prints "Audio saved to ..." on stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    try:
        speaker = Speaker()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which explains it
        proto.write(json.dumps({"ok": False, "error": _("pyttsx3 failed to start: {error}").format(
            error=exc)}) + "\n")
        return 1
    proto.write(json.dumps({"ok": True, "ready": True}) + "\n")
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if request.get("op") == "voices":
                answer: dict[str, Any] = {"ok": True, "voices": speaker.voices}
            elif request.get("op") == "say":
                answer = speaker.say(
                    str(request["text"]),
                    Path(request["out"]),
                    str(request["voice"]),
                    int(request["rate"]),
                )
            else:
                answer = {"ok": False, "error": _("unknown request {op!r}").format(
                    op=request.get("op"))}
        except Exception as exc:  # noqa: BLE001 - one bad request must not end the worker
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        proto.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
