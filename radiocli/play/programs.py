"""What the installed schedule airs: each program's stations on a day, its rendered
parts (or estimates when it is not rendered), its length, where its segments begin,
and the occurrences the station desk hands to the Timelines."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from radiocli.errors import PlayoutError
from radiocli.i18n import _, speaking
from radiocli.plan.durations import program_seconds, segment_seconds
from radiocli.plan.timeline import Occurrence
from radiocli.play.feed import AirPart
from radiocli.play.ledger import SegmentMap
from radiocli.schedule.audiofiles import audio_duration, chime_path
from radiocli.schedule.model import Program, Schedule

log = logging.getLogger("radiocli.play")


class Programs:
    """The schedule the daemon airs, and what it knows about each program's audio.

    ``decodes``: the sink plays audio (file, device, stream), so programs are rendered
    (when ``render``) and occurrences last as long as their rendered parts; otherwise
    (null) lengths are the planner's.
    """

    def __init__(self, cache: Path, *, decodes: bool, render: bool) -> None:
        self.cache = cache
        self.decodes = decodes
        self.render = render
        self.schedule: Schedule | None = None
        self.durations: dict[str, float] = {}
        self.render_errors: dict[str, str] = {}
        self._playlists: dict[str, list[AirPart] | None] = {}
        self._targets: dict[tuple[str, date], list[str]] = {}
        self._lengths: dict[str, tuple[float, bool]] = {}  # planner's length, cut
        self._segments: dict[tuple[str, bool], SegmentMap] = {}  # (program, from parts)

    def install(self, schedule: Schedule) -> None:
        """Take a (validated) schedule; forget what was known of the previous one."""
        self.schedule = schedule
        self._playlists = {}
        self._targets = {}
        self._lengths = {}
        self._segments = {}
        try:
            from radiocli.render.programs import rendered_durations

            self.durations = rendered_durations(self.cache, schedule)
        except Exception as exc:  # noqa: BLE001 - estimates are the fallback
            log.warning(_("rendered durations unavailable: {error}").format(error=exc))
            self.durations = {}

    def _schedule(self) -> Schedule:
        if self.schedule is None:
            raise PlayoutError(_("no schedule is installed"))
        return self.schedule

    def get(self, program_id: str) -> Program | None:
        return self.schedule.programs.get(program_id) if self.schedule else None

    def targets(self, program: Program, day: date) -> list[str]:
        """Codes of the stations ``program`` reaches on ``day`` (cached)."""
        key = (program.id, day)
        codes = self._targets.get(key)
        if codes is None:
            codes = list(self._schedule().registry.select(program.targets, day))
            self._targets[key] = codes
        return codes

    # --- audio -------------------------------------------------------------------------
    def parts(self, program: Program) -> list[AirPart] | None:
        """The program's rendered playlist (rendering it when allowed), or None."""
        if program.id in self._playlists:
            return self._playlists[program.id]
        schedule = self._schedule()
        parts: list[AirPart] | None = None
        try:
            from radiocli.render.programs import (
                RenderSettings, program_playlist, render_program,
            )

            with speaking("en"):  # its error is a reason of the as-run log: English
                playlist = program_playlist(self.cache, schedule, program)
                if playlist is None and self.render and self.decodes:
                    result = render_program(self.cache, schedule, program,
                                            RenderSettings.from_schedule(schedule))
                    playlist = result.playlist
            if playlist is not None:
                parts = [AirPart(p.kind, p.seconds, p.path, p.url,
                                 p.segments[0] if p.segments else i)
                         for i, p in enumerate(playlist.parts)]
        except Exception as exc:  # noqa: BLE001 - a render failure is a logged fault
            log.warning(_("program {program} could not be rendered: {error}").format(
                program=program.id, error=exc))
            self.render_errors[program.id] = str(exc).splitlines()[0][:300]
            self._playlists[program.id] = None
            return None
        self._playlists[program.id] = parts
        return parts

    def known_parts(self, program: Program) -> list[AirPart] | None:
        """The parts when this sink plays audio (rendering them), else what is known."""
        return self.parts(program) if self.decodes else self._playlists.get(program.id)

    def estimated_parts(self, program: Program) -> list[AirPart]:
        schedule = self._schedule()
        return [AirPart("estimate", segment_seconds(schedule, seg), segment=i)
                for i, seg in enumerate(program.segments)]

    def render_alert(self, program: Program) -> list[AirPart]:
        """Render an alert now (its text, chimes) into parts."""
        from radiocli.render.programs import RenderSettings, render_program

        schedule = self._schedule()
        result = render_program(self.cache, schedule, program,
                                RenderSettings.from_schedule(schedule))
        if result.playlist is None:
            raise PlayoutError(_("the renderer returned no playlist"))
        return [AirPart(p.kind, p.seconds, p.path, p.url, p.segments[0] if p.segments else i)
                for i, p in enumerate(result.playlist.parts)]

    def chime(self, name: str) -> Path | None:
        return chime_path(self.schedule.audio_dir, name) if self.schedule else None

    def chime_parts(self) -> list[AirPart]:
        """The alert chime, aired in place of a program that cannot be rendered."""
        path = self.chime("alert")
        if path is None:
            return []
        return [AirPart("audio", audio_duration(path) or 1.0, path=path)]

    # --- occurrences -------------------------------------------------------------------
    def length(self, program: Program, parts: list[AirPart] | None) -> tuple[float, bool]:
        """(seconds, cut): from its parts when they play, else the planner's (rendered,
        stated or estimated); capped at max_duration."""
        if parts is not None and self.decodes:
            seconds = sum(p.seconds for p in parts)
            cut = program.max_duration is not None and seconds > program.max_duration
            if cut:
                seconds = float(program.max_duration or seconds)
            return seconds, cut
        length = self._lengths.get(program.id)
        if length is None:
            length = program_seconds(self._schedule(), program, self.durations)
            self._lengths[program.id] = length
        return length

    def occurrence(self, program: Program, station: str, scheduled: datetime,
                   parts: list[AirPart] | None, *, key: str = "",
                   length: tuple[float, bool] | None = None) -> Occurrence:
        """``program`` at ``station``, as long as :meth:`length` says (``key`` and
        ``length``: computed once by a caller that makes one per station)."""
        seconds, cut = length if length is not None else self.length(program, parts)
        return Occurrence(station, program.id, scheduled, seconds, program.priority,
                          program.max_delay, cut, key=key)

    def segments(self, program: Program, parts: list[AirPart] | None) -> SegmentMap:
        """Where the program's segments begin: in its parts when they play, else as
        simulate estimates them (once per program: 579 stations start it at once)."""
        played = bool(parts) and self.decodes and any(p.kind != "estimate"
                                                      for p in parts or ())
        key = (program.id, played)
        found = self._segments.get(key)
        if found is None:
            found = (segments_of(parts or []) if played else
                     SegmentMap.estimated(self._schedule(), program, self.durations))
            self._segments[key] = found
        return found


def segments_of(parts: list[AirPart]) -> SegmentMap:
    return SegmentMap.from_lengths((p.seconds, p.segment) for p in parts)
