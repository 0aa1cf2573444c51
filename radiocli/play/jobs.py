"""The jobs: one APScheduler job per program, on the daemon's clock.

Each program's trigger (the same object ``plan`` and ``simulate`` walk) becomes a job
``program:<id>`` in a memory job store. APScheduler decides when a job is due, coalesces
what a stall left behind and applies the misfire grace (from ``job_defaults``: the
constructor's own ``misfire_grace_time`` is silently ignored). The job itself only
names its program: the listener that hears it ran (or missed) collects the program and
its scheduled run time, and when APScheduler's round is over, every slot due in it
goes to the station desk at once, in arrival order (time, highest priority, id), so
the order APScheduler happens to run same-instant jobs in never decides what airs
first. Nothing in a job blocks.

The scheduler (:class:`ClockScheduler`) runs APScheduler's own job processing, but on
the daemon's :class:`~radiocli.play.clock.Clock`: live, a rehearsal (``run --clock``)
and the tests' fake clock go through the same code. APScheduler 3 reads the time with
``datetime.now()`` in two of its modules; while this scheduler processes jobs, that
read answers with its clock (a context variable; anything else in the process still
reads the machine's clock), as APScheduler's own test suite freezes time.

A fire time is acted on only when it is not stale: the first run of a job is its
first fire time from now (a ``once:`` date in the past never becomes a job), and a
slot missed beyond the grace is logged missed only on its own day.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.debug import DebugExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger

from radiocli import TZ
from radiocli.i18n import N_, _
from radiocli.plan.triggers import program_trigger
from radiocli.play.clock import Clock
from radiocli.play.kinds import Fire
from radiocli.schedule.model import Program

log = logging.getLogger("radiocli.play")

LOOKBACK = timedelta(seconds=2)  # a reload in the very second a slot comes keeps it
LONGEST_WAIT_S = 60.0  # the scheduler thread looks at least this often
WALK_LIMIT = 10_000

_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar(
    "radiocli_scheduler_clock", default=None)


class _ClockTime(datetime):
    """What ``datetime`` means inside APScheduler's scheduler and executor modules:
    ``now()`` reads the clock of the scheduler that is processing jobs, if any."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        clock = _clock.get()
        if clock is None:
            return datetime.now(tz)
        now = clock.now()
        return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)


# APScheduler's warnings, as the daemon's log shows them: (its format, our message, the
# names of its arguments); the job is named by its program
_SCHEDULER_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    'Run time of job "%s" was missed by %s':
        (N_('Run time of job "{job}" was missed by {late}'), ("job", "late")),
    'Execution of job "%s" skipped: maximum number of running instances reached (%d)':
        (N_('Execution of job "{job}" skipped: maximum number of running instances '
            "reached ({n})"), ("job", "n")),
    'Job "%s" raised an exception': (N_('Job "{job}" raised an exception'), ("job",)),
    'Error running job %s': (N_("Error running job {job}"), ("job",)),
}


class SchedulerWords(logging.Filter):
    """Puts APScheduler's warnings (a job that ran late) in the daemon's language."""

    def filter(self, record: logging.LogRecord) -> bool:
        found = _SCHEDULER_WORDS.get(record.msg) if isinstance(record.msg, str) else None
        args = record.args if isinstance(record.args, tuple) else ()
        if found is not None and len(args) == len(found[1]):
            values = {name: getattr(value, "name", value) if name == "job" else value
                      for name, value in zip(found[1], args, strict=True)}
            record.msg, record.args = _(found[0]).format(**values), ()
        return True


def _route_apscheduler_time() -> None:
    import apscheduler.executors.base as executors
    import apscheduler.schedulers.base as schedulers

    for module in (schedulers, executors):
        if getattr(module, "datetime", None) is not _ClockTime:
            module.datetime = _ClockTime


