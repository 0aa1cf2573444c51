"""The JSON Schema of the schedule format: for editors (autocomplete, checks) and the
single list of key names the loader accepts (unknown keys get "did you mean")."""

from __future__ import annotations

from typing import Any

from radiocli.schedule.values import (
    AUDIO_FORMATS, BOOLEAN_PATTERN, DISTRICT_KINDS, ENGINES, FORMATS, NUMBER_PATTERN,
    STATION_KINDS, whole_number_pattern,
)


def text(kind: str, description: str | None = None) -> dict[str, Any]:
    """A string of one of the value kinds in values.FORMATS (the pattern the loader
    parses with), with examples editors offer as completions."""
    found = FORMATS[kind]
    return {"type": "string", "pattern": found.pattern,
            "description": description or found.description,
            "examples": list(found.examples)}


TIME = text("time")
DATE = text("date")
DATETIME = text("datetime")
DURATION = text("duration")
SPAN = text("span")
CODES = {"type": "array", "items": {"type": "string"}, "description": "official codes"}
DAY = text("days")
PRIORITY = text("priority")


def one_or_many(item: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}


def choice(words: tuple[str, ...], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"enum": list(words)}
    if description:
        out["description"] = description
    return out


def whole_number(low: int, high: int, description: str = "") -> dict[str, Any]:
    """A whole number, written bare or quoted (the loader reads the text either way)."""
    return {"anyOf": [{"type": "integer", "minimum": low, "maximum": high},
                      {"type": "string", "pattern": whole_number_pattern(low, high)}],
            "description": description or f"a whole number, {low} to {high}"}


def number(description: str) -> dict[str, Any]:
    return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMBER_PATTERN}],
            "description": description}


BOOLEAN = {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": BOOLEAN_PATTERN}],
           "description": "true or false (also yes/no, on/off)"}
EVERY = dict(DURATION, description='the step of a repeating rule, with between:, e.g. '
             'every: 2h, between: "07:00-19:00" airs at 07:00, 09:00, ..., 19:00')
BETWEEN = {"oneOf": [dict(SPAN, description='the span every: repeats in, "HH:MM-HH:MM": '
                          "the first airing is at the start; the end is included when a "
                          'step lands on it (every: 2h, between: "07:00-19:00" airs at '
                          "07:00, 09:00, ..., 17:00 and 19:00; every: 5h airs at 07:00, "
                          "12:00, 17:00)"),
                     {"type": "array", "items": TIME, "minItems": 2, "maxItems": 2}]}

