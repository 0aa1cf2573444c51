"""Reading one program: its targets, its recurrence rules (``when:``) and its segments."""

from __future__ import annotations

from datetime import date, datetime, time

from radiocli import TZ
from radiocli.i18n import _
from radiocli.schedule import values
from radiocli.schedule.model import (
    Chime, Priority, Program, Recording, Relay, Rule, Segment, Silence, Speech, Targets,
)
from radiocli.schedule.nodes import Nodes
from radiocli.schedule.registry import Registry
from radiocli.schedule.suggest import did_you_mean
from radiocli.schedule.yamlfile import MappingNode, Node, ScalarNode, SequenceNode

RELAY_SCHEMES = ("http://", "https://", "rtp://", "udp://")
SEGMENT_KINDS = ("say", "play", "silence", "chime", "relay")
DEFAULT_MAX_DELAY = 1800.0


def read_program(r: Nodes, program_id: str, key_node: Node, node: Node, registry: Registry,
                 scope: str, abbreviations: tuple[tuple[str, str], ...]) -> Program | None:
    label = _('program "{id}"').format(id=program_id)
    if not program_id or not all(c.isalnum() or c in "-_." for c in program_id):
        r.problem(key_node, _("{label}: ids use letters, digits, '-', '_' and '.' only").format(
            label=label), code="format")
        return None
    fields = r.mapping(node, "program", label)
    if not fields and isinstance(node, MappingNode):
        r.problem(node, _("{label} is empty").format(label=label),
                  _("give it when: and segments:"), "missing")
        return None
    ok = True
    for required in ("when", "segments"):
        if required not in fields:
            r.problem(key_node, _("{label} has no {key}:").format(label=label, key=required),
                      code="missing")
            ok = False
    title = r.optional_text(fields, "title")
    priority = Priority.NORMAL
    if "priority" in fields:
        raw = r.text(fields["priority"][1], "priority") or ""
        try:
            priority = Priority.parse(values.parse_choice(raw, values.PRIORITIES))
        except ValueError:
            ok = False
            r.problem(fields["priority"][1], _('priority must be normal, priority or emergency, '
                                               'got "{value}"{did_you_mean}').format(
                value=raw, did_you_mean=did_you_mean(raw, values.PRIORITIES)), code="format")
    targets = read_targets(r, fields.get("targets"), registry, scope, key_node, label)
    valid_from = r.optional(fields, "from", values.parse_date)
    valid_to = r.optional(fields, "until", values.parse_date)
    if valid_from and valid_to and valid_to < valid_from:
        r.problem(fields["until"][1], _("{label}: 'until' ({until}) is before 'from' "
                                        "({start})").format(
            label=label, until=valid_to, start=valid_from), code="range")
        ok = False
    except_dates: set[date] = set()
    skip_holidays = False
    if "except" in fields:
        for item, raw in r.texts(fields["except"][1], "except"):
            if values.FORMATS["holidays"].matches(raw):
                skip_holidays = True
                continue
            day = r.value(item, "except", values.parse_date)
            if day:
                except_dates.add(day)
    rules = []
    if "when" in fields:
        when = fields["when"][1]
        for item in when.value if isinstance(when, SequenceNode) else [when]:
            rule = read_rule(r, item, label)
            if rule is not None:
                rules.append(rule)
            else:
                ok = False
    segments: list[Segment] = []
    if "segments" in fields:
        seg_node = fields["segments"][1]
        if not isinstance(seg_node, SequenceNode) or not seg_node.value:
            r.problem(seg_node, _("{label}: segments must be a list with at least one item "
                                  "(- say: ..., - play: ..., - chime: ...)").format(label=label),
                      code="type")
            ok = False
        else:
            for item in seg_node.value:
                segment = read_segment(r, item, label)
                if segment is None:
                    ok = False
                else:
                    segments.append(segment)
    durations = {key: r.optional(fields, key, values.parse_duration)
                 for key in ("duration", "max_duration", "max_delay")}
    if not ok or targets is None:
        return None
    max_delay = durations["max_delay"]
    return Program(
        id=program_id, title=title or program_id, priority=priority, targets=targets,
        rules=tuple(rules), segments=tuple(segments), valid_from=valid_from,
        valid_to=valid_to, except_dates=frozenset(except_dates),
        skip_holidays=skip_holidays, duration=durations["duration"],
        max_duration=durations["max_duration"],
        max_delay=max_delay if max_delay is not None else DEFAULT_MAX_DELAY,
        abbreviations=abbreviations, scope=scope, where=r.where(key_node),
    )


