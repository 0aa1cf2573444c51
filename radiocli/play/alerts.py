"""The alert desk: emergency announcements from the spool, on air at once.

An alert request (``radiocli alert``) is a JSON file in the daemon's spool. The desk
checks it (with ``--trust``: signed by an emergency key, not a replay, its audio the
one signed), renders it (or takes its recording), and hands an
:class:`~radiocli.play.kinds.AlertOccurrence` to every target station's Timeline,
where it preempts whatever is on air. It answers in ``replies/`` at once, and moves the
request to ``done/`` when every station has aired or missed it (``rejected/`` when it
is refused). An alert still in the spool after a restart resumes where it stopped.

Where later work goes: the reply that tells the truth per station (issue 9.5), the
scope of an emergency key (12.3), replay memory by content kept across restarts
(12.4), refusing what is not a regular file in the spool (12.6), waking on a spool
write instead of polling (13.5), a rehearsal's alerts stamped with its clock (16.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli.errors import TrustError
from radiocli.plan.triggers import TZ
from radiocli.play import control
from radiocli.play.clock import Clock
from radiocli.play.desk import StationDesk
from radiocli.play.kinds import AlertOccurrence, Event, alert_program
from radiocli.play.programs import Programs, segments_of
from radiocli.play.recovery import read_day, resume
from radiocli.play.sinks import AirPart
from radiocli.plan.timeline import Action
from radiocli.schedule.audiofiles import audio_duration
from radiocli.schedule.model import Chime, Priority, Program, Rule, Speech, Targets

log = logging.getLogger("radiocli.play")

REPLAY_MEMORY_S = 3600.0  # signed alerts done this recently are remembered at start


@dataclass
class Pending:
    """An alert on its way: its spool file, and the stations that have not aired or
    missed it yet."""

    path: Path
    stations: set[str] = field(default_factory=set)


class AlertDesk:
    def __init__(self, clock: Clock, rundir: control.RunDir, desk: StationDesk,
                 programs: Programs, logs: Path, *, trust: Path | None = None) -> None:
        self.clock = clock
        self.rundir = rundir
        self.desk = desk
        self.programs = programs
        self.logs = logs
        self.trust = trust
        self.pending: dict[str, Pending] = {}
        self.seen: set[str] = set()  # signatures of signed alerts taken (replays)

    def in_spool(self) -> set[str]:
        """Programs of the alerts waiting in the spool (a restart leaves them to us)."""
        return {alert_program(str(data.get("id")))
                for _path, data in control.pending(self.rundir)
                if data.get("kind") == control.Request.ALERT}

    def remember(self, now: datetime) -> None:
        """With trust: the signatures of the signed alerts done in the last hour, so a
        copy put back in the spool is a replay."""
        try:
            done = list(self.rundir.done.glob("alert-*.json"))
        except OSError:
            return
        for path in done:
            try:
                if now.timestamp() - path.stat().st_mtime > REPLAY_MEMORY_S:
                    continue
            except OSError:
                continue
            signed = (control.read_json(path) or {}).get("signed")
            if isinstance(signed, dict) and signed.get("signature"):
                self.seen.add(str(signed["signature"]))

    # --- one alert ---------------------------------------------------------------------
    def take(self, path: Path, data: dict[str, Any]) -> None:
        """An emergency: render it (or use its file), then preempt at every station."""
        if self.trust is not None:
            checked = self._checked(path, data)
            if checked is None:
                return
            data = checked
        alert_id = str(data.get("id"))
        codes = self._targets(data)
        reply_path = self.rundir.replies / f"alert-{alert_id}.json"
        if not codes:
            control.write_json_atomic(reply_path, {"ok": True, "stations": []}, fsync=False)
            path.replace(self.rundir.done / path.name)
            return
        created = datetime.fromisoformat(data["created"]).astimezone(TZ)
        program = self._program(alert_id, data, codes, created)
        parts, failure = self._parts(alert_id, program, data)
        seconds = sum(p.seconds for p in parts)
        segments = segments_of(parts)
        now = self.clock.now()
        desk = self.desk
        with desk.lock:
            self.pending[alert_id] = Pending(path, set(codes))
            for code in codes:
                st = desk.stations[code]
                occ = AlertOccurrence(code, program.id, created, seconds, Priority.EMERGENCY,
                                      program.max_delay, alert=alert_id)
                desk.expect(st, occ, parts, segments)
                if failure:
                    desk.fault(code, occ, now, failure)
                if occ.occurrence_id in st.known:  # after a restart
                    day = read_day(self.logs, code, now.date())
                    item = day.occurrences.get(occ.occurrence_id)
                    if item is None or item.finished or not item.started:
                        self.station_done(alert_id, code)
                        continue
                    resume(desk, st, occ, day, now)
                    if occ in st.timeline.waiting:
                        st.timeline.waiting.remove(occ)
                        desk.arrive(st, occ, now)
                    else:
                        self.station_done(alert_id, code)
                    continue
                st.known.add(occ.occurrence_id)
                late = (now - created).total_seconds()
                if late > program.max_delay:
                    desk.apply(st, [Action(Event.MISSED, occ, now,
                                           f"offline: the alert is {late / 60:.0f} min old")])
                    continue
                desk.arrive(st, occ, now)
        control.write_json_atomic(reply_path, {"ok": not failure, "stations": codes,
                                               "on_air": now.isoformat(), "reason": failure},
                                  fsync=False)
        desk.wake.set()

    def _targets(self, data: dict[str, Any]) -> list[str]:
        stations = self.desk.stations
        if data.get("all"):
            return list(stations)
        schedule = self.programs.schedule
        assert schedule is not None
        current = schedule.registry.as_of(self.clock.now().date())
        districts = set(data.get("districts") or ())
        wanted = set(data.get("stations") or ())
        return [c for c, s in current.items()
                if c in stations and (c in wanted or s.district in districts)]

    def _program(self, alert_id: str, data: dict[str, Any], codes: list[str],
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
            max_delay=float(data.get("max_delay") or 1800))

    def _parts(self, alert_id: str, program: Program, data: dict[str, Any]
               ) -> tuple[list[AirPart], str]:
        """What the alert airs, and why it fails when it does (the chime airs then)."""
        failure = ""
        parts: list[AirPart] | None = None
        if data.get("file"):
            audio = Path(str(data["file"]))
            seconds = audio_duration(audio)
            if seconds is None:
                failure = f"failed: alert audio {audio} cannot be read"
            else:
                parts = [AirPart("audio", seconds, path=audio)]
        elif program.segments:
            for attempt in range(2):  # a retry: the speech engine may fail once
                try:
                    parts = self.programs.render_alert(program)
                    failure = ""
                    break
                except Exception as exc:  # noqa: BLE001
                    failure = f"failed: speech engine: {exc}"
                    log.warning("alert %s render attempt %d: %s", alert_id, attempt + 1, exc)
        if parts is None:
            parts = self.programs.chime_parts() or [AirPart("estimate", 1.0)]
        if not self.programs.decodes:
            parts = [AirPart("estimate", p.seconds, segment=p.segment) for p in parts]
        return parts, failure

    def station_done(self, alert_id: str, code: str) -> None:
        """``code`` aired or missed the alert; when every station has, it is done."""
        entry = self.pending.get(alert_id)
        if entry is None:
            return
        entry.stations.discard(code)
        if not entry.stations:
            del self.pending[alert_id]
            try:
                entry.path.replace(self.rundir.done / entry.path.name)
            except OSError as exc:
                log.warning("cannot move %s to done: %s", entry.path, exc)

    # --- trust ---------------------------------------------------------------------------
    def _checked(self, path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
        """With trust: the alert as signed (where, what, when), or None when it is
        refused; a refused alert is logged and moved to ``rejected/``, never aired."""
        from radiocli.trust import verify_alert
        from radiocli.trust.bundle import sha256_file

        assert self.trust is not None
        signed = data.get("signed")
        try:
            if not isinstance(signed, dict):
                raise TrustError("the alert is not signed; this daemon airs only alerts "
                                 "signed with an emergency key (radiocli alert --key KEY)")
            alert = verify_alert(signed, self.trust, now=self.clock.now())
            signature = str(signed.get("signature"))
            with self.desk.lock:
                if signature in self.seen:
                    raise TrustError("this signed alert was already received (a replay)")
                self.seen.add(signature)
            checked: dict[str, Any] = {
                "id": data.get("id"), "kind": control.Request.ALERT.value,
                "created": signed["issued_at"],
                **{k: alert.get(k) for k in ("stations", "districts", "all", "title", "text",
                                              "max_delay")}}
            if alert.get("sha256") or data.get("file"):
                audio = Path(str(data.get("file") or ""))
                if not alert.get("sha256") or not audio.is_file() or \
                        sha256_file(audio) != alert["sha256"]:
                    raise TrustError(f"alert audio {audio} is not the recording that was "
                                     "signed (SHA-256 differs)")
                checked["file"] = str(audio)
            return checked
        except TrustError as exc:
            reason = f"alert refused: {exc}"
            log.error("%s (%s)", reason, path.name)
            self.desk.note(self.clock.now(), reason)
            control.write_json_atomic(self.rundir.replies / f"alert-{data.get('id')}.json",
                                      {"ok": False, "stations": [], "reason": reason},
                                      fsync=False)
            try:
                self.rundir.rejected.mkdir(parents=True, exist_ok=True, mode=0o750)
                path.replace(self.rundir.rejected / path.name)
            except OSError as err:
                log.warning("cannot move %s to rejected: %s", path, err)
            return None
