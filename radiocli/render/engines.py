"""Speech engines: text in, a 16-bit mono WAV file out.

Three engines share one small interface (:class:`Engine`):

- ``pyttsx3`` (default): pyttsx3 2.99 driving eSpeak NG, run in a persistent worker
  process (:mod:`radiocli.render.worker`) with a timeout per text; a hung or crashed
  worker is killed, reported and restarted, and the text is tried again.
- ``espeak-ng``: the eSpeak NG command line, one short process per text, the text on
  stdin (never in argv, where a text starting with '-' would be read as an option).
- ``piper``: Piper (``pip install piper-tts``), offline neural speech, with a voice
  file (.onnx) the operator supplies; there is no Vietnamese Piper voice in any
  registry, so radiocli ships none.

The default rate is 140 words a minute, a deliberate choice: eSpeak's Vietnamese is
understood markedly better at 140 than at its default 175 (pyttsx3's default is 200).
A voice name that the engine does not have is an error, never silent English.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from radiocli.errors import RenderError, ToolMissing
from radiocli import i18n
from radiocli.i18n import _
from radiocli.render import tools
from radiocli.render.tools import DiskFull, disk_error, last_line
from radiocli.render.worker import check_wav, plausible_seconds

DEFAULT_ENGINE = "pyttsx3"
#: what ``radiocli say`` uses: one text does not pay for the pyttsx3 worker's start
SAY_ENGINE = "espeak-ng"
#: the same values as radiocli.schedule.model's (a test keeps them equal): importing the
#: schedule package here would cost ``radiocli say`` 30 ms of start-up
DEFAULT_RATE = 140
DEFAULT_VOICE = "vi"  # eSpeak NG's Northern Vietnamese voice
MAX_CHUNK = 800  # characters per engine call; long texts are split at sentence ends
ENGINES = ("pyttsx3", "espeak-ng", "piper")


@dataclass(frozen=True)
class Voice:
    engine: str
    id: str  # what --voice accepts
    name: str
    language: str

    def as_dict(self) -> dict[str, str]:
        return {"engine": self.engine, "id": self.id, "name": self.name, "language": self.language}


class Engine(Protocol):
    name: str

    def version(self) -> str:
        """Identifies the audio this engine makes (part of every cache key)."""

    def voices(self) -> list[Voice]:
        """The Vietnamese voices this engine offers."""

    def synthesize(self, text: str, out: Path, voice: str, rate: int) -> float:
        """Write ``text`` spoken as a WAV to ``out``; return its duration in seconds."""

    def close(self) -> None:
        """Release processes the engine holds."""


# --- eSpeak NG command line ----------------------------------------------------------


@cache
def espeak_version() -> str:
    return _espeak_version()[0]


def _espeak_version() -> tuple[str, str]:
    """(version, data folder) of the espeak-ng command line."""
    out = tools.run(["espeak-ng", "--version"], what=_("asking espeak-ng its version"),
                    timeout=30, check=False).stdout
    match = re.search(rb"(\d+\.\d+(?:\.\d+)?)", out)
    data = re.search(rb"Data at:\s*(\S.*?)\s*$", out, re.M)
    return (f"espeak-ng {match.group(1).decode() if match else 'unknown'}",
            os.fsdecode(data.group(1)) if data else "")


@cache
def espeak_voices() -> tuple[tuple[str, str, str], ...]:
    """(language, voice name, file) of every Vietnamese eSpeak NG voice."""
    out = tools.run(["espeak-ng", "--voices=vi"], what=_("listing the espeak-ng voices"),
                    timeout=30).stdout
    voices = []
    for line in out.decode("utf-8", "replace").splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5 and fields[1].lower().startswith("vi"):
            voices.append((fields[1].lower(), fields[3].replace("_", " "), fields[4]))
    return tuple(voices)


class EspeakInfo(NamedTuple):
    version: str
    voices: tuple[tuple[str, str, str], ...]


def _stamp(path: str) -> list[object]:
    """What changes when a file or folder is replaced: its path, size, mtime and ctime
    (an mtime can be set back; a ctime cannot)."""
    try:
        st = os.stat(path)
    except OSError:
        return [path]
    return [path, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def espeak_info(memo: Path | None = None) -> EspeakInfo:
    """espeak-ng's version and Vietnamese voices. With ``memo`` (a JSON file), they are
    remembered there, keyed by the espeak-ng program and its data folder (path, size,
    modification time; an upgrade replaces both), so that a process that speaks one
    text does not start espeak-ng twice more to ask (``radiocli say``: 8 ms of 12)."""
    if memo is None:
        return EspeakInfo(espeak_version(), espeak_voices())
    binary = _stamp(os.path.realpath(tools.which("espeak-ng")))
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))["espeak-ng"]
        if known["binary"] == binary and known["data"] == _stamp(known["data"][0]):
            return EspeakInfo(str(known["version"]),
                              tuple((str(a), str(b), str(c)) for a, b, c in known["voices"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass
    version, data = _espeak_version()
    info = EspeakInfo(version, espeak_voices())
    entry = {"binary": binary, "data": _stamp(data), "version": info.version,
             "voices": [list(v) for v in info.voices]}
    try:  # a cache of what espeak-ng says: without it, it is asked again next time
        from radiocli import fileio

        memo.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_atomic(memo, json.dumps({"espeak-ng": entry}), mode=0o644,
                            sync=fileio.Sync.NONE)
    except OSError:
        pass
    return info


def resolve_espeak_voice(engine: str, voice: str,
                         voices: tuple[tuple[str, str, str], ...] | None = None) -> str:
    """The eSpeak language code for ``voice`` (code, file or name), else RenderError."""
    voices = espeak_voices() if voices is None else voices
    wanted = voice.strip().lower()
    for language, name, file in voices:
        if wanted in (language, file.lower(), name.lower(), file.lower().rsplit("/", 1)[-1]):
            return language
    known = ", ".join(v[0] for v in voices) or "none installed"
    raise RenderError(_("{engine} has no voice {voice!r} (Vietnamese voices: {known})").format(
        engine=engine, voice=voice, known=known))


class EspeakEngine:
    name = "espeak-ng"

    def __init__(self, memo: Path | None = None) -> None:
        self.memo = memo  # where espeak_info remembers the version and voices

    def version(self) -> str:
        return espeak_info(self.memo).version

    def voices(self) -> list[Voice]:
        return [Voice(self.name, lang, name, lang)
                for lang, name, _f in espeak_info(self.memo).voices]

    def synthesize(self, text: str, out: Path, voice: str, rate: int) -> float:
        language = resolve_espeak_voice(self.name, voice, espeak_info(self.memo).voices)
        argv = ["espeak-ng", "-b", "1", "-v", language, "-s", str(rate), "-w", str(out),
                "--stdin"]
        return run_command_engine("espeak-ng", argv, text, out, 60 + len(text) / 50)

    def close(self) -> None:
        pass


# --- pyttsx3 in a worker process -----------------------------------------------------


class WorkerDied(Exception):
    pass


class Pyttsx3Engine:
    """pyttsx3 driving eSpeak NG in a persistent worker process, one text at a time."""

    name = "pyttsx3"
    attempts = 3

    def __init__(self, timeout: float = 30.0, python: str | None = None) -> None:
        self.timeout = timeout
        self.python = python or sys.executable
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._stderr: Any = None
        self.restarts = 0  # how many times a worker was killed and replaced

    # the worker's life
    def _start(self) -> None:
        if self._stderr is None:
            import tempfile

            self._stderr = tempfile.TemporaryFile()
        self._stderr.seek(0)
        self._stderr.truncate()
        self.proc = tools.start([self.python, "-m", "radiocli.render.worker", "--parent",
                                 str(os.getpid()), "--lang", i18n.language()],
                                what=_("starting the pyttsx3 worker"),
                                stderr=self._stderr, die_with_thread=False)
        self._buffer = b""
        try:
            answer = self._read(60.0)
        except WorkerDied as exc:
            self._kill()
            raise RenderError(_("the pyttsx3 worker did not start: {error}").format(
                error=exc)) from exc
        if not answer.get("ok"):
            self._kill()
            error = str(answer.get("error"))
            if "espeak" in error.lower() or "libespeak" in error.lower():
                raise ToolMissing("espeak-ng") from None
            raise RenderError(_("the pyttsx3 worker did not start: {error}").format(error=error))

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        tools.stop(proc)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return last_line(self._stderr.read()[-4000:])

    def _read(self, timeout: float, writes: Path | None = None) -> dict[str, Any]:
        """The worker's next answer. ``writes``: the file it is writing; while waiting,
        a full disk (or the file cut at the size limit) ends the wait at once, since
        pyttsx3 can hang on a failed write instead of answering."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WorkerDied(_("no answer within {timeout:.0f} s (engine hung)").format(
                        timeout=timeout))
                if not sel.select(min(left, 0.5)):
                    if writes is not None:
                        self._check_room(writes)
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise WorkerDied(_("the worker exited ({detail})").format(
                        detail=self._stderr_tail()))
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return dict(json.loads(line))

    def _check_room(self, writes: Path) -> None:
        """DiskFull (and the worker stopped) when ``writes`` cannot grow any more."""
        limit = tools.fsize_limit()
        try:
            cut = limit is not None and writes.stat().st_size >= limit
        except OSError:
            cut = False
        problem = tools.room_problem(writes.parent, 1 << 16)
        if cut or problem is not None:
            self._kill()
            raise DiskFull(writes, _("the file size limit (ulimit -f) is reached") if cut
                           or (problem is not None and problem.errno == errno.EFBIG)
                           else "")

    def _ask(self, request: dict[str, Any], timeout: float,
             writes: Path | None = None) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self._kill()
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request, ensure_ascii=False).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(_("the worker exited ({detail})").format(
                detail=self._stderr_tail())) from exc
        return self._read(timeout, writes)

    def request(self, request: dict[str, Any], timeout: float,
                writes: Path | None = None) -> dict[str, Any]:
        """Send a request, killing and restarting a hung or crashed worker (3 tries).

        ``writes``: the file the request makes; when the worker fails and its folder is
        full, DiskFull at once (retrying cannot help) and the worker is stopped.
        """
        problem = ""
        for _attempt in range(self.attempts):
            try:
                return self._ask(request, timeout, writes)
            except WorkerDied as exc:
                problem = str(exc)
                self.restarts += 1
                self._kill()
                if writes is not None:
                    tools.check_disk(writes)
        raise RenderError(_("pyttsx3 failed {attempts} times: {problem}").format(
            attempts=self.attempts, problem=problem))

    # the engine interface
    def version(self) -> str:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as package_version

        try:
            ours = package_version("pyttsx3")
        except PackageNotFoundError:
            ours = "missing"
        try:
            speak = espeak_version()
        except ToolMissing:
            speak = "espeak-ng unknown"
        return f"pyttsx3 {ours}; {speak}"

    def voices(self) -> list[Voice]:
        answer = self.request({"op": "voices"}, self.timeout)
        voices = []
        for v in answer.get("voices", []):
            languages = v.get("languages") or [""]
            if str(languages[0]).lower().startswith("vi"):
                voices.append(Voice(self.name, str(languages[0]).lower(), v["name"], languages[0]))
        return voices

    def synthesize(self, text: str, out: Path, voice: str, rate: int) -> float:
        _low, high = plausible_seconds(text, rate)
        timeout = self.timeout + high
        answer = self.request(
            {"op": "say", "text": text, "out": str(out), "voice": voice, "rate": rate}, timeout,
            writes=out,
        )
        if not answer.get("ok"):
            if answer.get("code") == "disk":
                self.close()  # the worker is of no use until there is room again
                raise DiskFull(str(answer.get("path") or out), str(answer.get("reason") or "")
                               or _("free some space and run again"))
            if answer.get("code") == "voice":
                known = ", ".join(v.id for v in self.voices())
                raise RenderError(_("pyttsx3 has no voice {voice!r} (Vietnamese voices: "
                                    "{known})").format(voice=voice, known=known))
            raise RenderError(_("pyttsx3 could not speak the text: {error}").format(
                error=answer.get("error")))
        return float(answer["seconds"])

    def close(self) -> None:
        proc, self.proc = self.proc, None
        tools.stop(proc, grace=5.0)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __del__(self) -> None:
        try:
            self._kill()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


