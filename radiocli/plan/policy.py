"""Checking a plan against a policy profile (Hanoi's caps, quiet hours, inner districts).

Policy is data (radiocli.schedule.model.Policy); this module says where a set of
sessions breaks it. ``validate`` feeds it planned occurrences; reports feed it what aired.
Emergencies (the policy's exempt priorities) are always exempt; an exemption period
lifts the caps and the district restrictions but not the quiet hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from radiocli import TZ
from radiocli.i18n import _, ngettext
from radiocli.schedule.model import Policy, Priority
from radiocli.schedule.registry import Registry
from radiocli.schedule.values import WEEKDAY_NAMES


@dataclass(frozen=True)
class Session:
    """One program airing at one or more stations at the same time (planned or aired)."""

    stations: tuple[str, ...]
    program: str
    start: datetime
    end: datetime
    priority: Priority


@dataclass(frozen=True)
class Violation:
    rule: str  # policy rule name, or "quiet-hours"
    code: str  # emergency-only, max-sessions, max-minutes, day, window, quiet-hours
    stations: tuple[str, ...]
    program: str
    day: str
    message: str  # in the user's language, like place
    place: str = ""  # the district (code and name) and the stations, for people to read


def in_quiet_hours(start: datetime, end: datetime, quiet: tuple[time, time]) -> bool:
    """Does [start, end) overlap the nightly quiet hours (which may cross midnight)?"""
    a, b = start.astimezone(TZ), end.astimezone(TZ)
    day = a.date() - timedelta(days=1)
    while day <= b.date():
        q_start = datetime.combine(day, quiet[0], TZ)
        q_end = datetime.combine(day, quiet[1], TZ)
        if q_end <= q_start:
            q_end += timedelta(days=1)
        if a < q_end and q_start < b:
            return True
        day += timedelta(days=1)
    return False


def _within(start: datetime, end: datetime, windows: tuple[tuple[time, time], ...]) -> bool:
    a, b = start.astimezone(TZ), end.astimezone(TZ)
    for w_start, w_end in windows:
        lo = datetime.combine(a.date(), w_start, TZ)
        hi = datetime.combine(a.date(), w_end, TZ)
        if lo <= a and b <= hi + timedelta(seconds=59):
            return True
    return False


def check(policy: Policy, registry: Registry, sessions: Iterable[Session]) -> list[Violation]:
    """Every way the sessions break the policy (one Violation per session and rule,
    naming the stations concerned, their district and the station names)."""
    out: list[Violation] = []
    per_day: Counter[tuple[str, str, str]] = Counter()
    reached: dict[tuple[int, date], frozenset[str]] = {}  # (rule, day) -> codes it covers
    for s in sessions:
        if s.priority in policy.exempt_priorities:
            continue
        local = s.start.astimezone(TZ)
        day = local.date()
        day_text = day.isoformat()
        if policy.quiet_hours and in_quiet_hours(s.start, s.end, policy.quiet_hours):
            quiet = policy.quiet_hours
            out.append(Violation("quiet-hours", "quiet-hours", s.stations, s.program, day_text,
                                 _("airs in the quiet hours {start:%H:%M}-{end:%H:%M}").format(
                                     start=quiet[0], end=quiet[1]),
                                 describe_stations(registry, s.stations, day)))
        if policy.exempt_on(day):
            continue
        minutes = (s.end - s.start).total_seconds() / 60
        for index, rule in enumerate(policy.rules):
            covered = reached.get((index, day))
            if covered is None:  # the one place targets are resolved: Registry.select
                covered = reached[(index, day)] = frozenset(registry.select(rule.targets, day))
            codes = tuple(c for c in s.stations if c in covered)
            if not codes:
                continue
            found: list[tuple[str, str, tuple[str, ...]]] = []
            if rule.emergency_only:
                found.append(("emergency-only", _("only emergencies may air here"), codes))
            else:
                if rule.max_session_minutes is not None and \
                        minutes > rule.max_session_minutes + 0.5:
                    found.append(("max-minutes", _("a {minutes:.0f}-minute session; at most "
                                                   "{limit:g} minutes").format(
                        minutes=minutes, limit=rule.max_session_minutes), codes))
                if rule.days is not None and local.weekday() not in rule.days:
                    found.append(("day", _("airs on a {day}; allowed only on {days}").format(
                        day=_(WEEKDAY_NAMES[local.weekday()]), days=days_text(rule.days)),
                        codes))
                if rule.windows and not _within(s.start, s.end, rule.windows):
                    spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in rule.windows)
                    found.append(("window", _("airs at {time:%H:%M}, outside {spans}").format(
                        time=local, spans=spans), codes))
                if rule.max_sessions_per_day is not None:
                    over = []
                    for code in codes:
                        counter_key = (rule.name, code, day_text)
                        per_day[counter_key] += 1
                        if per_day[counter_key] == rule.max_sessions_per_day + 1:
                            over.append(code)
                    if over:
                        found.append(("max-sessions", ngettext(
                            "more than {n} session in a day", "more than {n} sessions in a day",
                            rule.max_sessions_per_day).format(n=rule.max_sessions_per_day),
                            tuple(over)))
            out.extend(Violation(rule.name, code, which, s.program, day_text, message,
                                 describe_stations(registry, which, day))
                       for code, message, which in found)
    return out


def days_text(days: Iterable[int]) -> str:
    """(0, 1, 2, 3, 4) -> "Monday to Friday"; (0, 2, 4) -> "Monday, Wednesday, Friday"."""
    chosen = sorted(set(days))
    names = [_(WEEKDAY_NAMES[d]) for d in chosen]
    if len(chosen) > 2 and chosen == list(range(chosen[0], chosen[-1] + 1)):
        return _("{first} to {last}").format(first=names[0], last=names[-1])
    return ", ".join(names)


def describe_stations(registry: Registry, codes: Iterable[str], day: date, limit: int = 3
                      ) -> str:
    """Stations for people: their district (code and name) and the first few names, e.g.
    "district 005 Quận Cầu Giấy, 8 stations: 00160 Phường Nghĩa Đô, ... and 5 more"."""
    chosen = sorted(set(codes))
    if not chosen:
        return _("no station")
    known = registry.as_of(day)
    ever = registry.ever()

    def station(code: str) -> tuple[str, str, str]:
        found = known.get(code) or ever.get(code)
        if found is None:
            return code, "", ""
        return found.name, found.district, found.district_name

    districts = sorted({station(c)[1] for c in chosen} - {""})
    shown = []
    for code in chosen[:limit]:
        name, district, district_name = station(code)
        text = f"{code} {name}".strip()
        if len(districts) > 1 and district:
            text += f" ({district} {district_name})"
        shown.append(text)
    listed = ", ".join(shown)
    if len(chosen) > limit:
        listed = _("{stations} and {n} more").format(stations=listed, n=len(chosen) - limit)
    if len(chosen) == 1:
        _name, district, district_name = station(chosen[0])
        if district:
            return _("station {station} (district {code} {name})").format(
                station=shown[0], code=district, name=district_name)
        return _("station {station}").format(station=shown[0])
    n = len(chosen)
    if len(districts) == 1:
        name = registry.districts[districts[0]].name if districts[0] in registry.districts \
            else station(chosen[0])[2]
        return ngettext("district {code} {name}, {n} station: {stations}",
                        "district {code} {name}, {n} stations: {stations}", n).format(
            code=districts[0], name=name, n=n, stations=listed)
    if districts:
        return ngettext("{districts} districts, {n} station: {stations}",
                        "{districts} districts, {n} stations: {stations}", n).format(
            districts=len(districts), n=n, stations=listed)
    return ngettext("{n} station: {stations}", "{n} stations: {stations}", n).format(
        n=n, stations=listed)
