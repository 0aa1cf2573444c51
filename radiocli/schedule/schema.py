"""The JSON Schema of the schedule format: for editors (autocomplete, checks) and the
single list of key names the loader accepts (unknown keys get "did you mean")."""

from __future__ import annotations

from typing import Any

TIME = {"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
        "description": "time of day, 24-hour HH:MM"}
DATE = {"type": "string", "description": "a date, YYYY-MM-DD (or DD/MM/YYYY)"}
DATETIME = {"type": "string", "description": 'a local date and time, "2021-08-15 09:00"'}
DURATION = {"type": "string", "pattern": r"^[0-9hmsinutegiờphútâyo ,.]+$",
            "description": 'a duration: "15m", "2h", "90s", "1h30m"'}
CODES = {"type": "array", "items": {"type": "string"}, "description": "official codes"}
DAY = {"type": "string", "description": "monday ... sunday, thứ hai ... chủ nhật, weekdays, "
       "weekends, every day"}


def one_or_many(item: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}


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
            "engine": {"enum": ["pyttsx3", "espeak-ng", "piper"]},
            "voice": {"type": "string", "description": "vi, vi-vn-x-central, vi-vn-x-south"},
            "rate": {"type": "integer", "minimum": 80, "maximum": 300},
            "format": {"enum": ["wav", "mp3"]},
            "bitrate": {"type": "string", "description": 'MP3 only, e.g. "48k"'},
            "loudness": {"type": "number", "description": "LUFS integrated, default -16"},
            "true_peak": {"type": "number", "description": "dBTP ceiling, default -1"},
            "crossfade": {"type": "number", "description": "seconds between parts, default 0"},
            "piper_model": {"type": "string", "description": "Piper voice file (.onnx)"},
        },
    },
    "program": {
        "type": "object",
        "required": ["when", "segments"],
        "properties": {
            "title": {"type": "string"},
            "priority": {"enum": ["normal", "priority", "emergency"],
                         "description": "Circular 39/2020/TT-BTTTT: normal plays in its slot, "
                         "priority goes first, emergency airs at once and preempts"},
            "targets": {"oneOf": [{"const": "all"}, {"$ref": "#/$defs/targets"}]},
            "when": one_or_many({"$ref": "#/$defs/rule"}),
            "from": DATE,
            "until": DATE,
            "except": {"type": "array", "items": {"type": "string"},
                       "description": "dates to skip, or the word holidays"},
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
            "every": DURATION,
            "between": {"oneOf": [{"type": "string"}, {"type": "array", "items": TIME}]},
            "once": one_or_many(DATETIME),
        },
    },
    "targets": {
        "type": "object",
        "properties": {
            "districts": CODES,
            "kinds": {"type": "array", "items": {"enum": ["phường", "xã", "thị trấn"]}},
            "district_kinds": {"type": "array", "items": {"enum": ["quận", "huyện", "thị xã"]}},
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
            "rate": {"type": "integer", "minimum": 80, "maximum": 300,
                     "description": "words per minute (default 140)"},
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
            "quiet_hours": {"type": "string", "description": '"21:00-06:00"'},
            "exempt_priorities": {"type": "array", "items": {"enum": ["normal", "priority",
                                                                        "emergency"]}},
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
            "district_kinds": {"type": "array", "items": {"type": "string"}},
            "kinds": {"type": "array", "items": {"type": "string"}},
            "stations": CODES,
            "emergency_only": {"type": "boolean"},
            "max_sessions_per_day": {"type": "integer", "minimum": 0},
            "max_session_minutes": {"type": "number", "minimum": 0},
            "days": one_or_many(DAY),
            "windows": {"type": "array", "items": {"type": "string"},
                        "description": 'allowed spans, "05:00-11:00"'},
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
        "properties": {"name": {"type": "string"}, "kind": {"enum": ["quận", "huyện", "thị xã"]}},
    },
    "unit": {
        "type": "object",
        "required": ["code", "name", "kind", "district"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                       "kind": {"enum": ["phường", "xã", "thị trấn"]},
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
            "add": {"type": "object", "properties": {"station": {"type": "string"},
                                                     "name": {"type": "string"},
                                                     "kind": {"type": "string"},
                                                     "district": {"type": "string"}}},
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
