"""The playout daemon: APScheduler jobs hand occurrences to each station's Timeline;
a supervisor thread follows what is on air and writes the as-run log.

Threads:

- the APScheduler thread (live clock): one job per program trigger (id
  ``program:<id>``); the job runs in that thread through :class:`ImmediateExecutor`
  (it receives the scheduled run time and returns at once: it only decides, through the
  Timelines, and starts sinks; nothing in it blocks);
- the supervisor (:meth:`Daemon.tick` in a loop): ends programs when the clock or the
  sink says so, writes minute lines as minutes complete, polls the control spool every
  100 ms, re-reads the wall clock (jumps are logged), writes ``status.json``;
- the log writer: event and minute lines leave through a queue, so an fsync never delays
  a start;
- one thread per feed (file, device, stream sinks) decoding and pacing audio.

With a clock that is not the machine's (tests, ``--clock``), the supervisor walks the
same triggers itself instead of APScheduler (which reads the machine's clock).
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path
from typing import Any

from radiocli.errors import PlayoutError, Problem, ScheduleError, TrustError
from radiocli.home import Home
from radiocli.plan.durations import program_seconds, segment_seconds
from radiocli.plan.planner import arrivals, blackouts_for
from radiocli.plan.timeline import Action, Occurrence, Timeline
from radiocli.plan.triggers import TZ, program_trigger
from radiocli.play import control
from radiocli.play.approved import Approved, last_approved, load_approved
from radiocli.play.clock import SystemClock, plausible
from radiocli.play.recovery import Day, read_day
from radiocli.play.sinks import AirPart, Feed, Icecast, Sink, SinkFault, make_sink
from radiocli.schedule.audiofiles import audio_duration, chime_path
from radiocli.schedule.load import read as read_schedule
from radiocli.schedule.model import (
    Chime, Priority, Program, Rule, Schedule, Speech, Targets,
)

log = logging.getLogger("radiocli.play")

ON_STOP = ("cut", "finish")
POLL_S = 0.1
HEARTBEAT_S = 5.0
JUMP_S = 2.0
ONE_US = timedelta(microseconds=1)


@dataclass
class Config:
    home: Home
    schedules: Path
    stations: list[str] | None = None  # None: every station of the registry
    district: str | None = None
    sink: str = "null"
    name: str = "main"
    on_stop: str = "cut"
    device: str = "default"
    icecast: Icecast | None = None
    until: datetime | None = None
    render: bool = True  # render programs that are not in the cache yet
    allow_bad_clock: bool = False
    misfire_grace: float = 1800.0
    stop_timeout: float = 60.0
    relay_fallback: Path | None = None  # a local recording to air when a relay fails
    trust: Path | None = None  # trusted keys: air only approved schedules, signed alerts


@dataclass
class Airing:
    """One piece of an occurrence on air at a station."""

    occ: Occurrence
    since: datetime
    offset: float  # seconds of the occurrence already aired when this piece began
    logged_until: datetime
    feed: Feed | None = None


@dataclass
class StationState:
    code: str
    timeline: Timeline
    air: Airing | None = None
    parts: dict[str, list[AirPart]] = field(default_factory=dict)  # occurrence -> parts
    acc: dict[tuple[str, datetime], list[Any]] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)  # occurrences that arrived or are logged
    errors: collections.deque[dict[str, str]] = field(
        default_factory=lambda: collections.deque(maxlen=5))
    next_up: tuple[str, datetime] | None = None


class ImmediateExecutor:
    """An APScheduler executor that runs the job in the scheduler thread and passes it
    the scheduled run time. Jobs only hand occurrences to Timelines and return."""

    def __new__(cls, daemon: Daemon) -> Any:
        from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
        from apscheduler.executors.base import BaseExecutor

        class _Executor(BaseExecutor):  # type: ignore[misc]
            def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
                events = []
                for run_time in run_times:
                    now = daemon.clock.now()
                    grace = job.misfire_grace_time
                    if grace is not None and (now - run_time).total_seconds() > grace:
                        daemon.misfired(job.args[0], run_time)
                        events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id,
                                                        job._jobstore_alias, run_time))
                        continue
                    try:
                        job.func(*job.args, run_time)
                    except Exception:  # noqa: BLE001 - keep the scheduler alive
                        log.exception("job %s failed", job.id)
                    events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id,
                                                    job._jobstore_alias, run_time))
                self._run_job_success(job.id, events)

        return _Executor()


class Daemon:
    def __init__(self, config: Config, clock: Any = None, sink: Sink | None = None) -> None:
        if config.on_stop not in ON_STOP:
            raise PlayoutError(f"on_stop must be one of {', '.join(ON_STOP)}, "
                               f"got {config.on_stop!r}")
        self.config = config
        self.clock = clock or SystemClock()
        self.rundir = control.RunDir(config.home.run, config.name)
        self.sink = sink or make_sink(config.sink, aircheck=config.home.aircheck,
                                      device=config.device, icecast=config.icecast,
                                      on_fault=self._stream_fault)
        self.lock = threading.RLock()
        self.stations: dict[str, StationState] = {}
        self.feeds: dict[tuple[str, float], Feed] = {}
        self.schedule: Schedule | None = None
        self.durations: dict[str, float] = {}
        self.playlists: dict[str, list[AirPart] | None] = {}
        self.render_errors: dict[str, str] = {}
        self.targets_cache: dict[tuple[str, date], list[str]] = {}
        self.triggers: dict[str, Any] = {}
        self.virtual_next: dict[str, datetime | None] = {}
        self.scheduler: Any = None
        self.pidfile = control.PidFile(self.rundir.pid_file)
        self.logbook: Any = None
        self.logq: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self.inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.stop_requested = threading.Event()
        self.stopping = False
        self.threaded = False
        self.handled: set[str] = set()
        self.alerts: dict[str, dict[str, Any]] = {}
        self.resume_reasons: dict[tuple[str, str], str] = {}
        self.last_boundary: datetime | None = None
        self.last_poll = -1e9
        self.last_status = -1e9
        self.last_next = -1e9
        self.heartbeat: tuple[datetime, float] | None = None
        self.day: date | None = None
        self.log_errors: collections.deque[str] = collections.deque(maxlen=5)
        self.log_failing = False
        self.log_retry_at = 0.0
        self.last_log_error: tuple[str, float] = ("", -1e9)
        self.approved: Approved | None = None
        self.expired = False
        self.notes: list[str] = []  # said at start, shown in status once stations exist
        self.seen_alerts: set[str] = set()  # signatures of signed alerts taken (replays)
        self.started_at: datetime | None = None
        self.log_lag: list[float] = []
        self._threads: list[threading.Thread] = []

    # --- start and stop ------------------------------------------------------------------
    def start(self, threads: bool = True) -> None:
        """Check the clock, take the pid file, load, recover, schedule; start threads."""
        from radiocli.aslog import LogBook

        now = self.clock.now()
        if not plausible(now) and not self.config.allow_bad_clock:
            raise PlayoutError(
                f"the clock says {now.isoformat(timespec='seconds')}, which cannot be right "
                "(before 2024 or after 2100): set the time (timedatectl, chrony) and start "
                "again, or pass --allow-past-clock / --clock for a test")
        schedule = self._load(starting=True)
        self.rundir.make()
        self.sink.check()
        self.pidfile.acquire({"name": self.config.name, "started": now.isoformat(),
                              "sink": self.sink.kind,
                              "trust": str(self.config.trust) if self.config.trust else None})
        try:
            self.logbook = LogBook(self.config.home.logs, durable=True)
            self._install(schedule, now)
            for note in self.notes:
                self._note(now, note)
            if self.config.trust is not None:
                self._remember_alerts(now)
            self.day = now.date()
            for code in self.stations:
                try:
                    self.logbook.seal_stale(code, self.day)
                except Exception as exc:  # noqa: BLE001 - a log fault must not stop playout
                    self._log_error(f"sealing old logs of {code}: {exc}")
            self.started_at = now
            self.heartbeat = (now, self.clock.monotonic())
            with self.lock:
                self._recover(now)
            self.threaded = threads
            if threads:
                if self.sink.decodes and self.config.render:
                    self._spawn(self._prerender, "prerender")
                self._spawn(self._log_writer, "aslog-writer")
                if getattr(self.clock, "live", False):
                    self._start_scheduler()
                self._spawn(self._supervise, "supervisor")
            else:
                self._drain_log()
            log.info("on air: %d stations, %d programs, sink %s", len(self.stations),
                     len(self.triggers), self.sink.kind)
        except BaseException:
            self.pidfile.release()
            raise

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def request_stop(self) -> None:
        """Ask for a stop (signal handlers, --until): the owner then calls stop()."""
        self.stop_requested.set()
        self.wake.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.stopped.wait(timeout)

    def stop(self, reason: str = "shutdown: daemon stopped") -> None:
        """Stop launching; cut or finish what is on air; write end lines; close."""
        self.stopping = True
        self.stop_requested.set()
        self.wake.set()
        for thread in self._threads:
            if thread.name == "supervisor" and thread is not threading.current_thread():
                thread.join(timeout=10)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        now = self.clock.now()
        with self.lock:
            for st in self.stations.values():
                self._apply(st, st.timeline.drop_waiting(now, reason))
        if self.config.on_stop == "finish":
            # an operational limit in real seconds (systemd's TimeoutStopSec is real too)
            deadline = time.monotonic() + self.config.stop_timeout
            while time.monotonic() < deadline and any(
                    st.air for st in self.stations.values()):
                self.tick(allow_arrivals=False)
                self.wake.clear()
                self.clock.wait(self.wake, 0.05)
        now = self.clock.now()
        with self.lock:
            for st in self.stations.values():
                if st.air is not None:
                    self._apply(st, st.timeline.finish(now, "shutdown: cut"))
            for st in self.stations.values():
                self._flush_minutes(st, None)
        self.logq.put(None)
        for thread in self._threads:
            if thread.name == "aslog-writer":
                thread.join(timeout=60)
        self._drain_log()
        self._seal_replayed_day()
        try:
            self.logbook.close()
        except Exception as exc:  # noqa: BLE001
            self._log_error(f"closing the as-run log: {exc}")
        for feed in list(self.feeds.values()):
            feed.stop()
        self.sink.close()
        self._write_status(final=True)
        self.pidfile.release()
        self.stopped.set()
        log.info("stopped")

    def _seal_replayed_day(self) -> None:
        """A rehearsal of a past day (``--clock``) seals that day's logs when it stops:
        no restart will continue a day that is over, and verify expects the seal."""
        if getattr(self.clock, "live", False):
            return
        day = self.clock.now().date()
        if day >= SystemClock().now().date():
            return
        for code in self.stations:
            if (self.config.home.logs / code / f"{day.isoformat()}.jsonl").is_file():
                self._run_log(lambda c=code: self.logbook.seal(c, day))

    # --- schedule ------------------------------------------------------------------------
    def _load(self, starting: bool = False) -> Schedule:
        if self.config.trust is not None:
            self.approved = self._load_approved(starting)
            return self.approved.schedule
        schedule, problems = read_schedule(self.config.schedules)
        if any(p.severity == "error" for p in problems):
            raise ScheduleError(problems)
        return schedule

    def _load_approved(self, starting: bool) -> Approved:
        """Verify the working folders' bundle and load its private copy. At start, when
        it is refused, the last approved copy airs while it is still valid."""
        assert self.config.trust is not None
        now = self.clock.now()
        root = self.config.home.approved
        try:
            approved = load_approved(self.config.schedules, self.config.trust, root, now=now)
        except (TrustError, ScheduleError) as exc:
            if not starting:
                raise
            try:
                previous = last_approved(self.config.trust, root, now=now)
            except TrustError as why:
                raise TrustError(f"{exc}\nnothing airs: no earlier approved schedule is "
                                 f"still valid ({why})") from None
            note = (f"schedules refused: {str(exc).splitlines()[0]}; airing the last "
                    f"{previous.describe()}")
            log.error("%s", note)
            self.notes.append(note)
            return previous
        log.info("airing %s", approved.describe())
        return approved

    def _note(self, at: datetime, reason: str) -> None:
        """A daemon-wide refusal: in every station's last errors (no as-run line)."""
        for st in self.stations.values():
            st.errors.append({"at": at.isoformat(timespec="seconds"), "reason": reason})

    def _select(self, schedule: Schedule, day: date) -> list[str]:
        current = schedule.registry.as_of(day)
        if self.config.stations:
            unknown = [c for c in self.config.stations if c not in current]
            if unknown:
                raise PlayoutError(f"unknown station code(s): {', '.join(unknown)} "
                                   "(see `radiocli stations`)")
            return list(dict.fromkeys(self.config.stations))
        if self.config.district:
            codes = [c for c, s in current.items() if s.district == self.config.district]
            if not codes:
                raise PlayoutError(f"district {self.config.district!r} has no stations "
                                   "(see `radiocli stations`)")
            return codes
        return list(current)

    def _install(self, schedule: Schedule, now: datetime) -> None:
        """Take a (validated) schedule: stations, timelines, triggers, jobs."""
        codes = self._select(schedule, now.date())
        with self.lock:
            self.schedule = schedule
            self.playlists = {}
            self.targets_cache = {}
            try:
                from radiocli.render.programs import rendered_durations

                self.durations = rendered_durations(self.config.home.cache, schedule)
            except Exception as exc:  # noqa: BLE001 - estimates are the fallback
                log.warning("rendered durations unavailable: %s", exc)
                self.durations = {}
            for code in codes:
                st = self.stations.get(code)
                blackouts = blackouts_for(schedule, code)
                if st is None:
                    self.stations[code] = StationState(code, Timeline(code, blackouts))
                else:
                    st.timeline.blackouts = sorted(blackouts)
            mine = set(self.stations)
            holidays = frozenset(schedule.holidays)
            triggers = {}
            for program in schedule.programs.values():
                if set(self._targets(program, now.date())) & mine:
                    triggers[program.id] = program_trigger(program, holidays)
            self.triggers = triggers
            if self.scheduler is not None:
                self._sync_jobs()
            self.virtual_next = {pid: trig.get_next_fire_time(None, now)
                                 for pid, trig in triggers.items()}

    def _start_scheduler(self) -> None:
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.scheduler = BackgroundScheduler(
            timezone=TZ,
            jobstores={"default": MemoryJobStore()},
            executors={"default": ImmediateExecutor(self)},
            # constructor kwargs like misfire_grace_time= are silently ignored: job_defaults
            job_defaults={"misfire_grace_time": int(self.config.misfire_grace),
                          "coalesce": True, "max_instances": 1},
        )
        self._sync_jobs()
        self.scheduler.start()

    def _sync_jobs(self) -> None:
        """One job per program trigger, deterministic ids; replaced on reload."""
        wanted = {f"program:{pid}": pid for pid in self.triggers}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        for job_id, pid in wanted.items():
            self.scheduler.add_job(self.fire, self.triggers[pid], args=[pid], id=job_id,
                                   name=pid, replace_existing=True)

    def _targets(self, program: Program, day: date) -> list[str]:
        key = (program.id, day)
        codes = self.targets_cache.get(key)
        if codes is None:
            assert self.schedule is not None
            codes = list(self.schedule.registry.select(program.targets, day))
            self.targets_cache[key] = codes
        return codes

    def reload(self) -> tuple[bool, list[Any]]:
        """Re-read the schedules; on errors keep the old one. Nothing on air is touched.
        With trust, the schedules must verify against their approved bundle."""
        approved: Approved | None = None
        if self.config.trust is not None:
            try:
                approved = self._load_approved(starting=False)
            except ScheduleError as exc:
                for problem in exc.problems:
                    log.error("reload refused: %s", problem)
                return False, list(exc.problems)
            except TrustError as exc:
                still = self.approved.describe() if self.approved else "nothing"
                reason = f"reload refused: {exc}; still airing {still}"
                log.error("%s", reason)
                self._note(self.clock.now(), reason)
                return False, [Problem("", message=f"{exc}; the previous approved schedule "
                                                   "keeps airing", code="untrusted")]
            schedule, problems = approved.schedule, []
        else:
            schedule, problems = read_schedule(self.config.schedules)
            errors = [p for p in problems if p.severity == "error"]
            if errors:
                for problem in errors:
                    log.error("reload refused: %s", problem)
                return False, problems
        try:
            self._install(schedule, self.clock.now())
        except PlayoutError as exc:
            log.error("reload refused: %s", exc)
            return False, [str(exc)]
        if approved is not None:
            self.approved = approved
            self.expired = False
        log.info("reloaded: %d programs for %d stations", len(self.triggers),
                 len(self.stations))
        if self.threaded and self.sink.decodes and self.config.render:
            threading.Thread(target=self._prerender, name="prerender", daemon=True).start()
        return True, problems

    # --- what airs ------------------------------------------------------------------------
    def _parts(self, program: Program) -> list[AirPart] | None:
        """The program's rendered playlist (rendering it when allowed), or None."""
        if program.id in self.playlists:
            return self.playlists[program.id]
        assert self.schedule is not None
        parts: list[AirPart] | None = None
        try:
            from radiocli.render.programs import (
                RenderSettings, program_playlist, render_program,
            )

            playlist = program_playlist(self.config.home.cache, self.schedule, program)
            if playlist is None and self.config.render and self.sink.decodes:
                result = render_program(self.config.home.cache, self.schedule, program,
                                        RenderSettings.from_schedule(self.schedule))
                playlist = result.playlist
            if playlist is not None:
                parts = [AirPart(p.kind, p.seconds, p.path, p.url,
                                 p.segments[0] if p.segments else i)
                         for i, p in enumerate(playlist.parts)]
        except Exception as exc:  # noqa: BLE001 - a render failure is a logged fault
            log.warning("program %s could not be rendered: %s", program.id, exc)
            self.render_errors[program.id] = str(exc).splitlines()[0][:300]
            self.playlists[program.id] = None
            return None
        self.playlists[program.id] = parts
        return parts

    def _prerender(self) -> None:
        """Render what airs in the next 24 hours, so jobs find it in the cache."""
        schedule = self.schedule
        if schedule is None:
            return
        now = self.clock.now()
        soon = now + timedelta(hours=24)
        for pid, trigger in sorted(self.triggers.items()):
            if self.stopping or schedule is not self.schedule:
                return
            nxt = trigger.get_next_fire_time(None, now)
            program = schedule.programs.get(pid)
            if nxt is not None and nxt <= soon and program is not None:
                self._parts(program)

    def _estimated_parts(self, program: Program) -> list[AirPart]:
        assert self.schedule is not None
        return [AirPart("estimate", segment_seconds(self.schedule, seg), segment=i)
                for i, seg in enumerate(program.segments)]

    def _occurrence(self, program: Program, station: str, scheduled: datetime,
                    parts: list[AirPart] | None) -> Occurrence:
        assert self.schedule is not None
        if parts is not None and self.sink.decodes:
            seconds = sum(p.seconds for p in parts)
            cut = program.max_duration is not None and seconds > program.max_duration
            if cut:
                seconds = float(program.max_duration or seconds)
        else:
            seconds, cut = program_seconds(self.schedule, program, self.durations)
        return Occurrence(station, program.id, scheduled, seconds, program.priority,
                          program.max_delay, cut)

    # --- jobs -----------------------------------------------------------------------------
    def fire(self, program_id: str, scheduled: datetime | None = None) -> None:
        """The job: a program's slot has come. Hand it, and every other program due at
        the same instant, to each station's Timeline in priority order (as plan and
        simulate do), so the order APScheduler happens to run same-second jobs in never
        decides which program goes first. A sibling's own job then finds its
        occurrences known and does nothing."""
        if scheduled is None:  # called by hand
            scheduled = self.clock.now()
        if self.stopping:
            return
        for pid in self._due_at(program_id, scheduled):
            self._fire_one(pid, scheduled)

    def _due_at(self, program_id: str, scheduled: datetime) -> list[str]:
        """This program and the others whose triggers fire at exactly ``scheduled``,
        highest priority first, then by id."""
        schedule = self.schedule
        if schedule is None:
            return [program_id]
        due = {program_id}
        for pid, trigger in self.triggers.items():
            if pid != program_id and pid in schedule.programs and \
                    trigger.get_next_fire_time(None, scheduled) == scheduled:
                due.add(pid)
        return sorted(due, key=lambda pid: (
            -int(schedule.programs[pid].priority) if pid in schedule.programs else 0, pid))

    def _fire_one(self, program_id: str, scheduled: datetime) -> None:
        schedule = self.schedule
        program = schedule.programs.get(program_id) if schedule else None
        if program is None:
            return
        day = scheduled.astimezone(TZ).date()
        codes = [c for c in self._targets(program, day) if c in self.stations]
        if not codes:
            return
        parts = self._parts(program) if self.sink.decodes else self.playlists.get(program_id)
        with self.lock:
            for code in codes:
                st = self.stations[code]
                occ = self._occurrence(program, code, scheduled, parts)
                if occ.occurrence_id in st.known:
                    continue
                st.known.add(occ.occurrence_id)
                if self.expired and occ.priority < Priority.EMERGENCY:
                    occ.status = "skipped"
                    self._log_event(code, "missed", self.clock.now(), occ, self._expiry())
                    continue
                st.parts[occ.occurrence_id] = parts or self._estimated_parts(program)
                if parts is None and self.sink.decodes:
                    why = self.render_errors.get(program_id, "no playlist")
                    self._fault(code, occ, self.clock.now(),
                                f"failed: cannot render: {why}; the alert chime airs instead")
                    st.parts[occ.occurrence_id] = self._chime_parts()
                    occ.duration_s = sum(p.seconds for p in st.parts[occ.occurrence_id])
                self._apply(st, st.timeline.arrive(occ, self.clock.now()))
        self.wake.set()

    def misfired(self, program_id: str, scheduled: datetime) -> None:
        program = self.schedule.programs.get(program_id) if self.schedule else None
        if program is None:
            return
        now = self.clock.now()
        late = (now - scheduled).total_seconds()
        with self.lock:
            for code in self._targets(program, scheduled.astimezone(TZ).date()):
                st = self.stations.get(code)
                if st is None:
                    continue
                occ = self._occurrence(program, code, scheduled, None)
                if occ.occurrence_id in st.known:
                    continue
                st.known.add(occ.occurrence_id)
                occ.status = "skipped"
                self._log_event(code, "missed", now, occ,
                                f"offline: the scheduler ran {late / 60:.0f} min late "
                                f"(more than the misfire grace)")

    def _chime_parts(self) -> list[AirPart]:
        path = self._chime("alert")
        if path is None:
            return []
        return [AirPart("audio", audio_duration(path) or 1.0, path=path)]

    def _chime(self, name: str) -> Path | None:
        return chime_path(self.schedule.audio_dir, name) if self.schedule else None

    # --- acting on the Timeline's decisions ----------------------------------------------
    def _apply(self, st: StationState, actions: Iterable[Action]) -> None:
        for action in actions:
            occ, at = action.occurrence, action.at
            reason = action.reason
            if action.kind in ("start", "resumed"):
                if action.kind == "resumed":
                    reason = self.resume_reasons.pop((st.code, occ.occurrence_id), reason)
                self._log_event(st.code, action.kind, at, occ, reason)
                self._begin(st, occ, at)
            elif action.kind in ("preempted", "end"):
                self._halt(st, occ, at)
                self._log_event(st.code, action.kind, at, occ, reason)
            else:
                self._log_event(st.code, action.kind, at, occ, reason)
            if action.kind in ("end", "missed") and occ.program.startswith("alert-"):
                self._alert_station_done(occ.program[len("alert-"):], st.code)
            if action.kind in ("end", "missed"):
                st.parts.pop(occ.occurrence_id, None)

    def _begin(self, st: StationState, occ: Occurrence, at: datetime) -> None:
        air = Airing(occ, at, occ.played_s, at)
        st.air = air
        if not self.sink.decodes:
            return
        parts = [p for p in st.parts.get(occ.occurrence_id, []) if p.kind != "estimate"]
        key = (occ.occurrence_id, round(occ.played_s, 1))
        feed = self.feeds.get(key)
        if feed is None or feed.stopped.is_set() or feed.position() > 0.3:
            fallback = self._chime("alert")
            feed = Feed(key, parts, occ.played_s, occ.remaining_s, self.clock,
                        lead=self.sink.lead, on_fault=self._feed_fault,
                        on_done=self._feed_done, on_output_fault=self._output_fault,
                        fallback=fallback, relay_fallback=self.config.relay_fallback)
            self.feeds[key] = feed
            fresh = True
        else:
            fresh = False
        air.feed = feed
        session = f"{at:%Y-%m-%d}/{at:%H%M%S}-{occ.program}"
        try:
            self.sink.attach(st.code, feed, occ.program, session)
        except (SinkFault, OSError) as exc:
            self.inbox.put(("broken", st.code, feed, f"failed: {exc}"))
        if fresh:
            feed.start()

    def _halt(self, st: StationState, occ: Occurrence, at: datetime) -> None:
        air = st.air
        if air is None or air.occ is not occ:
            return
        self._account(st, air, air.logged_until, at)
        air.logged_until = at
        st.air = None
        feed = air.feed
        if feed is not None:
            self.sink.release(st.code, feed)
            if not feed.stations:
                feed.stop()
                if self.feeds.get(feed.key) is feed:
                    del self.feeds[feed.key]

    def _fault(self, code: str, occ: Occurrence | None, at: datetime, reason: str) -> None:
        st = self.stations.get(code)
        if st is not None:
            st.errors.append({"at": at.isoformat(timespec="seconds"), "reason": reason})
        log.warning("%s: %s", code, reason)
        if occ is not None:
            self._log_event(code, "failed", at, occ, reason)

    # callbacks from feed threads: into the inbox, handled by the supervisor
    def _feed_fault(self, feed: Feed, reason: str) -> None:
        for code in list(feed.stations):
            self.inbox.put(("failed", code, feed, reason))
        self.wake.set()

    def _feed_done(self, feed: Feed, reason: str) -> None:
        self.inbox.put(("done", None, feed, reason))
        self.wake.set()

    def _output_fault(self, feed: Feed, key: str, reason: str) -> None:
        codes = list(feed.stations) if key == "encoder" else [key]
        for code in codes:
            self.inbox.put(("broken", code, feed, f"failed: {reason}"))
        self.wake.set()

    def _stream_fault(self, station: str, reason: str) -> None:
        self.inbox.put(("broken", station, None, f"failed: {reason}"))
        self.wake.set()

    def _handle_inbox(self) -> None:
        while True:
            try:
                kind, code, feed, reason = self.inbox.get_nowait()
            except queue.Empty:
                return
            now = self.clock.now()
            if kind == "done":
                codes = [c for c, st in self.stations.items()
                         if st.air is not None and st.air.feed is feed]
            else:
                codes = [code]
            for c in codes:
                st = self.stations.get(c)
                if st is None or st.air is None:
                    continue
                if feed is not None and st.air.feed is not feed:
                    continue
                occ = st.air.occ
                if kind == "failed":
                    self._fault(c, occ, now, reason)
                elif kind == "broken":
                    self._fault(c, occ, now, reason)
                    self._apply(st, st.timeline.finish(now, reason))
                else:
                    self._apply(st, st.timeline.finish(now, reason))

    # --- minute lines ---------------------------------------------------------------------
    def _segment_at(self, st: StationState, occ: Occurrence, offset: float) -> int:
        pos = 0.0
        segment = 0
        for part in st.parts.get(occ.occurrence_id, []):
            if pos > offset + 1e-6:
                break
            segment = part.segment
            pos += part.seconds
        return segment

    def _account(self, st: StationState, air: Airing, a: datetime, b: datetime) -> None:
        """Add the seconds on air in [a, b) to the station's minute accumulators."""
        occ = air.occ
        t = a
        while t < b:
            minute = t.replace(second=0, microsecond=0)
            end = min(minute + timedelta(minutes=1), b)
            seconds = (end - t).total_seconds()
            key = (occ.occurrence_id, minute)
            entry = st.acc.get(key)
            if entry is None:
                offset = air.offset + (t - air.since).total_seconds()
                st.acc[key] = [seconds, self._segment_at(st, occ, offset), occ]
            else:
                entry[0] += seconds
            t = end

    def _flush_minutes(self, st: StationState, boundary: datetime | None) -> None:
        """Write the accumulated minutes before ``boundary`` (all when None)."""
        if not st.acc:
            return
        done = sorted((k for k in st.acc if boundary is None or k[1] < boundary),
                      key=lambda k: (k[1], k[0]))
        for key in done:
            seconds, segment, occ = st.acc.pop(key)
            minute = key[1]
            if seconds < 0.5:  # nothing really aired (a piece that failed at once)
                continue
            end = minute + timedelta(seconds=min(seconds, 60.0))
            self._write(lambda c=st.code, m=minute, e=end, o=occ, s=segment: self.logbook.minutes(
                c, m, e, o.program, o.occurrence_id, o.priority, segments=((m, s),)))

    # --- the log queue --------------------------------------------------------------------
    def _log_event(self, code: str, event: str, at: datetime, occ: Occurrence,
                   reason: str) -> None:
        self._write(lambda: self.logbook.event(code, event, at, occ.scheduled, occ.program,
                                               occ.occurrence_id, occ.priority, reason))

    def _write(self, fn: Callable[[], None]) -> None:
        if self.threaded:
            self.logq.put(fn)
        else:
            self._run_log(fn)

    def _run_log(self, fn: Callable[[], None]) -> None:
        from radiocli.aslog import LogWriteError

        try:
            fn()
        except LogWriteError as exc:
            self.log_failing = True
            self._log_error(f"as-run log: {exc}", same_as=str(exc.errno))
            return
        except Exception as exc:  # noqa: BLE001 - logging must never stop playout
            self._log_error(f"as-run log: {type(exc).__name__}: {exc}")
            return
        if self.log_failing and not self.logbook.pending():
            # every line kept in memory has landed, in order and chained
            self.log_failing = False
            message = ("as-run log: writable again; the lines kept in memory are written "
                       f"(at {self.clock.now().isoformat(timespec='seconds')})")
            log.warning("%s", message)
            self.log_errors.append(message)

    def _log_error(self, message: str, same_as: str | None = None) -> None:
        """Keep the error for status; write it to the daemon log when it is new, or at
        most once a minute while the same fault goes on (a full disk fails every line)."""
        key = same_as or message
        mono = self.clock.monotonic()
        last_key, last_at = self.last_log_error
        if key != last_key or mono - last_at >= 60:
            log.error("%s", message)
            self.last_log_error = (key, mono)
        if self.log_errors and self.log_errors[-1].split(";")[0] == message.split(";")[0]:
            self.log_errors[-1] = message  # the same fault: keep the newest count
        else:
            self.log_errors.append(message)

    def _log_writer(self) -> None:
        retry_at = 0.0
        while True:
            try:
                fn = self.logq.get(timeout=1.0)
            except queue.Empty:
                mono = self.clock.monotonic()
                if mono > retry_at and self.logbook.pending():
                    retry_at = mono + 5
                    self._run_log(self.logbook.flush_pending)
                continue
            if fn is None:
                return
            self._run_log(fn)

    def _drain_log(self) -> None:
        while True:
            try:
                fn = self.logq.get_nowait()
            except queue.Empty:
                return
            if fn is not None:
                self._run_log(fn)

    # --- the supervisor -------------------------------------------------------------------
    def _supervise(self) -> None:
        while not self.stopping:
            try:
                timeout = self.tick()
            except Exception:  # noqa: BLE001 - the supervisor must survive
                log.exception("supervisor")
                timeout = POLL_S
            self.wake.clear()
            self.clock.wait(self.wake, timeout)

    def tick(self, allow_arrivals: bool = True) -> float:
        """One round of supervision; returns how long to sleep at most."""
        now = self.clock.now()
        mono = self.clock.monotonic()
        with self.lock:
            self._handle_inbox()
            if allow_arrivals and not self.stopping and not getattr(self.clock, "live", False):
                self._virtual_fire(now)
            if not self.sink.decodes:
                for st in self.stations.values():
                    finish = st.timeline.expected_finish()
                    while finish is not None and finish <= now:
                        self._apply(st, st.timeline.finish(finish))
                        finish = st.timeline.expected_finish()
            else:
                for st in self.stations.values():
                    finish = st.timeline.expected_finish()
                    if st.air is not None and finish is not None and \
                            (now - finish).total_seconds() > 30:
                        self._apply(st, st.timeline.finish(now, "failed: playout overran"))
            boundary = now.replace(second=0, microsecond=0)
            if boundary != self.last_boundary:
                self.last_boundary = boundary
                for st in self.stations.values():
                    air = st.air
                    if air is not None and air.logged_until < boundary:
                        self._account(st, air, air.logged_until, boundary)
                        air.logged_until = boundary
                    self._flush_minutes(st, boundary)
        if self.approved is not None and not self.expired and now >= self.approved.valid_to:
            self._expire(now)
        if not self.threaded and self.log_failing and mono >= self.log_retry_at:
            self.log_retry_at = mono + 5
            self._run_log(self.logbook.flush_pending)
        if mono - self.last_poll >= POLL_S:
            self.last_poll = mono
            self._poll_control()
        if self.heartbeat is None or mono - self.heartbeat[1] >= HEARTBEAT_S:
            self._beat(now, mono)
        if mono - self.last_status >= 1.0:
            self.last_status = mono
            self._write_status()
        if self.config.until is not None and now >= self.config.until:
            self.request_stop()
        return self._sleep_for(now)

    def _expiry(self) -> str:
        assert self.approved is not None
        return (f"expired: the approval of the schedules ended at "
                f"{self.approved.valid_to.isoformat(timespec='minutes')}; approve them "
                "again and reload")

    def _expire(self, now: datetime) -> None:
        """The approved bundle ran out: no more programs from it (the one on air ends
        normally; emergencies, and signed alerts, still air)."""
        self.expired = True
        reason = self._expiry()
        log.error("%s: no program from %s starts any more (emergency alerts still air)",
                  reason, self.approved.describe() if self.approved else "it")
        self._note(now, reason)
        with self.lock:
            for st in self.stations.values():
                keep = []
                for occ in st.timeline.waiting:
                    if occ.priority < Priority.EMERGENCY and not occ.program.startswith("alert-"):
                        occ.status = "skipped"
                        self._log_event(st.code, "missed", now, occ, reason)
                        st.parts.pop(occ.occurrence_id, None)
                    else:
                        keep.append(occ)
                st.timeline.waiting[:] = keep

    def _sleep_for(self, now: datetime) -> float:
        timeout = POLL_S
        if not self.sink.decodes:
            for st in self.stations.values():
                finish = st.timeline.expected_finish()
                if finish is not None:
                    timeout = min(timeout, (finish - now).total_seconds())
        return max(timeout, 0.0)

    def _virtual_fire(self, now: datetime) -> None:
        for pid, nxt in list(self.virtual_next.items()):
            if nxt is None or nxt > now:
                continue
            trigger = self.triggers[pid]
            last = nxt
            while nxt is not None and nxt <= now:
                last = nxt
                nxt = trigger.get_next_fire_time(nxt, nxt + ONE_US)
            self.virtual_next[pid] = nxt
            if (now - last).total_seconds() > self.config.misfire_grace:
                self.misfired(pid, last)
            else:
                self.fire(pid, last)

    def _beat(self, now: datetime, mono: float) -> None:
        """Re-read the wall clock: log a jump, seal the day at midnight."""
        if self.heartbeat is not None:
            then, mono_then = self.heartbeat
            drift = (now - then).total_seconds() - (mono - mono_then)
            if abs(drift) > JUMP_S:
                log.warning("the wall clock jumped %+.1f s (now %s)", drift,
                            now.isoformat(timespec="seconds"))
                if not plausible(now):
                    log.error("the clock now says %s: fix the time sync", now.isoformat())
                if self.scheduler is not None:
                    self.scheduler.wakeup()
        self.heartbeat = (now, mono)
        today = now.date()
        if self.day is not None and today > self.day:
            self.day = today
            self._write(lambda: self.logbook.seal_before(today))

    # --- restart recovery -----------------------------------------------------------------
    def _recover(self, now: datetime) -> None:
        """Resume what was on air before a crash (within grace), log the rest missed."""
        assert self.schedule is not None
        today = now.date()
        midnight = datetime.combine(today, dtime(0), TZ)
        days: dict[str, Day] = {}
        for code, st in self.stations.items():
            day = read_day(self.config.home.logs, code, today)
            days[code] = day
            st.known.update(day.occurrences)
            for occ_id, item in day.occurrences.items():
                if not item.started or item.finished or item.program.startswith("alert-"):
                    continue
                program = self.schedule.programs.get(item.program)
                if program is None or item.scheduled is None:
                    occ = Occurrence(code, item.program, item.scheduled or now, 0.0,
                                     Priority.parse(item.priority or "normal"))
                    self._log_event(code, "missed", now, occ,
                                    "restart: the program is no longer in the schedule")
                    continue
                parts = self._parts(program) if self.sink.decodes else None
                occ = self._occurrence(program, code, item.scheduled, parts)
                st.parts[occ_id] = parts or self._estimated_parts(program)
                self._resume(st, occ, day, now)
        # slots that came while no daemon ran
        for code, occs in arrivals(self.schedule, midnight, now, list(self.stations),
                                   self.durations).items():
            st = self.stations[code]
            for occ in occs:
                if occ.occurrence_id in st.known:
                    continue
                st.known.add(occ.occurrence_id)
                late = (now - occ.scheduled).total_seconds()
                if late <= min(occ.max_delay, self.config.misfire_grace):
                    program = self.schedule.programs[occ.program]
                    parts = self._parts(program) if self.sink.decodes else None
                    occ = self._occurrence(program, code, occ.scheduled, parts)
                    st.parts[occ.occurrence_id] = parts or self._estimated_parts(program)
                    occ.reason = f"late: the daemon started {late / 60:.1f} min after the slot"
                    st.timeline.waiting.append(occ)
                else:
                    self._log_event(code, "missed", now, occ,
                                    f"offline: no daemon was running at "
                                    f"{occ.scheduled:%H:%M:%S}")
        for st in self.stations.values():
            if st.air is None and st.timeline.waiting:
                self._apply(st, st.timeline.next(now))

    def _resume(self, st: StationState, occ: Occurrence, day: Day, now: datetime) -> None:
        played, unlogged = day.aired(occ.occurrence_id, now)
        down = (now - day.crash_bound(now)).total_seconds()
        occ.played_s = min(played, occ.duration_s)
        occ.start = occ.scheduled
        if occ.remaining_s <= 0.5:
            self._log_event(st.code, "end", now, occ,
                            "restart: it had finished before the daemon stopped")
            return
        if down > occ.max_delay:
            occ.status = "skipped"
            self._log_event(st.code, "missed", now, occ,
                            f"offline: the daemon was down {down / 60:.0f} min (more than "
                            f"max_delay {occ.max_delay / 60:.0f} min); "
                            f"{occ.remaining_s:.0f} s not aired")
            return
        self.resume_reasons[(st.code, occ.occurrence_id)] = (
            f"restart: resumed at {occ.played_s:.1f} s after a restart"
            + (f" ({unlogged:.0f} s before the stop are not in the minute lines)"
               if unlogged >= 1 else ""))
        if occ.played_s <= 0:
            occ.played_s = 0.001  # the Timeline resumes what has played
        st.timeline.waiting.append(occ)

    # --- alerts ---------------------------------------------------------------------------
    def _poll_control(self) -> None:
        for path, data in control.pending(self.rundir):
            if path.name in self.handled:
                continue
            self.handled.add(path.name)
            kind = data.get("kind")
            if kind == "reload":
                ok, problems = self.reload()
                reply = {"ok": ok, "problems": [p.as_dict() if hasattr(p, "as_dict")
                                                else {"message": str(p)} for p in problems],
                         "programs": len(self.triggers), "stations": len(self.stations)}
                control.write_json_atomic(self.rundir.replies / f"{data.get('id')}.json",
                                          reply, fsync=False)
                path.unlink(missing_ok=True)
            elif kind == "alert" and not self.threaded:
                self._alert(path, data)
            elif kind == "alert":
                threading.Thread(target=self._alert, args=(path, data), name="alert",
                                 daemon=True).start()
            else:
                log.warning("unknown request in the spool: %s", path)

    def _alert_targets(self, data: dict[str, Any]) -> list[str]:
        assert self.schedule is not None
        if data.get("all"):
            return list(self.stations)
        current = self.schedule.registry.as_of(self.clock.now().date())
        districts = set(data.get("districts") or ())
        wanted = set(data.get("stations") or ())
        return [c for c, s in current.items()
                if c in self.stations and (c in wanted or s.district in districts)]

    def _alert(self, path: Path, data: dict[str, Any]) -> None:
        """An emergency: render it (or use its file), then preempt at every station."""
        if self.config.trust is not None:
            checked = self._checked_alert(path, data)
            if checked is None:
                return
            data = checked
        alert_id = str(data.get("id"))
        codes = self._alert_targets(data)
        reply_path = self.rundir.replies / f"alert-{alert_id}.json"
        if not codes:
            control.write_json_atomic(reply_path, {"ok": True, "stations": []}, fsync=False)
            path.replace(self.rundir.done / path.name)
            return
        created = datetime.fromisoformat(data["created"]).astimezone(TZ)
        program_id = f"alert-{alert_id}"
        program = Program(
            id=program_id, title=str(data.get("title") or "alert"),
            priority=Priority.EMERGENCY, targets=Targets(stations=frozenset(codes)),
            rules=(Rule(once=(created,)),),
            segments=tuple(s for s in (
                Chime("alert") if self._chime("alert") else None,
                Speech(str(data["text"])) if data.get("text") else None,
                Chime("end") if self._chime("end") else None) if s is not None),
            max_delay=float(data.get("max_delay") or 1800))
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
                    parts = self._render_alert(program)
                    failure = ""
                    break
                except Exception as exc:  # noqa: BLE001
                    failure = f"failed: speech engine: {exc}"
                    log.warning("alert %s render attempt %d: %s", alert_id, attempt + 1, exc)
        if parts is None:
            parts = self._chime_parts() or [AirPart("estimate", 1.0)]
        if not self.sink.decodes:
            parts = [AirPart("estimate", p.seconds, segment=p.segment) for p in parts]
        seconds = sum(p.seconds for p in parts)
        now = self.clock.now()
        with self.lock:
            self.alerts[alert_id] = {"path": path, "pending": set(codes)}
            for code in codes:
                st = self.stations[code]
                occ = Occurrence(code, program_id, created, seconds, Priority.EMERGENCY,
                                 program.max_delay)
                st.parts[occ.occurrence_id] = parts
                if failure:
                    self._fault(code, occ, now, failure)
                if occ.occurrence_id in st.known:
                    day = read_day(self.config.home.logs, code, now.date())
                    item = day.occurrences.get(occ.occurrence_id)
                    if item is None or item.finished or not item.started:
                        self._alert_station_done(alert_id, code)
                        continue
                    self._resume(st, occ, day, now)
                    if occ in st.timeline.waiting:
                        st.timeline.waiting.remove(occ)
                        self._apply(st, st.timeline.arrive(occ, now))
                    else:
                        self._alert_station_done(alert_id, code)
                    continue
                st.known.add(occ.occurrence_id)
                late = (now - created).total_seconds()
                if late > program.max_delay:
                    self._apply(st, [Action("missed", occ, now,
                                            f"offline: the alert is {late / 60:.0f} min old")])
                    continue
                self._apply(st, st.timeline.arrive(occ, now))
        control.write_json_atomic(reply_path, {"ok": not failure, "stations": codes,
                                               "on_air": now.isoformat(), "reason": failure},
                                  fsync=False)
        self.wake.set()

    def _checked_alert(self, path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
        """With trust: the alert as signed (where, what, when), or None when it is
        refused; a refused alert is logged and moved to ``rejected/``, never aired."""
        from radiocli.trust import verify_alert
        from radiocli.trust.bundle import sha256_file

        assert self.config.trust is not None
        signed = data.get("signed")
        try:
            if not isinstance(signed, dict):
                raise TrustError("the alert is not signed; this daemon airs only alerts "
                                 "signed with an emergency key (radiocli alert --key KEY)")
            alert = verify_alert(signed, self.config.trust, now=self.clock.now())
            signature = str(signed.get("signature"))
            with self.lock:
                if signature in self.seen_alerts:
                    raise TrustError("this signed alert was already received (a replay)")
                self.seen_alerts.add(signature)
            checked: dict[str, Any] = {
                "id": data.get("id"), "kind": "alert", "created": signed["issued_at"],
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
            self._note(self.clock.now(), reason)
            control.write_json_atomic(self.rundir.replies / f"alert-{data.get('id')}.json",
                                      {"ok": False, "stations": [], "reason": reason},
                                      fsync=False)
            try:
                self.rundir.rejected.mkdir(parents=True, exist_ok=True, mode=0o750)
                path.replace(self.rundir.rejected / path.name)
            except OSError as err:
                log.warning("cannot move %s to rejected: %s", path, err)
            return None

    def _remember_alerts(self, now: datetime) -> None:
        """Signatures of the signed alerts done in the last minutes: a copy put back in
        the spool is a replay."""
        try:
            done = list(self.rundir.done.glob("alert-*.json"))
        except OSError:
            return
        for path in done:
            try:
                if now.timestamp() - path.stat().st_mtime > 3600:
                    continue
            except OSError:
                continue
            signed = (control.read_json(path) or {}).get("signed")
            if isinstance(signed, dict) and signed.get("signature"):
                self.seen_alerts.add(str(signed["signature"]))

    def _render_alert(self, program: Program) -> list[AirPart]:
        from radiocli.render.programs import RenderSettings, render_program

        assert self.schedule is not None
        result = render_program(self.config.home.cache, self.schedule, program,
                                RenderSettings.from_schedule(self.schedule))
        if result.playlist is None:
            raise PlayoutError("the renderer returned no playlist")
        return [AirPart(p.kind, p.seconds, p.path, p.url, p.segments[0] if p.segments else i)
                for i, p in enumerate(result.playlist.parts)]

    def _alert_station_done(self, alert_id: str, code: str) -> None:
        entry = self.alerts.get(alert_id)
        if entry is None:
            return
        entry["pending"].discard(code)
        if not entry["pending"]:
            del self.alerts[alert_id]
            path: Path = entry["path"]
            try:
                path.replace(self.rundir.done / path.name)
            except OSError as exc:
                log.warning("cannot move %s to done: %s", path, exc)

    # --- status ---------------------------------------------------------------------------
    def _write_status(self, final: bool = False) -> None:
        now = self.clock.now()
        mono = self.clock.monotonic()
        if not final and mono - self.last_next >= 30 and self.schedule is not None:
            self.last_next = mono
            self._compute_next(now)
        rows = []
        with self.lock:
            for code, st in self.stations.items():
                air = st.air
                rows.append({
                    "station": code,
                    "on_air": None if air is None or final else {
                        "program": air.occ.program, "occurrence": air.occ.occurrence_id,
                        "priority": air.occ.priority.label,
                        "since": air.since.isoformat(timespec="seconds"),
                        "ends": (st.timeline.expected_finish() or now).isoformat(
                            timespec="seconds")},
                    "waiting": [o.occurrence_id for o in st.timeline.waiting],
                    "next": None if st.next_up is None else {
                        "program": st.next_up[0],
                        "at": st.next_up[1].isoformat(timespec="seconds")},
                    "errors": list(st.errors),
                })
        data = {"name": self.config.name, "updated": now.isoformat(timespec="seconds"),
                "running": not final, "sink": self.sink.kind,
                "started": self.started_at.isoformat(timespec="seconds")
                if self.started_at else None,
                "log_errors": list(self.log_errors), "stations": rows}
        try:
            control.write_json_atomic(self.rundir.status_file, data, fsync=False)
        except OSError as exc:
            self._log_error(f"status file: {exc}")

    def _compute_next(self, now: datetime) -> None:
        upcoming: list[tuple[datetime, str]] = []
        for pid, trigger in self.triggers.items():
            nxt = trigger.get_next_fire_time(None, now)
            if nxt is not None:
                upcoming.append((nxt, pid))
        upcoming.sort()
        assert self.schedule is not None
        best: dict[str, tuple[str, datetime]] = {}
        for nxt, pid in upcoming:
            program = self.schedule.programs.get(pid)
            if program is None:
                continue
            for code in self._targets(program, nxt.date()):
                if code in self.stations and code not in best:
                    best[code] = (pid, nxt)
            if len(best) == len(self.stations):
                break
        for code, st in self.stations.items():
            st.next_up = best.get(code)
