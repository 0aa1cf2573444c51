"""Load a schedules folder into a :class:`Schedule`, collecting every problem.

``read()`` never raises for bad content: it returns the schedule it could build and the
list of located problems. ``load()`` raises :class:`ScheduleError` when any is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from radiocli import TIMEZONE
from radiocli.errors import Problem, RadioError, ScheduleError
from radiocli.schedule import schema, values
from radiocli.schedule.model import (
    Blackout, Chime, Exemption, Holiday, Policy, PolicyRule, Priority, Program, Recording,
    Relay, Rule, Schedule, Segment, Silence, Speech, Targets, Where,
)
from radiocli.schedule.registry import (
    DISTRICT_KINDS, STATION_KINDS, Change, District, Registry, Station,
)
from radiocli.schedule.suggest import did_you_mean
from radiocli.schedule.yamlfile import (
    MappingNode, Node, ScalarNode, SequenceNode, YamlProblem, parse, read_text,
)

TZ = ZoneInfo(TIMEZONE)
MAX_FILES = 5000  # schedule files in one folder tree (579 stations + districts + city)
MAX_FOLDERS = 2000
MAX_DEPTH = 8
RELAY_SCHEMES = ("http://", "https://", "rtp://", "udp://")
T = TypeVar("T")


def load(root: Path, files: Iterable[Path] | None = None) -> Schedule:
    schedule, problems = read(root, files)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ScheduleError(problems)
    return schedule


class TooBig(RadioError):
    """The folder given as the schedules folder is far larger than any schedules folder."""

    def __init__(self, root: Path, detail: str) -> None:
        super().__init__(f"{root}: this does not look like a schedules folder ({detail}); "
                         "pass the project's schedules folder with --schedules DIR")
        self.detail = detail


def schedule_files(root: Path) -> list[Path]:
    """Every *.yaml / *.yml under root, sorted, not following links out of it.

    Raises TooBig past MAX_FOLDERS folders, MAX_DEPTH levels or MAX_FILES files, so a
    mistaken `--schedules /` costs a moment, not a walk of the whole disk."""
    if root.is_file():
        return [root]
    found: list[Path] = []
    base_depth = len(root.parts)
    folders = 0
    for dirpath, dirnames, filenames in os.walk(root):
        folders += 1
        if folders > MAX_FOLDERS or len(Path(dirpath).parts) - base_depth > MAX_DEPTH:
            raise TooBig(root, f"more than {MAX_FOLDERS} folders or {MAX_DEPTH} levels")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                found.append(Path(dirpath) / name)
                if len(found) > MAX_FILES:
                    raise TooBig(root, f"more than {MAX_FILES} YAML files")
    return found


def shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def read(root: Path, files: Iterable[Path] | None = None) -> tuple[Schedule, list[Problem]]:
    """Read the schedules under ``root`` (plus ``files``, which replace same-named ones)."""
    problems: list[Problem] = []
    try:
        paths = schedule_files(root) if root.exists() else []
    except TooBig as exc:
        paths = []
        problems.append(Problem(shown_path(root), message="this does not look like a schedules "
                                f"folder ({exc.detail})", hint="pass the project's schedules "
                                "folder with --schedules DIR", code="too-large"))
    except OSError as exc:
        paths = []
        problems.append(Problem(shown_path(root), message=f"cannot read the folder: "
                                f"{exc.strerror or exc}", code="unreadable"))
    if not root.exists():
        problems.append(Problem(shown_path(root), message="no such schedules folder",
                                hint="pass --schedules DIR or run radiocli in the project folder",
                                code="missing"))
    extra = [Path(f) for f in files or ()]
    seen = {p.resolve() for p in paths}
    for path in extra:
        if path.resolve() not in seen:
            paths.append(path)
    docs: list[tuple[str, Path, MappingNode]] = []
    for path in paths:
        shown = shown_path(path)
        try:
            node = parse(read_text(path, shown), shown)
        except YamlProblem as exc:
            problems.append(exc.problem)
            continue
        if node is None:
            problems.append(Problem(shown, message="file is empty", code="empty",
                                    hint="add programs: or delete the file",
                                    severity="warning"))
            continue
        if not isinstance(node, MappingNode):
            m = node.start_mark
            problems.append(Problem(shown, m.line + 1, m.column + 1,
                                    "the top level must be a mapping of keys (programs:, ...)",
                                    code="type"))
            continue
        docs.append((shown, path, node))
    reader = Reader(problems)
    registry = reader.registry(docs)
    audio_dir = root.parent / "audio" if root.is_dir() else root.parent.parent / "audio"
    schedule = Schedule(root=root, audio_dir=audio_dir, registry=registry,
                        files=[p for _s, p, _n in docs])
    reader.rest(docs, schedule)
    return schedule, problems


class Reader:
    """Turns located YAML nodes into model objects, noting every problem on the way."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.file = ""

    # --- reporting -----------------------------------------------------------------
    def where(self, node: Node) -> Where:
        return Where(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: Node | None, message: str, hint: str = "", code: str = "invalid",
                severity: str = "error") -> None:
        if node is None:
            self.problems.append(Problem(self.file, 0, 0, message, hint, code, severity))
            return
        w = self.where(node)
        self.problems.append(Problem(w.file, w.line, w.column, message, hint, code, severity))

    # --- node helpers --------------------------------------------------------------
    def mapping(self, node: Node, kind: str, label: str) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node), reporting duplicates and unknown keys."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{label} must be a mapping of keys", code="type")
            return {}
        allowed = schema.keys(kind) if kind else None
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, f"{label}: keys must be plain words", code="type")
                continue
            key = key_node.value
            if key in out:
                first = out[key][0].start_mark.line + 1
                self.problem(key_node, f'duplicate key "{key}" in {label} (first on line '
                             f"{first})", "keep one of them", "duplicate-key")
                continue
            if allowed is not None and key not in allowed:
                self.problem(key_node, f'unknown key "{key}" in {label}'
                             f"{did_you_mean(key, allowed)}",
                             f"allowed: {', '.join(allowed)}", "unknown-key")
                continue
            out[key] = (key_node, value_node)
        return out

    def text(self, node: Node, label: str) -> str | None:
        if isinstance(node, ScalarNode) and node.tag != "tag:yaml.org,2002:null":
            return str(node.value)
        self.problem(node, f"{label} must be a single value (text)", code="type")
        return None

    def items(self, node: Node, label: str) -> list[Node]:
        """A sequence's items, or the node itself when a single value is given."""
        if isinstance(node, SequenceNode):
            return list(node.value)
        if isinstance(node, ScalarNode):
            return [node]
        self.problem(node, f"{label} must be a value or a list of values", code="type")
        return []

    def texts(self, node: Node, label: str) -> list[tuple[Node, str]]:
        out = []
        for item in self.items(node, label):
            value = self.text(item, label)
            if value is not None:
                out.append((item, value))
        return out

    def value(self, node: Node, label: str, parse_fn: Callable[[str], T]) -> T | None:
        raw = self.text(node, label)
        if raw is None:
            return None
        try:
            return parse_fn(raw)
        except ValueError as exc:
            self.problem(node, f"'{label}' {exc}", code="format")
            return None

    def integer(self, node: Node, label: str, low: int, high: int) -> int | None:
        raw = self.text(node, label)
        if raw is None:
            return None
        try:
            number = int(raw)
        except ValueError:
            self.problem(node, f"'{label}' must be a whole number, got \"{raw}\"", code="type")
            return None
        if not low <= number <= high:
            self.problem(node, f"'{label}' must be between {low} and {high}, got {number}",
                         code="range")
            return None
        return number

    def boolean(self, node: Node, label: str) -> bool | None:
        raw = (self.text(node, label) or "").lower()
        if raw in ("true", "yes", "on"):
            return True
        if raw in ("false", "no", "off"):
            return False
        self.problem(node, f"'{label}' must be true or false", code="type")
        return None

    # --- registry ------------------------------------------------------------------
    def registry(self, docs: list[tuple[str, Path, MappingNode]]) -> Registry:
        districts: dict[str, District] = {}
        stations: dict[str, Station] = {}
        raw_units: list[tuple[Node, dict[str, str]]] = []
        changes: list[Change] = []
        for shown, _path, node in docs:
            self.file = shown
            top = self.mapping(node, "file", "the file")
            if "districts" in top:
                for code, body in self.mapping(top["districts"][1], "", "districts").items():
                    fields = self.mapping(body[1], "district", f"district {code}")
                    name = self.text(fields["name"][1], "name") if "name" in fields else None
                    kind = self.text(fields["kind"][1], "kind") if "kind" in fields else None
                    if kind not in DISTRICT_KINDS:
                        self.problem(body[1], f"district {code}: kind must be one of "
                                     f"{', '.join(DISTRICT_KINDS)}", code="format")
                    districts[code] = District(code, name or code, kind or "")
            if "units" in top:
                for item in self.items(top["units"][1], "units"):
                    fields = self.mapping(item, "unit", "unit")
                    got = {k: self.text(v[1], k) for k, v in fields.items()}
                    if all(got.get(k) for k in ("code", "name", "kind", "district")):
                        raw_units.append((item, {k: v for k, v in got.items() if v}))
                    else:
                        self.problem(item, "a unit needs code, name, kind and district",
                                     code="missing")
            if "changes" in top:
                changes.extend(self.changes(top["changes"][1]))
        for item, unit in raw_units:
            code = unit["code"]
            district = districts.get(unit["district"])
            if code in stations:
                self.problem(item, f"station code {code} is listed twice", code="duplicate")
            if district is None:
                self.problem(item, f"unit {code}: unknown district {unit['district']}",
                             code="unknown-district")
            if unit["kind"] not in STATION_KINDS:
                self.problem(item, f"unit {code}: kind must be one of "
                             f"{', '.join(STATION_KINDS)}", code="format")
            stations[code] = Station(code, unit["name"], unit["kind"], unit["district"],
                                     district.name if district else "",
                                     district.kind if district else "")
        return Registry(stations.values(), districts.values(), changes)

    def changes(self, node: Node) -> list[Change]:
        out = []
        for item in self.items(node, "changes"):
            fields = self.mapping(item, "change", "change")
            day = self.value(fields["date"][1], "date", values.parse_date) if "date" in \
                fields else None
            if day is None:
                self.problem(item, "a change needs a date it applies from", code="missing")
                continue
            note = self.text(fields["note"][1], "note") or "" if "note" in fields else ""
            actions = [k for k in ("rename", "merge", "move", "add") if k in fields]
            if len(actions) != 1:
                self.problem(item, "a change is exactly one of rename, merge, move, add",
                             code="format")
                continue
            action = actions[0]
            body = {k: v[1] for k, v in self.mapping(fields[action][1], "", action).items()}
            get = {k: self.text(v, k) for k, v in body.items() if isinstance(v, ScalarNode)}
            if action == "merge":
                merged = tuple(v for _n, v in self.texts(body["stations"], "stations")) \
                    if "stations" in body else ()
                into = get.get("into")
                if not into or not merged:
                    self.problem(item, "merge needs stations: [...] and into: CODE",
                                 code="missing")
                    continue
                out.append(Change(day, "merge", into, get.get("name"), None, merged, None, note))
            else:
                station = get.get("station")
                if not station:
                    self.problem(item, f"{action} needs station: CODE", code="missing")
                    continue
                out.append(Change(day, action, station, get.get("name"), get.get("kind"), (),
                                  get.get("district"), note))
        return out

    # --- everything else -----------------------------------------------------------
    def rest(self, docs: list[tuple[str, Path, MappingNode]], schedule: Schedule) -> None:
        registry = schedule.registry
        for shown, path, node in docs:
            self.file = shown
            top = self.mapping(node, "", "the file")  # unknown keys already reported
            scope = "city"
            district = station = None
            if "district" in top and "station" in top:
                self.problem(top["station"][0], "a file is either a district file or a "
                             "station file, not both", code="format")
            if "district" in top:
                district = self.text(top["district"][1], "district")
                if district is not None and district not in registry.districts:
                    self.problem(top["district"][1], f"unknown district code {district}"
                                 f"{did_you_mean(district, registry.districts)}",
                                 "see radiocli stations list", "unknown-district")
                    district = None
                scope = f"district:{district}" if district else scope
            if "station" in top:
                station = self.text(top["station"][1], "station")
                if station is not None and not registry.known(station):
                    self.problem(top["station"][1], f"unknown station code {station}",
                                 "see radiocli stations list", "unknown-station")
                    station = None
                scope = f"station:{station}" if station else scope
            if ("district" in top and district is None) or ("station" in top and station is None):
                continue  # nothing in this file can be placed
            abbreviations: dict[str, str] = {}
            if "abbreviations" in top:
                for key, (_k, v) in self.mapping(top["abbreviations"][1], "",
                                                 "abbreviations").items():
                    spoken = self.text(v, f"abbreviation {key}")
                    if spoken:
                        abbreviations[key] = spoken
                if scope == "city":
                    schedule.abbreviations.update(abbreviations)
                schedule.scope_abbreviations.setdefault(scope, {}).update(abbreviations)
            if "settings" in top:
                self.settings(top["settings"][1], path, schedule)
            if "holidays" in top:
                for item in self.items(top["holidays"][1], "holidays"):
                    fields = self.mapping(item, "holiday", "holiday")
                    day = self.value(fields["date"][1], "date", values.parse_date) \
                        if "date" in fields else None
                    if day is None:
                        if "date" not in fields:
                            self.problem(item, "a holiday needs a date", code="missing")
                        continue
                    name = self.text(fields["name"][1], "name") if "name" in fields else ""
                    schedule.holidays[day] = Holiday(day, name or "", self.where(item))
            if "policy" in top:
                policy = self.policy(top["policy"][1])
                if policy is not None:
                    if policy.name in schedule.policies:
                        self.problem(top["policy"][1], f'policy "{policy.name}" is defined '
                                     "twice", code="duplicate")
                    schedule.policies[policy.name] = policy
            if "blackouts" in top:
                for item in self.items(top["blackouts"][1], "blackouts"):
                    blackout = self.blackout(item, registry, station, district)
                    if blackout:
                        schedule.blackouts.append(blackout)
            if "programs" in top:
                for key_node, body in self.mapping(top["programs"][1], "", "programs").values():
                    program_id = key_node.value
                    program = self.program(program_id, key_node, body, registry, scope,
                                           tuple(abbreviations.items()))
                    if program is None:
                        continue
                    if program_id in schedule.programs:
                        other = schedule.programs[program_id].where
                        self.problem(key_node, f'program id "{program_id}" is already used at '
                                     f"{other}", "program ids are unique across all files",
                                     "duplicate")
                        continue
                    schedule.programs[program_id] = program
        in_force = schedule.settings.get("policy")
        if isinstance(in_force, str) and in_force not in schedule.policies:
            self.file = str(schedule.settings.get("_file", ""))
            self.problem(None, f'settings name policy "{in_force}" but no file defines it'
                         f"{did_you_mean(in_force, schedule.policies)}", code="unknown-policy")

    def settings(self, node: Node, path: Path, schedule: Schedule) -> None:
        if schedule.settings:
            self.problem(node, "settings: appear in more than one file", code="duplicate")
        fields = self.mapping(node, "settings", "settings")
        schedule.settings["_file"] = self.file
        if "policy" in fields:
            schedule.settings["policy"] = self.text(fields["policy"][1], "policy")
        if "audio" in fields:
            raw = self.text(fields["audio"][1], "audio")
            if raw:
                schedule.audio_dir = (path.parent / raw).resolve()
        if "render" in fields:
            schedule.settings["render"] = self.render_settings(fields["render"][1], path)

    def render_settings(self, node: Node, path: Path) -> dict[str, object]:
        fields = self.mapping(node, "render", "settings render")
        out: dict[str, object] = {}
        for key, (_k, value) in fields.items():
            raw = self.text(value, key)
            if raw is None:
                continue
            if key == "engine" and raw not in ("pyttsx3", "espeak-ng", "piper"):
                self.problem(value, f'engine must be pyttsx3, espeak-ng or piper, got "{raw}"',
                             code="format")
            elif key == "format" and raw not in ("wav", "mp3"):
                self.problem(value, f'format must be wav or mp3, got "{raw}"', code="format")
            elif key == "rate":
                rate = self.integer(value, "rate", 80, 300)
                if rate is not None:
                    out[key] = rate
            elif key in ("loudness", "true_peak", "crossfade"):
                try:
                    out[key] = float(raw)
                except ValueError:
                    self.problem(value, f"'{key}' must be a number, got \"{raw}\"", code="type")
            elif key == "piper_model":
                out[key] = str((path.parent / raw).resolve())
            else:
                out[key] = raw
        return out

    def program(self, program_id: str, key_node: Node, node: Node, registry: Registry,
                scope: str, abbreviations: tuple[tuple[str, str], ...]) -> Program | None:
        label = f'program "{program_id}"'
        if not program_id or not all(c.isalnum() or c in "-_." for c in program_id):
            self.problem(key_node, f"{label}: ids use letters, digits, '-', '_' and '.' only",
                         code="format")
            return None
        fields = self.mapping(node, "program", label)
        if not fields and isinstance(node, MappingNode):
            self.problem(node, f"{label} is empty", "give it when: and segments:", "missing")
            return None
        ok = True
        for required in ("when", "segments"):
            if required not in fields:
                self.problem(key_node, f"{label} has no {required}:", code="missing")
                ok = False
        title = self.text(fields["title"][1], "title") if "title" in fields else None
        priority = Priority.NORMAL
        if "priority" in fields:
            raw = self.text(fields["priority"][1], "priority") or ""
            try:
                priority = Priority.parse(raw)
            except KeyError:
                ok = False
                self.problem(fields["priority"][1], f"priority must be normal, priority or "
                             f'emergency, got "{raw}"'
                             f"{did_you_mean(raw, ['normal', 'priority', 'emergency'])}",
                             code="format")
        targets = self.targets(fields.get("targets"), registry, scope, key_node, label)
        if targets is None:
            ok = False
        valid_from = valid_to = None
        if "from" in fields:
            valid_from = self.value(fields["from"][1], "from", values.parse_date)
        if "until" in fields:
            valid_to = self.value(fields["until"][1], "until", values.parse_date)
        if valid_from and valid_to and valid_to < valid_from:
            self.problem(fields["until"][1], f"{label}: 'until' ({valid_to}) is before "
                         f"'from' ({valid_from})", code="range")
            ok = False
        except_dates: set[date] = set()
        skip_holidays = False
        if "except" in fields:
            for item, raw in self.texts(fields["except"][1], "except"):
                if raw.strip().lower() in ("holidays", "ngày lễ"):
                    skip_holidays = True
                    continue
                day = self.value(item, "except", values.parse_date)
                if day:
                    except_dates.add(day)
        rules = []
        if "when" in fields:
            for item in self.items(fields["when"][1], "when") if isinstance(
                    fields["when"][1], SequenceNode) else [fields["when"][1]]:
                rule = self.rule(item, label)
                if rule is not None:
                    rules.append(rule)
                else:
                    ok = False
        segments: list[Segment] = []
        if "segments" in fields:
            seg_node = fields["segments"][1]
            if not isinstance(seg_node, SequenceNode) or not seg_node.value:
                self.problem(seg_node, f"{label}: segments must be a list with at least one "
                             "item (- say: ..., - play: ..., - chime: ...)", code="type")
                ok = False
            else:
                for item in seg_node.value:
                    segment = self.segment(item, label)
                    if segment is None:
                        ok = False
                    else:
                        segments.append(segment)
        durations: dict[str, float | None] = {}
        for key in ("duration", "max_duration", "max_delay"):
            durations[key] = self.value(fields[key][1], key, values.parse_duration) \
                if key in fields else None
        if not ok or targets is None:
            return None
        return Program(
            id=program_id, title=title or program_id, priority=priority, targets=targets,
            rules=tuple(rules), segments=tuple(segments), valid_from=valid_from,
            valid_to=valid_to, except_dates=frozenset(except_dates),
            skip_holidays=skip_holidays, duration=durations["duration"],
            max_duration=durations["max_duration"],
            max_delay=durations["max_delay"] if durations["max_delay"] is not None else 1800.0,
            abbreviations=abbreviations, scope=scope, where=self.where(key_node),
        )

    def codes(self, node: Node, label: str, known: Callable[[str], bool],
              what: str, choices: Iterable[str]) -> frozenset[str]:
        out = set()
        for item, code in self.texts(node, label):
            if not known(code):
                self.problem(item, f"unknown {what} code {code}{did_you_mean(code, choices)}",
                             "see radiocli stations list", f"unknown-{what}")
            else:
                out.add(code)
        return frozenset(out)

    def targets(self, entry: tuple[Node, Node] | None, registry: Registry, scope: str,
                key_node: Node, label: str) -> Targets | None:
        kind, _sep, code = scope.partition(":")
        if kind == "station":
            if entry is not None:
                self.problem(entry[0], f"{label}: a station file's programs air at that "
                             "station only; remove targets:", code="format")
            return Targets(stations=frozenset({code}))
        if entry is None:
            if kind == "district":
                return Targets(districts=frozenset({code}))
            self.problem(key_node, f"{label} has no targets:",
                         "say targets: all, or list districts, kinds or stations", "missing")
            return None
        node = entry[1]
        if isinstance(node, ScalarNode):
            if node.value in ("all", "tất cả"):
                if kind == "district":
                    return Targets(districts=frozenset({code}))
                return Targets(everywhere=True)
            self.problem(node, f'{label}: targets must be "all" or a mapping with districts, '
                         "kinds, district_kinds, stations, exclude", code="format")
            return None
        fields = self.mapping(node, "targets", f"{label} targets")
        districts = self.codes(fields["districts"][1], "districts",
                               lambda c: c in registry.districts, "district",
                               registry.districts) if "districts" in fields else frozenset()
        stations = self.codes(fields["stations"][1], "stations", registry.known, "station",
                              ()) if "stations" in fields else frozenset()
        exclude = self.codes(fields["exclude"][1], "exclude", registry.known, "station",
                             ()) if "exclude" in fields else frozenset()
        kinds = frozenset(v for n, v in self.texts(fields["kinds"][1], "kinds")
                          if self.check_choice(n, v, STATION_KINDS, "kinds")) \
            if "kinds" in fields else frozenset()
        district_kinds = frozenset(v for n, v in self.texts(fields["district_kinds"][1],
                                                            "district_kinds")
                                   if self.check_choice(n, v, DISTRICT_KINDS, "district_kinds")) \
            if "district_kinds" in fields else frozenset()
        if kind == "district":
            outside = [s for s in stations if registry.ever()[s].district != code]
            if outside or (districts and districts != {code}):
                self.problem(node, f"{label}: a district file can only target its own "
                             f"district ({code})", code="scope")
                return None
            if not stations or kinds or district_kinds:
                districts = frozenset({code})
        targets = Targets(False, districts, kinds, district_kinds, stations, exclude)
        if targets.is_empty() and not (kinds or district_kinds):
            self.problem(node, f"{label}: targets select no station", code="empty-targets")
            return None
        return targets

    def check_choice(self, node: Node, value: str, choices: tuple[str, ...], label: str) -> bool:
        if value in choices:
            return True
        self.problem(node, f"'{label}' must be one of {', '.join(choices)}, got \"{value}\""
                     f"{did_you_mean(value, choices)}", code="format")
        return False

    def rule(self, node: Node, label: str) -> Rule | None:
        fields = self.mapping(node, "rule", f"{label} when")
        if not fields:
            if isinstance(node, MappingNode):
                self.problem(node, f"{label}: an empty when: rule",
                             "give at:, every: with between:, or once:", "missing")
            return None
        where = self.where(node)
        days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
        if "days" in fields:
            parsed_days = self.value_list(fields["days"][1], "days")
            if parsed_days is None:
                return None
            days = parsed_days
        times: list[time] = []
        for item, _raw in self.texts(fields["at"][1], "at") if "at" in fields else []:
            t = self.value(item, "at", values.parse_time)
            if t is None:
                return None
            times.append(t)
        every = between = None
        if "every" in fields or "between" in fields:
            if "every" not in fields or "between" not in fields:
                node_ = fields.get("every", fields.get("between"))[1]  # type: ignore[index]
                self.problem(node_, f"{label}: every: and between: go together "
                             '(every: 2h, between: "06:00-20:00")', code="missing")
                return None
            every = self.value(fields["every"][1], "every", values.parse_duration)
            between = self.span(fields["between"][1], "between")
            if every is None or between is None:
                return None
            if every < 60:
                self.problem(fields["every"][1], f"{label}: every: must be at least 1 minute",
                             code="range")
                return None
            if between[1] <= between[0]:
                self.problem(fields["between"][1], f"{label}: between: must end after it "
                             "starts on the same day", code="range")
                return None
            start = between[0].hour * 3600 + between[0].minute * 60
            stop = between[1].hour * 3600 + between[1].minute * 60
            second = start
            while second <= stop:
                times.append(time(second // 3600, (second % 3600) // 60, second % 60))
                second += int(every)
        once: list[datetime] = []
        if "once" in fields:
            for item, _raw in self.texts(fields["once"][1], "once"):
                moment = self.value(item, "once", lambda s: values.parse_datetime(s, TZ))
                if moment is None:
                    return None
                once.append(moment)
            if "days" in fields or times:
                self.problem(node, f"{label}: once: stands alone; put recurring times in "
                             "another when: item", code="format")
                return None
        if not times and not once:
            self.problem(node, f"{label}: the rule never fires",
                         "give at:, every: with between:, or once:", "never-fires")
            return None
        return Rule(days=days, times=tuple(sorted(set(times))), once=tuple(once), every=every,
                    between=between, where=where)

    def value_list(self, node: Node, label: str) -> tuple[int, ...] | None:
        raws = self.texts(node, label)
        try:
            return values.parse_days([r for _n, r in raws])
        except ValueError as exc:
            self.problem(node, f"'{label}': {exc}", code="format")
            return None

    def span(self, node: Node, label: str) -> tuple[time, time] | None:
        if isinstance(node, SequenceNode):
            parts = self.texts(node, label)
            if len(parts) != 2:
                self.problem(node, f"'{label}' needs a start and an end time", code="format")
                return None
            try:
                return values.parse_time(parts[0][1]), values.parse_time(parts[1][1])
            except ValueError as exc:
                self.problem(node, f"'{label}' {exc}", code="format")
                return None
        return self.value(node, label, values.parse_span)

    def segment(self, node: Node, label: str) -> Segment | None:
        fields = self.mapping(node, "segment", f"{label} segment")
        kinds = [k for k in ("say", "play", "silence", "chime", "relay") if k in fields]
        if len(kinds) != 1:
            if fields or not isinstance(node, MappingNode):
                self.problem(node, f"{label}: a segment is exactly one of say, play, silence, "
                             f"chime, relay (found {', '.join(kinds) or 'none'})",
                             code="format")
            else:
                self.problem(node, f"{label}: empty segment", code="format")
            return None
        kind = kinds[0]
        value_node = fields[kind][1]
        where = self.where(value_node)
        allowed_extra = {"say": {"voice", "rate"}, "relay": {"for"}}.get(kind, set())
        for key in fields:
            if key != kind and key not in allowed_extra:
                self.problem(fields[key][0], f"'{key}' does not go with {kind}:", code="format")
                return None
        if kind == "say":
            text = self.text(value_node, "say")
            if text is None:
                return None
            if not text.strip():
                self.problem(value_node, f"{label}: say: has no text", code="empty")
                return None
            voice = self.text(fields["voice"][1], "voice") if "voice" in fields else None
            rate = self.integer(fields["rate"][1], "rate", 80, 300) if "rate" in fields \
                else None
            if "rate" in fields and rate is None:
                return None
            return Speech(text, voice, rate, where)
        if kind == "play":
            raw = self.text(value_node, "play")
            return Recording(raw, where) if raw else None
        if kind == "silence":
            seconds = self.value(value_node, "silence", values.parse_duration)
            return Silence(seconds, where) if seconds else None
        if kind == "chime":
            name = self.text(value_node, "chime")
            if name and ("/" in name or "\\" in name or name.startswith(".")):
                self.problem(value_node, f"chime: takes a chime name (start, end, alert), got "
                             f'"{name}"', "use play: for other audio files", "format")
                return None
            return Chime(name, where) if name else None
        url = self.text(value_node, "relay")
        if url is None:
            return None
        if not url.lower().startswith(RELAY_SCHEMES):
            self.problem(value_node, f'relay: must be an http, https, rtp or udp stream URL, '
                         f'got "{url[:80]}"', code="relay-scheme")
            return None
        if "for" not in fields:
            self.problem(value_node, f"{label}: relay: needs for: (how long to relay, "
                         "e.g. for: 30m)", code="missing")
            return None
        seconds = self.value(fields["for"][1], "for", values.parse_duration)
        return Relay(url, seconds, where) if seconds else None

    def blackout(self, node: Node, registry: Registry, station: str | None,
                 district: str | None) -> Blackout | None:
        fields = self.mapping(node, "blackout", "blackout")
        if "from" not in fields or "until" not in fields:
            self.problem(node, "a blackout needs from: and until: (date and time)",
                         code="missing")
            return None
        start = self.value(fields["from"][1], "from", lambda s: values.parse_datetime(s, TZ))
        end = self.value(fields["until"][1], "until", lambda s: values.parse_datetime(s, TZ))
        if start is None or end is None:
            return None
        if end <= start:
            self.problem(fields["until"][1], "blackout: 'until' must be after 'from'",
                         code="range")
            return None
        reason = self.text(fields["reason"][1], "reason") if "reason" in fields else ""
        if station:
            stations = frozenset({station})
        elif "stations" in fields:
            stations = self.codes(fields["stations"][1], "stations", registry.known, "station",
                                  ())
        elif district:
            stations = frozenset(s.code for s in registry.base.values() if s.district == district)
        else:
            self.problem(node, "a city-level blackout needs stations: [...]", code="missing")
            return None
        return Blackout(stations, start, end, reason or "", self.where(node))

    def policy(self, node: Node) -> Policy | None:
        fields = self.mapping(node, "policy", "policy")
        name = self.text(fields["name"][1], "name") if "name" in fields else None
        if not name:
            self.problem(node, "a policy needs a name:", code="missing")
            return None
        quiet = self.value(fields["quiet_hours"][1], "quiet_hours", values.parse_span) \
            if "quiet_hours" in fields else None
        exempt = frozenset({Priority.EMERGENCY})
        if "exempt_priorities" in fields:
            exempt_set = set()
            for item, raw in self.texts(fields["exempt_priorities"][1], "exempt_priorities"):
                try:
                    exempt_set.add(Priority.parse(raw))
                except KeyError:
                    self.problem(item, f'unknown priority "{raw}"', code="format")
            exempt = frozenset(exempt_set)
        exemptions = []
        if "exemptions" in fields:
            for item in self.items(fields["exemptions"][1], "exemptions"):
                ef = self.mapping(item, "exemption", "exemption")
                start = self.value(ef["from"][1], "from", values.parse_date) if "from" in ef \
                    else None
                end = self.value(ef["until"][1], "until", values.parse_date) if "until" in ef \
                    else None
                if start is None or end is None:
                    self.problem(item, "an exemption needs from: and until: dates",
                                 code="missing")
                    continue
                reason = self.text(ef["reason"][1], "reason") if "reason" in ef else ""
                exemptions.append(Exemption(start, end, reason or "", self.where(item)))
        rules = []
        if "rules" in fields:
            for item in self.items(fields["rules"][1], "rules"):
                rule = self.policy_rule(item)
                if rule:
                    rules.append(rule)
        title = self.text(fields["title"][1], "title") if "title" in fields else ""
        return Policy(name, title or "", quiet, tuple(rules), exempt, tuple(exemptions),
                      self.where(node))

    def policy_rule(self, node: Node) -> PolicyRule | None:
        fields = self.mapping(node, "policy_rule", "policy rule")
        name = self.text(fields["name"][1], "name") if "name" in fields else None
        if not name:
            self.problem(node, "a policy rule needs a name:", code="missing")
            return None

        def listed(key: str) -> frozenset[str]:
            return frozenset(v for _n, v in self.texts(fields[key][1], key)) if key in fields \
                else frozenset()

        targets = Targets(False, listed("districts"), listed("kinds"), listed("district_kinds"),
                          listed("stations"))
        if targets.is_empty():
            targets = Targets(everywhere=True)
        emergency_only = self.boolean(fields["emergency_only"][1], "emergency_only") \
            if "emergency_only" in fields else False
        max_sessions = self.integer(fields["max_sessions_per_day"][1], "max_sessions_per_day",
                                    0, 100) if "max_sessions_per_day" in fields else None
        max_minutes = None
        if "max_session_minutes" in fields:
            raw = self.text(fields["max_session_minutes"][1], "max_session_minutes")
            try:
                max_minutes = float(raw or "")
            except ValueError:
                self.problem(fields["max_session_minutes"][1],
                             "'max_session_minutes' must be a number", code="type")
        days = self.value_list(fields["days"][1], "days") if "days" in fields else None
        windows = []
        if "windows" in fields:
            for item, _raw in self.texts(fields["windows"][1], "windows"):
                span = self.value(item, "windows", values.parse_span)
                if span:
                    windows.append(span)
        return PolicyRule(name, targets, bool(emergency_only), max_sessions, max_minutes, days,
                          tuple(windows), self.where(node))
