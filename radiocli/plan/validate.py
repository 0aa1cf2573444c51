"""Everything `radiocli validate` checks beyond what loading already reports.

- audio files named by play:/chime: exist, are audio, and stay inside the audio folder;
- relay URLs use a stream scheme (checked while loading);
- rules that never fire within the program's validity;
- programs that reach no station;
- same-priority programs that overlap at a station, and the plan against the policy
  profile in force, on every day each program can air (radiocli.plan.days groups the
  days, so identical ones are checked once);
- speech text that stays hard to speak after normalization (warnings).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from apscheduler.triggers.base import BaseTrigger

from radiocli import TZ
from radiocli.errors import Problem
from radiocli.i18n import _, word
from radiocli.plan.days import DayGroup, day_groups
from radiocli.plan.durations import program_seconds
from radiocli.plan.policy import Session, Violation, check, describe_stations
from radiocli.plan.triggers import fire_times, program_trigger
from radiocli.plan.units import check_units
from radiocli.schedule.audiofiles import AUDIO_SUFFIXES, audio_duration, chime_path, resolve_audio
from radiocli.schedule.load import read
from radiocli.schedule.model import Chime, Program, Recording, Rule, Schedule, Speech, Where

Span = tuple[datetime, datetime]


def validate(root: Path, files: Iterable[Path] | None = None, today: date | None = None,
             speech_check: bool = True) -> tuple[Schedule, list[Problem]]:
    """Load and check: every problem, located. Overlaps and the policy are checked on
    every day each program can air (radiocli.plan.days says how far)."""
    schedule, problems = read(root, files)
    today = today or datetime.now(TZ).date()
    problems += check_audio(schedule)
    problems += check_rules(schedule, today)
    problems += check_units(schedule, today)  # targets that do not exist on days it airs
    days = Days(schedule, day_groups(schedule, today))
    problems += check_overlaps(schedule, days)
    problems += check_policy(schedule, days)
    if speech_check:
        problems += check_speech(schedule)
    return schedule, sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.message))


def _problem(where: Where, message: str, hint: str = "", code: str = "invalid",
             severity: str = "error") -> Problem:
    return Problem(where.file, where.line, where.column, message, hint, code, severity)


def check_audio(schedule: Schedule) -> list[Problem]:
    out = []
    for program in schedule.programs.values():
        for segment in program.segments:
            if isinstance(segment, Recording):
                try:
                    path = resolve_audio(schedule.audio_dir, segment.path)
                except ValueError as exc:
                    out.append(_problem(segment.where, _('program "{id}": {error}').format(
                        id=program.id, error=exc),
                        _("put the file in the audio folder and name it relative to it"),
                        "audio-path"))
                    continue
                if not path.exists():
                    out.append(_problem(segment.where, _('program "{id}": audio file "{path}" '
                                                         "does not exist in {folder}").format(
                        id=program.id, path=segment.path, folder=schedule.audio_dir),
                        _("check the name or copy the file there"), "audio-missing"))
                elif not path.is_file():
                    out.append(_problem(segment.where, _('program "{id}": "{path}" is a folder, '
                                                         "not an audio file").format(
                        id=program.id, path=segment.path), code="audio-missing"))
                elif path.suffix.lower() not in AUDIO_SUFFIXES:
                    out.append(_problem(segment.where, _('program "{id}": "{path}" is not a '
                                                         "WAV, MP3 or OGG file").format(
                        id=program.id, path=segment.path), code="audio-format"))
                elif audio_duration(path) is None:
                    out.append(_problem(segment.where, _('program "{id}": "{path}" cannot be '
                                                         "read as audio (corrupt or "
                                                         "truncated?)").format(
                        id=program.id, path=segment.path), _("export it again"), "audio-corrupt"))
            elif isinstance(segment, Chime) and chime_path(schedule.audio_dir,
                                                           segment.name) is None:
                out.append(_problem(segment.where, _('program "{id}": no chime named "{name}" '
                                                     "in {folder}").format(
                    id=program.id, name=segment.name, folder=schedule.audio_dir / "chimes"),
                    _("add chimes/<name>.wav or use start, end, alert"), "audio-missing"))
    return out


def check_rules(schedule: Schedule, today: date) -> list[Problem]:
    out = []
    holidays = frozenset(schedule.holidays)
    for program in schedule.programs.values():
        start = datetime.combine(program.valid_from or date(2000, 1, 1), time(0), TZ)
        end = datetime.combine(program.valid_to, time(23, 59, 59), TZ) if program.valid_to \
            else None
        for rule in program.rules:
            single = _with_rules(program, (rule,))
            first = program_trigger(single, holidays).get_next_fire_time(None, start)
            if first is None or (end is not None and first > end):
                out.append(_problem(rule.where, _('program "{id}": this rule never fires '
                                                  "between {first} and {last}").format(
                    id=program.id, first=program.valid_from or _("the start"),
                    last=program.valid_to or _("the end")),
                    _("check days:, at:, once:, from:/until: and except:"), "never-fires"))
    return out


def _with_rules(program: Program, rules: tuple[Rule, ...]) -> Program:
    return replace(program, rules=rules)


@dataclass
class Days:
    """The checked days, grouped (radiocli.plan.days), and each group's sessions as the
    triggers give them on the group's first day."""

    schedule: Schedule
    groups: list[DayGroup]
    _triggers: dict[str, BaseTrigger] = field(default_factory=dict)
    _seconds: dict[str, float] = field(default_factory=dict)
    _spans: dict[date, dict[str, list[Span]]] = field(default_factory=dict)

    def spans(self, group: DayGroup) -> dict[str, list[Span]]:
        """Program -> its airings that touch the group's first day (those that started
        the day before and run past midnight included)."""
        day = group.first
        found = self._spans.get(day)
        if found is not None:
            return found
        start = datetime.combine(day, time(0), TZ)
        out: dict[str, list[Span]] = {}
        for pid, _times in group.pattern:
            out[pid] = self._airings(pid, start, start + timedelta(days=1))
        before = start - timedelta(days=1)
        for pid in sorted({pid for pid, _t in group.spill}):
            late = [(a, b) for a, b in self._airings(pid, before, start) if b > start]
            out[pid] = late + out.get(pid, [])
        self._spans[day] = out
        return out

    def _airings(self, pid: str, start: datetime, end: datetime) -> list[Span]:
        program = self.schedule.programs[pid]
        trigger = self._triggers.get(pid)
        if trigger is None:
            trigger = self._triggers[pid] = program_trigger(
                program, frozenset(self.schedule.holidays))
            self._seconds[pid] = program_seconds(self.schedule, program)[0]
        seconds = timedelta(seconds=self._seconds[pid])
        return [(fire, fire + seconds) for fire in fire_times(trigger, start, end)]


