"""Finding and running the system tools radiocli needs (espeak-ng, ffmpeg, piper).

Never a shell: every command is an argv list. A missing tool raises
:class:`~radiocli.errors.ToolMissing`, which says how to install it.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
from pathlib import Path
from functools import cache

from radiocli.errors import RenderError, ToolMissing

PACKAGES = {"espeak-ng": "espeak-ng", "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg"}


@cache
def which(tool: str) -> str:
    """The full path of ``tool``, or ToolMissing naming the package to install."""
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(tool, PACKAGES.get(tool, tool))
    return path


def run(
    argv: list[str],
    *,
    what: str,
    input: bytes | None = None,
    timeout: float = 600.0,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` (argv[0] a tool name), raising RenderError naming ``what`` on failure."""
    exe = which(argv[0])
    try:
        proc = subprocess.run(
            [exe, *argv[1:]],
            input=input,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"{what}: {argv[0]} did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise RenderError(f"{what}: cannot run {argv[0]}: {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        raise RenderError(f"{what}: {argv[0]} failed: {last_line(proc.stderr)}")
    return proc


def last_line(stderr: bytes | str | None) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else (stderr or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no error message"
    if any("No space left on device" in line for line in lines):
        return "no space left on device (free some disk space)"
    return lines[-1][:300]


def disk_error(exc: OSError, what: str) -> RenderError:
    """An OSError while writing, as a RenderError that says what to do."""
    if exc.errno == errno.ENOSPC:
        return RenderError(f"{what}: the disk is full (free some space and run again)")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return RenderError(f"{what}: permission denied: {exc.filename or ''}".rstrip(": "))
    return RenderError(f"{what}: {exc.strerror or exc}")


def play_file(path: Path, device: str = "default") -> None:
    """Play an audio file on an ALSA device with ffmpeg (it fails loudly without one,
    unlike ffplay, which exits 0 when it cannot open audio)."""
    run(["ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-i", str(path), "-f", "alsa",
         device], what="cannot play (is there an audio device? write a file with -o instead)")