# --- Piper ---------------------------------------------------------------------------


def piper_missing() -> ToolMissing:
    exc = ToolMissing("piper")
    exc.args = (_("piper is not installed; install it with: pip install piper-tts"),)
    return exc


@cache
def _file_digest(path: str, size: int, mtime_ns: int, ctime_ns: int) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's content (remembered per path, size, mtime and ctime: a file
    rewritten with its mtime set back is read again)."""
    st = path.stat()
    return _file_digest(str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class PiperEngine:
    """Piper with an operator-supplied voice file; ``voice`` is the path to the .onnx."""

    name = "piper"

    def __init__(self, model: Path | None = None) -> None:
        self.model = model

    def _model(self, voice: str | None) -> Path:
        candidate = Path(voice) if voice and voice.endswith(".onnx") else self.model
        if candidate is None:
            raise RenderError(
                _("piper needs a voice file: pass --voice /path/to/voice.onnx (Piper voices are "
                  ".onnx files with a .onnx.json beside them)")
            )
        if not candidate.is_file():
            raise RenderError(_("piper voice file not found: {path}").format(path=candidate))
        return candidate

    def version(self) -> str:
        model = self._model(None) if self.model else None
        digest = file_digest(model)[:16] if model else "no-voice"
        return f"piper; voice {digest}"

    def voices(self) -> list[Voice]:
        if self.model is None or not self.model.is_file():
            return []
        return [Voice(self.name, str(self.model), self.model.stem, "vi")]

    def synthesize(self, text: str, out: Path, voice: str, rate: int) -> float:
        from shutil import which as find

        exe = find("piper")
        if exe is None:
            raise piper_missing()
        model = self._model(voice)
        length_scale = f"{DEFAULT_RATE / max(rate, 1):.3f}"
        argv = [exe, "--model", str(model), "--output_file", str(out),
                "--length_scale", length_scale]
        return run_command_engine("piper", argv, text, out, 120 + len(text) / 20)

    def close(self) -> None:
        pass


def run_command_engine(name: str, argv: list[str], text: str, out: Path, timeout: float
                       ) -> float:
    """Run a command-line engine that reads the text on stdin (never as an argument, so
    a text starting with '-' stays text) and check the WAV it wrote; its seconds."""
    tools.run(argv, what=_("speaking"), input=text.encode("utf-8"), timeout=timeout, writes=out)
    try:
        return check_wav(out)
    except (OSError, ValueError, EOFError, wave.Error) as exc:
        tools.check_disk(out)
        raise RenderError(_("{name} wrote no usable audio ({error})").format(
            name=name, error=exc)) from exc


def get_engine(name: str = DEFAULT_ENGINE, *, piper_model: Path | None = None,
               memo: Path | None = None) -> Engine:
    """A new engine by name: ``pyttsx3`` (default), ``espeak-ng`` or ``piper``.
    ``memo``: a file where espeak-ng's version and voices are remembered."""
    if name == "pyttsx3":
        return Pyttsx3Engine()
    if name in ("espeak-ng", "espeak"):
        return EspeakEngine(memo)
    if name == "piper":
        return PiperEngine(piper_model)
    raise RenderError(_("unknown speech engine {name!r} (engines: {engines})").format(
        name=name, engines=", ".join(ENGINES)))


