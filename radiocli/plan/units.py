"""Programs against the registry through time: targets that do not exist on days a program airs.

Hanoi's units changed on 2025-01-01 (579 -> 526) and on 2025-07-01 (126 units, no
districts). A program keeps the station codes and districts it was written with, so
``validate`` asks, for every span of days in which the registry does not change and the
program airs at least once (from its validity and rules; an open-ended validity runs from
the check date to ``HORIZON_DAYS`` after it):

- a station it targets that does not exist then: an error naming the units that took it
  over (main successor first), to target instead;
- a station code that names a different unit than when the program first airs (a code
  reused by a new unit, such as 00004: Phường Trúc Bạch, then Phường Ba Đình): a warning;
- a district it targets that has no units then: an error; once districts are abolished,
  the message says so and names the units its last units are now in;
- a kind or district kind that matches no unit then, a station in ``exclude`` that does
  not exist then: warnings; a program that reaches no station at all: an error;
- a rule of the policy in force that selects no station in a span in which programs air
  (a district rule after districts were abolished): a warning, as it checks nothing then.

Every problem points at the program (file:line:column) and says what to do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from radiocli import TZ
from radiocli.errors import Problem
from radiocli.i18n import _, ngettext
from radiocli.plan.triggers import program_trigger
from radiocli.schedule.model import Policy, Program, Schedule
from radiocli.schedule.registry import Registry, Station

HORIZON_DAYS = 365  # an open-ended validity is checked up to a year after the check date
SHOWN = 8  # units named in a message before "and N more"


def check_units(schedule: Schedule, today: date | None = None) -> list[Problem]:
    """Every program target that does not exist on some day the program airs."""
    today = today or date.today()
    horizon = today + timedelta(days=HORIZON_DAYS)
    holidays = frozenset(schedule.holidays)
    out: list[Problem] = []
    aired: set[date] = set()  # first days of the spans in which some program airs
    for program in schedule.programs.values():
        spans = airing_spans(schedule.registry, program, holidays, today, horizon)
        out += _check_program(schedule.registry, program, spans, horizon)
        aired.update(a for a, _b in spans)
    if schedule.policy is not None:
        out += _check_policy(schedule.registry, schedule.policy, sorted(aired))
    return out


def _check_policy(registry: Registry, policy: Policy, days: list[date]) -> list[Problem]:
    """A policy rule that selects no station while programs air checks nothing then (a
    district rule after districts were abolished): a warning, once per rule."""
    out = []
    for rule in policy.rules:
        empty = [day for day in days if not registry.select(rule.targets, day)]
        if empty:
            w = rule.where if rule.where.file else policy.where
            if rule.targets.districts or rule.targets.district_kinds:
                message = _('policy "{policy}" rule "{rule}" selects no station from {day}, '
                            "when programs air (districts were abolished): it checks nothing "
                            "then")
            else:
                message = _('policy "{policy}" rule "{rule}" selects no station from {day}, '
                            "when programs air: it checks nothing then")
            out.append(Problem(w.file, w.line, w.column,
                               message.format(policy=policy.name, rule=rule.name, day=empty[0]),
                               _("write the rule for the units of that date (kinds: or "
                                 "stations:), or use a policy written for them"),
                               "policy-rule-gone", "warning"))
    return out


def airing_spans(registry: Registry, program: Program, holidays: frozenset[date], today: date,
                 horizon: date) -> list[tuple[date, date]]:
    """The spans of days with one registry in which the program airs at least once."""
    start = program.valid_from or today
    end = program.valid_to or horizon
    return [(a, b) for a, b in registry.periods(start, end) if airs(program, holidays, a, b)]


def airs(program: Program, holidays: frozenset[date], first: date, last: date) -> bool:
    """Does the program fire at least once on the days first..last (local dates)?"""
    excluded = program.except_dates | (holidays if program.skip_holidays else frozenset())
    start = datetime.combine(first, time(0), TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), TZ)
    for rule in program.rules:
        for moment in rule.once:  # checked directly: a DateTrigger ignores "now"
            day = moment.astimezone(TZ).date()
            if first <= day <= last and day not in excluded and \
                    (program.valid_from is None or program.valid_from <= day) and \
                    (program.valid_to is None or day <= program.valid_to):
                return True
        if rule.times:
            single = replace(program, rules=(replace(rule, once=()),))
            fire = program_trigger(single, holidays).get_next_fire_time(None, start)
            if fire is not None and fire < end:
                return True
    return False


def _check_program(registry: Registry, program: Program, spans: list[tuple[date, date]],
                   horizon: date) -> list[Problem]:
    if not spans:
        return []
    targets = program.targets
    first_day = spans[0][0]
    first_units = {code: registry.unit(code, first_day) for code in targets.stations}
    out: list[Problem] = []
    for a, b in spans:
        if b == horizon and program.valid_to is None:
            when = _("from {day} on").format(day=a)
        else:
            when = _("from {first} to {last}").format(first=a, last=b)
        current = registry.as_of(a)
        found: list[Problem] = []
        for code in sorted(targets.stations):
            unit = current.get(code)
            was = first_units[code]
            if unit is None:
                found.append(_station_gone(registry, program, code, a, when))
            elif was is not None and unit.key != was.key:
                found.append(_station_reused(registry, program, unit, was, when))
        districts = registry.districts_on(a)
        for code in sorted(targets.districts):
            if code not in districts:
                found.append(_district_gone(registry, program, code, a, when, bool(districts)))
        for message, chosen, values in (
            (_('targets kind "{value}", which no unit has {when} (the days it airs)'),
             targets.kinds, {st.kind for st in current.values()}),
            (_('targets district kind "{value}", which no unit has {when} (the days it airs)'),
             targets.district_kinds, {st.district_kind for st in current.values()}),
        ):
            for value in sorted(chosen - values):
                found.append(_problem(program, message.format(value=value, when=when),
                                      _("remove it from targets:, or target stations"),
                                      "kind-gone", "warning"))
        for code in sorted(targets.exclude):
            if code not in current:
                found.append(_problem(
                    program, _("excludes station {code}, which does not exist {when}").format(
                        code=code, when=when),
                    _("remove it from exclude:"), "exclude-gone", "warning"))
        if not registry.select(targets, a) and not any(p.severity == "error" for p in found):
            found.append(_problem(
                program, _("reaches no station {when} (the days it airs)").format(when=when),
                _("check targets: against radiocli stations list --on {day}").format(day=a),
                "empty-targets"))
        out += found
    return out


def _station_gone(registry: Registry, program: Program, code: str, day: date, when: str
                  ) -> Problem:
    old = registry.holder(code, day)
    successors = registry.successors(code, day, day)
    if old is None:  # not reached: load() refuses codes the registry never had
        return _problem(program, _("targets station {code}, which is not in the registry").format(
            code=code), _("see radiocli stations list"), "station-gone")
    how = (_("it ended on {day}").format(day=old.valid_to) if old.valid_to and old.valid_to < day
           else _("it begins on {day}").format(day=old.valid_from))
    if successors:
        how = _("{how}; its area is now in {units}").format(how=how, units=_names(successors))
        hint = (_("target {units} instead (it carries {code}'s history)").format(
                    units=_codes(successors[:1]), code=code)
                if len(successors) == 1 else
                _("target {units} instead ({code} took the main part)").format(
                    units=_codes(successors), code=successors[0].code))
    else:
        hint = _("end the program's validity (until:) or target other stations")
    return _problem(program, _("targets station {code} ({name}), which does not exist {when} "
                               "(the days it airs): {how}").format(
        code=code, name=old.name, when=when, how=how), hint, "station-gone")


def _station_reused(registry: Registry, program: Program, unit: Station, was: Station,
                    when: str) -> Problem:
    formed = registry.predecessors(unit.code, unit.valid_from or date.min,
                                   (unit.valid_from or date.min) - timedelta(days=1))
    if formed:
        message = _("targets station {code}, which names a new unit {when}: {name}, in force "
                    "from {start} and formed from {units}; not {old}, which the code named when "
                    "the program first airs (until {until})")
    else:
        message = _("targets station {code}, which names a new unit {when}: {name}, in force "
                    "from {start}; not {old}, which the code named when the program first airs "
                    "(until {until})")
    return _problem(program, message.format(
                        code=unit.code, when=when, name=unit.name, start=unit.valid_from,
                        units=_names(formed), old=was.name, until=was.valid_to),
                    _("check that {name} is meant, or end the program's validity on {day}"
                      ).format(name=unit.name, day=was.valid_to), "station-reused", "warning")


def _district_gone(registry: Registry, program: Program, code: str, day: date, when: str,
                   districts_exist: bool) -> Problem:
    district = registry.districts.get(code)
    name = f"{code} ({district.name})" if district else code
    last, units = registry.district_before(code, day)
    if not units:
        return _problem(program, _("targets district {name}, which has no units {when}").format(
            name=name, when=when), _("see radiocli stations list"), "district-gone")
    main: dict[str, Station] = {}
    part: dict[str, Station] = {}
    for unit in units:
        successors = registry.successors(unit.code, last or day, day)
        if successors:
            main.setdefault(successors[0].code, successors[0])
        for st in successors[1:]:
            part.setdefault(st.code, st)
    for c in main:
        part.pop(c, None)
    ended = (last + timedelta(days=1)) if last else day
    why = (_("districts were abolished on {day} (no unit has belonged to a district since)")
           if not districts_exist else _("it has had no units since {day}")).format(day=ended)
    now_in = _names(sorted(main.values(), key=lambda s: s.code))
    if part:
        now_in = _("{units}, and in part in {others}").format(
            units=now_in, others=_names(sorted(part.values(), key=lambda s: s.code)))
    message = ngettext("targets district {name}, which does not exist {when} (the days it "
                       "airs): {why}. Its {n} unit of {day} is now in {units}",
                       "targets district {name}, which does not exist {when} (the days it "
                       "airs): {why}. Its {n} units of {day} are now in {units}",
                       len(units)).format(name=name, when=when, why=why, n=len(units), day=last,
                                          units=now_in)
    codes = ", ".join(f'"{c}"' for c in sorted(main))
    return _problem(program, message,
                    _("target the units by station: targets: {{stations: [{codes}]}} (the units "
                      "that took its units' main parts)").format(codes=codes), "district-gone")


def _names(stations: list[Station] | tuple[Station, ...]) -> str:
    shown = [f"{st.code} {st.name}" for st in stations[:SHOWN]]
    more = len(stations) - SHOWN
    if more > 0:
        return _("{stations} and {n} more").format(stations=", ".join(shown), n=more)
    return ", ".join(shown)


def _codes(stations: list[Station] | tuple[Station, ...]) -> str:
    return "stations: [" + ", ".join(f'"{st.code}"' for st in stations) + "]"


def _problem(program: Program, message: str, hint: str, code: str, severity: str = "error"
             ) -> Problem:
    w = program.where
    return Problem(w.file, w.line, w.column, _('program "{id}" {message}').format(
        id=program.id, message=message), hint, code, severity)
