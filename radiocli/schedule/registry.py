"""The station registry: one station per commune-level unit, keyed by official code.

Names are not unique (13 Hanoi names occur in more than one district), so everything is
keyed by the GSO code, a string such as "00001". Units change over time (Hanoi: 579
units until 2024, 526 from 2025-01-01, 126 with no districts from 2025-07-01); a
:class:`Change` renames, merges or moves a unit *from a date on*, so a question about a
day before the change still gets the old answer and history is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from radiocli.schedule.model import Targets

STATION_KINDS = ("phường", "xã", "thị trấn")
DISTRICT_KINDS = ("quận", "huyện", "thị xã")


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str  # quận, huyện, thị xã


@dataclass(frozen=True)
class Station:
    code: str
    name: str
    kind: str  # phường, xã, thị trấn
    district: str  # district code ("" once districts are abolished)
    district_name: str
    district_kind: str
    lat: float | None = None  # the unit's centroid, WGS 84 degrees (None: not known)
    lon: float | None = None

    def as_dict(self) -> dict[str, str | float | None]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "district": self.district,
            "district_name": self.district_name,
            "district_kind": self.district_kind,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass(frozen=True)
class Change:
    """From ``day`` on: rename a station, merge stations into another, or move a station
    to another district (``district=""`` when districts are abolished)."""

    day: date
    action: str  # "rename", "merge", "move", "add"
    station: str  # the station renamed/moved/added, or the surviving one of a merge
    name: str | None = None
    kind: str | None = None
    merged: tuple[str, ...] = ()  # codes that stop existing, merged into ``station``
    district: str | None = None
    note: str = ""


class Registry:
    """Stations and districts as they were on any given day."""

    def __init__(
        self,
        stations: Iterable[Station],
        districts: Iterable[District],
        changes: Iterable[Change] = (),
    ) -> None:
        self.base: dict[str, Station] = {s.code: s for s in stations}
        self.districts: dict[str, District] = {d.code: d for d in districts}
        self.changes: tuple[Change, ...] = tuple(sorted(changes, key=lambda c: c.day))
        self._as_of = lru_cache(maxsize=16)(self._compute_as_of)
        self._ever: dict[str, Station] | None = None
        self._selected: dict[tuple[Targets, int], tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.base)

    def as_of(self, day: date) -> dict[str, Station]:
        """The stations that exist on ``day``, with the names they had that day."""
        applied = sum(1 for c in self.changes if c.day <= day)
        return self._as_of(applied)

    def _compute_as_of(self, applied: int) -> dict[str, Station]:
        stations = dict(self.base)
        for change in self.changes[:applied]:
            current = stations.get(change.station)
            if change.action == "add":
                district = self.districts.get(change.district or "")
                stations[change.station] = Station(
                    change.station,
                    change.name or change.station,
                    change.kind or "xã",
                    change.district or "",
                    district.name if district else "",
                    district.kind if district else "",
                )
                continue
            if current is None:
                continue
            if change.action == "merge":
                for code in change.merged:
                    stations.pop(code, None)
            if change.name:
                current = replace(current, name=change.name)
            if change.kind:
                current = replace(current, kind=change.kind)
            if change.district is not None:
                district = self.districts.get(change.district)
                current = replace(
                    current,
                    district=change.district,
                    district_name=district.name if district else "",
                    district_kind=district.kind if district else "",
                )
            stations[change.station] = current
        return stations

    def ever(self) -> dict[str, Station]:
        """Every station that ever existed, under its first-known name (for old logs)."""
        if self._ever is None:
            ever = dict(self.base)
            for change in self.changes:
                if change.action == "add" and change.station not in ever:
                    ever[change.station] = self._compute_as_of(len(self.changes))[change.station]
            self._ever = ever
        return self._ever

    def select(self, targets: Targets, day: date) -> tuple[str, ...]:
        """Codes of the stations that ``targets`` reach on ``day`` (cached)."""
        applied = sum(1 for c in self.changes if c.day <= day)
        key = (targets, applied)
        found = self._selected.get(key)
        if found is None:
            stations = self._as_of(applied)
            found = tuple(code for code, st in stations.items() if targets_select(targets, st))
            self._selected[key] = found
        return found

    def known(self, code: str) -> bool:
        return code in self.ever()

    def merged_into(self, code: str, day: date) -> str | None:
        """The station that ``code`` was merged into on or before ``day``, if any."""
        for change in self.changes:
            if change.day <= day and change.action == "merge" and code in change.merged:
                return change.station
        return None


def targets_select(targets: Targets, station: Station) -> bool:
    """Does a program (or policy rule) with these targets reach this station?"""
    if station.code in targets.exclude:
        return False
    if targets.everywhere:
        return True
    if targets.stations and station.code in targets.stations:
        return True
    active = [
        (chosen, value)
        for chosen, value in (
            (targets.districts, station.district),
            (targets.kinds, station.kind),
            (targets.district_kinds, station.district_kind),
        )
        if chosen
    ]
    return bool(active) and all(value in chosen for chosen, value in active)


def parse_position(lat: str | None, lon: str | None) -> tuple[float | None, float | None]:
    """A unit's centroid from YAML text: both or neither, WGS 84 degrees."""
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise ValueError("give both lat: and lon: (the centroid, WGS 84 degrees) or neither")
    try:
        north, east = float(lat), float(lon)
    except ValueError:
        raise ValueError(f'lat/lon must be numbers in degrees, got "{lat}", "{lon}"') from None
    if not (-90 <= north <= 90 and -180 <= east <= 180):
        raise ValueError(f"lat must be within -90..90 and lon within -180..180, got {lat}, {lon}")
    return north, east
