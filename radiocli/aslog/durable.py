"""Durable files: the small steps that make a write survive a crash or a power cut.

Used by the as-run log writer (append, fsync, set torn bytes aside) and by the collect
store (write new files, sync, publish with one atomic rename).
"""

from __future__ import annotations

import os
from pathlib import Path


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write fewer)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def fsync_dir(folder: Path | str) -> None:
    """Make a folder's entries (names created, renamed or removed in it) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_filesystem(root: Path | str) -> None:
    """Make everything written on the file system holding ``root`` durable: one
    ``syncfs()`` instead of thousands of ``fsync()`` calls (Linux); elsewhere
    ``os.sync()``. Raises OSError when it cannot be opened."""
    fd = os.open(root, os.O_RDONLY)
    try:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.syncfs(fd) == 0:
                return
        except (OSError, AttributeError):
            pass
        os.sync()
    finally:
        os.close(fd)


def write_new(path: Path, data: bytes, mode: int = 0o640) -> None:
    """Write a file that must not exist yet, and fsync it (not its folder)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, data: bytes, mode: int = 0o640) -> None:
    """Replace ``path`` with ``data`` atomically: a reader sees the old bytes or the new
    ones, never a mix, and after a crash one of the two is there, whole."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    write_new(tmp, data, mode)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def replace_symlink(link: Path, target: str) -> None:
    """Point the symbolic link ``link`` at ``target`` atomically (a new link renamed
    over the old one), durably."""
    tmp = link.with_name(f".{link.name}.new-{os.getpid()}")
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def make_dirs(folder: Path, mode: int = 0o750) -> None:
    """Create ``folder`` and missing parents with ``mode`` (``Path.mkdir(parents=True)``
    gives parents the default mode)."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe == probe.parent:
            break
        probe = probe.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            pass
