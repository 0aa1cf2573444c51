"""How long a program lasts, before it is rendered (estimated) or after (exact)."""

from __future__ import annotations

from collections.abc import Mapping

from radiocli.schedule.audiofiles import audio_duration, chime_path, resolve_audio
from radiocli.schedule.model import (
    DEFAULT_RATE, Chime, Program, Recording, Relay, Schedule, Silence, Speech,
)

SPEECH_PAUSE_S = 0.6  # lead-in and trailing pause the engine adds


def speech_seconds(text: str, rate: int | None) -> float:
    words = len(text.split())
    return SPEECH_PAUSE_S + words * 1.15 * 60.0 / (rate or DEFAULT_RATE)


def segment_seconds(schedule: Schedule, segment: object) -> float:
    if isinstance(segment, Speech):
        return speech_seconds(segment.text, segment.rate)
    if isinstance(segment, (Silence, Relay)):
        return segment.seconds
    if isinstance(segment, Recording):
        try:
            path = resolve_audio(schedule.audio_dir, segment.path)
        except ValueError:
            return 0.0
        return audio_duration(path) or 0.0
    if isinstance(segment, Chime):
        chime = chime_path(schedule.audio_dir, segment.name)
        return (audio_duration(chime) or 0.0) if chime else 0.0
    return 0.0


def program_seconds(
    schedule: Schedule, program: Program, rendered: Mapping[str, float] | None = None
) -> tuple[float, bool]:
    """(seconds on air, cut): rendered length if known, else stated, else estimated;
    capped at max_duration (cut=True when the cap applies)."""
    if rendered and program.id in rendered:
        seconds = rendered[program.id]
    elif program.duration is not None:
        seconds = program.duration
    else:
        seconds = sum(segment_seconds(schedule, s) for s in program.segments)
    if program.max_duration is not None and seconds > program.max_duration:
        return program.max_duration, True
    return seconds, False
