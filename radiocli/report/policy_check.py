"""The policy in force checked on what aired, by the same code ``validate`` uses on the
plan (:func:`radiocli.plan.policy.check`): the report only turns the store's event lines
into sessions.

A session's length and count come from its occurrence: it starts at its ``start`` line
and lasts as long as it was on the air, all pieces together (a program preempted and
resumed is one session). Where it aired, for quiet hours and time windows, comes from
each piece (``start``/``resumed`` to ``preempted``/``end``), so a resumed part that
runs into the quiet hours is caught.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from radiocli import TZ
from radiocli.plan.policy import Session, Violation, check
from radiocli.report.connection import Engine
from radiocli.report.words import H
from radiocli.schedule.model import Policy, PolicyRule, Priority, Schedule

WEEKDAYS_VI = ("thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật")
PLACEMENT = ("quiet-hours", "window")


Which = dict[tuple[str, str], list[tuple[str, frozenset[str]]]]


def aired_sessions(engine: Engine, cond: str, params: list[Any]
                   ) -> tuple[list[Session], list[Session], Which]:
    """(one session per occurrence, the sessions where each piece aired, and which
    occurrences each (program, day) had at which stations), in start order.

    A piece runs from a ``start`` or ``resumed`` line to the next ``preempted`` or
    ``end`` line of its occurrence; one whose closing line is missing (a crash) ends
    with its occurrence's last minute line. Stations that aired the same thing at the
    same moments share one session (check() names them all)."""
    con = engine.con
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE pieces AS
        WITH e AS (
          SELECT station, occurrence, program, priority, event, "at",
                 lead(event) OVER w AS next_event, lead("at") OVER w AS next_at
          FROM events
          WHERE {cond} AND occurrence <> ''
            AND event IN ('start', 'resumed', 'preempted', 'end')
          WINDOW w AS (PARTITION BY station, occurrence ORDER BY "at",
                       CASE event WHEN 'preempted' THEN 0 WHEN 'end' THEN 1 ELSE 2 END)),
        last AS (
          SELECT station, occurrence, max(minute) + INTERVAL 1 MINUTE AS until
          FROM minutes WHERE {cond} GROUP BY station, occurrence)
        SELECT e.station, e.occurrence, e.program, e.priority, e."at" AS a,
               CASE WHEN e.next_event IN ('preempted', 'end') THEN e.next_at
                    ELSE greatest(e."at", coalesce(l.until, e."at")) END AS b
        FROM e LEFT JOIN last l ON l.station = e.station AND l.occurrence = e.occurrence
        WHERE e.event IN ('start', 'resumed')
        """,
        params + params,
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE occ AS
        SELECT station, occurrence, any_value(program) AS program,
               any_value(priority) AS priority, min(a) AS start,
               sum(date_diff('millisecond', a, b)) / 1000.0 AS on_air, count(*) AS n
        FROM pieces GROUP BY station, occurrence
        """
    )
    levels: dict[str, Priority] = {}
    per_occurrence: list[Session] = []
    placement: list[Session] = []
    which: Which = {}
    for program, occurrence, priority, start, on_air, split, stations in con.execute(
            "SELECT program, occurrence, priority, start, on_air, n > 1, "
            "list(station ORDER BY station) FROM occ GROUP BY ALL "
            "ORDER BY start, program, occurrence").fetchall():
        level = levels.get(priority)
        if level is None:
            level = levels[priority] = _priority(priority)
        begin = start.replace(tzinfo=TZ)
        session = Session(tuple(stations), program, begin,
                          begin + timedelta(seconds=on_air), level)
        per_occurrence.append(session)
        if not split:
            placement.append(session)
        which.setdefault((program, begin.date().isoformat()), []).append(
            (occurrence, frozenset(stations)))
    for program, priority, a, b, stations in con.execute(
            "SELECT p.program, p.priority, p.a, p.b, list(p.station ORDER BY p.station) "
            "FROM pieces p JOIN occ o ON o.station = p.station "
            "AND o.occurrence = p.occurrence WHERE o.n > 1 GROUP BY ALL "
            "ORDER BY p.a, p.program").fetchall():
        placement.append(Session(tuple(stations), program, a.replace(tzinfo=TZ),
                                 b.replace(tzinfo=TZ), levels.get(priority) or
                                 _priority(priority)))
    placement.sort(key=lambda s: (s.start, s.program))
    return per_occurrence, placement, which


def _priority(label: str) -> Priority:
    try:
        return Priority.parse(label)
    except KeyError:
        return Priority.NORMAL


def check_aired(policy: Policy, schedule: Schedule, per_occurrence: list[Session],
                per_piece: list[Session]) -> list[Violation]:
    """Counts, lengths, days and emergency-only rules on occurrences; quiet hours and
    windows on pieces. Both through plan.policy.check."""
    counts = replace(policy, quiet_hours=None,
                     rules=tuple(replace(r, windows=()) for r in policy.rules))
    placement = replace(policy, rules=tuple(
        replace(r, max_sessions_per_day=None, max_session_minutes=None, days=None)
        for r in policy.rules if not r.emergency_only and r.windows))
    return (check(counts, schedule.registry, per_occurrence)
            + check(placement, schedule.registry, per_piece))


def aired_violations(engine: Engine, schedule: Schedule, cond: str, params: list[Any],
                     lang: str) -> list[dict[str, Any]]:
    """The policy in force checked on what aired within ``cond``, as report rows."""
    policy = schedule.policy
    if policy is None:
        return []
    per_occurrence, per_piece, which = aired_sessions(engine, cond, params)
    rules = {r.name: r for r in policy.rules}
    out = []
    for v in check_aired(policy, schedule, per_occurrence, per_piece):
        for station in v.stations:
            info = engine.registry.holder(station, date.fromisoformat(v.day))  # code and day
            out.append({
                "station": station,
                "station_name": info.name if info else "",
                "date": v.day,
                "program": v.program,
                "occurrences": ", ".join(occ for occ, at in which.get((v.program, v.day), [])
                                         if station in at),
                "rule": v.rule,
                "code": v.code,
                "message": v.message if lang != "vi" else _message_vi(v, policy,
                                                                      rules.get(v.rule)),
            })
    out.sort(key=lambda r: (r["station"], r["date"], r["rule"], r["code"], r["program"]))
    return out


def _message_vi(v: Violation, policy: Policy, rule: PolicyRule | None) -> str:
    if v.code == "quiet-hours" and policy.quiet_hours:
        q0, q1 = policy.quiet_hours
        return f"phát trong giờ yên tĩnh {q0:%H:%M}-{q1:%H:%M}"
    if rule is None:
        return v.message
    if v.code == "emergency-only":
        return "chỉ được phát khi khẩn cấp"
    if v.code == "max-minutes" and rule.max_session_minutes is not None:
        return f"buổi phát dài hơn {rule.max_session_minutes:g} phút"
    if v.code == "day" and rule.days is not None:
        allowed = ", ".join(WEEKDAYS_VI[d] for d in sorted(rule.days))
        weekday = WEEKDAYS_VI[date.fromisoformat(v.day).weekday()]
        return f"phát vào {weekday}; chỉ được phát vào {allowed}"
    if v.code == "window":
        spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in rule.windows)
        return f"phát ngoài khung giờ {spans}"
    if v.code == "max-sessions" and rule.max_sessions_per_day is not None:
        return f"quá {rule.max_sessions_per_day} buổi trong ngày"
    return H("vi", v.message, v.message)