@contextlib.contextmanager
def on(clock: Clock) -> Iterator[None]:
    """APScheduler reads ``clock`` inside this block (this thread only)."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


class ClockScheduler(BaseScheduler):
    """An APScheduler scheduler whose loop is :meth:`run_due`: called by the scheduler
    thread (:meth:`Jobs.run`) or, without threads, by the supervisor's tick, like
    ``BlockingScheduler`` calls it from its main loop."""

    def __init__(self, clock: Clock, **options: Any) -> None:
        _route_apscheduler_time()
        self.clock = clock
        self.woken = threading.Event()
        super().__init__(**options)

    def start(self, paused: bool = False) -> None:
        with on(self.clock):
            super().start(paused)

    def add_job(self, *args: Any, **kwargs: Any) -> Any:
        with on(self.clock):
            return super().add_job(*args, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)
        self.woken.set()

    def wakeup(self) -> None:
        self.woken.set()

    def run_due(self) -> float | None:
        """Run the jobs that are due now; seconds until the next one (None: none)."""
        self.woken.clear()
        with on(self.clock):
            wait: float | None = self._process_jobs()
        return wait


def first_fire(trigger: BaseTrigger, since: datetime) -> datetime | None:
    """The trigger's first fire time at or after ``since`` (``DateTrigger`` returns its
    date whatever "now" is: a date in the past is walked past, never returned)."""
    fire = trigger.get_next_fire_time(None, since)
    for _attempt in range(WALK_LIMIT):
        if fire is None or fire >= since:
            return fire
        fire = trigger.get_next_fire_time(fire, since)
    return None


def _slot(program_id: str) -> str:
    """The job: it names its program (the listener hears when it ran)."""
    return program_id


class Jobs:
    """One job per program that reaches the daemon's stations; ``deliver`` receives
    the slots of each round."""

    def __init__(self, clock: Clock, *, misfire_grace: float,
                 deliver: Callable[[list[Fire]], None]) -> None:
        self.clock = clock
        self.misfire_grace = misfire_grace
        self.deliver = deliver
        self.triggers: dict[str, BaseTrigger] = {}
        self._rank: dict[str, int] = {}  # program id -> priority
        self._round: list[Fire] = []
        self.scheduler = ClockScheduler(
            clock, timezone=TZ,
            jobstores={"default": MemoryJobStore()},
            executors={"default": DebugExecutor()},
            # constructor kwargs like misfire_grace_time= are silently ignored: job_defaults
            job_defaults={"misfire_grace_time": int(misfire_grace), "coalesce": True,
                          "max_instances": 1})
        self.scheduler.add_listener(self._heard, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def install(self, programs: Mapping[str, Program], holidays: frozenset[date]) -> None:
        """These programs' triggers become the jobs (replacing the previous ones)."""
        self.triggers = {pid: program_trigger(program, holidays)
                         for pid, program in programs.items()}
        self._rank = {pid: int(program.priority) for pid, program in programs.items()}
        self._sync()

    def _sync(self) -> None:
        wanted = {f"program:{pid}": pid for pid in self.triggers}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        since = self.clock.now() - LOOKBACK
        for job_id, pid in wanted.items():
            first = first_fire(self.triggers[pid], since)
            if first is None:
                if self.scheduler.get_job(job_id) is not None:
                    self.scheduler.remove_job(job_id)
                continue
            self.scheduler.add_job(_slot, self.triggers[pid], args=[pid], id=job_id,
                                   name=pid, replace_existing=True, next_run_time=first)

    def start(self) -> None:
        self.scheduler.start()

    def run_due(self) -> float | None:
        """Run APScheduler's round now and hand the slots due in it to ``deliver``;
        returns the seconds until the next job from now (None: no job)."""
        self._round = []
        wait = self.scheduler.run_due()
        counted = self.clock.monotonic()
        fires, self._round = self._round, []
        if fires:
            today = self.clock.now().astimezone(TZ).date()
            kept = []
            for fire in fires:
                if fire.missed and fire.scheduled.astimezone(TZ).date() < today:
                    log.warning(_("program {program}: the slot of {slot} is of an earlier "
                                  "day; it is not logged").format(
                        program=fire.program, slot=fire.scheduled.isoformat()))
                    continue
                kept.append(fire)
            kept.sort(key=lambda f: (f.scheduled, -self._rank.get(f.program, 0), f.program))
            self.deliver(kept)
            if wait is not None:  # APScheduler counted it before the slots were handed on
                wait = max(wait - (self.clock.monotonic() - counted), 0.0)
        return wait

    def _heard(self, event: JobExecutionEvent) -> None:
        pid = event.job_id.removeprefix("program:")  # our own job ids: program:<id>
        self._round.append(Fire(pid, event.scheduled_run_time.astimezone(TZ),
                                missed=event.code == EVENT_JOB_MISSED))

    def upcoming(self, now: datetime, until: datetime | None = None, per_program: int = 1
                 ) -> list[tuple[datetime, str]]:
        """Each program's next ``per_program`` slots from ``now`` (before ``until``), in
        time order."""
        out = []
        for pid, trigger in self.triggers.items():
            nxt = first_fire(trigger, now)
            for _n in range(per_program):
                if nxt is None or (until is not None and nxt > until):
                    break
                out.append((nxt, pid))
                nxt = first_fire(trigger, nxt + timedelta(microseconds=1))
        out.sort()
        return out

    # --- the scheduler thread ------------------------------------------------------------
    def run(self) -> None:
        """The scheduler thread's loop: run what is due, sleep until the next job (or a
        wake-up: a job added, the wall clock jumped)."""
        while not self._stopped.is_set():
            try:
                wait = self.run_due()
            except Exception:  # noqa: BLE001 - the scheduler thread must survive
                log.exception("scheduler")
                wait = 1.0
            if self._stopped.is_set():
                return
            timeout = LONGEST_WAIT_S if wait is None else min(wait, LONGEST_WAIT_S)
            self.clock.wait(self.scheduler.woken, timeout)

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self.run, name="scheduler", daemon=True)
        self._thread.start()

    def wakeup(self) -> None:
        self.scheduler.wakeup()

    def shutdown(self) -> None:
        self._stopped.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None
