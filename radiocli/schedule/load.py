"""Load a schedules folder into a :class:`Schedule`, collecting every problem.

``read()`` never raises for bad content: it returns the schedule it could build and the
list of located problems. ``load()`` raises :class:`ScheduleError` when any is an error.

The readers are split by what they read: :mod:`~radiocli.schedule.yamlfile` (bytes to
located nodes), :mod:`~radiocli.schedule.nodes` (the generic node helpers),
:mod:`~radiocli.schedule.units` (the registry), :mod:`~radiocli.schedule.programs`
(programs, rules, segments), :mod:`~radiocli.schedule.policies` (policy profiles), and
this module (the folder, the files, and the file-level sections: settings, holidays,
blackouts).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from radiocli import TZ
from radiocli.errors import Problem, RadioError, ScheduleError
from radiocli.i18n import _, os_reason
from radiocli.schedule import values
from radiocli.schedule.model import Blackout, Holiday, Schedule, Targets
from radiocli.schedule.nodes import Nodes
from radiocli.schedule.policies import read_policy
from radiocli.schedule.programs import read_program
from radiocli.schedule.registry import Registry
from radiocli.schedule.suggest import did_you_mean
from radiocli.schedule.units import read_registry
from radiocli.schedule.yamlfile import MappingNode, Node, YamlProblem, parse, read_text

MAX_FILES = 5000  # schedule files in one folder tree (579 stations + districts + city)
MAX_FOLDERS = 2000
MAX_DEPTH = 8


def load(root: Path, files: Iterable[Path] | None = None) -> Schedule:
    schedule, problems = read(root, files)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ScheduleError(problems)
    return schedule


class TooBig(RadioError):
    """The folder given as the schedules folder is far larger than any schedules folder."""

    def __init__(self, root: Path, detail: str) -> None:
        super().__init__(_("{folder}: this does not look like a schedules folder ({detail}); "
                           "pass the project's schedules folder with --schedules DIR").format(
            folder=root, detail=detail))
        self.detail = detail


class NotRegular(RadioError):
    """A symbolic link, FIFO, device or socket where schedule files are read: a link can
    point anywhere and a FIFO blocks whoever opens it, so neither is ever read."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(_("{path}: {what} in the schedules folder; schedule files and "
                           "folders must be regular files and folders: remove it, or put the "
                           "file itself there").format(path=path, what=what))
        self.path = path
        self.what = what


def _refuse_special(path: Path) -> None:
    import stat

    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        raise NotRegular(path, _("a symbolic link"))
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        if stat.S_ISFIFO(mode):
            what = _("a FIFO (named pipe)")
        elif stat.S_ISSOCK(mode):
            what = _("a socket")
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            what = _("a device")
        else:
            what = _("a special file")
        raise NotRegular(path, what)


