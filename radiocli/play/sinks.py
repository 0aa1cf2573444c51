"""Where audio goes: ``null`` (paced by the clock, no output), ``file`` (an aircheck
recording per session), ``device`` (ALSA through ffmpeg) and ``stream`` (Icecast).

``null`` has no feed at all: the daemon ends a program when the clock reaches its end
(no process per station; one ffmpeg costs 55 MB). The others attach stations to a
:class:`~radiocli.play.feed.Feed` (decoded once per occurrence, paced by the daemon's
clock) whose outputs (:mod:`radiocli.play.outputs`) they open in the feed's own thread,
so 579 stations of 30 programs get their start lines first and their 30 feeds next,
instead of each start waiting for the feeds launched before it. ``stream`` encodes each
feed once and fans the bytes out to one Icecast source connection per station mount.
Every ffmpeg the daemon starts is in one process group
(:class:`~radiocli.play.children.ChildGroup`).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from radiocli.errors import PlayoutError
from radiocli.i18n import _
from radiocli.play.children import ChildGroup
from radiocli.play.feed import Feed
from radiocli.play.outputs import (
    EncoderFanout, Icecast, ProcessOutput, SourceConnection, WavOutput, alsa_argv,
    probe_device,
)

log = logging.getLogger("radiocli.play")

SINKS = ("null", "file", "device", "stream")


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
