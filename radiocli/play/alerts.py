"""The alert desk: emergency announcements from the spool, on air at once.

An alert request (``radiocli alert``) is a JSON file in the daemon's spool, stamped
with the daemon's clock (a rehearsal's too: the command reads the clock's offset from
the pid file). The desk checks it (its shape and text; with ``--trust``: signed by an
emergency key whose scope covers its targets, not a copy of an alert already taken,
its audio the one signed), renders it with the words of where it airs (or takes its
recording), and hands an :class:`~radiocli.play.kinds.AlertOccurrence` to every target
station's Timeline, where it preempts whatever is on air.

The reply (``replies/alert-<id>.json``) says, per station, what became of the alert:
``on-air`` once its start line is written to the as-run log (the desk waits for the
log writer), ``missed`` (with the log's reason), ``failed`` (the speech or the
recording failed: the alert chime aired instead), ``waiting`` (behind another
emergency; the reply is rewritten when it starts or is missed), ``aired`` (before a
restart), or, for the whole alert, ``refused`` with the reason. A reply is ``final``
when no station is waiting any more. The request moves to ``done/`` when every
station has aired or missed it, to ``rejected/`` when it is refused. An alert still in
the spool after a restart resumes where it stopped.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from radiocli import TZ, i18n
from radiocli.errors import TrustError
from radiocli.i18n import _
from radiocli.plan.timeline import Action
from radiocli.play import control
from radiocli.play.alertaudio import AlertAudio
from radiocli.play.clock import Clock
from radiocli.play.desk import StationDesk, StationState
from radiocli.play.kinds import AlertOccurrence, Event, alert_program
from radiocli.play.programs import Programs, segments_of
from radiocli.play.recovery import read_day, resume
from radiocli.schedule.model import Priority, Targets

log = logging.getLogger("radiocli.play")

AHEAD_S = 60.0  # a request stamped later than this past the daemon's clock is restamped
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}")


class Outcome(enum.StrEnum):
    """What became of an alert at one station (or, refused, everywhere)."""

    ON_AIR = "on-air"  # its start line is written
    FAILED = "failed"  # on air, but the speech or recording failed: the chime aired
    MISSED = "missed"
    WAITING = "waiting"  # behind another emergency: not on air yet
    AIRED = "aired"  # it had aired before a restart
    REFUSED = "refused"


GOOD = (Outcome.ON_AIR, Outcome.AIRED)


@dataclass
class Answer:
    outcome: Outcome
    at: datetime
    reason: str = ""
    logged: bool = True  # for on-air and failed: the start line is on disk

    def as_dict(self, station: str) -> dict[str, Any]:
        out: dict[str, Any] = {"station": station, "outcome": self.outcome.value,
                               "at": self.at.isoformat(timespec="milliseconds"),
                               "reason": self.reason}
        if self.outcome in (Outcome.ON_AIR, Outcome.FAILED):
            out["logged"] = self.logged
        return out


@dataclass
class Pending:
    """An alert on its way: its spool file, what each station did with it, and the
    stations that have not ended or missed it yet."""

    request: str  # the request's id: the reply is replies/alert-<request>.json
    path: Path
    program: str
    taken: datetime
    stations: set[str] = field(default_factory=set)
    answers: dict[str, Answer] = field(default_factory=dict)
    unlogged: set[str] = field(default_factory=set)  # started; start line not yet written
    failure: str = ""
    handing: bool = True  # take() is still handing it to the stations
    final: bool = False  # the final reply is written
    moved: bool = False  # the request is in done/
    faults: int = 0  # the log queue's failed writes before its first start line
    rendering: bool = False  # its speech is still being levelled (the chime airs first)

    @property
    def reply(self) -> str:
        return f"alert-{self.request}"


class AlertDesk:
    def __init__(self, clock: Clock, rundir: control.RunDir, desk: StationDesk,
                 programs: Programs, logs: Path, *, trust: Path | None = None) -> None:
        self.clock = clock
        self.rundir = rundir
        self.desk = desk
        self.programs = programs
        self.logs = logs
        self.trust = trust
        self.pending: dict[str, Pending] = {}  # by alert id (its program is alert-<id>)
        self.lock = threading.RLock()  # guards pending and the replies
        self.memory: Any = None  # radiocli.trust.AlertMemory under trust (remember())
        self.audio = AlertAudio(clock, programs)

    def in_spool(self) -> set[str]:
        """Programs of the alerts waiting in the spool (a restart leaves them to us)."""
        programs = set()
        for _path, data in control.pending(self.rundir):
            if data.get("kind") != control.Request.ALERT:
                continue
            programs.add(alert_program(str(data.get("id"))))
            signed = data.get("signed")
            if isinstance(signed, dict):  # a signed alert airs under its signed id
                try:
                    from radiocli.trust import alert_identity

                    issued = datetime.fromisoformat(str(signed.get("issued_at")))
                    programs.add(alert_program(_signed_id(issued, alert_identity(signed))))
                except (ValueError, TypeError):
                    pass
        return programs

    def remember(self, now: datetime) -> None:
        """With trust: open the memory of the signed alerts taken (kept in the run
        folder across restarts for as long as a copy could pass)."""
        from radiocli.trust import AlertMemory

        self.memory = AlertMemory(self.rundir.folder, now=now)
        if self.memory.problem:
            log.error("%s", self.memory.problem)
            self.desk.note(now, self.memory.problem)

    # --- one alert ---------------------------------------------------------------------
    def take(self, path: Path, data: dict[str, Any]) -> None:
        """An emergency: check it, render it (or use its file), then preempt at every
        target station; the reply follows the start lines. The reply's reasons are
        English (the as-run log's, and the desk's below); a refusal's words made by
        another module (a text that cannot be spoken, a signature that does not verify)
        are in the language of the command that sent the alert (``lang`` in the
        request). The daemon's log keeps the daemon's language."""
        taken = self.clock.now()
        lang = data.get("lang")
        request = _request_id(path, data)
        if self.desk.stopping:
            self._refuse(path, data, request, "alert refused: the daemon is stopping")
            return
        problem = _shape_problem(data) if self.trust is None else None
        if problem:
            self._refuse(path, data, request, f"alert refused: {problem}")
            return
        alert_id = request
        if self.trust is not None:
            checked = self._checked(path, data, request, taken, lang)
            if checked is None:
                return
            data, alert_id = checked
        problem = None if data.get("file") else \
            i18n.said(lang, control.check_alert_text, data.get("text"))
        if problem:
            self._refuse(path, data, request, f"alert refused: {problem}")
            return
        with self.lock:
            if alert_id in self.pending:
                self._refuse(path, data, request, "alert refused: this alert is already "
                             "being aired (a copy of it was put in the spool)", answer=False)
                return
        codes = self._targets(data)
        if not codes:
            self._write_reply(request, {"ok": False, "final": True, "outcome": "none",
                                        "taken": _iso(taken), "stations": [],
                                        "reason": "this daemon serves none of the targets"})
            _move(path, self.rundir.done)
            return
        created = self._created(data, taken)
        program = self.audio.program(alert_id, data, codes, created)
        parts, failure, finish = self.audio.parts(alert_id, program, data)
        seconds = sum(p.seconds for p in parts)
        segments = segments_of(parts)
        entry = Pending(request, path, program.id, taken, set(codes), failure=failure,
                        rendering=finish is not None)
        with self.lock:
            self.pending[alert_id] = entry
        if finish is not None:  # the chime airs while the speech is levelled
            threading.Thread(target=self._finish_render, args=(alert_id, finish),
                             name="alert-render", daemon=True).start()
        desk = self.desk
        with desk.lock:
            entry.faults = desk.logs.faults  # a write failing after this may be its own
            now = self.clock.now()
            late = (now - created).total_seconds()
            for code in codes:
                st = desk.stations[code]
                occ = AlertOccurrence(code, program.id, created, seconds, Priority.EMERGENCY,
                                      program.max_delay, alert=alert_id)
                desk.expect(st, occ, parts, segments)
                if occ.occurrence_id in st.known:  # after a restart
                    self._resume(entry, st, occ, now)
                    continue
                st.known.add(occ.occurrence_id)
                if late > program.max_delay:
                    desk.apply(st, [Action(Event.MISSED, occ, now,
                                           f"offline: the alert is {late / 60:.0f} min old "
                                           f"(sent at {created:%Y-%m-%d %H:%M:%S})")])
                    continue
                if failure:
                    desk.fault(code, occ, now, failure)
                if late >= 1.0 and _preempts(st):
                    occ.reason = f"late: on air {late:.1f} s after the alert was sent"
                desk.arrive(st, occ, now)
            with self.lock:
                for code in codes:
                    if code not in entry.answers:
                        entry.answers[code] = self._waiting(desk.stations[code], now)
                entry.handing = False
                started = set(entry.unlogged)
        log.info(_("alert {id} taken at {at} for {n} station(s){failure}").format(
            id=alert_id, at=_iso(taken), n=len(codes),
            failure=f" ({i18n.reason(failure)})" if failure else ""))
        if started:
            desk.logs.put(lambda: self._logged(alert_id, started))
        self._answer(alert_id)
        desk.wake.set()

    def _created(self, data: dict[str, Any], taken: datetime) -> datetime:
        """When the alert was sent, on the daemon's clock (the command stamps it so)."""
        try:
            created = datetime.fromisoformat(str(data.get("created"))).astimezone(TZ)
        except (ValueError, TypeError):
            log.warning(_("alert {id} has no valid time; stamped {at}").format(
                id=data.get("id"), at=_iso(taken)))
            return taken
        if (created - taken).total_seconds() > AHEAD_S:
            log.warning(_("alert {id} says it was sent at {sent}, after the daemon's clock "
                          "({at}); stamped with the daemon's clock").format(
                id=data.get("id"), sent=_iso(created), at=_iso(taken)))
            return taken
        return created

    def _resume(self, entry: Pending, st: StationState, occ: AlertOccurrence,
                now: datetime) -> None:
        """A station's log knows this alert (a restart): resume what is left, or say
        it aired or was missed before."""
        desk = self.desk
        day = read_day(self.logs, st.code, now.date())
        item = day.occurrences.get(occ.occurrence_id)
        if item is None or item.finished or not item.started:
            outcome = Outcome.AIRED if item is None or item.started else Outcome.MISSED
            entry.answers[st.code] = Answer(outcome, now, "before a restart")
            self.station_done(occ.alert, st.code)
            return
        resume(desk, st, occ, day, now)
        if occ in st.timeline.waiting:
            st.timeline.waiting.remove(occ)
            desk.arrive(st, occ, now)
            return
        outcome = Outcome.MISSED if occ.status == "skipped" else Outcome.AIRED
        entry.answers[st.code] = Answer(outcome, now, "restart: " + (
            "the daemon was down longer than its max_delay" if outcome is Outcome.MISSED
            else "it had finished before the daemon stopped"))
        self.station_done(occ.alert, st.code)

    def _waiting(self, st: StationState, now: datetime) -> Answer:
        air = st.air
        behind = (f"behind {air.occ.program} ({air.occ.priority.label}), on air since "
                  f"{air.since:%H:%M:%S}") if air is not None else "behind another alert"
        return Answer(Outcome.WAITING, now, f"waiting {behind}")

    def _targets(self, data: dict[str, Any]) -> list[str]:
        stations = self.desk.stations
        if data.get("all"):
            return list(stations)
        schedule = self.programs.schedule
        assert schedule is not None
        targets = Targets(districts=frozenset(data.get("districts") or ()),
                          stations=frozenset(data.get("stations") or ()))
        return [c for c in schedule.registry.select(targets, self.clock.now().date())
                if c in stations]

    def _finish_render(self, alert_id: str, finish: Callable[[], None]) -> None:
        """Level the speech while the chime airs; the reply waits for it (a speech that
        cannot be levelled fails the alert: its part is missing, the chime airs)."""
        failure = ""
        try:
            with i18n.speaking("en"):  # its error is a reason of the as-run log
                finish()
        except Exception as exc:  # noqa: BLE001 - reported in the reply and the log
            failure = (f"failed: speech engine: {str(exc).splitlines()[0][:300]}; the alert "
                       "chime airs instead")
            log.error(_("alert {id}: {reason}").format(id=alert_id,
                                                      reason=i18n.reason(failure)))
        with self.lock:
            entry = self.pending.get(alert_id)
            if entry is None:
                return
            entry.rendering = False
            if failure:
                entry.failure = failure
                for answer in entry.answers.values():
                    if answer.outcome is Outcome.ON_AIR:
                        answer.outcome, answer.reason = Outcome.FAILED, failure
        self._answer(alert_id)

    # --- what the stations did with it ---------------------------------------------------
    def on_action(self, code: str, action: Action) -> None:
        """The station desk acted on an alert's occurrence at ``code`` (under its lock,
        after the line went to the log queue)."""
        occ = action.occurrence
        if not isinstance(occ, AlertOccurrence):
            return
        kind = Event(action.kind)
        with self.lock:
            entry = self.pending.get(occ.alert)
            if entry is None:
                return
            before = entry.answers.get(code)
            if kind in (Event.START, Event.RESUMED):
                if before is None or before.outcome is Outcome.WAITING:
                    failed = bool(entry.failure)
                    entry.answers[code] = Answer(Outcome.FAILED if failed else Outcome.ON_AIR,
                                                 action.at, entry.failure, logged=False)
                    entry.unlogged.add(code)
                    if not entry.handing:
                        alert_id = occ.alert
                        self.desk.logs.put(lambda: self._logged(alert_id, {code}))
            elif kind is Event.MISSED:
                if before is None or before.outcome is Outcome.WAITING:
                    entry.answers[code] = Answer(Outcome.MISSED, action.at, action.reason)
                    if not entry.handing:
                        self._answer(occ.alert)
        if kind in (Event.END, Event.MISSED):
            self.station_done(occ.alert, code)

    def _logged(self, alert_id: str, codes: set[str]) -> None:
        """Run by the log writer after the start lines of ``codes``: they are written,
        unless a write failed since the alert was taken (then a start line may be lost,
        or kept in memory until the disk takes it: the reply says so)."""
        logs = self.desk.logs
        with self.lock:
            entry = self.pending.get(alert_id)
            if entry is None:
                return
            failing = logs.failing or logs.faults != entry.faults
            why = logs.errors[-1] if failing and logs.errors else ""
            for code in codes:
                entry.unlogged.discard(code)
                answer = entry.answers.get(code)
                if answer is not None and failing:
                    answer.logged = False
                    answer.reason = "; ".join(filter(None, [
                        answer.reason, f"its start line may not be in the as-run log (the "
                                       f"log reported: {why})"]))
                elif answer is not None:
                    answer.logged = True
        self._answer(alert_id)

    def _answer(self, alert_id: str) -> None:
        """Write the reply: final when no station waits and every start line is written;
        before that only while take() hands it on (the command reads it at its timeout)."""
        with self.lock:
            entry = self.pending.get(alert_id)
            if entry is None or entry.final or entry.handing:
                return
            waiting = any(a.outcome is Outcome.WAITING for a in entry.answers.values())
            final = not waiting and not entry.unlogged and not entry.rendering
            if not final and (entry.unlogged or entry.rendering):
                return  # the log writer or the renderer answers in a moment
            answers = [entry.answers[c].as_dict(c) for c in sorted(entry.answers)]
            ok = bool(answers) and all(
                entry.answers[c].outcome in GOOD and entry.answers[c].logged
                for c in entry.answers)
            reply = {"ok": ok and final, "final": final, "alert": alert_id,
                     "program": entry.program, "taken": _iso(entry.taken),
                     "clock": "live" if self.clock.live else "rehearsal",
                     "outcome": _summary(entry.answers), "reason": entry.failure,
                     "stations": answers}
            self._write_reply(entry.request, reply)
            if final:
                entry.final = True
                if not entry.stations:
                    del self.pending[alert_id]

    def station_done(self, alert_id: str, code: str) -> None:
        """``code`` aired or missed the alert; when every station has, it is done."""
        with self.lock:
            entry = self.pending.get(alert_id)
            if entry is None:
                return
            entry.stations.discard(code)
            if entry.stations or entry.moved:
                return
            entry.moved = True
            if entry.final:
                del self.pending[alert_id]
        _move(entry.path, self.rundir.done)

    def _write_reply(self, request: str, reply: dict[str, Any]) -> None:
        try:
            control.write_json_atomic(self.rundir.replies / f"alert-{request}.json", reply,
                                      fsync=False)
        except OSError as exc:
            log.error(_("alert {id}: cannot write the reply: {error}").format(
                id=request, error=exc.strerror or exc))

    def _refuse(self, path: Path, data: dict[str, Any], request: str, reason: str,
                answer: bool = True) -> None:
        """Refused everywhere: logged, noted in status, answered (not when the request
        is a copy of one on air: its reply stands), set apart in ``rejected/``."""
        now = self.clock.now()
        log.error("%s (%s)", i18n.reason(reason), path.name)
        self.desk.note(now, reason)
        if not answer:
            _move(path, self.rundir.rejected)
            return
        try:
            codes = self._targets(_unchecked_targets(data))
        except Exception:  # noqa: BLE001 - the targets of a malformed alert are unknown
            codes = []
        self._write_reply(request, {
            "ok": False, "final": True, "outcome": Outcome.REFUSED.value, "reason": reason,
            "taken": _iso(now),
            "stations": [Answer(Outcome.REFUSED, now, reason).as_dict(c) for c in codes]})
        _move(path, self.rundir.rejected)

    # --- trust ---------------------------------------------------------------------------
    def _checked(self, path: Path, data: dict[str, Any], request: str, now: datetime,
                 lang: object = None) -> tuple[dict[str, Any], str] | None:
        """With trust: (the alert as signed, its id), or None when it is refused
        (logged, answered, moved to ``rejected/``). An alert taken before is a replay,
        unless it was on air when the daemon stopped: then the rest of it airs."""
        from radiocli.trust import check_signed_alert
        from radiocli.trust.safe import sha256_file

        assert self.trust is not None
        schedule = self.programs.schedule
        signed = data.get("signed")
        try:
            if not isinstance(signed, dict):
                raise TrustError("the alert is not signed; this daemon airs only alerts "
                                 "signed with an emergency key (radiocli alert --key KEY)")
            verified = i18n.said(lang, check_signed_alert, signed, self.trust, now=now,
                             registry=schedule.registry if schedule else None)
            alert = verified.alert
            checked: dict[str, Any] = {
                "id": request, "kind": control.Request.ALERT.value,
                "created": verified.issued_at.isoformat(),
                **{k: alert.get(k) for k in ("stations", "districts", "all", "title", "text",
                                              "max_delay")}}
            if alert.get("sha256") or data.get("file"):
                audio = Path(str(data.get("file") or ""))
                try:
                    digest = sha256_file(audio, "alert audio", follow=False) \
                        if data.get("file") else None
                except TrustError:
                    digest = None
                if not alert.get("sha256") or digest != alert["sha256"]:
                    raise TrustError(f"alert audio {audio} is not the recording that was "
                                     "signed (SHA-256 differs)")
                checked["file"] = str(audio)
            else:
                problem = i18n.said(lang, control.check_alert_text, checked.get("text"))
                if problem:
                    raise TrustError(problem)
            alert_id = _signed_id(verified.issued_at, verified.identity)
            try:
                assert self.memory is not None, "remember() opens the memory at start"
                warning = i18n.said(lang, self.memory.take, verified.identity,
                                verified.valid_until, now=now)
            except TrustError:
                if not self._unfinished(alert_id):
                    raise
                warning = None  # on air when the daemon stopped: the rest airs
            if warning:
                log.error("%s", warning)
                self.desk.note(now, warning)
            return checked, alert_id
        except TrustError as exc:
            self._refuse(path, {"signed": signed}, request, f"alert refused: {exc}")
            return None

    def _unfinished(self, alert_id: str) -> bool:
        """Whether a station's log of today shows the alert started and not ended, and
        this daemon is not airing it now: it was on air when the daemon stopped."""
        with self.lock:
            if alert_id in self.pending:
                return False
        prefix = alert_program(alert_id) + "@"
        now = self.clock.now()
        with self.desk.lock:
            stations = [c for c, st in self.desk.stations.items()
                        if any(k.startswith(prefix) for k in st.known)]
        for code in stations:
            for occ, item in read_day(self.logs, code, now.date()).occurrences.items():
                if occ.startswith(prefix) and item.started and not item.finished:
                    return True
        return False


