"""Clocks the daemon reads: the machine's, one shifted to a chosen start (rehearsals), and
a fake one that only moves when a test moves it. Nothing in ``radiocli.play`` calls
``datetime.now()`` or ``time.monotonic()`` directly; it asks the :class:`Clock` it was
given (APScheduler included: see :mod:`radiocli.play.jobs`)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from radiocli import TZ


class Clock(Protocol):
    """What the daemon and its collaborators read the time from."""

    @property
    def live(self) -> bool:
        """True for the machine's own clock; False for a rehearsal or a test clock."""
        ...

    def now(self) -> datetime:
        """Local wall-clock time, aware (Asia/Ho_Chi_Minh)."""
        ...

    def monotonic(self) -> float:
        """Seconds that only move forward (pacing, intervals)."""
        ...

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Sleep until ``event`` is set or ``timeout`` seconds of this clock pass."""
        ...


class SystemClock:
    """The machine's wall clock (Asia/Ho_Chi_Minh) and its monotonic clock."""

    live = True

    def __init__(self, tz: tzinfo = TZ) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Sleep until ``event`` is set or ``timeout`` seconds pass (real seconds)."""
        return event.wait(max(timeout, 0.0))


class OffsetClock(SystemClock):
    """Real-time clock that starts at ``start`` (``radiocli run --clock``): seconds pass
    at the real rate, but the date is the one given."""

    live = False

    def __init__(self, start: datetime, tz: tzinfo = TZ) -> None:
        super().__init__(tz)
        self._start = start.astimezone(tz)
        self._mono0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._mono0)


class FakeClock:
    """A clock that stands still until :meth:`advance` or :meth:`set` moves it."""

    live = False

    def __init__(self, start: datetime, tz: tzinfo = TZ) -> None:
        self.tz = tz
        self._now = start.astimezone(tz)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds
            return self._now

    def set(self, when: datetime, monotonic_too: bool = True) -> None:
        """Jump the wall clock (a test of clock jumps moves it without the monotonic)."""
        with self._lock:
            delta = (when - self._now).total_seconds()
            self._now = when.astimezone(self.tz)
            if monotonic_too:
                self._mono += max(delta, 0.0)

    def wait(self, event: threading.Event, timeout: float) -> bool:
        return event.wait(min(max(timeout, 0.0), 0.01))


def plausible(now: datetime) -> bool:
    """A clock that says before 2024 or after 2100 is wrong (no RTC, no NTP yet)."""
    return 2024 <= now.year <= 2100