DEFS: dict[str, dict[str, Any]] = {
    "settings": {
        "type": "object",
        "description": "Project settings (one file only).",
        "properties": {
            "policy": {"type": "string", "description": "name of the policy profile in force"},
            "audio": {"type": "string", "description": "audio folder, relative to this file"},
            "render": {"$ref": "#/$defs/render"},
        },
    },
    "render": {
        "type": "object",
        "description": "How speech and program audio are made (the same for every station).",
        "properties": {
            "engine": choice(ENGINES),
            "voice": {"type": "string", "description": "vi, vi-vn-x-central, vi-vn-x-south"},
            "rate": whole_number(80, 300, "words per minute (default 140)"),
            "format": choice(AUDIO_FORMATS),
            "bitrate": {"type": "string", "description": 'MP3 only, e.g. "48k"'},
            "loudness": number("LUFS integrated, default -16"),
            "true_peak": number("dBTP ceiling, default -1"),
            "crossfade": number("seconds between parts, default 0"),
            "piper_model": {"type": "string", "description": "Piper voice file (.onnx)"},
        },
    },
    "program": {
        "type": "object",
        "required": ["when", "segments"],
        "properties": {
            "title": {"type": "string"},
            "priority": dict(PRIORITY, description="Circular 39/2020/TT-BTTTT: normal plays "
                             "in its slot, priority goes first, emergency airs at once and "
                             "preempts"),
            "targets": {"oneOf": [text("all", "every station (in a district file: every "
                                           "station of the district)"),
                                  {"$ref": "#/$defs/targets"}]},
            "when": one_or_many({"$ref": "#/$defs/rule"}),
            "from": DATE,
            "until": DATE,
            "except": one_or_many(text("except")),
            "segments": {"type": "array", "items": {"$ref": "#/$defs/segment"}, "minItems": 1},
            "duration": DURATION,
            "max_duration": DURATION,
            "max_delay": DURATION,
        },
    },
    "rule": {
        "type": "object",
        "properties": {
            "days": one_or_many(DAY),
            "at": one_or_many(TIME),
            "every": EVERY,
            "between": BETWEEN,
            "once": one_or_many(DATETIME),
        },
    },
    "targets": {
        "type": "object",
        "properties": {
            "districts": CODES,
            "kinds": one_or_many(choice(STATION_KINDS)),
            "district_kinds": one_or_many(choice(DISTRICT_KINDS)),
            "stations": CODES,
            "exclude": CODES,
        },
    },
    "segment": {
        "type": "object",
        "description": "exactly one of say, play, silence, chime, relay",
        "properties": {
            "say": {"type": "string", "description": "text to speak"},
            "voice": {"type": "string", "description": "speech voice (default vi)"},
            "rate": whole_number(80, 300, "words per minute (default 140)"),
            "play": {"type": "string", "description": "audio file under the audio folder"},
            "silence": DURATION,
            "chime": {"type": "string", "description": "chime name: audio/chimes/<name>.wav"},
            "relay": {"type": "string", "description": "stream URL (http, https, rtp, udp)"},
            "for": DURATION,
        },
    },
    "blackout": {
        "type": "object",
        "required": ["from", "until"],
        "properties": {"stations": CODES, "from": DATETIME, "until": DATETIME,
                       "reason": {"type": "string"}},
    },
    "holiday": {
        "type": "object",
        "required": ["date"],
        "properties": {"date": DATE, "name": {"type": "string"}},
    },
    "policy": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "quiet_hours": dict(SPAN, description='no broadcasting in this span, e.g. '
                                '"21:00-06:00" (it may cross midnight)'),
            "exempt_priorities": one_or_many(PRIORITY),
            "exemptions": {"type": "array", "items": {"$ref": "#/$defs/exemption"}},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/policy_rule"}},
        },
    },
    "policy_rule": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "districts": CODES,
            "district_kinds": one_or_many(choice(DISTRICT_KINDS)),
            "kinds": one_or_many(choice(STATION_KINDS)),
            "stations": CODES,
            "emergency_only": BOOLEAN,
            "max_sessions_per_day": whole_number(0, 100),
            "max_session_minutes": number("longest session allowed, in minutes"),
            "days": one_or_many(DAY),
            "windows": one_or_many(dict(SPAN, description='allowed spans, "05:00-11:00": a '
                                        "session must fit in one")),
        },
    },
    "exemption": {
        "type": "object",
        "required": ["from", "until"],
        "properties": {"from": DATE, "until": DATE, "reason": {"type": "string"}},
    },
    "district": {
        "type": "object",
        "required": ["name", "kind"],
        "properties": {"name": {"type": "string"}, "kind": choice(DISTRICT_KINDS)},
    },
    "unit": {
        "type": "object",
        "required": ["code", "name", "kind", "district"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                       "kind": choice(STATION_KINDS),
                       "district": {"type": "string"},
                       "lat": {"type": "number", "description": "centroid, WGS 84 degrees"},
                       "lon": {"type": "number", "description": "centroid, WGS 84 degrees"}},
    },
    "change": {
        "type": "object",
        "required": ["date"],
        "properties": {
            "date": DATE,
            "rename": {"type": "object", "properties": {"station": {"type": "string"},
                                                        "name": {"type": "string"},
                                                        "kind": {"type": "string"}}},
            "merge": {"type": "object", "properties": {"stations": CODES,
                                                       "into": {"type": "string"},
                                                       "name": {"type": "string"}}},
            "move": {"type": "object", "properties": {"station": {"type": "string"},
                                                      "district": {"type": "string"}}},
            "split": {"type": "object", "properties": {"station": {"type": "string"},
                                                       "into": CODES,
                                                       "main": {"type": "string"}}},
            "add": {"type": "object", "properties": {"station": {"type": "string"},
                                                     "name": {"type": "string"},
                                                     "kind": {"type": "string"},
                                                     "district": {"type": "string"},
                                                     "lat": {"type": "number"},
                                                     "lon": {"type": "number"}}},
            "note": {"type": "string"},
        },
    },
}

FILE_PROPERTIES: dict[str, Any] = {
    "settings": {"$ref": "#/$defs/settings"},
    "district": {"type": "string", "description": "district code: programs here reach "
                 "that district's stations"},
    "station": {"type": "string", "description": "station code: programs here are local"},
    "programs": {"type": "object", "additionalProperties": {"$ref": "#/$defs/program"},
                 "description": "program id -> program"},
    "blackouts": {"type": "array", "items": {"$ref": "#/$defs/blackout"}},
    "holidays": {"type": "array", "items": {"$ref": "#/$defs/holiday"}},
    "abbreviations": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "extra abbreviations for speech: UBND -> ủy ban nhân dân"},
    "policy": {"$ref": "#/$defs/policy"},
    "districts": {"type": "object", "additionalProperties": {"$ref": "#/$defs/district"}},
    "units": {"type": "array", "items": {"$ref": "#/$defs/unit"}},
    "changes": {"type": "array", "items": {"$ref": "#/$defs/change"}},
}


def keys(name: str) -> tuple[str, ...]:
    """The keys an object of kind ``name`` (or "file") accepts."""
    if name == "file":
        return tuple(FILE_PROPERTIES)
    return tuple(DEFS[name]["properties"])


def json_schema() -> dict[str, Any]:
    defs = {}
    for name, body in DEFS.items():
        body = dict(body)
        body["additionalProperties"] = False
        defs[name] = body
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://radiocli.example/schedule.schema.json",
        "title": "radiocli schedule file",
        "description": "A radiocli schedule file: programs, targets, recurrence, priorities, "
        "segments, blackouts, holidays, policy, or the station registry.",
        "type": "object",
        "additionalProperties": False,
        "properties": FILE_PROPERTIES,
        "$defs": defs,
    }
