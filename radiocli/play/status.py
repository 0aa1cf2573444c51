"""``status.json``: what each station has on air, what waits, what comes next, its last
errors; rewritten every second by the supervisor and read by ``radiocli status``.

Where later work goes (issue 16.4): the station's name, elapsed and remaining time, the
real next occurrence, errors as soon as they happen; the file modes of issue 12.8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli.play import control
from radiocli.play.desk import StationDesk, StationState
from radiocli.play.logqueue import LogQueue


@dataclass(frozen=True)
class OnAir:
    program: str
    occurrence: str
    priority: str
    since: str
    ends: str

    def as_dict(self) -> dict[str, str]:
        return {"program": self.program, "occurrence": self.occurrence,
                "priority": self.priority, "since": self.since, "ends": self.ends}


@dataclass(frozen=True)
class Next:
    program: str
    at: str

    def as_dict(self) -> dict[str, str]:
        return {"program": self.program, "at": self.at}


@dataclass(frozen=True)
class StationStatus:
    station: str
    on_air: OnAir | None
    waiting: list[str]
    next: Next | None
    errors: list[dict[str, str]]

    @classmethod
    def of(cls, st: StationState, now: datetime, final: bool) -> StationStatus:
        air = st.air
        on_air = None if air is None or final else OnAir(
            air.occ.program, air.occ.occurrence_id, air.occ.priority.label,
            air.since.isoformat(timespec="seconds"),
            (st.timeline.expected_finish() or now).isoformat(timespec="seconds"))
        following = None if st.next_up is None else Next(
            st.next_up[0], st.next_up[1].isoformat(timespec="seconds"))
        return cls(st.code, on_air, [o.occurrence_id for o in st.timeline.waiting],
                   following, list(st.errors))

    def as_dict(self) -> dict[str, Any]:
        return {"station": self.station,
                "on_air": None if self.on_air is None else self.on_air.as_dict(),
                "waiting": self.waiting,
                "next": None if self.next is None else self.next.as_dict(),
                "errors": self.errors}


@dataclass(frozen=True)
class DaemonStatus:
    name: str
    updated: str
    running: bool
    sink: str
    started: str | None
    log_errors: list[str]
    stations: list[StationStatus] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``status.json`` (read by ``radiocli status``)."""
        return {"name": self.name, "updated": self.updated, "running": self.running,
                "sink": self.sink, "started": self.started, "log_errors": self.log_errors,
                "stations": [row.as_dict() for row in self.stations]}


class StatusFile:
    def __init__(self, path: Path, desk: StationDesk, logs: LogQueue, *, name: str,
                 sink: str) -> None:
        self.path = path
        self.desk = desk
        self.logs = logs
        self.name = name
        self.sink = sink
        self.started: datetime | None = None

    def snapshot(self, now: datetime, final: bool = False) -> DaemonStatus:
        with self.desk.lock:
            rows = [StationStatus.of(st, now, final) for st in self.desk.stations.values()]
        return DaemonStatus(
            self.name, now.isoformat(timespec="seconds"), not final, self.sink,
            self.started.isoformat(timespec="seconds") if self.started else None,
            list(self.logs.errors), rows)

    def write(self, now: datetime, final: bool = False) -> None:
        try:
            control.write_json_atomic(self.path, self.snapshot(now, final).as_dict(),
                                      fsync=False)
        except OSError as exc:
            self.logs.error(f"status file: {exc}")
