"""What an alert airs: its program (the alert chime, its speech or recording, the end
chime), spoken with the words of where it airs, and its audio levelled so that the first
part airs at once. The chimes and the speech engine are warmed up at the daemon's start,
so the first alert is as quick as the next."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli import i18n
from radiocli.i18n import _
from radiocli.play.clock import Clock
from radiocli.play.feed import AirPart
from radiocli.play.kinds import alert_program
from radiocli.play.programs import Programs
from radiocli.schedule.audiofiles import audio_duration
from radiocli.schedule.model import Chime, Priority, Program, Rule, Speech, Targets

log = logging.getLogger("radiocli.play")

MAX_DELAY_S = 1800.0


class AlertAudio:
    def __init__(self, clock: Clock, programs: Programs) -> None:
        self.clock = clock
        self.programs = programs
        self._versions: dict[str, str] = {}  # speech engine versions, asked once

    def scope(self, codes: list[str]) -> str:
        """Whose words the alert is spoken with: its station's, its district's, or
        the city's when it reaches several districts."""
        if len(codes) == 1:
            return f"station:{codes[0]}"
        schedule = self.programs.schedule
        assert schedule is not None
        current = schedule.registry.as_of(self.clock.now().date())
        districts = {current[c].district for c in codes if c in current}
        if len(districts) == 1 and None not in districts and "" not in districts:
            return f"district:{districts.pop()}"
        return "city"

    def program(self, alert_id: str, data: dict[str, Any], codes: list[str],
                created: datetime) -> Program:
        chime = self.programs.chime
        return Program(
            id=alert_program(alert_id), title=str(data.get("title") or "alert"),
            priority=Priority.EMERGENCY, targets=Targets(stations=frozenset(codes)),
            rules=(Rule(once=(created,)),),
            segments=tuple(s for s in (
                Chime("alert") if chime("alert") else None,
                Speech(str(data["text"])) if data.get("text") else None,
                Chime("end") if chime("end") else None) if s is not None),
            max_delay=float(data.get("max_delay") or MAX_DELAY_S),
            scope=self.scope(codes))

    def parts(self, alert_id: str, program: Program, data: dict[str, Any]
              ) -> tuple[list[AirPart], str, Callable[[], None] | None]:
        """What the alert airs, why it fails when it does (the chime airs then), and
        what is left to do while its first part airs (levelling its speech), if any."""
        failure = ""
        finish: Callable[[], None] | None = None
        parts: list[AirPart] | None = None
        if data.get("file"):
            audio = Path(str(data["file"]))
            seconds = audio_duration(audio) if regular(audio) else None
            if seconds is None:
                failure = f"failed: alert audio {audio} cannot be read"
            else:
                parts = [AirPart("audio", seconds, path=audio)]
        elif program.segments:
            for attempt in range(2):  # a retry: the speech engine may fail once
                try:
                    with i18n.speaking("en"):  # its error is a reason of the as-run log
                        parts, finish = self.render(program, plays=self.programs.decodes)
                    failure = ""
                    break
                except Exception as exc:  # noqa: BLE001
                    failure = f"failed: speech engine: {str(exc).splitlines()[0][:300]}"
                    log.warning(_("alert {id} render attempt {n}: {error}").format(
                        id=alert_id, n=attempt + 1, error=exc))
        if parts is None:
            parts = self.programs.chime_parts() or [AirPart("estimate", 1.0)]
        if failure:
            failure += "; the alert chime airs instead"
        if not self.programs.decodes:  # nothing plays: its length is all that counts
            parts = [AirPart("estimate", p.seconds, segment=p.segment) for p in parts]
            finish = None
        return parts, failure, finish

    def render(self, program: Program, plays: bool = True
               ) -> tuple[list[AirPart], Callable[[], None] | None]:
        """The alert's audio (chime, speech, chime), spoken with the words of its scope,
        as one part per segment: each source levelled (from the cache, where the chimes
        are after :meth:`warm_up`) and the speech synthesized, so its length is known at
        once. What is not levelled yet is returned as a function to call; it must be
        done before its part plays (at once when the speech comes first). When nothing
        ``plays`` (the null sink) only the lengths count: nothing is levelled."""
        from radiocli.render.cache import Cache
        from radiocli.render.levels import Source
        from radiocli.render.programs import (
            Context, RenderSettings, ensure_speech, render_program, resolve,
        )
        from radiocli.render.words import scope_abbreviations

        schedule = self.programs.schedule
        assert schedule is not None
        context = Context(schedule.audio_dir, tuple(schedule.abbreviations.items()),
                          ((program.scope, tuple(scope_abbreviations(
                              schedule, program.scope).items())),))
        settings = RenderSettings.from_schedule(schedule)
        if settings.audio.format != "wav" or settings.audio.crossfade > 0:
            result = render_program(self.programs.cache, context, program, settings)
            if result.playlist is None:
                raise RuntimeError("the renderer returned no playlist")
            return [AirPart(p.kind, p.seconds, p.path, p.url,
                            p.segments[0] if p.segments else i)
                    for i, p in enumerate(result.playlist.parts)], None
        _key, items, _warnings = resolve(context, program, settings, self._versions)
        cache = Cache(self.programs.cache)
        levels = settings.audio.levels(cache.levels_dir)
        parts: list[AirPart] = []
        todo: list[Source] = []
        for item in items:
            if item.kind == "say":
                ensure_speech(cache, item, settings)
                key = item.ident["say"]
                source = Source(cache.speech_path(key), f"speech:{key}", item.label)
                seconds = float((cache.speech_meta(key) or {}).get("seconds") or 0.0)
            elif item.path is not None:  # a chime or a recording
                source = Source(item.path, f"sha256:{item.ident[item.kind]}", item.label)
                seconds = audio_duration(item.path) or 0.0
            else:
                raise RuntimeError(f"an alert cannot have a {item.kind} segment")
            found = levels.find(source.ident)
            if found is not None:
                parts.append(AirPart("audio", found.seconds, path=found.path,
                                     segment=item.index))
                continue
            if not parts and plays:  # nothing airs before it: level it now
                found = levels.get(source)
                parts.append(AirPart("audio", found.seconds, path=found.path,
                                     segment=item.index))
                continue
            parts.append(AirPart("audio", seconds, path=levels.path(levels.key(source.ident)),
                                 segment=item.index))
            todo.append(source)

        def level() -> None:
            for source in todo:
                levels.get(source)

        return parts, (level if todo else None)

    def warm_up(self) -> None:
        """Make the first alert as quick as the next: level the chimes into the cache,
        load the renderer and start the speech engine (a short text, kept in the
        cache). Run in a thread at start; a failure here is the alert's to report."""
        if self.programs.schedule is None or not self.programs.decodes:
            return
        program = Program(id="alert-warm-up", title="alert", priority=Priority.EMERGENCY,
                          targets=Targets(stations=frozenset()),
                          rules=(Rule(once=(self.clock.now(),)),),
                          segments=tuple(s for s in (
                              Chime("alert") if self.programs.chime("alert") else None,
                              Speech("Thử."),
                              Chime("end") if self.programs.chime("end") else None)
                              if s is not None))
        try:
            _parts, finish = self.render(program)
            if finish is not None:
                finish()
        except Exception as exc:  # noqa: BLE001 - the first alert will say what fails
            log.warning(_("alert warm-up: {error}").format(error=exc))


def regular(path: Path) -> bool:
    """A regular file (a FIFO or a device would block the decoder)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False
