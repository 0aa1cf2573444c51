"""Where a feed's PCM goes: an aircheck WAV, an ffmpeg process (the ALSA device, an MP3
encoder), Icecast source connections behind one MP3 encoder per feed."""

from __future__ import annotations

import base64
import re
import socket
import subprocess
import threading
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radiocli import tools
from radiocli.errors import RadioError, ToolMissing
from radiocli.i18n import _, os_text
from radiocli.play.children import ChildGroup
from radiocli.play.feed import RATE, SinkFault, ffmpeg, last_line


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
