"""Running the system tools radiocli needs (espeak-ng, ffmpeg, piper, the speech worker).

Every process the render package starts goes through this module:

- never a shell: every command is an argv list, a tool name is looked up on PATH and
  a missing tool raises :class:`~radiocli.errors.ToolMissing`, which says how to
  install it;
- every run has a timeout, and an error names the tool and what it was doing;
- every child dies with its parent: on Linux it gets ``PR_SET_PDEATHSIG`` (SIGKILL) set
  between fork and exec, so a ``radiocli say`` or ``render`` killed with ``kill -9``
  leaves no espeak-ng, ffmpeg or speech worker behind;
- a full disk is said as such (``disk full: PATH``), never as a failure of the tool
  that happened to be writing.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO, Any

from radiocli.errors import RenderError, ToolMissing
from radiocli.i18n import _, os_reason

PACKAGES = {"espeak-ng": "espeak-ng", "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg"}
#: how many times each tool was started in this process (the benchmarks print it)
STARTS: Counter[str] = Counter()

_PR_SET_PDEATHSIG = 1
_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFull(RenderError):
    """A file could not be written because the disk (or the file size limit) is full."""

    def __init__(self, path: Path | str, reason: str = "") -> None:
        self.path = str(path)
        self.reason = reason or _("free some space and run again")
        super().__init__(_("disk full: {path} ({reason})").format(path=path, reason=self.reason))

    def __reduce__(self) -> tuple[type[DiskFull], tuple[str, str]]:  # from worker processes
        return (DiskFull, (self.path, self.reason))


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
    writes: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` (argv[0] a tool name or a path) and return what it printed.

    RenderError names ``what`` and the tool when it cannot start, does not finish within
    ``timeout`` seconds or (with ``check``) exits non-zero. ``writes``: the file the tool
    writes; when the tool fails and that folder cannot take more data, DiskFull.
    """
    full = _executable(argv)
    tool = Path(str(argv[0])).name
    STARTS[tool] += 1
    try:
        proc = subprocess.run(full, input=input, capture_output=True, timeout=timeout,
                              check=False, preexec_fn=_child_setup())
    except subprocess.TimeoutExpired as exc:
        _disk_check(writes)
        raise RenderError(_("{what}: {tool} did not finish within {timeout:.0f} s").format(
            what=what, tool=tool, timeout=timeout)) from exc
    except OSError as exc:
        raise RenderError(_("{what}: cannot run {tool}: {reason}").format(
            what=what, tool=tool, reason=os_reason(exc))) from exc
    if proc.returncode != 0 and check:
        _disk_check(writes, proc.stderr)
        raise RenderError(_("{what}: {tool} failed: {failure}").format(
            what=what, tool=tool, failure=failure(proc)))
    return proc


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
          die_with_thread: bool = True) -> subprocess.Popen[bytes]:
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
        raise RenderError(_("{what}: cannot run {tool}: {reason}").format(
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


def disk_error(exc: OSError, what: str, path: Path | str | None = None) -> RenderError:
    """An OSError while writing, as a RenderError that says what to do."""
    where = path or exc.filename or what
    if exc.errno in _FULL:
        return DiskFull(where)
    if exc.errno == errno.EFBIG:
        return DiskFull(where, _("the file size limit (ulimit -f) is reached"))
    if exc.errno == errno.EROFS:
        return RenderError(_("{what}: read-only file system: {where}").format(
            what=what, where=where))
    if exc.errno in (errno.EACCES, errno.EPERM):
        return RenderError(_("{what}: permission denied: {where}").format(what=what,
                                                                           where=where))
    return RenderError(f"{what}: {os_reason(exc)}")


def fsize_limit() -> int | None:
    """The largest file this process may write (RLIMIT_FSIZE), None when unlimited."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def room_problem(folder: Path, size: int) -> OSError | None:
    """Why a new file of ``size`` bytes cannot fit in ``folder`` (the file size limit, the
    free space), found without writing; None when it fits (or cannot be told)."""
    limit = fsize_limit()
    if limit is not None and size > limit:
        return OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(folder))
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    free = (st.f_bfree if os.geteuid() == 0 else st.f_bavail) * st.f_frsize
    if free < size:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder))
    return None


def write_problem(folder: Path, size: int = 1 << 16, written: Path | None = None
                  ) -> OSError | None:
    """Why ``folder`` cannot take ``size`` more bytes now (a full disk, a size limit, a
    read-only file system), or None when it can. ``written``: a file that came out
    short; cut at the file size limit, that is the reason."""
    limit = fsize_limit()
    try:
        if written is not None and limit is not None and written.stat().st_size >= limit:
            return OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(written))
    except OSError:
        pass
    problem = room_problem(folder, size)
    if problem is not None:
        return problem
    try:
        import tempfile

        fd, name = tempfile.mkstemp(dir=folder, prefix=".tmp-probe-")
    except OSError as exc:
        return exc
    try:
        data = memoryview(bytes(size))
        while data:  # a short write is followed by the error that explains it
            count = os.write(fd, data)
            if count <= 0:
                return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
            data = data[count:]
        os.fsync(fd)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
        try:
            os.unlink(name)
        except OSError:
            pass
    return None


def _disk_check(writes: Path | None, stderr: bytes | None = None) -> None:
    """Raise DiskFull when a failed tool was writing into a folder that is full."""
    if writes is None:
        return
    text = (stderr or b"").decode("utf-8", "replace")
    if "No space left on device" in text:
        raise DiskFull(writes)
    if "File too large" in text:
        raise DiskFull(writes, _("the file size limit (ulimit -f) is reached"))
    problem = write_problem(writes.parent, written=writes)
    if problem is not None and problem.errno in (*_FULL, errno.EFBIG):
        raise disk_error(problem, "writing", writes)


def check_disk(path: Path) -> None:
    """DiskFull when the folder of ``path`` cannot take more data (after a failure)."""
    _disk_check(path)


def play_file(path: Path, device: str = "default") -> None:
    """Play an audio file on an ALSA device with ffmpeg (it fails loudly without one,
    unlike ffplay, which exits 0 when it cannot open audio)."""
    run(["ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-i", str(path), "-f", "alsa",
         device], what="cannot play (is there an audio device? write a file with -o instead)",
        timeout=3600)