# --- helpers -------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _signed_id(issued: datetime, identity: str) -> str:
    """A signed alert's id: from what was signed, so every copy of it is the same
    occurrence in the as-run log."""
    return f"{issued.astimezone(TZ):%Y%m%dT%H%M%S}-{identity[:6]}"


def _request_id(path: Path, data: dict[str, Any]) -> str:
    given = data.get("id")
    if isinstance(given, str) and _ID.fullmatch(given):
        return given
    stem = path.stem.removeprefix("alert-")
    return stem if _ID.fullmatch(stem) else "invalid"


def _shape_problem(data: dict[str, Any]) -> str | None:
    """Why an unsigned request is not an alert the desk can take, or None."""
    if not isinstance(data.get("id"), str) or not _ID.fullmatch(data["id"]):
        return "the request has no valid id"
    for key in ("stations", "districts"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            return f"{key} must be a list of codes"
    if not isinstance(data.get("all", False), bool):
        return "all must be true or false"
    if bool(data.get("text")) == bool(data.get("file")):
        return "an alert has a text or a file (one of them)"
    if data.get("file") is not None and not isinstance(data["file"], str):
        return "file must be a path"
    max_delay = data.get("max_delay")
    if max_delay is not None and (isinstance(max_delay, bool) or
                                  not isinstance(max_delay, (int, float)) or
                                  not 0 < max_delay <= 86400):
        return "max_delay must be seconds (at most a day)"
    return None


def _unchecked_targets(data: dict[str, Any]) -> dict[str, Any]:
    """The targets a refused alert named (signed or not), to say where it did not air."""
    signed = data.get("signed")
    source = signed.get("alert") if isinstance(signed, dict) else data
    source = source if isinstance(source, dict) else {}
    out: dict[str, Any] = {"all": source.get("all") is True}
    for key in ("stations", "districts"):
        value = source.get(key)
        out[key] = [c for c in value if isinstance(c, str)] if isinstance(value, list) else []
    return out


def _preempts(st: StationState) -> bool:
    """Whether an emergency arriving now starts at once (nothing of its rank on air)."""
    air = st.air
    return air is None or air.occ.priority < Priority.EMERGENCY


def _summary(answers: dict[str, Answer]) -> str:
    outcomes = {a.outcome for a in answers.values()}
    if not outcomes:
        return "none"
    if len(outcomes) == 1:
        return outcomes.pop().value
    return "mixed"


def _move(path: Path, folder: Path) -> None:
    try:
        control.make_folder(folder)
        path.replace(folder / path.name)
        control.narrow(folder / path.name)
    except OSError as exc:
        log.warning(_("cannot move {path} to {folder}: {error}").format(
            path=path, folder=folder.name, error=exc))

