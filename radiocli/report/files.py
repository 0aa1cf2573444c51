"""Report files are written whole or not at all: into a temporary file beside the
target, then renamed over it, so a full disk or a crash never leaves half a report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from radiocli.errors import RadioError


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Make ``path`` by calling ``write(tmp)`` then renaming; RadioError says why not."""
    path = Path(path)
    if path.is_dir():
        raise RadioError(f"{path}: is a folder; name the file to write")
    try:
        fd, name = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                                    prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise RadioError(f"{path}: cannot write the report there: {exc.strerror} "
                         "(check that the folder exists and is writable)") from exc
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise RadioError(f"{path}: cannot write the report: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding=encoding, newline="")

    write_atomically(path, write)
