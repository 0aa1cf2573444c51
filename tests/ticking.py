"""A command that waits for the playout daemon (alert, reload), run in a thread while
the test's thread ticks an in-process daemon on its fake clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def while_ticking(daemon: Any, clock: Any, command: Callable[[], T], *, spool: str = "*.json",
                  before: Callable[[], Any] | None = None, tick: bool = True,
                  step: float = 0.01, what: object = "") -> T:
    """``command()``'s result. Once a request matching ``spool`` is in the daemon's spool,
    ``before`` runs, then the clock moves ``step`` seconds and the daemon ticks until the
    command returns (``tick=False``: a daemon that never answers). Fails after 60 s."""
    box: dict[str, T] = {}
    thread = threading.Thread(target=lambda: box.setdefault("out", command()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while thread.is_alive() and not any(daemon.rundir.spool.glob(spool)):
        thread.join(0.002)
        assert time.monotonic() < deadline, ("nothing came to the spool", what)
    if before is not None:
        before()
    while thread.is_alive():
        if tick:
            clock.advance(step)
            daemon.tick()
        thread.join(0.001)
        assert time.monotonic() < deadline, ("the command did not finish", what)
    return box["out"]
