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
from datetime import datetime, time, timedelta

from radiocli.plan.triggers import TZ
from radiocli.schedule.model import Policy, PolicyRule, Priority
from radiocli.schedule.registry import Registry, targets_select


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
    message: str


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
    naming the stations concerned)."""
    out: list[Violation] = []
    per_day: Counter[tuple[str, str, str]] = Counter()
    groups: dict[tuple[tuple[str, ...], int], list[tuple[PolicyRule, tuple[str, ...]]]] = {}
    for s in sessions:
        if s.priority in policy.exempt_priorities:
            continue
        local = s.start.astimezone(TZ)
        day = local.date()
        day_text = day.isoformat()
        if policy.quiet_hours and in_quiet_hours(s.start, s.end, policy.quiet_hours):
            quiet = policy.quiet_hours
            out.append(Violation("quiet-hours", "quiet-hours", s.stations, s.program, day_text,
                                 f"airs in the quiet hours {quiet[0]:%H:%M}-{quiet[1]:%H:%M}"))
        if policy.exempt_on(day):
            continue
        stations = registry.as_of(day)
        key = (s.stations, id(stations))
        matched = groups.get(key)
        if matched is None:
            matched = []
            for rule in policy.rules:
                codes = tuple(c for c in s.stations
                              if c in stations and targets_select(rule.targets, stations[c]))
                if codes:
                    matched.append((rule, codes))
            groups[key] = matched
        minutes = (s.end - s.start).total_seconds() / 60
        for rule, codes in matched:
            found: list[tuple[str, str, tuple[str, ...]]] = []
            if rule.emergency_only:
                found.append(("emergency-only", "only emergencies may air here", codes))
            else:
                if rule.max_session_minutes is not None and \
                        minutes > rule.max_session_minutes + 0.5:
                    found.append(("max-minutes", f"a {minutes:.0f}-minute session; at most "
                                  f"{rule.max_session_minutes:g} minutes", codes))
                if rule.days is not None and local.weekday() not in rule.days:
                    found.append(("day", f"airs on a {local:%A}; allowed only on listed days",
                                  codes))
                if rule.windows and not _within(s.start, s.end, rule.windows):
                    spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in rule.windows)
                    found.append(("window", f"airs at {local:%H:%M}, outside {spans}", codes))
                if rule.max_sessions_per_day is not None:
                    over = []
                    for code in codes:
                        counter_key = (rule.name, code, day_text)
                        per_day[counter_key] += 1
                        if per_day[counter_key] == rule.max_sessions_per_day + 1:
                            over.append(code)
                    if over:
                        found.append(("max-sessions", f"more than {rule.max_sessions_per_day} "
                                      "sessions in a day", tuple(over)))
            out.extend(Violation(rule.name, code, which, s.program, day_text, message)
                       for code, message, which in found)
    return out
