"""The station registry, kept between runs in a cache folder, for commands that need only
the registry (``report summary``): reading every schedule file costs more than the
report's query.

The cache holds what the registry is made of (``Registry.to_data``: the base units, the
districts, the changes), under a SHA-256 of the radiocli version and of the path and
content of every schedule file the loader would read. Any change to any schedule file
(not only the registry's) makes a new key, and the loader reads the folder again. A
folder holding what the loader refuses or treats specially (a link, a FIFO, more files
or folders than a schedules folder has) is never cached: the loader reads it and says
what is wrong. A cache file that cannot be read is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from radiocli.schedule.registry import Registry

FORMAT = 1
MAX_FILES = 5000  # as radiocli.schedule.load: past these the loader refuses the folder
MAX_FOLDERS = 2000
MAX_DEPTH = 8


def schedule_digest(root: Path) -> str | None:
    """SHA-256 of the relative path and the bytes of every *.yaml / *.yml under
    ``root``, in the loader's order; None when the folder must be read by the loader
    (missing, a link or special file in it, too large)."""
    from radiocli import __version__

    digest = hashlib.sha256(f"radiocli {__version__} registry {FORMAT}\n".encode())
    try:
        if root.is_file():
            if not stat.S_ISREG(os.lstat(root).st_mode):
                return None
            digest.update(b"file\0" + root.read_bytes())
            return digest.hexdigest()
        if not root.is_dir():
            return None
        base_depth = len(root.parts)
        folders = files = 0
        for dirpath, dirnames, filenames in os.walk(root):
            folders += 1
            if folders > MAX_FOLDERS or len(Path(dirpath).parts) - base_depth > MAX_DEPTH:
                return None
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in dirnames:
                if not stat.S_ISDIR(os.lstat(os.path.join(dirpath, name)).st_mode):
                    return None  # a link to a folder
            for name in sorted(filenames):
                if not name.endswith((".yaml", ".yml")) or name.startswith("."):
                    continue
                path = os.path.join(dirpath, name)
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    return None  # a link, a FIFO, ...
                files += 1
                if files > MAX_FILES:
                    return None
                with open(path, "rb") as fh:
                    data = fh.read()
                relative = os.path.relpath(path, root)
                digest.update(f"{relative}\0{len(data)}\0".encode())
                digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def cached_registry(root: Path, cache_dir: Path, read: Callable[[], Registry]) -> Registry:
    """The registry of the schedules folder ``root``: from ``cache_dir`` when no schedule
    file changed since it was kept there, else ``read()`` (which reads the folder and
    raises as it does), kept for the next time."""
    key = schedule_digest(root)
    if key is None:
        return read()
    path = cache_dir / f"{key}.json"
    try:
        return Registry.from_data(json.loads(path.read_bytes()))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass  # a damaged cache file: made again below
    registry = read()
    _keep(path, registry)
    return registry


def _keep(path: Path, registry: Registry) -> None:
    """Write the cache file whole (a temporary file renamed into place) and remove the
    ones of earlier keys; a cache that cannot be written only costs time."""
    from radiocli.fileio import Sync, make_folder, write_atomic

    try:
        make_folder(path.parent)
        write_atomic(path, json.dumps(registry.to_data(), ensure_ascii=False).encode("utf-8"),
                     sync=Sync.NONE)  # a cache: made again when lost
        for old in path.parent.glob("*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
