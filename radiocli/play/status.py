"""``status.json``: what each station has on air (since when, how long it has played,
how long is left), what waits, what really comes next, its last errors; read by
``radiocli status``.

The supervisor rewrites it every second, and at once (on its next round, woken for
it) when something goes wrong: a fault, a refused reload, a log that cannot be
written. Times are ISO 8601 to the second, on the daemon's clock; a rehearsal says so
and gives the machine's time beside it. The file is 0640 (owner and group).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli.play import control
from radiocli.play.clock import SystemClock
from radiocli.play.desk import StationDesk, StationState
from radiocli.play.logqueue import LogQueue


def stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


@dataclass(frozen=True)
class OnAir:
    program: str
    occurrence: str
    priority: str
    since: str  # when this piece began (a resumed program: when it resumed)
    ends: str
    elapsed_s: int  # of the occurrence, earlier pieces included
    remaining_s: int

    def as_dict(self) -> dict[str, Any]:
        return {"program": self.program, "occurrence": self.occurrence,
                "priority": self.priority, "since": self.since, "ends": self.ends,
                "elapsed_s": self.elapsed_s, "remaining_s": self.remaining_s}


@dataclass(frozen=True)
class Next:
    program: str
    at: str

    def as_dict(self) -> dict[str, str]:
        return {"program": self.program, "at": self.at}


@dataclass(frozen=True)
class StationStatus:
    station: str
    name: str
    on_air: OnAir | None
    waiting: list[str]
    next: Next | None
    errors: list[dict[str, str]]

    @classmethod
    def of(cls, st: StationState, name: str, now: datetime, final: bool) -> StationStatus:
        air = st.air
        on_air = None
        if air is not None and not final:
            occ = air.occ
            elapsed = min(air.offset + max((now - air.since).total_seconds(), 0.0),
                          occ.duration_s)
            on_air = OnAir(occ.program, occ.occurrence_id, occ.priority.label,
                           stamp(air.since), stamp(st.timeline.expected_finish() or now),
                           round(elapsed), round(max(occ.duration_s - elapsed, 0.0)))
        following = None
        if st.next_up is not None and st.next_up[1] > now:
            following = Next(st.next_up[0], stamp(st.next_up[1]))
        return cls(st.code, name, on_air, [o.occurrence_id for o in st.timeline.waiting],
                   following, list(st.errors))

    def as_dict(self) -> dict[str, Any]:
        return {"station": self.station, "name": self.name,
                "on_air": None if self.on_air is None else self.on_air.as_dict(),
                "waiting": self.waiting,
                "next": None if self.next is None else self.next.as_dict(),
                "errors": self.errors}


@dataclass(frozen=True)
class DaemonStatus:
    name: str
    updated: str  # the daemon's clock
    running: bool
    sink: str
    started: str | None
    log_errors: list[str]
    rehearsal: bool = False
    real_time: str | None = None  # the machine's clock, when the daemon's is not it
    stations: list[StationStatus] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``status.json`` (read by ``radiocli status``)."""
        return {"name": self.name, "updated": self.updated, "running": self.running,
                "sink": self.sink, "started": self.started, "rehearsal": self.rehearsal,
                "real_time": self.real_time, "log_errors": self.log_errors,
                "stations": [row.as_dict() for row in self.stations]}


class StatusFile:
    def __init__(self, path: Path, desk: StationDesk, logs: LogQueue, *, name: str,
                 sink: str, rehearsal: bool = False, live: bool = True) -> None:
        self.path = path
        self.desk = desk
        self.logs = logs
        self.name = name
        self.sink = sink
        self.rehearsal = rehearsal
        self.live = live  # the daemon reads the machine's clock
        self.started: datetime | None = None
        self.dirty = False

    def changed(self) -> None:
        """Something went wrong: write at once (the supervisor is woken for it)."""
        self.dirty = True
        self.desk.wake.set()

    def snapshot(self, now: datetime, final: bool = False) -> DaemonStatus:
        schedule = self.desk.programs.schedule
        registry = schedule.registry if schedule is not None else None
        day = now.date()
        with self.desk.lock:
            rows = []
            for st in self.desk.stations.values():
                unit = registry.unit(st.code, day) if registry is not None else None
                rows.append(StationStatus.of(st, unit.name if unit else "", now, final))
        return DaemonStatus(
            self.name, stamp(now), not final, self.sink,
            stamp(self.started) if self.started else None, list(self.logs.errors),
            self.rehearsal, None if self.live else stamp(SystemClock().now()), rows)

    def write(self, now: datetime, final: bool = False) -> None:
        self.dirty = False
        try:
            control.write_json_atomic(self.path, self.snapshot(now, final).as_dict(),
                                      fsync=False)
        except OSError as exc:
            self.logs.error(f"status file: {exc}")