def _days_text(first: date, last: date, count: int) -> str:
    if count == 1:
        return _("on {day}").format(day=first)
    return _("on {n} days from {first} to {last}").format(n=count, first=first, last=last)


@dataclass
class _Found:
    """One problem seen on several groups of days: where it was first, how often."""

    first: datetime
    last: date
    count: int
    stations: set[str]
    detail: str = ""


def check_overlaps(schedule: Schedule, days: Days) -> list[Problem]:
    """Same-priority programs whose airings overlap at a shared station, on any day."""
    registry = schedule.registry
    found: dict[tuple[str, str], _Found] = {}
    for group in days.groups:
        spans = days.spans(group)
        ids = sorted(spans, key=lambda pid: schedule.programs[pid].where)
        for i, a_id in enumerate(ids):
            a = schedule.programs[a_id]
            for b_id in ids[i + 1:]:
                b = schedule.programs[b_id]
                if a.priority != b.priority:
                    continue
                clash = _first_overlap(spans[a_id], spans[b_id])
                if clash is None:
                    continue
                day = clash.astimezone(TZ).date()
                shared = set(registry.select(a.targets, day)) & \
                    set(registry.select(b.targets, day))
                if not shared:
                    continue
                key = (a_id, b_id)
                seen = found.get(key)
                if seen is None:
                    found[key] = _Found(clash, group.last, len(group.days), shared,
                                        describe_stations(registry, shared, day))
                else:
                    seen.last = max(seen.last, group.last)
                    seen.count += len(group.days)
                    seen.stations |= shared
    out = []
    for (first_id, second_id), seen in found.items():
        first, second = schedule.programs[first_id], schedule.programs[second_id]
        out.append(_problem(
            second.where,
            _('programs "{id}" and "{other}" ({priority}) overlap at {stations}; first on '
              "{first:%Y-%m-%d %H:%M}, {days} (other program at {where})").format(
                id=second.id, other=first.id, priority=word("priority", first.priority.label),
                stations=seen.detail, first=seen.first,
                days=_days_text(seen.first.date(), seen.last, seen.count), where=first.where),
            _("move one of them, or give one a higher priority"), "overlap"))
    return out


