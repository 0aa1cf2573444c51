"""What a schedule is, once loaded: stations, programs, rules, policy.

Everything here is plain data. Times are timezone-aware (Asia/Ho_Chi_Minh); durations
are seconds (float). ``where`` fields point back to the YAML so any later stage can
say "schedules/city.yaml:42:7: ...".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from radiocli.schedule.registry import Registry, Station


@dataclass(frozen=True, order=True)
class Where:
    """A place in a schedule file (1-based line and column)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


class Priority(enum.IntEnum):
    """Circular 39/2020/TT-BTTTT: normal plays in its slot, priority goes first,
    emergency airs at once and preempts whatever is on air."""

    NORMAL = 0
    PRIORITY = 1
    EMERGENCY = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Priority:
        return cls[text.upper()]


# --- segments -------------------------------------------------------------------------

# Words a minute when a say: segment gives no rate. A deliberate choice: eSpeak NG's
# Vietnamese is understood markedly better at 140 than at its default 175.
DEFAULT_RATE = 140
DEFAULT_VOICE = "vi"  # eSpeak NG's Northern Vietnamese voice


@dataclass(frozen=True)
class Speech:
    """Text to speak (normalized before synthesis)."""

    text: str
    voice: str | None = None
    rate: int | None = None  # words per minute
    where: Where = Where("")


@dataclass(frozen=True)
class Recording:
    """A recorded audio file (WAV/MP3/OGG) under the project's audio folder."""

    path: str  # as written, relative to the audio folder
    where: Where = Where("")


@dataclass(frozen=True)
class Silence:
    seconds: float
    where: Where = Where("")


@dataclass(frozen=True)
class Chime:
    """A named chime: ``audio/chimes/<name>.wav`` (or .mp3/.ogg)."""

    name: str
    where: Where = Where("")


@dataclass(frozen=True)
class Relay:
    """Relay a live stream (http, https, rtp, udp) for a fixed time."""

    url: str
    seconds: float
    where: Where = Where("")


Segment = Speech | Recording | Silence | Chime | Relay


# --- targets and recurrence -----------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """Which stations air a program. Empty sets mean "no restriction of that kind";
    ``everywhere`` must be set for a program to reach every station."""

    everywhere: bool = False
    districts: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()  # phường, xã, thị trấn
    district_kinds: frozenset[str] = frozenset()  # quận, huyện, thị xã
    stations: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()  # station codes left out

    def is_empty(self) -> bool:
        return not (
            self.everywhere or self.districts or self.kinds or self.district_kinds or self.stations
        )

    def reaches(self, station: Station) -> bool:
        """Does a program (or policy rule) with these targets reach this station?"""
        if station.code in self.exclude:
            return False
        if self.everywhere:
            return True
        if self.stations and station.code in self.stations:
            return True
        active = [
            (chosen, value)
            for chosen, value in (
                (self.districts, station.district),
                (self.kinds, station.kind),
                (self.district_kinds, station.district_kind),
            )
            if chosen
        ]
        return bool(active) and all(value in chosen for chosen, value in active)


@dataclass(frozen=True)
class Rule:
    """One recurrence rule: on these weekdays at these times, or once at date-times.

    ``days`` are weekday numbers 0=Monday..6=Sunday (the YAML only ever uses names).
    ``every``/``between`` are kept for messages; ``times`` already holds their expansion.
    """

    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    times: tuple[time, ...] = ()
    once: tuple[datetime, ...] = ()
    every: float | None = None  # seconds
    between: tuple[time, time] | None = None
    where: Where = Where("")


@dataclass(frozen=True)
class Program:
    id: str
    title: str
    priority: Priority
    targets: Targets
    rules: tuple[Rule, ...]
    segments: tuple[Segment, ...]
    valid_from: date | None = None
    valid_to: date | None = None
    except_dates: frozenset[date] = frozenset()
    skip_holidays: bool = False
    duration: float | None = None  # expected seconds, when the operator states it
    max_duration: float | None = None  # hard cap: playout cuts the program there
    max_delay: float = 1800.0  # how long it may wait behind another program
    abbreviations: tuple[tuple[str, str], ...] = ()  # from its file's scope
    scope: str = "city"  # "city", "district:<code>" or "station:<code>"
    where: Where = Where("")


@dataclass(frozen=True)
class Blackout:
    """A station off air (maintenance, power work): nothing normal airs in it."""

    stations: frozenset[str]
    start: datetime
    end: datetime
    reason: str
    where: Where = Where("")


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    where: Where = Where("")


# --- policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRule:
    """A cap that applies to the stations it selects (all matching rules apply)."""

    name: str
    targets: Targets
    emergency_only: bool = False
    max_sessions_per_day: int | None = None
    max_session_minutes: float | None = None
    days: tuple[int, ...] | None = None  # weekdays on which broadcasting is allowed
    windows: tuple[tuple[time, time], ...] = ()  # allowed time windows (session must fit)
    where: Where = Where("")


@dataclass(frozen=True)
class Exemption:
    """A period in which caps are lifted (the 2021 epidemic)."""

    start: date
    end: date
    reason: str
    where: Where = Where("")


@dataclass(frozen=True)
class Policy:
    name: str
    title: str = ""
    quiet_hours: tuple[time, time] | None = None  # e.g. 21:00 -> 06:00
    rules: tuple[PolicyRule, ...] = ()
    exempt_priorities: frozenset[int] = frozenset({Priority.EMERGENCY})
    exemptions: tuple[Exemption, ...] = ()
    where: Where = Where("")

    def exempt_on(self, day: date) -> Exemption | None:
        for exemption in self.exemptions:
            if exemption.start <= day <= exemption.end:
                return exemption
        return None


# --- the whole schedule ---------------------------------------------------------------


@dataclass
class Schedule:
    """Everything loaded from a schedules folder."""

    root: Path
    audio_dir: Path
    registry: Registry
    programs: dict[str, Program] = field(default_factory=dict)
    blackouts: list[Blackout] = field(default_factory=list)
    holidays: dict[date, Holiday] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)  # city-wide additions
    # every file's abbreviations by its scope ("city", "district:017", "station:00478")
    scope_abbreviations: dict[str, dict[str, str]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    # programs written in each file (as shown in messages), those with errors included
    programs_written: dict[str, int] = field(default_factory=dict)

    @property
    def policy(self) -> Policy | None:
        """The policy in force (the one named in settings, else the only one)."""
        name = self.settings.get("policy")
        if isinstance(name, str) and name in self.policies:
            return self.policies[name]
        if len(self.policies) == 1:
            return next(iter(self.policies.values()))
        return None