def read_targets(r: Nodes, entry: tuple[Node, Node] | None, registry: Registry, scope: str,
                 key_node: Node, label: str) -> Targets | None:
    kind, _sep, code = scope.partition(":")
    if kind == "station":
        if entry is not None:
            r.problem(entry[0], _("{label}: a station file's programs air at that station only; "
                                  "remove targets:").format(label=label), code="format")
        return Targets(stations=frozenset({code}))
    if entry is None:
        if kind == "district":
            return Targets(districts=frozenset({code}))
        r.problem(key_node, _("{label} has no targets:").format(label=label),
                  _("say targets: all, or list districts, kinds or stations"), "missing")
        return None
    node = entry[1]
    if isinstance(node, ScalarNode):
        if values.FORMATS["all"].matches(str(node.value)):
            if kind == "district":
                return Targets(districts=frozenset({code}))
            return Targets(everywhere=True)
        r.problem(node, _('{label}: targets must be "all" (or "tất cả") or a mapping with '
                          "districts, kinds, district_kinds, stations, exclude").format(
            label=label), code="format")
        return None
    fields = r.mapping(node, "targets", _("{label} targets").format(label=label))
    districts = r.codes(fields["districts"][1], "districts", lambda c: c in registry.districts,
                        "district", registry.districts) if "districts" in fields \
        else frozenset()
    stations = r.codes(fields["stations"][1], "stations", registry.known, "station",
                       ()) if "stations" in fields else frozenset()
    exclude = r.codes(fields["exclude"][1], "exclude", registry.known, "station",
                      ()) if "exclude" in fields else frozenset()
    kinds = r.choices(fields, "kinds", values.STATION_KINDS)
    district_kinds = r.choices(fields, "district_kinds", values.DISTRICT_KINDS)
    if kind == "district":
        outside = [s for s in stations if registry.ever()[s].district != code]
        if outside or (districts and districts != {code}):
            r.problem(node, _("{label}: a district file can only target its own district "
                              "({code})").format(label=label, code=code), code="scope")
            return None
        if not stations or kinds or district_kinds:
            districts = frozenset({code})
    targets = Targets(False, districts, kinds, district_kinds, stations, exclude)
    if targets.is_empty() and not (kinds or district_kinds):
        r.problem(node, _("{label}: targets select no station").format(label=label),
                  code="empty-targets")
        return None
    return targets


def read_rule(r: Nodes, node: Node, label: str) -> Rule | None:
    fields = r.mapping(node, "rule", _("{label} when").format(label=label))
    if not fields:
        if isinstance(node, MappingNode):
            r.problem(node, _("{label}: an empty when: rule").format(label=label),
                      _("give at:, every: with between:, or once:"), "missing")
        return None
    where = r.where(node)
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    if "days" in fields:
        parsed_days = read_days(r, fields["days"][1], "days")
        if parsed_days is None:
            return None
        days = parsed_days
    times: list[time] = []
    for item, _raw in r.texts(fields["at"][1], "at") if "at" in fields else []:
        t = r.value(item, "at", values.parse_time)
        if t is None:
            return None
        times.append(t)
    every = between = None
    if "every" in fields or "between" in fields:
        if "every" not in fields or "between" not in fields:
            node_ = fields.get("every", fields.get("between"))[1]  # type: ignore[index]
            r.problem(node_, _('{label}: every: and between: go together (every: 2h, between: '
                               '"06:00-20:00")').format(label=label), code="missing")
            return None
        every = r.value(fields["every"][1], "every", values.parse_duration)
        between = read_span(r, fields["between"][1], "between")
        if every is None or between is None:
            return None
        if every < 60:
            r.problem(fields["every"][1], _("{label}: every: must be at least 1 minute").format(
                label=label), code="range")
            return None
        if between[1] <= between[0]:
            r.problem(fields["between"][1], _("{label}: between: must end after it starts on "
                                              "the same day").format(label=label), code="range")
            return None
        times.extend(values.expand_every(every, between))
    once: list[datetime] = []
    if "once" in fields:
        for item, _raw in r.texts(fields["once"][1], "once"):
            moment = r.value(item, "once", lambda s: values.parse_datetime(s, TZ))
            if moment is None:
                return None
            once.append(moment)
        if "days" in fields or times:
            r.problem(node, _("{label}: once: stands alone; put recurring times in another "
                              "when: item").format(label=label), code="format")
            return None
    if not times and not once:
        r.problem(node, _("{label}: the rule never fires").format(label=label),
                  _("give at:, every: with between:, or once:"), "never-fires")
        return None
    return Rule(days=days, times=tuple(sorted(set(times))), once=tuple(once), every=every,
                between=between, where=where)


