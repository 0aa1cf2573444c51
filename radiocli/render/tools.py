"""The tools of render (espeak-ng, ffmpeg, piper, the speech worker), run by
:mod:`radiocli.tools` (argv only, timeouts, errors naming the tool, children dying with
their parent), with what render adds:

- an error is a :class:`~radiocli.errors.RenderError`;
- a full disk is said as such (``disk full: PATH``), never as a failure of the tool
  that happened to be writing.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path
from typing import IO, Any

from radiocli import tools as _tools
from radiocli.errors import RenderError
from radiocli.i18n import _, os_reason
from radiocli.tools import (  # noqa: F401 - render's callers and tests use these names
    PACKAGES,
    STARTS,
    die_with_parent,
    failure,
    last_line,
    on_path,
    stop,
    watch_parent,
    which,
)

_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFull(RenderError):
    """A file could not be written because the disk (or the file size limit) is full."""

    def __init__(self, path: Path | str, reason: str = "") -> None:
        self.path = str(path)
        self.reason = reason or _("free some space and run again")
        super().__init__(_("disk full: {path} ({reason})").format(path=path, reason=self.reason))

    def __reduce__(self) -> tuple[type[DiskFull], tuple[str, str]]:  # from worker processes
        return (DiskFull, (self.path, self.reason))


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
    try:
        proc = _tools.run(argv, what=what, input=input, timeout=timeout, check=False,
                          error=RenderError)
    except RenderError as exc:
        if isinstance(exc.__cause__, subprocess.TimeoutExpired):
            _disk_check(writes)
        raise
    if proc.returncode != 0 and check:
        _disk_check(writes, proc.stderr)
        raise RenderError(_("{what}: {tool} failed: {failure}").format(
            what=what, tool=Path(str(argv[0])).name, failure=failure(proc)))
    return proc


def start(argv: list[str], *, what: str, stderr: IO[Any] | int | None = None,
          die_with_thread: bool = True) -> subprocess.Popen[bytes]:
    """A long-lived child (:func:`radiocli.tools.start`); RenderError when it cannot
    start."""
    return _tools.start(argv, what=what, stderr=stderr, die_with_thread=die_with_thread,
                        error=RenderError)


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
