"""Where audio goes: ``null`` (paced by the clock, no output), ``file`` (an aircheck
recording per session), ``device`` (ALSA through ffmpeg) and ``stream`` (Icecast).

Audio path (file, device, stream): a :class:`Feed` plays one piece of one occurrence
(its parts from an offset, for at most ``limit`` seconds). Each part is decoded by one
ffmpeg to 22,050 Hz mono PCM; the feed paces the PCM in Python with the daemon's clock
and hands every 100 ms chunk to its outputs. Stations that start the same occurrence at
the same offset in the same instant share one feed, so a city bulletin aired by 579
stations is decoded once; ``stream`` then encodes it once (one MP3 encoder per feed) and
fans the encoded bytes out to one Icecast source connection per station mount.

``null`` has no feed at all: the daemon ends a program when the clock reaches its end
(no process per station; one ffmpeg costs 55 MB).

Starting is cheap for the thread that fires programs: :meth:`Sink.attach` only says
which station joins a feed, and :meth:`Feed.start` only starts its thread. The feed's
own thread launches its decoder and, while ffmpeg starts up, opens its stations'
outputs (the WAV files, the ALSA process, the Icecast source connections); then the
first chunk goes out. So 579 stations of 30 programs get their start lines first and
their 30 feeds next, instead of each start waiting for the feeds launched before it.

Every ffmpeg the daemon starts is in one process group (:class:`ChildGroup`) led by a
small watchdog that kills the group when the daemon ends, even by ``kill -9``.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import socket
import subprocess
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from radiocli import tools
from radiocli.errors import PlayoutError, RadioError, ToolMissing
from radiocli.i18n import _, os_text
from radiocli.play.clock import Clock

log = logging.getLogger("radiocli.play")

RATE = 22050
BYTES_PER_S = RATE * 2
CHUNK = BYTES_PER_S // 10  # 100 ms
RELAY_PROTOCOLS = "http,https,tcp,tls,rtp,udp,crypto"  # never file, concat, subfile
SINKS = ("null", "file", "device", "stream")


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


# --- the daemon's children -------------------------------------------------------------


WATCHDOG = ["/bin/sh", "-c", "read -r _; kill -KILL 0"]


class ChildGroup:
    """The ffmpeg processes of one daemon (decoders, MP3 encoders, ALSA outputs), in
    one process group that dies with the daemon.

    The group's leader is a watchdog (``sh``) blocked reading a pipe whose other end
    only the daemon holds. When the daemon ends (a stop, a crash, ``kill -9``), the
    kernel closes that end, the read returns and the watchdog kills the whole group,
    itself included. A parent-death signal would not do: Linux sends it when the
    *thread* that started the child ends (feeds are threads that come and go), and it
    needs a ``preexec_fn``, which makes every start a full ``fork`` of the daemon
    (3.7 ms against 0.3 ms for the ``vfork`` that Python uses without one, measured
    with 60 MB resident). Children in their own group also no longer get the
    terminal's Ctrl-C before the daemon has cut the program and written its end lines.
    Without :meth:`start` (tests of parts), children are started as usual.
    """

    def __init__(self) -> None:
        self.pgid: int | None = None
        self._pipe: int | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        try:
            self._watchdog = subprocess.Popen(WATCHDOG, stdin=read, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, process_group=0)
        finally:
            os.close(read)
        self._pipe = write
        self.pgid = self._watchdog.pid

    def popen(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """``subprocess.Popen`` into the group (a new watchdog if the old one died)."""
        pgid = self.pgid
        if pgid is None:
            return subprocess.Popen(argv, **kwargs)
        try:
            return subprocess.Popen(argv, process_group=pgid, **kwargs)
        except PermissionError:  # the group is gone: its watchdog was killed
            with self._lock:
                if self.pgid == pgid:
                    self._close()
                    self._start()
                pgid = self.pgid
            return subprocess.Popen(argv, process_group=pgid, **kwargs)

    def close(self) -> None:
        """End every child still running (the daemon stops)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self._watchdog is not None:
            try:
                self._watchdog.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
                self._watchdog.wait()
            self._watchdog = None
        self.pgid = None


