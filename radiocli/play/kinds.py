"""The kinds of things the playout daemon passes around, as types: as-run events, how
to stop, the fires of the scheduler, alert occurrences.

Messages from feed threads to the station desk are in :mod:`radiocli.play.desk`,
spool requests in :mod:`radiocli.play.control`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from radiocli.plan.timeline import Occurrence


class Event(enum.StrEnum):
    """An event line of the as-run log (the Timeline's actions, and failures)."""

    START = "start"
    RESUMED = "resumed"
    PREEMPTED = "preempted"
    END = "end"
    MISSED = "missed"
    FAILED = "failed"


class OnStop(enum.StrEnum):
    """What happens to the program on air when the daemon stops."""

    CUT = "cut"
    FINISH = "finish"


@dataclass(frozen=True)
class Fire:
    """A program's slot came (``missed``: later than the misfire grace)."""

    program: str
    scheduled: datetime
    missed: bool = False


@dataclass(slots=True, eq=False)
class AlertOccurrence(Occurrence):
    """An emergency alert taken from the spool, at one station. The as-run log names
    its program ``alert-<id>``; inside the daemon it is this type that says "alert"."""

    alert: str = ""  # the alert's id


def alert_program(alert_id: str) -> str:
    """The program id an alert airs under in the as-run log."""
    return f"alert-{alert_id}"
