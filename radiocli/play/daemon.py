"""The playout daemon: the conductor. It owns the clock and its collaborators, starts,
stops, reloads and ticks; each job is done by a module of its own:

- :mod:`~radiocli.play.jobs`: one APScheduler job per program, on the daemon's clock;
- :mod:`~radiocli.play.desk`: each station's Timeline and what its decisions do (sink,
  event lines, the minute ledger);
- :mod:`~radiocli.play.alerts`: emergency alerts from the spool;
- :mod:`~radiocli.play.recovery`: what a restart resumes or logs missed;
- :mod:`~radiocli.play.logqueue`: the as-run lines on their way to the log;
- :mod:`~radiocli.play.status`: ``status.json``;
- :mod:`~radiocli.play.programs`: what the installed schedule airs.

Threads (``start(threads=True)``): the scheduler (:meth:`Jobs.run`: runs the due jobs,
hands their slots to the desk, sleeps until the next one); the supervisor
(:meth:`Daemon.tick` in a loop: ends programs when the clock or the feed says so,
closes minutes, polls the spool every 100 ms, re-reads the wall clock, writes
``status.json``); the log writer; one thread per feed (file, device, stream sinks).
Without threads (tests), :meth:`tick` also runs the due jobs: the same APScheduler code
on the same clock.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiocli import TZ, i18n
from radiocli.errors import PlayoutError, Problem, ScheduleError, TrustError
from radiocli.home import Home
from radiocli.i18n import _, day_text
from radiocli.plan.planner import blackouts_for
from radiocli.play import control
from radiocli.play.alerts import AlertDesk
from radiocli.play.approved import Approved, last_approved, load_approved
from radiocli.play.children import ChildGroup
from radiocli.play.clock import Clock, SystemClock, plausible
from radiocli.play.desk import StationDesk, StationState
from radiocli.play.jobs import Jobs
from radiocli.play.kinds import Fire, OnStop
from radiocli.play.logqueue import LogQueue
from radiocli.play.outputs import Icecast
from radiocli.play.programs import Programs
from radiocli.play.recovery import recover
from radiocli.play.served import Served
from radiocli.play.sinks import Sink, make_sink
from radiocli.play.status import StatusFile
from radiocli.schedule.load import read as read_schedule
from radiocli.schedule.model import Program, Schedule

if TYPE_CHECKING:
    from radiocli.aslog import LogBook
    from radiocli.plan.timeline import Action

log = logging.getLogger("radiocli.play")

POLL_S = 0.1
HEARTBEAT_S = 5.0
JUMP_S = 2.0
STATUS_S = 1.0
NEXT_S = 30.0
PRERENDER = timedelta(hours=24)


@dataclass
class Config:
    home: Home
    schedules: Path
    stations: list[str] | None = None  # these codes (with districts; both empty: all)
    districts: tuple[str, ...] = ()  # the units of these districts, on each day
    sink: str = "null"
    name: str = "main"
    on_stop: str = OnStop.CUT
    device: str = "default"
    icecast: Icecast | None = None
    until: datetime | None = None
    render: bool = True  # render programs that are not in the cache yet
    allow_bad_clock: bool = False
    misfire_grace: float = 1800.0
    stop_timeout: float = 60.0
    relay_fallback: Path | None = None  # a local recording to air when a relay fails
    trust: Path | None = None  # trusted keys: air only approved schedules, signed alerts
    rehearsal: bool = False  # logs and aircheck under <home>/rehearsal, not the as-run log


class Daemon:
    def __init__(self, config: Config, clock: Clock | None = None,
                 sink: Sink | None = None) -> None:
        if config.on_stop not in tuple(OnStop):
            raise PlayoutError(_("on_stop must be one of {choices}, got {value}").format(
                choices=", ".join(OnStop), value=repr(config.on_stop)))
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.rundir = control.RunDir(config.home.run, config.name)
        self.pidfile = control.PidFile(self.rundir.pid_file)
        home = config.home
        #: where this daemon's as-run lines go: the proof of broadcast, or a rehearsal's
        self.logs_root = home.rehearsal / "logs" if config.rehearsal else home.logs
        self.aircheck = home.rehearsal / "aircheck" if config.rehearsal else home.aircheck
        self.sink = sink or make_sink(config.sink, aircheck=self.aircheck,
                                      device=config.device, icecast=config.icecast,
                                      on_fault=self._stream_fault)
        self.children = ChildGroup()  # every ffmpeg of this daemon; dies with it
        self.sink.children = self.children
        self.logs = LogQueue(self.clock)
        self.programs = Programs(config.home.cache, decodes=self.sink.decodes,
                                 render=config.render)
        self.desk = StationDesk(self.clock, self.sink, self.programs, self.logs,
                                relay_fallback=config.relay_fallback,
                                on_alert=self._alert_action)
        self.alerts = AlertDesk(self.clock, self.rundir, self.desk, self.programs,
                                self.logs_root, trust=config.trust)
        self.served = Served(config.stations, config.districts)
        self.jobs = Jobs(self.clock, misfire_grace=config.misfire_grace,
                         deliver=self._deliver)
        # one daemon per station on this machine (a rehearsal that drives the real
        # output, device or stream, needs the station's own lock too)
        kinds: tuple[str, ...] = ("",)
        if config.rehearsal:
            kinds = ("rehearsal", "") if self.sink.kind in ("device", "stream") \
                else ("rehearsal",)
        self.locks = control.StationLocks(
            self.rundir.stations, {"name": config.name, "rehearsal": config.rehearsal},
            kinds)
        self.status = StatusFile(self.rundir.status_file, self.desk, self.logs,
                                 name=config.name, sink=self.sink.kind,
                                 rehearsal=config.rehearsal, live=self.clock.live)
        self.desk.changed = self.status.changed
        self.logs.on_error = self.status.changed
        self.approved: Approved | None = None
        self.notes: list[str] = []  # said at start, shown in status once stations exist
        self.stopped = threading.Event()
        self.stop_requested = threading.Event()
        self.threaded = False
        self._handled: set[str] = set()  # spool files already taken
        self._rung = threading.Event()  # a command rang: look at the spool now
        self.doorbell = control.Doorbell(self.rundir.doorbell, self._ring)
        self._boundary: datetime | None = None
        self._last_poll = self._last_status = self._last_next = -1e9
        self._heartbeat: tuple[datetime, float] | None = None
        self._day: date | None = None
        self._day_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # what tests and the CLI look at
    @property
    def stations(self) -> dict[str, StationState]:
        return self.desk.stations

    @property
    def schedule(self) -> Schedule | None:
        return self.programs.schedule

    @property
    def logbook(self) -> LogBook | None:
        return self.logs.book

    def _stream_fault(self, station: str, reason: str) -> None:
        self.desk.stream_fault(station, reason)

    def _alert_action(self, station: str, action: Action) -> None:
        self.alerts.on_action(station, action)

    def _ring(self) -> None:
        self._rung.set()
        self.desk.wake.set()

    # --- start and stop ------------------------------------------------------------------
    def start(self, threads: bool = True) -> None:
        """Check the clock, take the pid file, load, recover, schedule; start threads."""
        from radiocli.aslog import LogBook

        now = self.clock.now()
        if not plausible(now) and not self.config.allow_bad_clock:
            raise PlayoutError(
                _("the clock says {now}, which cannot be right (before 2024 or after 2100): "
                  "set the time (timedatectl, chrony) and start again, or pass "
                  "--allow-past-clock / --clock for a test").format(
                    now=now.isoformat(timespec="seconds")))
        schedule = self._load(starting=True)
        self.rundir.make()
        self.sink.check()
        if self.sink.decodes:
            self.children.start()
        self.pidfile.acquire({"name": self.config.name,
                              "started": now.isoformat(timespec="seconds"),
                              "sink": self.sink.kind, "rehearsal": self.config.rehearsal,
                              "trust": str(self.config.trust) if self.config.trust else None,
                              # a rehearsal's clock: commands stamp requests with it
                              "clock_offset": 0.0 if self.clock.live else round(
                                  (self.clock.now() - SystemClock().now()).total_seconds(),
                                  3)})
        try:
            book = LogBook(self.logs_root, durable=True)
            self.logs.open(book)
            self._install(schedule, now)
            if self.config.rehearsal:
                self._fresh_rehearsal(now)
            for note in self.notes:
                self.desk.note(now, note)
            if self.config.trust is not None:
                self.alerts.remember(now)
            self._day = now.date()
            for code in self.desk.stations:
                try:
                    book.seal_stale(code, self._day)
                except Exception as exc:  # noqa: BLE001 - a log fault must not stop playout
                    self.logs.error(f"sealing old logs of {code}: {exc}")
            self.status.started = now
            self._heartbeat = (now, self.clock.monotonic())
            recover(self.desk, self.programs, self.logs_root, now,
                    misfire_grace=self.config.misfire_grace, alerts=self.alerts.in_spool())
            self.jobs.start()
            self._next_up(now)
            self.threaded = threads
            if threads:
                self._spawn(self.alerts.audio.warm_up, "alert-warm-up")
                if self.sink.decodes and self.config.render:
                    self._spawn(self._prerender, "prerender")
                self.doorbell.open()
                self.logs.start()
                self.jobs.start_thread()
                self._spawn(self._supervise, "supervisor")
            log.info(_("on air: {stations} stations, {programs} programs, sink {sink}").format(
                stations=len(self.desk.stations), programs=len(self.jobs.triggers),
                sink=self.sink.kind))
        except BaseException:
            self.jobs.shutdown()
            self.children.close()
            self.locks.release()
            self.doorbell.close()
            self.pidfile.release()
            raise

    def _fresh_rehearsal(self, now: datetime) -> None:
        """A rehearsal starts from an empty rehearsal log and aircheck for its stations
        (what an earlier rehearsal of them left is replaced: a restart would otherwise
        take it for what already aired), under a folder that says what it is."""
        import shutil

        for root in (self.logs_root, self.aircheck):
            for code in self.desk.stations:
                shutil.rmtree(root / code, ignore_errors=True)
        folder = self.config.home.rehearsal
        control.make_folder(folder)
        (folder / "README.txt").write_text(
            "Rehearsals (radiocli run --clock / --rehearsal): their as-run logs (logs/) and\n"
            "aircheck recordings (aircheck/). NOT a proof of broadcast: `logs collect` and\n"
            "`report` never read them unless this folder is given to them. Each rehearsal\n"
            "replaces what an earlier rehearsal left for its stations.\n"
            "Diễn tập: nhật ký và bản ghi ở đây KHÔNG phải bằng chứng phát sóng.\n",
            encoding="utf-8")
        log.info(_("rehearsal: the daemon's clock starts at {now}; as-run lines go to {logs} "
                   "and recordings to {aircheck}, not to the as-run log").format(
                     now=now.isoformat(timespec="seconds"), logs=self.logs_root,
                     aircheck=self.aircheck))

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def request_stop(self) -> None:
        """Ask for a stop (signal handlers, --until): the owner then calls stop()."""
        self.stop_requested.set()
        self.desk.wake.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.stopped.wait(timeout)

    def stop(self, reason: str = "shutdown: daemon stopped") -> None:
        """Stop launching; cut or finish what is on air; write end lines; close."""
        desk = self.desk
        desk.stopping = True
        self.request_stop()
        for thread in self._threads:
            if thread.name == "supervisor" and thread is not threading.current_thread():
                thread.join(timeout=10)
        self.jobs.shutdown()
        self.doorbell.close()
        desk.drop_waiting(self.clock.now(), reason)
        if self.config.on_stop == OnStop.FINISH:
            # an operational limit in real seconds (systemd's TimeoutStopSec is real too)
            deadline = time.monotonic() + self.config.stop_timeout
            while time.monotonic() < deadline and desk.on_air():
                self.tick(allow_arrivals=False)
                desk.wake.clear()
                self.clock.wait(desk.wake, 0.05)
        desk.cut(self.clock.now(), "shutdown: cut")
        self.logs.stop()
        self._seal_replayed_day()
        try:
            if self.logs.book is not None:
                self.logs.book.close()
        except Exception as exc:  # noqa: BLE001
            self.logs.error(f"closing the as-run log: {exc}")
        desk.stop_feeds()
        self.sink.close()
        self.children.close()
        self.status.write(self.clock.now(), final=True)
        self.locks.release()
        self.pidfile.release()
        self.stopped.set()
        log.info(_("stopped"))

    def _seal_replayed_day(self) -> None:
        """A rehearsal of a past day (``--clock``) seals that day's logs when it stops:
        no restart will continue a day that is over, and verify expects the seal."""
        if self.clock.live or self.logs.book is None:
            return
        day = self.clock.now().date()
        if day >= SystemClock().now().date():
            return
        for code in self.desk.stations:
            if (self.logs_root / code / f"{day.isoformat()}.jsonl").is_file():
                self.logs.seal(code, day)

    # --- the schedule --------------------------------------------------------------------
    def _load(self, starting: bool = False) -> Schedule:
        if self.config.trust is not None:
            self.approved = self._load_approved(starting)
            return self.approved.schedule
        schedule, problems = read_schedule(self.config.schedules)
        if any(p.severity == "error" for p in problems):
            raise ScheduleError(problems)
        return schedule

    def _load_approved(self, starting: bool, lang: object = None) -> Approved:
        """Verify the working folders' bundle and load its private copy. At start, when
        it is refused, the last approved copy airs while it is still valid. A refusal
        is said in ``lang`` (a reload's sender's language)."""
        assert self.config.trust is not None
        now = self.clock.now()
        root = self.config.home.approved
        try:
            approved = i18n.said(lang, load_approved, self.config.schedules,
                                 self.config.trust, root, now=now)
        except (TrustError, ScheduleError) as exc:
            if not starting:
                raise
            try:
                previous = last_approved(self.config.trust, root, now=now)
            except TrustError as why:
                raise TrustError(_("{error}\nnothing airs: no earlier approved schedule is "
                                   "still valid ({why})").format(error=exc, why=why)) from None
            note = (f"schedules refused: {str(exc).splitlines()[0]}; airing the last "
                    f"{previous.describe()}")
            log.error("%s", i18n.reason(note))
            self.notes.append(note)
            return previous
        log.info(_("airing {bundle}").format(bundle=i18n.reason(approved.describe())))
        return approved

    def _airing(self, schedule: Schedule, day: date) -> dict[str, Program]:
        """The programs that reach a station of this daemon on ``day`` or on a later day
        the registry changes (so a unit that starts then has its jobs already)."""
        days = [day, *(d for d in schedule.registry.change_days if d > day)]
        airing: dict[str, Program] = {}
        for when in days:
            mine = set(self.served.select(schedule, when))
            for pid, program in schedule.programs.items():
                if pid not in airing and set(self.programs.targets(program, when)) & mine:
                    airing[pid] = program
        return airing

    def _claim(self, codes: list[str]) -> list[str]:
        """Lock the stations not held yet; returns those another daemon serves."""
        refused = self.locks.take(codes)
        if refused:
            log.error("%s", control.refusal(refused))
        return sorted(refused)

    def _install(self, schedule: Schedule, now: datetime, lang: object = None) -> None:
        """Take a (validated) schedule: stations, timelines, jobs. Refused (PlayoutError,
        said in ``lang``) when it would serve no station, or a station another daemon
        serves."""
        day = now.date()
        codes = i18n.said(lang, self.served.select, schedule, day)
        if not codes:
            with i18n.speaking(lang):
                why = ("; ".join(self.served.absent(schedule, day))
                       or _("the registry has no units"))
                error = PlayoutError(_("no station to serve on {day}: {why}").format(
                    day=day_text(day), why=why))
            raise error
        new = [c for c in codes if c not in self.locks.held]
        refused = self.locks.take(new)
        if refused:
            self.locks.release([c for c in new if c not in refused])
            raise PlayoutError(i18n.said(lang, control.refusal, refused))
        for note in self.served.absent(schedule, day):
            log.warning("%s", note)
        with self.desk.lock:
            self.programs.install(schedule)
            self._serve(schedule, codes, now, "reload: the station is no longer chosen")
        self.jobs.install(self._airing(schedule, day), frozenset(schedule.holidays))

    def _serve(self, schedule: Schedule, codes: list[str], now: datetime, reason: str
               ) -> tuple[list[str], list[str]]:
        """Serve ``codes`` (under the desk's lock): the others end what they air, are
        sealed and let go; new ones get a Timeline. Returns (gone, new)."""
        wanted = set(codes)
        gone = [c for c in self.desk.stations if c not in wanted]
        new = [c for c in codes if c not in self.desk.stations]
        for code in gone:
            if self.desk.retire(code, now, reason):
                self.logs.seal(code, now.date())
        self.locks.release(gone)
        self.desk.install(codes, lambda code: blackouts_for(schedule, code))
        return gone, new

    def _deliver(self, fires: list[Fire]) -> None:
        """The scheduler's round: a slot of a new day first turns the day over; what
        comes next changes once slots came."""
        if fires:
            last = max(f.scheduled for f in fires).astimezone(TZ)
            if self._day is not None and last.date() > self._day:
                self._new_day(max(self.clock.now(), last))
        self.desk.deliver(fires)
        if fires:
            self._next_up(self.clock.now())
            self.status.changed()

    def _new_day(self, now: datetime) -> None:
        """Midnight: seal yesterday's logs, and serve the units in force today (a unit
        that ceased ends and is let go, a new one starts; 526 units on 2025-06-30, 126
        on 2025-07-01)."""
        day = now.date()
        with self._day_lock:
            if self._day is None or day <= self._day:
                return
            self._day = day
            with self.desk.lock:  # what aired before midnight goes in before the seal
                self.desk.close_minutes(datetime.combine(day, dtime(0), TZ))
            self.logs.seal_before(day)
            schedule = self.programs.schedule
            if schedule is None:
                return
            try:
                codes = self.served.select(schedule, day)
            except PlayoutError as exc:
                log.error(_("day {day}: {error}").format(day=day, error=exc))
                return
            refused = self._claim([c for c in codes if c not in self.locks.held])
            codes = [c for c in codes if c not in refused]
            before = {code: schedule.registry.unit(code, day - timedelta(days=1))
                      for code in self.desk.stations}
            with self.desk.lock:
                gone, new = self._serve(
                    schedule, codes, now,
                    f"ceased: the unit is not in force on {day} (registry)")
                changed = [c for c, unit in before.items() if c in self.desk.stations
                           and unit is not None and unit.key != (
                               schedule.registry.unit(c, day) or unit).key]
            self.jobs.install(self._airing(schedule, day), frozenset(schedule.holidays))
        log.info(_("day {day}: {stations} stations ({gone} ceased and sealed, {new} new, "
                   "{changed} units renewed under their code)").format(
            day=day, stations=len(self.desk.stations), gone=len(gone), new=len(new),
            changed=len(changed)))
        for note in self.served.absent(schedule, day):
            log.warning(_("day {day}: {error}").format(day=day, error=note))
        if not self.desk.stations:
            log.error(_("day {day}: no station to serve: the daemon airs nothing until it is "
                        "given today's units (radiocli stations list --on {day})").format(
                day=day))
        self._next_up(now)
        self.status.changed()

    def reload(self, lang: object = None) -> tuple[bool, list[Problem | str]]:
        """Re-read the schedules; on errors keep the old one. Nothing on air is touched.
        With trust, the schedules must verify against their approved bundle. The
        problems returned are in ``lang`` (the language of the command that asked; the
        daemon's log and status keep theirs)."""
        approved: Approved | None = None
        problems: list[Problem] = []
        if self.config.trust is not None:
            try:
                approved = self._load_approved(starting=False, lang=lang)
            except ScheduleError as exc:
                self._refused(exc.problems)
                return False, list(exc.problems)
            except TrustError as exc:
                still = self.approved.describe() if self.approved else "nothing"
                reason = f"reload refused: {exc}; still airing {still}"
                log.error("%s", i18n.reason(reason))
                self.desk.note(self.clock.now(), reason)
                with i18n.speaking(lang):
                    message = _("{error}; the previous approved schedule keeps airing").format(
                        error=exc)
                return False, [Problem("", message=message, code="untrusted")]
            schedule = approved.schedule
        else:
            schedule, problems = i18n.said(lang, read_schedule, self.config.schedules)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                self._refused(errors)
                return False, list(problems)
        try:
            self._install(schedule, self.clock.now(), lang)
        except PlayoutError as exc:
            self._refused([str(exc)])
            return False, [str(exc)]
        if approved is not None:
            self.approved = approved
            self.desk.expiry = None
        log.info(_("reloaded: {programs} programs for {stations} stations").format(
            programs=len(self.jobs.triggers), stations=len(self.desk.stations)))
        self._next_up(self.clock.now())
        if self.threaded and self.sink.decodes and self.config.render:
            threading.Thread(target=self._prerender, name="prerender", daemon=True).start()
        return True, list(problems)

    def _refused(self, problems: list[Problem] | list[str]) -> None:
        """A reload was refused: the daemon log has every problem; status (at once) has
        the first and how many more."""
        for problem in problems:
            log.error(_("reload refused: {problem}").format(problem=problem))
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        self.desk.note(self.clock.now(), f"reload refused: {problems[0]}{more}; the "
                                         "schedule loaded before keeps airing")

    def _next_up(self, now: datetime) -> None:
        """Each station's next program, from the jobs' coming slots."""
        upcoming = self.jobs.upcoming(now, per_program=2)
        with self.desk.lock:
            self.desk.next_up(upcoming, now)
        self._last_next = self.clock.monotonic()

    def _prerender(self) -> None:
        """Render what airs in the next 24 hours, so jobs find it in the cache."""
        schedule = self.programs.schedule
        if schedule is None:
            return
        now = self.clock.now()
        for _at, pid in self.jobs.upcoming(now, now + PRERENDER):
            if self.desk.stopping or schedule is not self.programs.schedule:
                return
            program = schedule.programs.get(pid)
            if program is not None:
                self.programs.parts(program)

    # --- the spool -----------------------------------------------------------------------
    def _poll_spool(self) -> None:
        requests, refused = control.scan(self.rundir)
        for item in refused:
            self.desk.note(self.clock.now(), f"spool: {item.name} refused: {item.reason}")
        for path, data in requests:
            if path.name in self._handled:
                continue
            self._handled.add(path.name)
            kind = data.get("kind")
            if kind == control.Request.RELOAD:
                ok, problems = self.reload(data.get("lang"))  # in the sender's language
                if self.status.dirty:  # refused: in status before `reload` hears it
                    self.status.write(self.clock.now())
                reply = {"ok": ok, "problems": [p.as_dict() if hasattr(p, "as_dict")
                                                else {"message": str(p)} for p in problems],
                         "programs": len(self.jobs.triggers),
                         "stations": len(self.desk.stations)}
                control.write_json_atomic(self.rundir.replies / f"{data.get('id')}.json",
                                          reply, fsync=False)
                path.unlink(missing_ok=True)
            elif kind == control.Request.ALERT and not self.threaded:
                self.alerts.take(path, data)
            elif kind == control.Request.ALERT:
                threading.Thread(target=self.alerts.take, args=(path, data), name="alert",
                                 daemon=True).start()
            else:
                log.warning(_("unknown request in the spool: {path}").format(path=path))

    # --- the supervisor ------------------------------------------------------------------
    def _supervise(self) -> None:
        while not self.desk.stopping:
            try:
                timeout = self.tick()
            except Exception:  # noqa: BLE001 - the supervisor must survive
                log.exception("supervisor")
                timeout = POLL_S
            self.desk.wake.clear()
            self.clock.wait(self.desk.wake, timeout)

    def tick(self, allow_arrivals: bool = True) -> float:
        """One round of supervision; returns how long to sleep at most."""
        desk = self.desk
        now = self.clock.now()
        mono = self.clock.monotonic()
        if allow_arrivals and not desk.stopping and not self.threaded:
            self.jobs.run_due()
        with desk.lock:
            desk.read_inbox()
            desk.finish_due(now)
            boundary = now.replace(second=0, microsecond=0)
            if boundary != self._boundary:
                self._boundary = boundary
                desk.close_minutes(boundary)
        if self.approved is not None and desk.expiry is None and \
                now >= self.approved.valid_to:
            self._expire(now)
        if not self.threaded:
            self.logs.retry()
        if self._rung.is_set() or mono - self._last_poll >= POLL_S:
            self._rung.clear()
            self._last_poll = mono
            self._poll_spool()
        if self._heartbeat is None or mono - self._heartbeat[1] >= HEARTBEAT_S:
            self._beat(now, mono)
        if self.status.dirty or mono - self._last_status >= STATUS_S:
            self._last_status = mono
            if mono - self._last_next >= NEXT_S:
                self._next_up(now)
            self.status.write(now)
        if self.config.until is not None and now >= self.config.until:
            self.request_stop()
        return desk.sleep_for(now, POLL_S)

    def _expire(self, now: datetime) -> None:
        """The approved bundle ran out: no more programs from it (the one on air ends
        normally; emergencies, and signed alerts, still air)."""
        assert self.approved is not None
        reason = (f"expired: the approval of the schedules ended at "
                  f"{self.approved.valid_to.isoformat(timespec='minutes')}; approve them "
                  "again and reload")
        log.error(_("{reason}: no program from {bundle} starts any more (emergency alerts "
                    "still air)").format(reason=i18n.reason(reason),
                                         bundle=i18n.reason(self.approved.describe())))
        self.desk.note(now, reason)
        self.desk.expire(now, reason)

    def _beat(self, now: datetime, mono: float) -> None:
        """Re-read the wall clock: log a jump, seal the day at midnight."""
        if self._heartbeat is not None:
            then, mono_then = self._heartbeat
            drift = (now - then).total_seconds() - (mono - mono_then)
            if abs(drift) > JUMP_S:
                log.warning(_("the wall clock jumped {drift} s (now {now})").format(
                    drift=f"{drift:+.1f}", now=now.isoformat(timespec="seconds")))
                if not plausible(now):
                    log.error(_("the clock now says {now}: fix the time sync").format(
                        now=now.isoformat()))
                self.jobs.wakeup()
        self._heartbeat = (now, mono)
        if self._day is not None and now.date() > self._day:
            self._new_day(now)
