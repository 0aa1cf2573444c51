"""The log queue: every as-run line the daemon writes leaves through here.

Threaded, lines go through a queue to a writer thread, so an fsync never delays a
start; otherwise (tests, ``start(threads=False)``) they are written at once. A write
that fails (full disk, read-only folder) never stops playout: the log book keeps the
lines in memory and the queue retries every few seconds; the fault is kept for
``status`` and written to the daemon log when it is new, then at most once a minute.
"""

from __future__ import annotations

import collections
import functools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime

from radiocli.aslog import LogBook
from radiocli.i18n import reason
from radiocli.plan.timeline import Occurrence
from radiocli.play.clock import Clock
from radiocli.play.kinds import Event
from radiocli.play.ledger import Airtime

log = logging.getLogger("radiocli.play")

RETRY_S = 5.0


class LogQueue:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.book: LogBook | None = None
        self.errors: collections.deque[str] = collections.deque(maxlen=5)  # for status
        self.failing = False
        self.faults = 0  # writes that failed so far (a line after a look at it may be lost)
        self.threaded = False
        self._queue: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._retry_at = 0.0
        self._last_error: tuple[str, float] = ("", -1e9)
        self._thread: threading.Thread | None = None
        self.on_error: Callable[[], None] = lambda: None  # status is written at once

    def open(self, book: LogBook) -> None:
        self.book = book

    def start(self) -> None:
        """Write from a thread of its own from now on."""
        self.threaded = True
        self._thread = threading.Thread(target=self._writer, name="aslog-writer",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Let the writer thread write what is queued, then write the rest here."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=60)
            self._thread = None
        self.threaded = False
        self.drain()

    # --- what the daemon writes ----------------------------------------------------------
    def event(self, station: str, kind: Event, at: datetime, occ: Occurrence,
              reason: str) -> None:
        self.put(lambda: self._book().event(station, kind.value, at, occ.scheduled,
                                            occ.program, occ.occurrence_id, occ.priority,
                                            reason))

    def minutes(self, items: Sequence[Airtime]) -> None:
        """Minute lines, each written (or kept in memory when writing fails) on its own."""
        for item in items:
            self.put(functools.partial(self._write_minutes, item))

    def seal(self, station: str, day: date) -> None:
        self.put(lambda: self._book().seal(station, day))

    def seal_before(self, day: date) -> None:
        def seal() -> None:
            self._book().seal_before(day)

        self.put(seal)

    def put(self, fn: Callable[[], object]) -> None:
        if self.threaded:
            self._queue.put(fn)
        else:
            self.run(fn)

    # --- writing ---------------------------------------------------------------------------
    def _book(self) -> LogBook:
        assert self.book is not None, "the log book is not open"
        return self.book

    def _write_minutes(self, item: Airtime) -> None:
        item.write(self._book())

    def run(self, fn: Callable[[], object]) -> None:
        """Write now; a failure is kept and reported, never raised."""
        from radiocli.aslog import LogWriteError

        try:
            fn()
        except LogWriteError as exc:
            self.failing = True
            self.error(f"as-run log: {exc}", same_as=str(exc.errno))
            return
        except Exception as exc:  # noqa: BLE001 - logging must never stop playout
            self.error(f"as-run log: {type(exc).__name__}: {exc}")
            return
        if self.failing and self.book is not None and not self.book.pending():
            # every line kept in memory has landed, in order and chained
            self.failing = False
            message = ("as-run log: writable again; the lines kept in memory are written "
                       f"(at {self.clock.now().isoformat(timespec='seconds')})")
            log.warning("%s", reason(message))
            self.errors.append(message)

    def retry(self) -> None:
        """Without the writer thread: try the lines kept in memory again, every few
        seconds while writes fail."""
        mono = self.clock.monotonic()
        if self.failing and mono >= self._retry_at and self.book is not None:
            self._retry_at = mono + RETRY_S
            self.run(self.book.flush_pending)

    def error(self, message: str, same_as: str | None = None) -> None:
        """Keep the error for status; write it to the daemon log when it is new, or at
        most once a minute while the same fault goes on (a full disk fails every line)."""
        self.faults += 1
        key = same_as or message
        mono = self.clock.monotonic()
        last_key, last_at = self._last_error
        if key != last_key or mono - last_at >= 60:
            log.error("%s", reason(message))
            self._last_error = (key, mono)
        if self.errors and self.errors[-1].split(";")[0] == message.split(";")[0]:
            self.errors[-1] = message  # the same fault: keep the newest count
        else:
            self.errors.append(message)
            self.on_error()

    def _writer(self) -> None:
        retry_at = 0.0
        while True:
            try:
                fn = self._queue.get(timeout=1.0)
            except queue.Empty:
                mono = self.clock.monotonic()
                if mono > retry_at and self.book is not None and self.book.pending():
                    retry_at = mono + RETRY_S
                    self.run(self.book.flush_pending)
                continue
            if fn is None:
                return
            self.run(fn)

    def drain(self) -> None:
        """Write what is queued, here and now."""
        while True:
            try:
                fn = self._queue.get_nowait()
            except queue.Empty:
                return
            if fn is not None:
                self.run(fn)

