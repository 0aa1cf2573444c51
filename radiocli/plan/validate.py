"""Everything `radiocli validate` checks beyond what loading already reports.

- audio files named by play:/chime: exist, are audio, and stay inside the audio folder;
- relay URLs use a stream scheme (checked while loading);
- rules that never fire within the program's validity;
- programs that reach no station;
- same-priority programs that overlap at a station;
- the plan against the policy profile in force;
- speech text that stays hard to speak after normalization (warnings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from radiocli.errors import Problem
from radiocli.plan.durations import program_seconds
from radiocli.plan.policy import Session, check
from radiocli.plan.triggers import TZ, fire_times, program_trigger
from radiocli.schedule.audiofiles import AUDIO_SUFFIXES, audio_duration, chime_path, resolve_audio
from radiocli.schedule.load import read
from radiocli.schedule.model import (
    Chime, Program, Recording, Schedule, Speech, Where,
)

PROBE_DAYS = 7
MAX_PROBE_WINDOWS = 4


def validate(root: Path, files: Iterable[Path] | None = None, today: date | None = None,
             speech_check: bool = True) -> tuple[Schedule, list[Problem]]:
    schedule, problems = read(root, files)
    problems += check_audio(schedule)
    problems += check_rules(schedule)
    windows = probe_windows(schedule, today)
    intervals = _intervals(schedule, windows)
    problems += check_overlaps(schedule, windows, intervals)
    problems += check_policy(schedule, intervals)
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
                    out.append(_problem(segment.where, f'program "{program.id}": {exc}',
                                        "put the file in the audio folder and name it "
                                        "relative to it", "audio-path"))
                    continue
                if not path.exists():
                    out.append(_problem(segment.where, f'program "{program.id}": audio file '
                                        f'"{segment.path}" does not exist in {schedule.audio_dir}',
                                        "check the name or copy the file there", "audio-missing"))
                elif not path.is_file():
                    out.append(_problem(segment.where, f'program "{program.id}": '
                                        f'"{segment.path}" is a folder, not an audio file',
                                        code="audio-missing"))
                elif path.suffix.lower() not in AUDIO_SUFFIXES:
                    out.append(_problem(segment.where, f'program "{program.id}": '
                                        f'"{segment.path}" is not a WAV, MP3 or OGG file',
                                        code="audio-format"))
                elif audio_duration(path) is None:
                    out.append(_problem(segment.where, f'program "{program.id}": '
                                        f'"{segment.path}" cannot be read as audio '
                                        "(corrupt or truncated?)", "export it again",
                                        "audio-corrupt"))
            elif isinstance(segment, Chime) and chime_path(schedule.audio_dir,
                                                           segment.name) is None:
                out.append(_problem(segment.where, f'program "{program.id}": no chime named '
                                    f'"{segment.name}" in {schedule.audio_dir / "chimes"}',
                                    "add chimes/<name>.wav or use start, end, alert",
                                    "audio-missing"))
    return out


def check_rules(schedule: Schedule) -> list[Problem]:
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
                out.append(_problem(rule.where, f'program "{program.id}": this rule never fires '
                                    f"between {program.valid_from or 'the start'} and "
                                    f"{program.valid_to or 'the end'}",
                                    "check days:, at:, once:, from:/until: and except:",
                                    "never-fires"))
        day = program.valid_from or date.today()
        if not schedule.registry.select(program.targets, day):
            out.append(_problem(program.where, f'program "{program.id}" reaches no station '
                                f"on {day}", "check targets:", "empty-targets"))
    return out


def _with_rules(program: Program, rules: tuple) -> Program:
    from dataclasses import replace

    return replace(program, rules=rules)


def probe_windows(schedule: Schedule, today: date | None) -> list[tuple[datetime, datetime]]:
    """A week from each distinct start of validity (at most a few): enough to see weekly
    patterns without planning months."""
    starts = sorted({p.valid_from or today or date.today() for p in schedule.programs.values()})
    windows: list[tuple[date, date]] = []
    for day in starts:
        if windows and day <= windows[-1][1]:
            continue
        windows.append((day, day + timedelta(days=PROBE_DAYS)))
        if len(windows) >= MAX_PROBE_WINDOWS:
            break
    return [(datetime.combine(a, time(0), TZ), datetime.combine(b, time(0), TZ))
            for a, b in windows]


def _intervals(schedule: Schedule, windows: list[tuple[datetime, datetime]]
               ) -> dict[str, list[tuple[datetime, datetime]]]:
    holidays = frozenset(schedule.holidays)
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for program in schedule.programs.values():
        seconds, _cut = program_seconds(schedule, program)
        trigger = program_trigger(program, holidays)
        spans = []
        for start, end in windows:
            for fire in fire_times(trigger, start, end):
                spans.append((fire, fire + timedelta(seconds=seconds)))
        out[program.id] = spans
    return out


def check_overlaps(schedule: Schedule, windows: list[tuple[datetime, datetime]],
                   intervals: dict[str, list[tuple[datetime, datetime]]]) -> list[Problem]:
    """Same-priority programs whose airings overlap at a shared station."""
    if not windows:
        return []
    programs = list(schedule.programs.values())
    reach: dict[str, set[str]] = {}
    for program in programs:
        codes: set[str] = set()
        for start, _end in windows:
            codes.update(schedule.registry.select(program.targets, start.date()))
        reach[program.id] = codes
    out = []
    for i, a in enumerate(programs):
        for b in programs[i + 1:]:
            if a.priority != b.priority or not intervals[a.id] or not intervals[b.id]:
                continue
            shared = reach[a.id] & reach[b.id]
            if not shared:
                continue
            clash = _first_overlap(intervals[a.id], intervals[b.id])
            if clash is None:
                continue
            first, second = (a, b) if a.where <= b.where else (b, a)
            out.append(_problem(
                second.where,
                f'programs "{second.id}" and "{first.id}" ({a.priority.label}) overlap at '
                f"{len(shared)} station(s), first on {clash:%Y-%m-%d %H:%M} (other program at "
                f"{first.where})",
                "move one of them, or give one a higher priority", "overlap"))
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


def check_policy(schedule: Schedule, intervals: dict[str, list[tuple[datetime, datetime]]]
                 ) -> list[Problem]:
    policy = schedule.policy
    if policy is None:
        return []
    sessions = [
        Session(schedule.registry.select(program.targets, start.astimezone(TZ).date()),
                program.id, start, end, program.priority)
        for program in schedule.programs.values()
        for start, end in intervals[program.id]
    ]
    grouped: dict[tuple[str, str, str], list] = defaultdict(list)
    for violation in check(policy, schedule.registry, sessions):
        grouped[(violation.program, violation.rule, violation.code)].append(violation)
    out = []
    for (program_id, rule, code), items in sorted(grouped.items()):
        program = schedule.programs[program_id]
        first = items[0]
        stations = len({s for v in items for s in v.stations})
        out.append(_problem(program.where,
                            f'program "{program_id}" breaks policy "{policy.name}" rule '
                            f'"{rule}": {first.message} (first at station {first.stations[0]} on '
                            f"{first.day}; {stations} station(s), {len(items)} time(s) in the "
                            "checked weeks)",
                            "change the program, target fewer stations, or declare an "
                            "exemption in the policy", f"policy-{code}"))
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
                issues = [f"the normalizer failed on this text: {exc}"]
            for issue in issues[:5]:
                out.append(_problem(segment.where, f'program "{program.id}": speech: {issue}',
                                    "spell it out or add it to abbreviations:", "speech",
                                    "warning"))
    return out