# --- long texts ----------------------------------------------------------------------


def split_text(text: str, limit: int = MAX_CHUNK) -> list[str]:
    """Split at sentence ends (then commas, then spaces) into pieces of <= ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    for pattern in (r"(?<=[.!?;:])\s+", r"(?<=,)\s+", r"\s+"):
        parts = re.split(pattern, text)
        if all(len(p) <= limit for p in parts) or pattern == r"\s+":
            break
    current = ""
    for part in parts:
        while len(part) > limit:  # one enormous "word"
            if current:
                pieces.append(current)
                current = ""
            pieces.append(part[:limit])
            part = part[limit:]
        if current and len(current) + 1 + len(part) > limit:
            pieces.append(current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def speak(engine: Engine, text: str, out: Path, voice: str, rate: int, *,
          trim: bool = True) -> float:
    """Speak a text of any length into ``out`` (pieces joined); return seconds.

    ``trim``: cut each piece's leading and trailing silence down to a short pause
    (:func:`radiocli.render.clips.trim_silence`; eSpeak NG ends every text with 0.4 to
    0.8 s of silence, depending on the rate)."""
    pieces = split_text(text)
    if not pieces:
        raise RenderError(_("the text is empty"))
    low = sum(plausible_seconds(piece, rate)[0] for piece in pieces)
    room = tools.room_problem(out.parent, 44 + int(low * 22050) * 2)
    if room is not None:  # not even the shortest plausible audio fits: say so now
        raise disk_error(room, _("writing speech"), out)
    if len(pieces) == 1:
        seconds = engine.synthesize(pieces[0], out, voice, rate)
        return _trimmed(out) if trim else seconds
    import tempfile

    frames = 0
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".speak-") as tmp:
            with wave.open(str(out), "wb") as joined:
                joined.setnchannels(1)
                joined.setsampwidth(2)
                for n, piece in enumerate(pieces):
                    part = Path(tmp) / f"{n}.wav"
                    engine.synthesize(piece, part, voice, rate)
                    if trim:
                        _trimmed(part)
                    with wave.open(str(part), "rb") as wav:
                        if n == 0:
                            joined.setframerate(wav.getframerate())
                            sample_rate = wav.getframerate()
                        joined.writeframes(wav.readframes(wav.getnframes()))
                        frames += wav.getnframes()
                    part.unlink()
    except OSError as exc:
        raise disk_error(exc, _("writing speech"), out) from exc
    return frames / sample_rate


def _trimmed(path: Path) -> float:
    from radiocli.render.clips import trim_silence

    try:
        return trim_silence(path)
    except OSError as exc:
        raise disk_error(exc, _("writing speech"), path) from exc
