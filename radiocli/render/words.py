"""Station words: the abbreviations a text is spoken with, by where it airs.

Schedule files extend the built-in abbreviation table with ``abbreviations:``. A city
file's words apply everywhere; a district file's to the district's programs and to the
programs of its stations; a station file's to that station's programs. ``render``,
``validate``, ``say --station`` and ``normalize --station`` all take their table from
here, so a preview speaks, and warns about, exactly what the program will.
"""

from __future__ import annotations

from radiocli.schedule.model import Program, Schedule
from radiocli.schedule.registry import Registry


def station_districts(registry: Registry, code: str) -> list[str]:
    """The districts a station belongs to, first its original one, then any it moved to."""
    districts: list[str] = []
    first = registry.ever().get(code)
    if first is not None and first.district:
        districts.append(first.district)
    for change in registry.changes:
        if change.station == code and change.district and change.district not in districts:
            districts.append(change.district)
    return districts


def scope_abbreviations(schedule: Schedule, scope: str) -> dict[str, str]:
    """The extra abbreviations in force for ``scope`` ("city", "district:017",
    "station:00478"): city-wide, then the district's, then the station's (later wins)."""
    by_scope = schedule.scope_abbreviations
    table = dict(schedule.abbreviations)
    table.update(by_scope.get("city", {}))
    kind, _sep, code = scope.partition(":")
    if kind == "district":
        table.update(by_scope.get(scope, {}))
    elif kind == "station":
        for district in station_districts(schedule.registry, code):
            table.update(by_scope.get(f"district:{district}", {}))
        table.update(by_scope.get(scope, {}))
    return table


def program_abbreviations(schedule: Schedule, program: Program) -> dict[str, str]:
    """What ``program``'s speech is normalized with: its scope's table, then its file's."""
    table = scope_abbreviations(schedule, program.scope)
    table.update(dict(program.abbreviations))
    return table


def all_scopes(schedule: Schedule) -> dict[str, dict[str, str]]:
    """The table of every scope a program or an ``abbreviations:`` is written in."""
    scopes = {program.scope for program in schedule.programs.values()}
    scopes |= set(schedule.scope_abbreviations)
    scopes.add("city")
    return {scope: scope_abbreviations(schedule, scope) for scope in sorted(scopes)}
