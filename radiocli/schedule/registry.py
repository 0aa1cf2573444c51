"""The station registry: one station per commune-level unit, keyed by official code, through time.

Names are not unique (13 Hanoi names occur in more than one district), so everything is
keyed by the GSO code, a string such as "00001". Units change over time: Hanoi had 579
units until 2024-12-31, 526 from 2025-01-01 (53 merged into neighbours, 33 renamed) and
126 from 2025-07-01, when the district level was abolished. A :class:`Change` renames,
merges, divides, adds or moves a unit *from a date on*, so a question about a day before
the change still gets the old answer and history is never rewritten.

A code alone does not name a unit: a new unit may reuse an old unit's code. ``00004`` was
Phường Trúc Bạch until 2025-06-30 and is the larger Phường Ba Đình from 2025-07-01. A unit
is its code *and* its validity: :attr:`Station.key` is ``(code, valid_from)``.

Asking about one day (the planner, the daemon, `stations list --on`):

- ``as_of(day)``: ``{code: Station}``, the units in force that day, with the names,
  districts and centroids they had that day. ``select(targets, day)``: the codes a
  program's targets reach that day. Both are cached per period (the spans between change
  dates), so the planner may call ``select`` for every fire.
- ``unit(code, day)``: the unit holding ``code`` that day, or None.
- ``holder(code, day)``: the unit a record written under ``code`` on ``day`` belongs to:
  the unit in force that day, else the last one to hold the code before it (a station
  still writing under a merged unit's code), else the first one after it. Use this, not
  ``ever()``, to name the station of an as-run log.
- ``periods(start, end)``: the spans of [start, end] in which the registry does not
  change; ``districts_on(day)``: the districts that have units that day (none from
  2025-07-01).
- ``codes_between(start, end)``: every code in force on some day of the window (what a
  simulation or daemon over a window across a change needs, rather than the first day's).
- ``attribution(start, end)``: ``(code, first, last, unit)`` rows saying which unit a
  record written under each code on each day of [start, end] belongs to (``holder``), for
  a report to join its log lines to: a log of 00004 in 2024 is Phường Trúc Bạch's, one of
  2026 Phường Ba Đình's.

Asking about codes across time:

- ``known(code)``: the code named a unit on some day. ``history(code)``: every unit that
  held it, oldest first, each under the last name it had.
- ``ever()``: the first unit to hold each code, under its first name: for the 579 units of
  the base list it is that list. A reused code maps to its *first* unit there, so use
  ``holder(code, day)`` or ``history(code)`` whenever a date is known.

Successors, for rolling history up to a later structure (reports ``--as-of``):

- A merge moves the whole of each merged unit into one unit: that unit is its successor.
  A split divides a unit among several units of the new date; one of them, the main
  successor (``main:``, ``note=default`` in the official mapping), carries its history.
- ``successor(code, day, on)``: the unit in force on ``on`` that carries the history of
  ``holder(code, day)``, following main successors through every change in between (None
  when ``on`` is before that unit began, or nothing follows it). ``successors(...)``: every
  unit of ``on`` that took over part of it, the main successor first.
- ``roll_up(on)``: ``{unit key: Station of on}`` for every unit that began on or before
  ``on``, by the main-successor rule. ``without_history(on)``: the units of ``on`` that
  receive no earlier unit's history under that rule (on 2025-07-01: 00340 Phường Yên Sở,
  formed from parts of five wards whose main parts all went elsewhere).
- ``predecessors(code, on, day)``: the inverse: the units of the earlier ``day`` that the
  unit ``code`` of ``on`` covers, wholly or in part (``main_only=True``: only those whose
  history it carries, the inverse of ``roll_up``).
- ``merged_into(code, day)``: the code a unit was wholly merged into (None for a divided
  unit); ``district_before(district, day)``: the last day before ``day`` on which a
  district had units, and those units (what a district of 2025 became).

Changes are applied date by date. On one date the units named by ``merge: stations`` and
``split: station`` are those in force the day before (they end then); ``into``, ``main``
and the ``add``-ed units are those in force on the date. So ``merge: {stations: ["00004",
"00013"], into: "00004"}`` beside ``add: {station: "00004", ...}`` on 2025-07-01 ends
Phường Trúc Bạch and makes the new Phường Ba Đình its successor. A code may only be
``add``-ed when the unit that held it ends on the same date. Changes that cannot apply
are listed in ``problems`` with their file position; the loader reports them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import groupby
from typing import Any, Protocol

from radiocli.i18n import _

STATION_KINDS = ("phường", "xã", "thị trấn")
DISTRICT_KINDS = ("quận", "huyện", "thị xã")
ACTIONS = ("rename", "merge", "split", "move", "add")

UnitKey = tuple[str, date | None]  # a unit: its code and the first day it was in force


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str  # quận, huyện, thị xã


@dataclass(frozen=True)
class Station:
    """A unit (and its loudspeaker station) as it was on some day."""

    code: str
    name: str
    kind: str  # phường, xã, thị trấn
    district: str  # district code ("" once districts are abolished)
    district_name: str
    district_kind: str
    lat: float | None = None  # the unit's centroid, WGS 84 degrees (None: not known)
    lon: float | None = None
    valid_from: date | None = None  # first day the unit is in force (None: the base list)
    valid_to: date | None = None  # last day in force (None: still in force)

    @property
    def key(self) -> UnitKey:
        """What identifies the unit: a reused code gives a different key."""
        return (self.code, self.valid_from)

    def in_force(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))

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
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


@dataclass(frozen=True)
class Change:
    """From ``day`` on: rename a unit, merge units into one, divide (split) a unit among
    several, add a unit, or move a unit to another district (``district=""`` when
    districts are abolished)."""

    day: date
    action: str  # one of ACTIONS
    station: str  # renamed/moved/added, the one merged into, or the one divided
    name: str | None = None
    kind: str | None = None
    merged: tuple[str, ...] = ()  # merge: the units (of the day before) merged into ``station``
    district: str | None = None
    note: str = ""
    parts: tuple[str, ...] = ()  # split: the units (of ``day``) ``station`` was divided among
    main: str | None = None  # split: the part that carries its history
    lat: float | None = None  # add: the new unit's centroid
    lon: float | None = None
    origin: tuple[str, int, int] = field(default=("", 0, 0), compare=False)  # file, line, col


class Selection(Protocol):
    """What the registry needs of a program's targets (radiocli.schedule.model.Targets):
    hashable, and able to say whether they reach a station."""

    def __hash__(self) -> int: ...

    def reaches(self, station: Station) -> bool: ...


@dataclass
class _Unit:
    """A unit while the registry is built: its spans of attributes and its links."""

    code: str
    valid_from: date | None
    versions: list[tuple[date | None, Station]]  # (first day, attributes), oldest first
    valid_to: date | None = None
    ended_by: str = ""  # "merge" or "split"
    after: list[tuple[UnitKey, bool]] = field(default_factory=list)  # (successor, main)
    before: list[tuple[UnitKey, bool]] = field(default_factory=list)  # (predecessor, main)

    @property
    def key(self) -> UnitKey:
        return (self.code, self.valid_from)


class Registry:
    """Stations and districts as they were on any given day."""

    def __init__(
        self,
        stations: Iterable[Station],
        districts: Iterable[District],
        changes: Iterable[Change] = (),
    ) -> None:
        self.districts: dict[str, District] = {d.code: d for d in districts}
        self.changes: tuple[Change, ...] = tuple(sorted(changes, key=lambda c: c.day))
        self.problems: list[tuple[Change, str]] = []  # changes that could not apply
        self._units: dict[UnitKey, _Unit] = {}
        first = [_Unit(s.code, None, [(None, replace(s, valid_from=None, valid_to=None))])
                 for s in stations]
        for unit in first:
            self._units[unit.key] = unit
        current = {unit.code: unit for unit in first}
        for day, group in groupby(self.changes, key=lambda c: c.day):
            self._apply(day, list(group), current)
        self._stations: dict[UnitKey, list[tuple[date | None, Station]]] = {
            key: [(start, replace(st, valid_from=unit.valid_from, valid_to=unit.valid_to))
                  for start, st in unit.versions]
            for key, unit in self._units.items()
        }
        self.base: dict[str, Station] = {u.code: self._stations[u.key][0][1] for u in first}
        self.change_days: tuple[date, ...] = tuple(sorted({c.day for c in self.changes}))
        self._periods: dict[int, dict[str, Station]] = {}
        self._period_of: dict[date, int] = {}
        self._ever: dict[str, Station] | None = None
        self._by_code: dict[str, list[UnitKey]] = {}
        for key in sorted(self._units, key=lambda k: (k[0], k[1] or date.min)):
            self._by_code.setdefault(key[0], []).append(key)
        self._selected: dict[tuple[Selection, int], tuple[str, ...]] = {}

    # --- as data ----------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """What the registry is made of (the base units, the districts, the changes with
        their file positions) as JSON-ready data; ``Registry.from_data`` makes it again,
        answering every question the same (a cache need not read the YAML again)."""
        return {
            "districts": [[d.code, d.name, d.kind] for d in self.districts.values()],
            "stations": [[s.code, s.name, s.kind, s.district, s.district_name, s.district_kind,
                          s.lat, s.lon] for s in self.base.values()],
            "changes": [[c.day.isoformat(), c.action, c.station, c.name, c.kind,
                         list(c.merged), c.district, c.note, list(c.parts), c.main, c.lat,
                         c.lon, list(c.origin)] for c in self.changes],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Registry:
        """The registry ``to_data`` described (ValueError, KeyError or TypeError when the
        data is not such a description)."""
        districts = [District(str(code), str(name), str(kind))
                     for code, name, kind in data["districts"]]
        stations = [Station(str(code), str(name), str(kind), str(district), str(dname),
                            str(dkind), _float(lat), _float(lon))
                    for code, name, kind, district, dname, dkind, lat, lon in data["stations"]]
        changes = [Change(date.fromisoformat(day), str(action), str(station), name, kind,
                          tuple(merged), district, str(note), tuple(parts), main, _float(lat),
                          _float(lon), (str(origin[0]), int(origin[1]), int(origin[2])))
                   for (day, action, station, name, kind, merged, district, note, parts, main,
                        lat, lon, origin) in data["changes"]]
        return cls(stations, districts, changes)

    # --- building ----------------------------------------------------------------------
    def _apply(self, day: date, group: list[Change], current: dict[str, _Unit]) -> None:
        before = dict(current)
        eve = day - timedelta(days=1)
        added = {c.station for c in group if c.action == "add"}
        ends: dict[str, Change] = {}
        for c in group:
            if c.action not in ACTIONS:
                self._problem(c, _("unknown change {action!r}: use one of {actions}").format(
                    action=c.action, actions=", ".join(ACTIONS)))
                continue
            olds = c.merged if c.action == "merge" else (c.station,) if c.action == "split" else ()
            for code in olds:
                if code not in before:
                    self._problem(c, _("{action}: there is no unit {code} on {day}").format(
                        action=c.action, code=code, day=eve))
                elif code not in added and code in ((c.station,) if c.action == "merge"
                                                    else c.parts):
                    continue  # the unit merged into, or keeping a part, goes on
                elif code in ends:
                    self._problem(c, _("{action}: unit {code} already ends on {day} by the "
                                       "{other} of {station}").format(
                        action=c.action, code=code, day=eve, other=ends[code].action,
                        station=ends[code].station))
                else:
                    ends[code] = c
        for code, c in ends.items():
            before[code].valid_to = eve
            before[code].ended_by = c.action
            del current[code]
        for c in group:
            if c.action == "add":
                self._add(c, current, before)
        for c in group:
            if c.action == "merge":
                into = current.get(c.station)
                if into is None:
                    self._problem(c, _("merge: there is no unit {station} on {day} to merge "
                                       "into (add it on the same date)").format(
                        station=c.station, day=day))
                    continue
                for code in c.merged:
                    if ends.get(code) is c:
                        _link(before[code], into, main=True)
            elif c.action == "split":
                self._split(c, current, before, ends)
        for c in group:
            if c.action in ("rename", "move") or (c.action == "merge" and (c.name or c.kind)):
                self._amend(c, current)

    def _add(self, c: Change, current: dict[str, _Unit], before: dict[str, _Unit]) -> None:
        if c.station in current:
            old = current[c.station]
            if old.valid_from == c.day:
                self._problem(c, _("add: unit {station} is added twice on {day}").format(
                    station=c.station, day=c.day))
            else:
                name = old.versions[-1][1].name
                self._problem(c, _("add: code {station} still names {name} on {day}: end that "
                                   "unit on the same date (merge or split it), or choose a new "
                                   "code").format(station=c.station, name=name, day=c.day))
            return
        if not c.name or c.kind not in STATION_KINDS:
            self._problem(c, _("add: unit {station} needs a name and a kind ({kinds})").format(
                station=c.station, kinds=", ".join(STATION_KINDS)))
            return
        if c.district and c.district not in self.districts:
            self._problem(c, _("add: unknown district {district}").format(district=c.district))
            return
        district = self.districts.get(c.district or "")
        station = Station(c.station, c.name, c.kind, c.district or "",
                          district.name if district else "", district.kind if district else "",
                          c.lat, c.lon)
        unit = _Unit(c.station, c.day, [(c.day, station)])
        self._units[unit.key] = current[c.station] = unit

    def _split(self, c: Change, current: dict[str, _Unit], before: dict[str, _Unit],
               ends: dict[str, Change]) -> None:
        parts = [current.get(code) for code in c.parts]
        missing = [code for code, unit in zip(c.parts, parts, strict=True) if unit is None]
        if missing or not parts:
            self._problem(c, _("split: {station} is divided into units that are not in force on "
                               "{day}: {codes} (add them on the same date)").format(
                station=c.station, day=c.day, codes=", ".join(missing) or _("none given")))
            return
        if c.main not in c.parts:
            self._problem(c, _("split: main: must be one of the parts ({codes}): the one that "
                               "carries the unit's history").format(codes=", ".join(c.parts)))
            return
        old = before.get(c.station)
        if old is None:
            return  # already reported
        if ends.get(c.station) is not c:
            if c.main != c.station:
                self._problem(c, _("split: {station} keeps a part, so it keeps its history: "
                                   "main: must be {station}").format(station=c.station))
            for part in parts:
                if part is not None and part is not old:
                    _link(old, part, main=False)
            return
        for code, part in zip(c.parts, parts, strict=True):
            if part is not None:
                _link(old, part, main=code == c.main)

    def _amend(self, c: Change, current: dict[str, _Unit]) -> None:
        unit = current.get(c.station)
        if unit is None:
            self._problem(c, _("{action}: there is no unit {station} on {day}").format(
                action=c.action, station=c.station, day=c.day))
            return
        st = unit.versions[-1][1]
        if c.kind and c.kind not in STATION_KINDS:
            self._problem(c, _("{action}: kind must be one of {kinds}").format(
                action=c.action, kinds=", ".join(STATION_KINDS)))
            return
        st = replace(st, name=c.name or st.name, kind=c.kind or st.kind)
        if c.district is not None:
            if c.district and c.district not in self.districts:
                self._problem(c, _("move: unknown district {district}").format(
                    district=c.district))
                return
            district = self.districts.get(c.district)
            st = replace(st, district=c.district, district_name=district.name if district else "",
                         district_kind=district.kind if district else "")
        if unit.versions[-1][0] == c.day:
            unit.versions[-1] = (c.day, st)
        else:
            unit.versions.append((c.day, st))

    def _problem(self, change: Change, message: str) -> None:
        self.problems.append((change, message))

    # --- one day -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.base)

    def _period(self, day: date) -> int:
        """How many change dates are on or before ``day``: 0 for the base list."""
        period = self._period_of.get(day)
        if period is None:
            period = self._period_of[day] = bisect_right(self.change_days, day)
        return period

    def _in_period(self, period: int) -> dict[str, Station]:
        found = self._periods.get(period)
        if found is None:
            start = self.change_days[period - 1] if period else None
            found = {}
            for key in sorted(self._units, key=lambda k: k[0]):
                unit = self._units[key]
                if start is None:
                    if unit.valid_from is not None:
                        continue
                elif not ((unit.valid_from is None or unit.valid_from <= start)
                          and (unit.valid_to is None or start <= unit.valid_to)):
                    continue
                found[key[0]] = _version(self._stations[key], start)
            self._periods[period] = found
        return found

    def as_of(self, day: date) -> dict[str, Station]:
        """The stations that exist on ``day``, with the names they had that day (by code)."""
        return self._in_period(self._period(day))

    def select(self, targets: Selection, day: date) -> tuple[str, ...]:
        """Codes of the stations that ``targets`` reach on ``day`` (cached per period)."""
        period = self._period(day)
        key = (targets, period)
        found = self._selected.get(key)
        if found is None:
            found = tuple(code for code, st in self._in_period(period).items()
                          if targets.reaches(st))
            self._selected[key] = found
        return found

    def unit(self, code: str, day: date) -> Station | None:
        """The unit holding ``code`` on ``day`` (None: no unit had that code that day)."""
        return self.as_of(day).get(code)

    def holder(self, code: str, day: date) -> Station | None:
        """The unit a record written under ``code`` on ``day`` belongs to: the one in force
        that day, else the last to hold the code before it, else the first after it."""
        found = self.as_of(day).get(code)
        if found is not None:
            return found
        keys = self._by_code.get(code, [])
        earlier = [k for k in keys if self._units[k].valid_to is not None
                   and self._units[k].valid_to < day]  # type: ignore[operator]
        key = earlier[-1] if earlier else keys[0] if keys else None
        return self._last(key) if key else None

    def periods(self, start: date, end: date) -> list[tuple[date, date]]:
        """The spans of [start, end] (both included) in which the registry is the same."""
        out = []
        first = start
        for day in self.change_days:
            if first < day <= end:
                out.append((first, day - timedelta(days=1)))
                first = day
        if first <= end:
            out.append((first, end))
        return out

    def districts_on(self, day: date) -> dict[str, District]:
        """The districts that have units on ``day`` (none once districts are abolished)."""
        codes = {st.district for st in self.as_of(day).values()}
        return {code: d for code, d in self.districts.items() if code in codes}

    def codes_between(self, start: date, end: date) -> tuple[str, ...]:
        """Every code in force on some day of [start, end], sorted (the stations a run or
        simulation over that window needs: 579 for 2024-12-15..2025-01-15)."""
        codes: set[str] = set()
        for first, _last in self.periods(start, end):
            codes.update(self.as_of(first))
        return tuple(sorted(codes))

    def attribution(self, start: date, end: date) -> list[tuple[str, date, date, Station]]:
        """``(code, first, last, unit)`` for every code ever used and every span of
        [start, end] in which a record written under that code belongs to one unit with one
        name (``holder`` semantics): the table a report joins its log lines to, on code
        and day between first and last. Roll a unit up with ``roll_up(on)[unit.key]``."""
        out = []
        for first, last in self.periods(start, end):
            for code in self._by_code:
                unit = self.holder(code, first)
                if unit is not None:
                    out.append((code, first, last, unit))
        return out

    def district_before(self, district: str, day: date) -> tuple[date | None, tuple[Station, ...]]:
        """The last day before ``day`` on which ``district`` had units, and those units
        (``(None, ())`` when it had none)."""
        for change in reversed([d for d in self.change_days if d <= day]):
            last = change - timedelta(days=1)
            units = tuple(st for st in self.as_of(last).values() if st.district == district)
            if units:
                return last, units
        return None, ()

    # --- codes across time ---------------------------------------------------------------
    def known(self, code: str) -> bool:
        """Did ``code`` name a unit on some day?"""
        return code in self._by_code

    def history(self, code: str) -> tuple[Station, ...]:
        """Every unit that held ``code``, oldest first, each under its last name."""
        return tuple(self._last(key) for key in self._by_code.get(code, ()))

    def ever(self) -> dict[str, Station]:
        """The first unit to hold each code, under its first-known name (the base list's
        579 units, plus units added later under new codes). A reused code maps to its
        first unit: when a date is known, use holder(code, day)."""
        if self._ever is None:
            self._ever = {code: self._stations[keys[0]][0][1]
                          for code, keys in sorted(self._by_code.items())}
        return self._ever

    def units(self) -> tuple[Station, ...]:
        """Every unit that ever was, by code then validity, each under its last name."""
        return tuple(self._last(key) for keys in self._by_code.values() for key in keys)

    def _last(self, key: UnitKey) -> Station:
        return self._stations[key][-1][1]

    # --- successors ----------------------------------------------------------------------
    def merged_into(self, code: str, day: date) -> str | None:
        """The code of the unit that the unit last holding ``code`` was wholly merged into,
        if that happened on or before ``day`` (a divided unit: None, see successors)."""
        unit = self.holder(code, day)
        if unit is None or unit.valid_to is None or unit.valid_to >= day:
            return None
        node = self._units[unit.key]
        return node.after[0][0][0] if node.ended_by == "merge" and node.after else None

    def successor(self, code: str, day: date, on: date) -> Station | None:
        """The unit of ``on`` that carries the history of ``holder(code, day)``."""
        unit = self.holder(code, day)
        return self._successor(unit.key, on) if unit else None

    def _successor(self, key: UnitKey, on: date) -> Station | None:
        seen = set()
        while key not in seen:
            seen.add(key)
            unit = self._units[key]
            if unit.valid_from is not None and on < unit.valid_from:
                return None
            if unit.valid_to is None or on <= unit.valid_to:
                return self.unit(unit.code, on)
            main = [k for k, is_main in unit.after if is_main]
            if not main:
                return None
            key = main[0]
        return None

    def successors(self, code: str, day: date, on: date) -> tuple[Station, ...]:
        """Every unit of ``on`` that took over ``holder(code, day)`` wholly or in part, the
        main successor first, the others by code (the unit itself while in force)."""
        unit = self.holder(code, day)
        if unit is None or (unit.valid_from is not None and on < unit.valid_from):
            return ()
        found: dict[UnitKey, Station] = {}
        todo, seen = [unit.key], set()
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            node = self._units[key]
            if node.valid_to is None or on <= node.valid_to:
                if node.valid_from is None or node.valid_from <= on:
                    found[key] = self._version_on(key, on)
                continue
            todo.extend(k for k, _main in node.after)
        main = self._successor(unit.key, on)
        rest = sorted((st for st in found.values() if main is None or st.key != main.key),
                      key=lambda st: st.code)
        return ((main,) if main else ()) + tuple(rest)

    def predecessors(self, code: str, on: date, day: date, main_only: bool = False
                     ) -> tuple[Station, ...]:
        """The units of the earlier ``day`` that the unit holding ``code`` on ``on`` covers,
        wholly or in part (``main_only``: those whose history it carries), by code."""
        unit = self.unit(code, on)
        if unit is None or day > on:
            return ()
        found: dict[UnitKey, Station] = {}
        todo, seen = [unit.key], set()
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            node = self._units[key]
            if node.valid_from is None or node.valid_from <= day:
                if node.valid_to is None or day <= node.valid_to:
                    found[key] = self._version_on(key, day)
            todo.extend(k for k, main in node.before
                        if (main or not main_only) and self._units[k].valid_to is not None
                        and day <= self._units[k].valid_to)  # type: ignore[operator]
        return tuple(sorted(found.values(), key=lambda st: st.code))

    def roll_up(self, on: date) -> dict[UnitKey, Station]:
        """Unit key -> the unit of ``on`` that carries its history (main-successor rule), for
        every unit that began on or before ``on``; units with no successor are left out."""
        out = {}
        for key, unit in self._units.items():
            if unit.valid_from is not None and on < unit.valid_from:
                continue
            target = self._successor(key, on)
            if target is not None:
                out[key] = target
        return out

    def without_history(self, on: date) -> tuple[Station, ...]:
        """The units of ``on`` that receive no earlier unit's history under the
        main-successor rule (they begin on or before ``on`` with no main predecessor)."""
        carried = {st.key for key, st in self.roll_up(on).items() if key != st.key}
        return tuple(st for st in self.as_of(on).values()
                     if st.valid_from is not None and st.key not in carried)

    def _version_on(self, key: UnitKey, day: date) -> Station:
        return _version(self._stations[key], day)


def _version(versions: list[tuple[date | None, Station]], day: date | None) -> Station:
    """The attributes in force on ``day`` (None: the first)."""
    found = versions[0][1]
    for start, station in versions:
        if start is None or (day is not None and start <= day):
            found = station
        else:
            break
    return found


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _link(old: _Unit, new: _Unit, main: bool) -> None:
    old.after.append((new.key, main))
    new.before.append((old.key, main))


def targets_select(targets: Selection, station: Station) -> bool:
    """Does a program (or policy rule) with these targets reach this station?"""
    return targets.reaches(station)


def parse_position(lat: str | None, lon: str | None) -> tuple[float | None, float | None]:
    """A unit's centroid from YAML text: both or neither, WGS 84 degrees."""
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise ValueError(_("give both lat: and lon: (the centroid, WGS 84 degrees) or neither"))
    try:
        north, east = float(lat), float(lon)
    except ValueError:
        raise ValueError(_('lat/lon must be numbers in degrees, got "{lat}", "{lon}"').format(
            lat=lat, lon=lon)) from None
    if not (-90 <= north <= 90 and -180 <= east <= 180):
        raise ValueError(_("lat must be within -90..90 and lon within -180..180, got {lat}, "
                           "{lon}").format(lat=lat, lon=lon))
    return north, east