def read_days(r: Nodes, node: Node, label: str) -> tuple[int, ...] | None:
    raws = r.texts(node, label)
    for item, raw in raws:
        try:
            values.parse_days([raw])
        except ValueError as exc:
            r.problem(item, f"'{label}': {exc}", code="format")
            return None
    return values.parse_days([raw for _n, raw in raws])


def read_span(r: Nodes, node: Node, label: str) -> tuple[time, time] | None:
    if isinstance(node, SequenceNode):
        parts = r.texts(node, label)
        if len(parts) != 2:
            r.problem(node, _("'{label}' needs a start and an end time").format(label=label),
                      code="format")
            return None
        try:
            return values.parse_time(parts[0][1]), values.parse_time(parts[1][1])
        except ValueError as exc:
            r.problem(node, f"'{label}' {exc}", code="format")
            return None
    return r.value(node, label, values.parse_span)


def read_segment(r: Nodes, node: Node, label: str) -> Segment | None:
    fields = r.mapping(node, "segment", _("{label} segment").format(label=label))
    kinds = [k for k in SEGMENT_KINDS if k in fields]
    if len(kinds) != 1:
        if fields or not isinstance(node, MappingNode):
            found = ", ".join(kinds) if kinds else _("none")
            r.problem(node, _("{label}: a segment is exactly one of say, play, silence, chime, "
                              "relay (found {found})").format(label=label, found=found),
                      code="format")
        else:
            r.problem(node, _("{label}: empty segment").format(label=label), code="format")
        return None
    kind = kinds[0]
    value_node = fields[kind][1]
    where = r.where(value_node)
    allowed_extra = {"say": {"voice", "rate"}, "relay": {"for"}}.get(kind, set())
    for key in fields:
        if key != kind and key not in allowed_extra:
            r.problem(fields[key][0], _("'{key}' does not go with {kind}:").format(
                key=key, kind=kind), code="format")
            return None
    if kind == "say":
        text = r.text(value_node, "say")
        if text is None:
            return None
        if not text.strip():
            r.problem(value_node, _("{label}: say: has no text").format(label=label), code="empty")
            return None
        voice = r.optional_text(fields, "voice")
        rate = r.integer(fields["rate"][1], "rate", 80, 300) if "rate" in fields else None
        if "rate" in fields and rate is None:
            return None
        return Speech(text, voice, rate, where)
    if kind == "play":
        raw = r.text(value_node, "play")
        return Recording(raw, where) if raw else None
    if kind == "silence":
        seconds = r.value(value_node, "silence", values.parse_duration)
        return Silence(seconds, where) if seconds else None
    if kind == "chime":
        name = r.text(value_node, "chime")
        if name and ("/" in name or "\\" in name or name.startswith(".")):
            r.problem(value_node, _('chime: takes a chime name (start, end, alert), got '
                                    '"{name}"').format(name=name),
                      _("use play: for other audio files"), "format")
            return None
        return Chime(name, where) if name else None
    url = r.text(value_node, "relay")
    if url is None:
        return None
    if not url.lower().startswith(RELAY_SCHEMES):
        r.problem(value_node, _('relay: must be an http, https, rtp or udp stream URL, got '
                                '"{url}"').format(url=url[:80]), code="relay-scheme")
        return None
    if "for" not in fields:
        r.problem(value_node, _("{label}: relay: needs for: (how long to relay, e.g. for: "
                                "30m)").format(label=label), code="missing")
        return None
    seconds = r.value(fields["for"][1], "for", values.parse_duration)
    return Relay(url, seconds, where) if seconds else None
