"""A feed plays one piece of one occurrence (its parts from an offset, for at most
``limit`` seconds). Each part is decoded by one ffmpeg to 22,050 Hz mono PCM (or read
straight from a rendered WAV); the feed paces the PCM in Python with the daemon's clock
and hands every 100 ms chunk to its outputs. Stations that start the same occurrence at
the same offset in the same instant share one feed, so a city bulletin aired by 579
stations is decoded once.

Starting is cheap for the thread that fires programs: :meth:`Feed.join` only says which
station joins, and :meth:`Feed.start` only starts its thread. The feed's own thread
launches its decoder and, while ffmpeg starts up, opens its stations' outputs; then the
first chunk goes out.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from radiocli import tools
from radiocli.errors import ToolMissing
from radiocli.i18n import _
from radiocli.play.children import ChildGroup
from radiocli.play.clock import Clock

log = logging.getLogger("radiocli.play")

RATE = 22050
BYTES_PER_S = RATE * 2
CHUNK = BYTES_PER_S // 10  # 100 ms
RELAY_PROTOCOLS = "http,https,tcp,tls,rtp,udp,crypto"  # never file, concat, subfile


@dataclass(frozen=True)
class AirPart:
    """One thing to play: an audio file or a relay URL, ``seconds`` long."""

    kind: str  # "audio" or "relay"
    seconds: float
    path: Path | None = None
    url: str | None = None
    segment: int = 0  # index of the program segment this part starts with


def ffmpeg() -> str:
    """ffmpeg's full path (ToolMissing says how to install it)."""
    return tools.which("ffmpeg")