def schedule_files(root: Path) -> list[Path]:
    """Every *.yaml / *.yml under root, sorted, not following links out of it.

    Raises TooBig past MAX_FOLDERS folders, MAX_DEPTH levels or MAX_FILES files, so a
    mistaken `--schedules /` costs a moment, not a walk of the whole disk; NotRegular for
    a symbolic link, FIFO, device or socket among them (the root itself may be a link)."""
    if root.is_file():
        _refuse_special(root)
        return [root]
    found: list[Path] = []
    base_depth = len(root.parts)
    folders = 0
    for dirpath, dirnames, filenames in os.walk(root):
        folders += 1
        if folders > MAX_FOLDERS or len(Path(dirpath).parts) - base_depth > MAX_DEPTH:
            raise TooBig(root, _("more than {folders} folders or {levels} levels").format(
                folders=MAX_FOLDERS, levels=MAX_DEPTH))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in dirnames:
            _refuse_special(Path(dirpath) / name)
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                _refuse_special(Path(dirpath) / name)
                found.append(Path(dirpath) / name)
                if len(found) > MAX_FILES:
                    raise TooBig(root, _("more than {n} YAML files").format(n=MAX_FILES))
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
        problems.append(Problem(
            shown_path(root), code="too-large",
            message=_("this does not look like a schedules folder ({detail})").format(
                detail=exc.detail),
            hint=_("pass the project's schedules folder with --schedules DIR")))
    except NotRegular as exc:
        paths = []
        problems.append(Problem(
            shown_path(exc.path), code="not-a-file",
            message=_("{what} in the schedules folder: links and special files are never "
                      "read").format(what=exc.what),
            hint=_("remove it, or put the file itself there")))
    except OSError as exc:
        paths = []
        problems.append(Problem(shown_path(root), code="unreadable",
                                message=_("cannot read the folder: {reason}").format(
                                    reason=os_reason(exc))))
    if not root.exists():
        problems.append(Problem(shown_path(root), message=_("no such schedules folder"),
                                hint=_("pass --schedules DIR or run radiocli in the project "
                                       "folder"),
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
            problems.append(Problem(shown, message=_("file is empty"), code="empty",
                                    hint=_("add programs: or delete the file"),
                                    severity="warning"))
            continue
        if not isinstance(node, MappingNode):
            m = node.start_mark
            problems.append(Problem(shown, m.line + 1, m.column + 1,
                                    _("the top level must be a mapping of keys (programs:, ...)"),
                                    code="type"))
            continue
        docs.append((shown, path, node))
    r = Nodes(problems)
    registry = read_registry(r, docs)
    audio_dir = root.parent / "audio" if root.is_dir() else root.parent.parent / "audio"
    schedule = Schedule(root=root, audio_dir=audio_dir, registry=registry,
                        files=[p for _s, p, _n in docs])
    for shown, path, node in docs:
        r.file = shown
        read_file(r, path, node, schedule)
    in_force = schedule.settings.get("policy")
    if isinstance(in_force, str) and in_force not in schedule.policies:
        r.file = str(schedule.settings.get("_file", ""))
        r.problem(None, _('settings name policy "{name}" but no file defines it{did_you_mean}'
                          ).format(name=in_force,
                                   did_you_mean=did_you_mean(in_force, schedule.policies)),
                  code="unknown-policy")
    return schedule, problems


def read_file(r: Nodes, path: Path, node: MappingNode, schedule: Schedule) -> None:
    """The sections of one file (the registry's were read first)."""
    registry = schedule.registry
    top = r.mapping(node, "", _("the file"))  # unknown keys already reported
    scope = "city"
    district = station = None
    if "district" in top and "station" in top:
        r.problem(top["station"][0], _("a file is either a district file or a station file, "
                                       "not both"), code="format")
    if "district" in top:
        district = r.text(top["district"][1], "district")
        if district is not None and district not in registry.districts:
            r.problem(top["district"][1], _("unknown district code {code}{did_you_mean}").format(
                code=district, did_you_mean=did_you_mean(district, registry.districts)),
                _("see radiocli stations list"), "unknown-district")
            district = None
        scope = f"district:{district}" if district else scope
    if "station" in top:
        station = r.text(top["station"][1], "station")
        if station is not None and not registry.known(station):
            r.problem(top["station"][1], _("unknown station code {code}{did_you_mean}").format(
                code=station, did_you_mean=""), _("see radiocli stations list"),
                "unknown-station")
            station = None
        scope = f"station:{station}" if station else scope
    if ("district" in top and district is None) or ("station" in top and station is None):
        return  # nothing in this file can be placed
    abbreviations: dict[str, str] = {}
    if "abbreviations" in top:
        for key, (_k, v) in r.mapping(top["abbreviations"][1], "", "abbreviations").items():
            spoken = r.text(v, _("abbreviation {key}").format(key=key))
            if spoken:
                abbreviations[key] = spoken
        if scope == "city":
            schedule.abbreviations.update(abbreviations)
        schedule.scope_abbreviations.setdefault(scope, {}).update(abbreviations)
    if "settings" in top:
        read_settings(r, top["settings"][1], path, schedule)
    if "holidays" in top:
        for item in r.items(top["holidays"][1], "holidays"):
            fields = r.mapping(item, "holiday", _("holiday"))
            if "date" not in fields:
                r.problem(item, _("a holiday needs a date"), code="missing")
                continue
            day = r.value(fields["date"][1], "date", values.parse_date)
            if day is not None:
                name = r.optional_text(fields, "name") or ""
                schedule.holidays[day] = Holiday(day, name, r.where(item))
    if "policy" in top:
        policy = read_policy(r, top["policy"][1])
        if policy is not None:
            if policy.name in schedule.policies:
                r.problem(top["policy"][1], _('policy "{name}" is defined twice').format(
                    name=policy.name), code="duplicate")
            schedule.policies[policy.name] = policy
    if "blackouts" in top:
        for item in r.items(top["blackouts"][1], "blackouts"):
            blackout = read_blackout(r, item, registry, station, district)
            if blackout:
                schedule.blackouts.append(blackout)
    if "programs" in top:
        for key_node, body in r.mapping(top["programs"][1], "", "programs").values():
            program_id = key_node.value
            schedule.programs_written[r.file] = schedule.programs_written.get(r.file, 0) + 1
            program = read_program(r, program_id, key_node, body, registry, scope,
                                   tuple(abbreviations.items()))
            if program is None:
                continue
            if program_id in schedule.programs:
                other = schedule.programs[program_id].where
                r.problem(key_node, _('program id "{id}" is already used at {where}').format(
                    id=program_id, where=other),
                    _("program ids are unique across all files"), "duplicate")
                continue
            schedule.programs[program_id] = program


def read_settings(r: Nodes, node: Node, path: Path, schedule: Schedule) -> None:
    if schedule.settings:
        r.problem(node, _("settings: appear in more than one file"), code="duplicate")
    fields = r.mapping(node, "settings", "settings")
    schedule.settings["_file"] = r.file
    if "policy" in fields:
        schedule.settings["policy"] = r.text(fields["policy"][1], "policy")
    if "audio" in fields:
        raw = r.text(fields["audio"][1], "audio")
        if raw:
            schedule.audio_dir = (path.parent / raw).resolve()
    if "render" in fields:
        schedule.settings["render"] = read_render_settings(r, fields["render"][1], path)


def read_render_settings(r: Nodes, node: Node, path: Path) -> dict[str, object]:
    fields = r.mapping(node, "render", "settings render")
    out: dict[str, object] = {}
    for key, (_k, value) in fields.items():
        raw = r.text(value, key)
        if raw is None:
            continue
        if key == "engine":
            if r.choice(value, raw, values.ENGINES, "engine"):
                out[key] = raw
        elif key == "format":
            if r.choice(value, raw, values.AUDIO_FORMATS, "format"):
                out[key] = raw
        elif key == "rate":
            rate = r.integer(value, "rate", 80, 300)
            if rate is not None:
                out[key] = rate
        elif key in ("loudness", "true_peak", "crossfade"):
            number = r.number(value, key)
            if number is not None:
                out[key] = number
        elif key == "piper_model":
            out[key] = str((path.parent / raw).resolve())
        else:
            out[key] = raw
    return out


def read_blackout(r: Nodes, node: Node, registry: Registry, station: str | None,
                  district: str | None) -> Blackout | None:
    fields = r.mapping(node, "blackout", "blackout")
    if "from" not in fields or "until" not in fields:
        r.problem(node, _("a blackout needs from: and until: (date and time)"), code="missing")
        return None
    start = r.value(fields["from"][1], "from", lambda s: values.parse_datetime(s, TZ))
    end = r.value(fields["until"][1], "until", lambda s: values.parse_datetime(s, TZ))
    if start is None or end is None:
        return None
    if end <= start:
        r.problem(fields["until"][1], _("blackout: 'until' must be after 'from'"), code="range")
        return None
    reason = r.optional_text(fields, "reason") or ""
    if station:
        stations = frozenset({station})
    elif "stations" in fields:
        stations = r.codes(fields["stations"][1], "stations", registry.known, "station", ())
    elif district:
        stations = frozenset(registry.select(Targets(districts=frozenset({district})),
                                             start.date()))
    else:
        r.problem(node, _("a city-level blackout needs stations: [...]"), code="missing")
        return None
    return Blackout(stations, start, end, reason, r.where(node))