# --- the feed ----------------------------------------------------------------------------


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


# --- outputs -----------------------------------------------------------------------------


class WavOutput:
    """An aircheck recording: exactly the PCM that aired, one WAV per session. The file
    is created by :meth:`open` in the feed's thread while its decoder starts up (or by
    the first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wav: wave.Wave_write | None = None

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.wav = wave.open(str(self.path), "wb")
            self.wav.setnchannels(1)
            self.wav.setsampwidth(2)
            self.wav.setframerate(RATE)
        except OSError as exc:
            raise SinkFault(f"aircheck {self.path}: {exc.strerror or exc}") from exc

    def write(self, chunk: bytes) -> None:
        if self.wav is None:
            self.open()
        assert self.wav is not None
        try:
            self.wav.writeframesraw(chunk)
        except OSError as exc:
            raise SinkFault(f"aircheck {self.path}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        if self.wav is not None:
            self.wav.close()


class ProcessOutput:
    """PCM into an ffmpeg process (ALSA device, or an MP3 encoder)."""

    def __init__(self, argv: list[str], what: str, stdout: Any = subprocess.DEVNULL,
                 children: ChildGroup | None = None) -> None:
        self.what = what
        self.proc = (children or ChildGroup()).popen(argv, stdin=subprocess.PIPE,
                                                     stdout=stdout, stderr=subprocess.PIPE)

    def _fault(self) -> SinkFault:
        try:
            _out, err = self.proc.communicate(timeout=2)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            err = b""
        return SinkFault(f"{self.what}: {last_line(err or b'')} (ffmpeg exit {self.proc.returncode})")

    def write(self, chunk: bytes) -> None:
        if self.proc.poll() is not None:
            raise self._fault()
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(chunk)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._fault() from None

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def alsa_argv(device: str) -> list[str]:
    return [ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "s16le",
            "-ar", str(RATE), "-ac", "1", "-i", "pipe:0", "-f", "alsa", device]


def probe_device(device: str = "default") -> str | None:
    """None if ALSA ``device`` takes audio, else what ffmpeg said (no sound card...)."""
    try:
        proc = tools.run(
            ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
             "anullsrc=r=22050:cl=mono", "-t", "0.2", "-f", "alsa", device],
            what=f"ALSA {device!r}", timeout=15, check=False)
    except ToolMissing:
        raise
    except RadioError as exc:  # could not start, or did not answer
        return str(exc)
    return None if proc.returncode == 0 else alsa_problem(last_line(proc.stderr))


def alsa_problem(line: str) -> str:
    """ffmpeg's word on an ALSA device that cannot open, in the current language (any
    other line as ffmpeg wrote it)."""
    found = re.fullmatch(r"cannot open audio device (?P<device>.+) \((?P<error>[^()]+)\)", line)
    if found is None:
        return line
    return _("cannot open audio device {device} ({error})").format(
        device=found["device"], error=os_text(found["error"]))


# --- Icecast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Icecast:
    host: str = "127.0.0.1"
    port: int = 8000
    password: str = "hackme"
    user: str = "source"
    mount_prefix: str = "/"
    bitrate: str = "48k"

    def mount(self, station: str) -> str:
        return f"{self.mount_prefix.rstrip('/')}/{station}.mp3"


class SourceConnection:
    """One Icecast source (HTTP PUT, Icecast >= 2.4) for one station mount."""

    def __init__(self, icecast: Icecast, station: str, title: str) -> None:
        self.mount = icecast.mount(station)
        self.what = f"icecast {icecast.host}:{icecast.port}{self.mount}"
        try:
            self.sock = socket.create_connection((icecast.host, icecast.port), timeout=5)
        except OSError as exc:
            raise SinkFault(f"{self.what}: {exc.strerror or exc}") from exc
        auth = base64.b64encode(f"{icecast.user}:{icecast.password}".encode()).decode()
        head = (f"PUT {self.mount} HTTP/1.1\r\nHost: {icecast.host}:{icecast.port}\r\n"
                f"Authorization: Basic {auth}\r\nUser-Agent: radiocli\r\n"
                "Content-Type: audio/mpeg\r\nIce-Public: 0\r\n"
                f"Ice-Name: {_header_safe(title)}\r\nExpect: 100-continue\r\n\r\n")
        try:
            self.sock.sendall(head.encode("utf-8"))
            reply = self.sock.recv(1024)
        except OSError as exc:
            self.sock.close()
            raise SinkFault(f"{self.what}: {exc}") from exc
        status = reply.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        if " 100" not in status and " 200" not in status:
            self.sock.close()
            raise SinkFault(f"{self.what}: refused: {status or 'connection closed'}")
        self.sock.settimeout(10)

    def write(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise SinkFault(f"{self.what}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _header_safe(text: str) -> str:
    return "".join(ch for ch in text if 32 <= ord(ch) < 127)[:100] or "radiocli"


class EncoderFanout:
    """One MP3 encoder per feed; its bytes go to every station's source connection."""

    def __init__(self, icecast: Icecast, on_fault: Callable[[str, str], None],
                 children: ChildGroup | None = None) -> None:
        argv = [ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "s16le",
                "-ar", str(RATE), "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame",
                "-b:a", icecast.bitrate, "-id3v2_version", "0", "-write_xing", "0",
                "-f", "mp3", "-flush_packets", "1", "pipe:1"]
        self.encoder = ProcessOutput(argv, "mp3 encoder", stdout=subprocess.PIPE,
                                     children=children)
        self.on_fault = on_fault
        self.conns: dict[str, SourceConnection] = {}
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._pump, name="mp3-fanout", daemon=True)
        self.thread.start()

    def add(self, station: str, conn: SourceConnection) -> None:
        with self.lock:
            self.conns[station] = conn

    def remove(self, station: str) -> bool:
        """Drop a station; True when none is left."""
        with self.lock:
            conn = self.conns.pop(station, None)
            empty = not self.conns
        if conn is not None:
            conn.close()
        return empty

    def write(self, chunk: bytes) -> None:
        self.encoder.write(chunk)

    def close(self) -> None:
        self.encoder.close()
        self.thread.join(timeout=5)
        with self.lock:
            conns = list(self.conns.values())
            self.conns.clear()
        for conn in conns:
            conn.close()

    def _pump(self) -> None:
        out = self.encoder.proc.stdout
        assert out is not None
        while True:
            data = out.read1(4096) if hasattr(out, "read1") else out.read(4096)
            if not data:
                return
            with self.lock:
                conns = list(self.conns.items())
            for station, conn in conns:
                try:
                    conn.write(data)
                except SinkFault as exc:
                    with self.lock:
                        self.conns.pop(station, None)
                    conn.close()
                    self.on_fault(station, str(exc))