def decoder_argv(part: AirPart, offset: float, seconds: float) -> list[str]:
    argv = [ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error"]
    if part.kind == "relay":
        argv += ["-protocol_whitelist", RELAY_PROTOCOLS, "-rw_timeout", "8000000",
                 "-i", str(part.url)]
    else:
        if offset > 0:
            argv += ["-ss", f"{offset:.3f}"]
        argv += ["-protocol_whitelist", "file", "-i", f"file:{part.path}"]
    return argv + ["-t", f"{max(seconds, 0.0):.3f}", "-f", "s16le", "-ac", "1",
                   "-ar", str(RATE), "pipe:1"]


def open_pcm_wav(path: Path) -> wave.Wave_read | None:
    """``path`` opened for reading if it is a WAV of exactly the feed's PCM (16-bit mono
    22,050 Hz, uncompressed), else None (ffmpeg decodes it)."""
    try:
        pcm = wave.open(str(path), "rb")
    except (OSError, EOFError, wave.Error):
        return None
    if (pcm.getnchannels(), pcm.getsampwidth(), pcm.getframerate(), pcm.getcomptype()) != (
            1, 2, RATE, "NONE"):
        pcm.close()
        return None
    return pcm


def last_line(data: bytes) -> str:
    """The line of ffmpeg's stderr that says what went wrong."""
    lines = [x.strip() for x in data.decode("utf-8", "replace").splitlines() if x.strip()]
    for line in lines:  # ffmpeg names the cause before its generic last words
        if "cannot open" in line or "Failed to resolve" in line or "Connection refused" in line:
            return line.split("] ", 1)[-1][:300]
    return lines[-1][:300] if lines else "no message"


class Output(Protocol):
    def write(self, chunk: bytes) -> None: ...

    def close(self) -> None: ...


class SinkFault(Exception):
    """An output cannot take audio any more (device gone, Icecast down, disk full)."""


class Feed:
    """Decode and pace one piece of one occurrence; fan PCM out to outputs.

    Stations join with :meth:`join` (an opener that adds their outputs, run in the
    feed's thread before the next chunk leaves) and leave with :meth:`leave`."""

    def __init__(self, key: tuple[str, float], parts: Sequence[AirPart], offset: float,
                 limit: float, clock: Clock, *, lead: float = 0.0,
                 on_fault: Callable[[Feed, str], None],
                 on_done: Callable[[Feed, str], None],
                 on_output_fault: Callable[[Feed, str, str], None],
                 on_first_audio: Callable[[Feed, datetime], None] = lambda feed, at: None,
                 fallback: Path | None = None, relay_fallback: Path | None = None,
                 children: ChildGroup | None = None, openers: int = 1) -> None:
        self.key = key
        self.parts = list(parts)
        self.offset = offset
        self.limit = limit
        self.clock = clock
        self.lead = lead
        self.on_fault = on_fault
        self.on_done = on_done
        self.on_output_fault = on_output_fault
        self.on_first_audio = on_first_audio
        self.fallback = fallback
        self.relay_fallback = relay_fallback
        self.children = children or ChildGroup()
        self.openers = openers
        self.stations: set[str] = set()
        self.outputs: dict[str, Output] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.sent = 0
        self.started_mono = 0.0
        self.proc: subprocess.Popen[bytes] | None = None
        # station -> (open its outputs, close them): waiting to be opened; opened
        self._joining: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {}
        self._closers: dict[str, Callable[[], None]] = {}
        self.thread = threading.Thread(target=self._run, name=f"feed-{key[0]}", daemon=True)

    def position(self) -> float:
        return self.sent / BYTES_PER_S

    def start(self) -> None:
        self.started_mono = self.clock.monotonic()
        self.thread.start()

    def join(self, station: str, opener: Callable[[], None],
             closer: Callable[[], None]) -> None:
        """``station`` airs this feed: ``opener`` adds its outputs in the feed's thread
        (a SinkFault there is an output fault of the station); ``closer`` removes them
        when it leaves (idempotent)."""
        with self.lock:
            self.stations.add(station)
            self._joining[station] = (opener, closer)

    def leave(self, station: str) -> None:
        """``station`` no longer airs this feed: its outputs are closed (at once, or by
        the feed's thread if it is opening them right now)."""
        with self.lock:
            self.stations.discard(station)
            self._joining.pop(station, None)
            closer = self._closers.pop(station, None)
        if closer is not None:
            closer()

    def _open_joining(self) -> None:
        """Open the outputs of the stations that joined, in the feed's thread (or in
        ``openers`` threads: Icecast answers a source connection in about 1.4 ms, so
        579 one after the other took 0.8 s, and 4 at a time 0.1 s)."""
        while True:
            with self.lock:
                if not self._joining:
                    return
                joining = list(self._joining.items())
                self._joining.clear()
            if len(joining) == 1 or self.openers <= 1:
                for station, how in joining:
                    self._open_one(station, how)
                continue
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(self.openers, len(joining)),
                                    thread_name_prefix="open") as pool:
                for station, (opener, closer) in joining:
                    pool.submit(self._open_one, station, (opener, closer))

    def _open_one(self, station: str,
                  how: tuple[Callable[[], None], Callable[[], None]]) -> None:
        opener, closer = how
        try:
            opener()
        except (SinkFault, OSError, ToolMissing) as exc:
            closer()
            self.on_output_fault(self, station, str(exc))
            return
        with self.lock:
            stays = station in self.stations
            if stays:
                self._closers[station] = closer
        if not stays:  # it left while its outputs were being opened
            closer()

    def add_output(self, key: str, output: Output) -> None:
        with self.lock:
            self.outputs[key] = output

    def remove_output(self, key: str) -> None:
        with self.lock:
            out = self.outputs.pop(key, None)
        if out is not None:
            _close_quietly(out)

    def stop(self) -> None:
        self.stopped.set()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    # --- the thread -----------------------------------------------------------------
    def _slices(self) -> list[tuple[AirPart, float, float]]:
        out: list[tuple[AirPart, float, float]] = []
        skip, budget = self.offset, self.limit
        for part in self.parts:
            if budget <= 0.01:
                break
            if skip >= part.seconds:
                skip -= part.seconds
                continue
            length = min(part.seconds - skip, budget)
            out.append((part, skip if part.kind == "audio" else 0.0, length))
            budget -= length
            skip = 0.0
        return out

    def _run(self) -> None:
        reason = ""
        try:
            self._open_joining_if_idle()
            for part, offset, length in self._slices():
                if self.stopped.is_set():
                    break
                ok, why = self._play(part, offset, length)
                if not ok and not self.stopped.is_set():
                    what = f"relay {part.url}" if part.kind == "relay" else f"audio {part.path}"
                    self.on_fault(self, f"failed: {what}: {why}")
                    reason = "failed: a part was skipped"
                    if self.fallback is not None and part.kind == "audio":
                        chime = AirPart("audio", 10.0, path=self.fallback, segment=part.segment)
                        self._play(chime, 0.0, 10.0)
                    elif self.relay_fallback is not None and part.kind == "relay":
                        # a local recording in the relay's place, for at most its time
                        local = AirPart("audio", length, path=self.relay_fallback,
                                        segment=part.segment)
                        self._play(local, 0.0, length)
            # the last chunk leaves when its time has come
            self._wait_until(self.started_mono + self.position())
        except Exception as exc:  # noqa: BLE001 - a feed must always report its end
            log.exception(_("feed {key} crashed").format(key=self.key))
            reason = f"failed: playout error: {exc}"
        finally:
            with self.lock:
                outputs = list(self.outputs.items())
                self.outputs.clear()
            for _key, out in outputs:
                _close_quietly(out)
            self.on_done(self, reason)

    def _open_joining_if_idle(self) -> None:
        """A feed with nothing to decode still opens (and later closes) its outputs."""
        if not self._slices():
            self._open_joining()

    def _wait_until(self, target: float) -> None:
        while not self.stopped.is_set():
            delay = target - self.clock.monotonic()
            if delay <= 0:
                return
            self.stopped.wait(min(delay, 0.1))

    def _play(self, part: AirPart, offset: float, length: float) -> tuple[bool, str]:
        if part.kind == "audio" and (part.path is None or not part.path.is_file()):
            return False, "the file is missing"
        if part.kind == "audio" and part.path is not None:
            pcm = open_pcm_wav(part.path)
            if pcm is not None:
                return self._play_pcm(pcm, offset, length)
        try:
            proc = self.children.popen(decoder_argv(part, offset, length),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        except (OSError, ToolMissing) as exc:
            return False, str(exc)
        self.proc = proc
        self._open_joining()  # while ffmpeg starts up
        got = 0
        assert proc.stdout is not None and proc.stderr is not None
        err = bytearray()
        err_thread = threading.Thread(target=lambda: err.extend(proc.stderr.read()),  # type: ignore[union-attr]
                                      daemon=True)
        err_thread.start()
        try:
            while not self.stopped.is_set():
                chunk = proc.stdout.read(CHUNK)
                if not chunk:
                    break
                self._wait_until(self.started_mono + self.position() - self.lead)
                if self.stopped.is_set():
                    break
                self._deliver(chunk)
                got += len(chunk)
        finally:
            if proc.poll() is None and self.stopped.is_set():
                proc.kill()
            rc = proc.wait()
            err_thread.join(timeout=2)
            self.proc = None
        if self.stopped.is_set():
            return True, ""
        if rc != 0:
            return False, last_line(bytes(err))
        if got == 0 and length > 0.2:
            return False, "no audio could be decoded"
        return True, ""

    def _play_pcm(self, pcm: wave.Wave_read, offset: float, length: float
                  ) -> tuple[bool, str]:
        """A WAV that is already the feed's PCM (what ``render`` writes by default) is
        read here: the same bytes ffmpeg would give, without starting one (about 50 ms
        of a core each: 30 programs starting in the same second took 0.7 s)."""
        got = 0
        try:
            with pcm:
                pcm.setpos(min(round(offset * RATE), pcm.getnframes()))
                left = round(max(length, 0.0) * RATE) * 2
                self._open_joining()
                while left > 0 and not self.stopped.is_set():
                    chunk = pcm.readframes(min(CHUNK, left) // 2)
                    if not chunk:
                        break
                    left -= len(chunk)
                    self._wait_until(self.started_mono + self.position() - self.lead)
                    if self.stopped.is_set():
                        break
                    self._deliver(chunk)
                    got += len(chunk)
        except (OSError, EOFError, wave.Error) as exc:
            return False, f"cannot read the audio: {exc}"
        if not self.stopped.is_set() and got == 0 and length > 0.2:
            return False, "no audio could be decoded"
        return True, ""

    def _deliver(self, chunk: bytes) -> None:
        if self._joining:
            self._open_joining()
        with self.lock:
            outputs = list(self.outputs.items())
        for key, out in outputs:
            try:
                out.write(chunk)
            except (SinkFault, OSError, ValueError) as exc:
                self.remove_output(key)
                self.on_output_fault(self, key, str(exc))
        if self.sent == 0:
            self.on_first_audio(self, self.clock.now())
        self.sent += len(chunk)



def _close_quietly(out: Output) -> None:
    try:
        out.close()
    except (OSError, SinkFault, ValueError) as exc:
        log.warning(_("closing an output: {error}").format(error=exc))
