"""Running the system tools radiocli needs (espeak-ng, ffmpeg, ffprobe, amixer,
timedatectl, chronyc, the speech worker).

Every process radiocli starts goes through this module, but for the daemon's ffmpegs,
which live in a process group of their own (:class:`radiocli.play.children.ChildGroup`
says why), and pools of Python workers (which call :func:`die_with_parent` first):

- never a shell: every command is an argv list, a tool name is looked up on PATH and
  a missing tool raises :class:`~radiocli.errors.ToolMissing`, which says how to
  install it;
- every run has a timeout, and an error names the tool and what it was doing, as the
  error class the caller gives (``RenderError`` for render: see
  :mod:`radiocli.render.tools`, which also says a full disk as such);
- every child dies with its parent: on Linux it gets ``PR_SET_PDEATHSIG`` (SIGKILL) set
  between fork and exec, so a ``radiocli say`` or ``render`` killed with ``kill -9``
  leaves no espeak-ng, ffmpeg or speech worker behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO, Any

from radiocli.errors import RadioError, ToolMissing
from radiocli.i18n import _, os_reason

PACKAGES = {"espeak-ng": "espeak-ng", "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg",
            "amixer": "alsa-utils", "chronyc": "chrony", "timedatectl": "systemd"}
#: how many times each tool was started in this process (the benchmarks print it)
STARTS: Counter[str] = Counter()

_PR_SET_PDEATHSIG = 1


@cache
def which(tool: str) -> str:
    """The full path of ``tool``, or ToolMissing naming the package to install."""
    path = on_path(tool)
    if path is None:
        raise ToolMissing(tool, PACKAGES.get(tool, tool))
    return path


def on_path(tool: str) -> str | None:
    """The first executable file ``tool`` in the folders of PATH (as ``shutil.which``
    finds it, without importing shutil and the compression modules it loads: 1.5 ms of
    ``radiocli say``)."""
    for folder in os.get_exec_path():
        path = os.path.join(folder or os.curdir, tool)
        if os.access(path, os.X_OK) and os.path.isfile(path):
            return path
    return None


def _executable(argv: list[str]) -> list[str]:
    """argv with argv[0] resolved: a bare name is looked up on PATH, a path is kept."""
    first = str(argv[0])
    exe = first if os.sep in first else which(first)
    return [exe, *(str(a) for a in argv[1:])]


@cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl on Linux, loaded in the parent (never between fork and exec)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                         ctypes.c_ulong]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def watch_parent(parent: int, every: float = 0.2) -> None:
    """In a child: end this process as soon as ``parent`` is no longer its parent (it
    died, even by SIGKILL), from a daemon thread that checks every ``every`` seconds."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def die_with_parent(parent: int) -> None:
    """Make the calling process get SIGKILL when its parent dies (Linux); if the parent
    (pid ``parent``) is already gone, exit now. The initializer of worker pools."""
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _child_setup() -> Callable[[], None] | None:
    """The preexec_fn of every child: die with this process."""
    me = os.getpid()
    prctl = _prctl()
    if prctl is None:
        return None

    def setup() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != me:  # the parent died between fork and prctl
            os._exit(1)

    return setup


def run(
    argv: list[str],
    *,
    what: str,
    input: bytes | None = None,
    timeout: float = 600.0,
    check: bool = True,
    error: type[RadioError] = RadioError,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` (argv[0] a tool name or a path) and return what it printed (stdout
    and stderr apart, as bytes).

    ``error`` (a RadioError class) names ``what`` and the tool when it cannot start,
    does not finish within ``timeout`` seconds (its ``__cause__`` is then the
    ``subprocess.TimeoutExpired``) or (with ``check``) exits non-zero; ToolMissing when
    a tool name is not on PATH.
    """
    full = _executable(argv)
    tool = Path(str(argv[0])).name
    STARTS[tool] += 1
    try:
        proc = subprocess.run(full, input=input, capture_output=True, timeout=timeout,
                              check=False, preexec_fn=_child_setup())
    except subprocess.TimeoutExpired as exc:
        raise error(_("{what}: {tool} did not finish within {timeout:.0f} s").format(
            what=what, tool=tool, timeout=timeout)) from exc
    except OSError as exc:
        raise error(_("{what}: cannot run {tool}: {reason}").format(
            what=what, tool=tool, reason=os_reason(exc))) from exc
    if proc.returncode != 0 and check:
        raise error(_("{what}: {tool} failed: {failure}").format(
            what=what, tool=tool, failure=failure(proc)))
    return proc


def output(argv: list[str], *, what: str, timeout: float = 10.0) -> tuple[int, str]:
    """Ask a tool something: its exit status and what it printed (stdout then stderr,
    as text); 127 and why when it cannot run or does not answer within ``timeout``.
    For questions whose failure is an answer too (doctor's checks)."""
    try:
        proc = run(argv, what=what, timeout=timeout, check=False)
    except RadioError as exc:
        return 127, str(exc)
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")


def failure(proc: subprocess.CompletedProcess[bytes]) -> str:
    """Why a tool failed: the last line it printed, or the signal that killed it."""
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        if name == "SIGXFSZ":
            return _("killed by SIGXFSZ: the file size limit (ulimit -f) is reached")
        return _("killed by {signal}").format(signal=name)
    return last_line(proc.stderr)


def start(argv: list[str], *, what: str, stderr: IO[Any] | int | None = None,
          die_with_thread: bool = True, error: type[RadioError] = RadioError
          ) -> subprocess.Popen[bytes]:
    """Start a long-lived child with pipes on stdin and stdout.

    Linux sends the parent-death signal when the *thread* that started the child ends,
    not the process. A child that must outlive the thread that starts it (the speech
    worker, started by whichever thread renders first: the daemon's alert threads come
    and go) passes ``die_with_thread=False`` and watches its parent itself.
    """
    full = _executable(argv)
    STARTS[Path(str(argv[0])).name] += 1
    try:
        return subprocess.Popen(full, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr,
                                preexec_fn=_child_setup() if die_with_thread else None)
    except OSError as exc:
        raise error(_("{what}: cannot run {tool}: {reason}").format(
            what=what, tool=argv[0], reason=os_reason(exc))) from exc


def stop(proc: subprocess.Popen[bytes] | None, grace: float = 0.0) -> None:
    """End a child started with :func:`start`: close its stdin, wait ``grace`` seconds
    for it to exit, then kill it; its pipes are closed."""
    if proc is None:
        return
    if grace > 0 and proc.poll() is None and proc.stdin is not None:
        try:
            proc.stdin.close()
            proc.wait(timeout=grace)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def last_line(stderr: bytes | str | None) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else (stderr or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return _("no error message")
    if any("No space left on device" in line for line in lines):
        return _("no space left on device (free some disk space)")
    return lines[-1][:300]