# --- sinks -------------------------------------------------------------------------------


class Sink:
    """How a station's audio leaves. The daemon calls :meth:`attach` when a piece starts
    and :meth:`release` when it stops; :meth:`open` (in the feed's thread) and
    :meth:`close_station` (idempotent) do the sink's own work. ``decodes`` False means
    no feed (null: clock pacing only)."""

    kind = "null"
    decodes = False
    lead = 0.0
    openers = 1  # threads that open a feed's outputs (files and devices: one)
    children: ChildGroup | None = None  # the daemon's process group (set at its start)

    def check(self) -> None:
        """Raise PlayoutError when the sink cannot work at all (no device...)."""

    def attach(self, station: str, feed: Feed, title: str, session: str) -> None:
        """``station`` airs ``feed`` (cheap: its outputs open in the feed's thread)."""
        feed.join(station, lambda: self.open(station, feed, title, session),
                  lambda: self.close_station(station, feed))

    def release(self, station: str, feed: Feed) -> None:
        feed.leave(station)

    def open(self, station: str, feed: Feed, title: str, session: str) -> None:
        """Add ``station``'s outputs to ``feed`` (SinkFault: it cannot air)."""

    def close_station(self, station: str, feed: Feed) -> None:
        feed.remove_output(station)

    def close(self) -> None:
        pass