def _first_overlap(xs: list[tuple[datetime, datetime]], ys: list[tuple[datetime, datetime]]
                   ) -> datetime | None:
    xs, ys = sorted(xs), sorted(ys)
    i = j = 0
    while i < len(xs) and j < len(ys):
        (a0, a1), (b0, b1) = xs[i], ys[j]
        if a0 < b1 and b0 < a1:
            return max(a0, b0)
        if a1 <= b1:
            i += 1
        else:
            j += 1
    return None


def check_policy(schedule: Schedule, days: Days) -> list[Problem]:
    """The policy profile in force, on every checked day (one check per group)."""
    policy = schedule.policy
    if policy is None:
        return []
    registry = schedule.registry
    found: dict[tuple[str, str, str], _Found] = {}
    for group in days.groups:
        day = group.first
        sessions = [
            Session(registry.select(schedule.programs[pid].targets, day), pid, start, end,
                    schedule.programs[pid].priority)
            for pid, spans in days.spans(group).items()
            for start, end in spans
            if start.astimezone(TZ).date() == day
        ]
        today: dict[tuple[str, str, str], list[Violation]] = {}
        for violation in check(policy, registry, sessions):
            today.setdefault((violation.program, violation.rule, violation.code),
                             []).append(violation)
        for key, items in today.items():
            stations = {code for v in items for code in v.stations}
            seen = found.get(key)
            if seen is None:  # groups come in order of their first day: this is the first
                start = min(s.start for s in sessions if s.program == key[0])
                found[key] = _Found(start, group.last, len(group.days), stations,
                                    f"{items[0].message}; {items[0].place}")
            else:
                seen.last = max(seen.last, group.last)
                seen.count += len(group.days)
                seen.stations |= stations
    out = []
    for (program_id, rule, code), seen in sorted(found.items()):
        program = schedule.programs[program_id]
        out.append(_problem(program.where,
                            _('program "{id}" breaks policy "{policy}" rule "{rule}": '
                              "{detail}; {days}").format(
                                id=program_id, policy=policy.name, rule=rule, detail=seen.detail,
                                days=_days_text(seen.first.date(), seen.last, seen.count)),
                            _("change the program, target fewer stations, or declare an "
                              "exemption in the policy"), f"policy-{code}"))
    return out


def check_speech(schedule: Schedule) -> list[Problem]:
    try:
        from radiocli.render.normalize import find_unspeakable
        from radiocli.render.words import program_abbreviations
    except ImportError:
        return []
    out = []
    for program in schedule.programs.values():
        abbreviations = program_abbreviations(schedule, program)  # what render speaks with
        for segment in program.segments:
            if not isinstance(segment, Speech):
                continue
            try:
                issues = find_unspeakable(segment.text, abbreviations)
            except Exception as exc:  # noqa: BLE001 - a warning, never a crash of validate
                issues = [_("the normalizer failed on this text: {error}").format(error=exc)]
            for issue in issues[:5]:
                out.append(_problem(segment.where, _('program "{id}": speech: {issue}').format(
                    id=program.id, issue=issue),
                    _("spell it out or add it to abbreviations:"), "speech", "warning"))
    return out
