"""Report files are written whole or not at all: into a temporary file beside the
target, then renamed over it, so a full disk or a crash never leaves half a report."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from radiocli import fileio
from radiocli.errors import RadioError
from radiocli.i18n import _, os_reason


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Make ``path`` by calling ``write(tmp)`` then renaming (0644, durable when this
    returns: :func:`radiocli.fileio.write_atomic`); RadioError says why not."""
    path = Path(path)
    if path.is_dir():
        raise RadioError(_("{path}: is a folder; name the file to write").format(path=path))
    try:
        fileio.write_atomic(path, write, mode=0o644, sync=fileio.Sync.FULL)
    except OSError as exc:
        if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
            raise RadioError(_("{path}: cannot write the report there: {reason} (check that "
                               "the folder exists and is writable)").format(
                path=path, reason=os_reason(exc))) from exc
        raise RadioError(_("{path}: cannot write the report: {reason}").format(
            path=path, reason=os_reason(exc))) from exc


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding=encoding, newline="")

    write_atomically(path, write)