class NullSink(Sink):
    pass


class FileSink(Sink):
    """An aircheck recording per session: ``<aircheck>/<station>/<date>/<time>-<occ>.wav``."""

    kind = "file"
    decodes = True

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self, station: str, feed: Feed, title: str, session: str) -> None:
        day, rest = session.split("/", 1)
        out = WavOutput(self.root / station / day / f"{rest}.wav")
        out.open()
        feed.add_output(station, out)


class DeviceSink(Sink):
    """The station's sound card through ``ffmpeg -f alsa``: ffmpeg exits 1 without a
    device, so a missing card is an error (ffplay would exit 0 and stay silent)."""

    kind = "device"
    decodes = True
    lead = 0.2

    def __init__(self, device: str = "default") -> None:
        self.device = device

    def check(self) -> None:
        problem = probe_device(self.device)
        if problem is not None:
            raise PlayoutError(_("the audio device {device} cannot play: {problem} (check the "
                                 "sound card, `aplay -l`, or use --sink file/null)").format(
                device=repr(self.device), problem=problem))

    def open(self, station: str, feed: Feed, title: str, session: str) -> None:
        feed.add_output(station, ProcessOutput(alsa_argv(self.device),
                                               f"audio device {self.device}",
                                               children=self.children))


class StreamSink(Sink):
    """Icecast: one MP3 encode per feed, one source connection per station mount."""

    kind = "stream"
    decodes = True
    openers = 4
    CONNECTING = 4  # source connections opened at once, all feeds together: Icecast's
    # listen queue is short; 8 at a time already lost SYNs (retried a second later)

    def __init__(self, icecast: Icecast, on_fault: Callable[[str, str], None]) -> None:
        self.icecast = icecast
        self.on_fault = on_fault
        self._fans = threading.Lock()
        self._connecting = threading.BoundedSemaphore(self.CONNECTING)

    def check(self) -> None:
        try:
            socket.create_connection((self.icecast.host, self.icecast.port), timeout=3).close()
        except OSError as exc:
            log.warning(_("Icecast at {host}:{port} is not reachable now ({error}); programs "
                          "will be logged failed until it is").format(
                host=self.icecast.host, port=self.icecast.port, error=exc))

    def open(self, station: str, feed: Feed, title: str, session: str) -> None:
        with self._fans:  # stations open in parallel: one encoder per feed
            with feed.lock:
                fan = feed.outputs.get("encoder")
            if fan is None:
                fan = EncoderFanout(self.icecast, self.on_fault, children=self.children)
                feed.add_output("encoder", fan)
        assert isinstance(fan, EncoderFanout)
        with self._connecting:
            conn = SourceConnection(self.icecast, station, title)
        fan.add(station, conn)

    def close_station(self, station: str, feed: Feed) -> None:
        with feed.lock:
            fan = feed.outputs.get("encoder")
        if isinstance(fan, EncoderFanout) and fan.remove(station):
            feed.remove_output("encoder")


def make_sink(kind: str, *, aircheck: Path, device: str = "default",
              icecast: Icecast | None = None,
              on_fault: Callable[[str, str], None] = lambda s, r: None) -> Sink:
    if kind == "null":
        return NullSink()
    if kind == "file":
        return FileSink(aircheck)
    if kind == "device":
        return DeviceSink(device)
    if kind == "stream":
        return StreamSink(icecast or Icecast(), on_fault)
    raise PlayoutError(_("unknown sink {kind}: choose one of {choices}").format(
        kind=repr(kind), choices=", ".join(SINKS)))

