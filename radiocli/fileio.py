"""Writing files so that a reader, a crash or a full disk never sees half of one.

Every file radiocli replaces while others may read it (a reply, ``status.json``, the
approved copy's ``current.json``, a report, a bundle, a cache entry) is written by
:func:`write_atomic`: a temporary file in the same folder (``.tmp-<random><suffix>``,
created with ``O_EXCL``, its mode set with ``fchmod`` whatever the umask), the data,
then a rename over the old file. A reader sees the old file or the new one, whole; a
failure leaves the old one as it was and removes the temporary file.

How far the write is forced to the disk is said at every call (:class:`Sync`):

- ``Sync.FULL`` (the default): the data is fsynced before the rename and the folder
  after it; once the call returns, the new file survives a power cut.
- ``Sync.DATA``: the data is fsynced before the rename, the folder is not: after a
  power cut the file is the old one or the new one, whole, never an empty file under
  the new name (a cache entry that can be made again).
- ``Sync.NONE``: nothing is forced: a file rewritten every second (``status.json``) or
  a reply a command waits for; a power cut may lose it.

:func:`write_new` writes a file that must not exist yet (a key, a copied file, torn
bytes set aside); :func:`staged_folder` makes a folder whole and renames it into place
(a rendered program, an approved copy). A write that fails raises :class:`WriteError`,
which is both an ``OSError`` (with its ``errno``) and a ``RadioError`` whose message
names the file and says what to do (``disk full: PATH``).

The as-run log's appends (:mod:`radiocli.aslog.durable`) and the collect store's
publication (one SQLite commit, files moved from ``.incoming``) are not replace-writes
and keep their own steps; they use :func:`fsync_dir` and :func:`make_folder` from here.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from radiocli.errors import RadioError
from radiocli.i18n import _, os_reason

FILE_MODE = 0o640  # owner and group: the house rule for what radiocli keeps
DIR_MODE = 0o750
TEMP_PREFIX = ".tmp-"  # readers skip names starting with a dot; the cache skips these
_FULL = (errno.ENOSPC, errno.EDQUOT)
# a file system that cannot fsync a folder says so with these: nothing more can be done
_NO_DIR_SYNC = (errno.EINVAL, errno.ENOTSUP, errno.EBADF)

#: what :func:`write_atomic` and :func:`write_new` write: bytes, text (UTF-8), or a
#: function that writes the file at the path it is given (a tool, ``wave``, openpyxl)
Data = bytes | str | Callable[[Path], object]


class Sync(enum.Enum):
    """How far a write is forced to the disk before the call returns."""

    NONE = "none"  # renamed whole, nothing forced: a power cut may lose it
    DATA = "data"  # the bytes before the name: old or new after a power cut, never empty
    FULL = "full"  # the bytes, then the name: the new file survives a power cut


class WriteError(RadioError, OSError):
    """A file could not be written: an ``OSError`` (``errno``, ``filename``) whose
    message names the file and says what to do."""

    def __init__(self, errno_: int | None, strerror: str, filename: str, message: str
                 ) -> None:
        OSError.__init__(self, errno_, strerror, filename)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[WriteError], tuple[int | None, str, str, str]]:
        return (WriteError, (self.errno, self.strerror or "", str(self.filename), self.message))


def write_error(exc: OSError, path: Path | str) -> WriteError:
    """``exc`` (raised while ``path`` was written) as a WriteError that says what to do."""
    if isinstance(exc, WriteError):
        return exc
    if exc.errno in _FULL:
        message = _("disk full: {path} ({reason})").format(
            path=path, reason=_("free some space and run again"))
    elif exc.errno == errno.EFBIG:
        message = _("disk full: {path} ({reason})").format(
            path=path, reason=_("the file size limit (ulimit -f) is reached"))
    else:
        message = _("{path}: cannot write the file: {reason}").format(
            path=path, reason=os_reason(exc))
    return WriteError(exc.errno, exc.strerror or str(exc), str(path), message)


def write_atomic(path: Path | str, data: Data, *, mode: int = FILE_MODE,
                 sync: Sync = Sync.FULL) -> None:
    """Replace ``path`` with ``data``: readers see the old file or the new one, whole.

    The temporary file is made beside ``path`` (the folder must exist: see
    :func:`make_folder`) with ``mode`` whatever the umask, and keeps ``path``'s suffix
    (a tool that ``data`` runs may pick its format from it). ``sync``: see
    :class:`Sync`. On any failure before the rename the temporary file is removed and
    ``path`` is left as it was (a folder that cannot be fsynced after it leaves the new
    file in place, not durable); an OSError becomes a :class:`WriteError`, other
    exceptions (from ``data``) pass unchanged.
    """
    path = Path(path)
    try:
        fd, tmp = _temporary(path.parent, path.suffix)
    except OSError as exc:
        raise write_error(exc, path) from exc
    try:
        _fill(fd, tmp, data, mode, sync)
        os.replace(tmp, path)
        if sync is Sync.FULL:
            fsync_dir(path.parent)
    except OSError as exc:
        _remove(tmp)
        raise write_error(exc, path) from exc
    except BaseException:
        _remove(tmp)
        raise


def write_new(path: Path | str, data: Data, *, mode: int = FILE_MODE,
              sync: Sync = Sync.FULL) -> None:
    """Create ``path``, which must not exist (a WriteError with ``errno.EEXIST`` when it
    does, a link included), with ``mode`` whatever the umask. On a failure the partial
    file is removed; ``sync`` as for :func:`write_atomic`."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except OSError as exc:
        raise write_error(exc, path) from exc
    try:
        _fill(fd, path, data, mode, sync)
        if sync is Sync.FULL:
            fsync_dir(path.parent)
    except OSError as exc:
        _remove(path)
        raise write_error(exc, path) from exc
    except BaseException:
        _remove(path)
        raise


def _fill(fd: int, path: Path, data: Data, mode: int, sync: Sync) -> None:
    """Write ``data`` into the new file ``path`` open on ``fd`` (closed here), set its
    mode and fsync it unless ``sync`` is NONE."""
    if isinstance(data, (bytes, str)):
        try:
            os.fchmod(fd, mode)
            write_all(fd, data.encode("utf-8") if isinstance(data, str) else data)
            if sync is not Sync.NONE:
                os.fsync(fd)
        finally:
            os.close(fd)
        return
    os.close(fd)
    data(path)
    os.chmod(path, mode)  # after the writer, which may have made the file again
    if sync is not Sync.NONE:
        fsync_file(path)


def _temporary(folder: Path, suffix: str) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for _attempt in range(100):
        tmp = folder / f"{TEMP_PREFIX}{os.urandom(6).hex()}{suffix}"
        try:
            return os.open(tmp, flags, 0o600), tmp  # its mode is set once written
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name in {folder}", str(folder))


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def fsync_file(path: Path | str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path | str) -> None:
    """Make a folder's entries (names created, renamed or removed in it) durable. A file
    system that cannot sync a folder (EINVAL) is left as it is."""
    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_SYNC:
            raise
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """fsync every file and folder under ``folder``, ``folder`` last."""
    for path in folder.iterdir():
        st = path.lstat()
        if stat.S_ISDIR(st.st_mode):
            fsync_tree(path)
        elif stat.S_ISREG(st.st_mode):
            fsync_file(path)
    fsync_dir(folder)


def make_folder(folder: Path | str, mode: int = DIR_MODE, *, narrow: bool = False) -> None:
    """``folder`` and its missing parents, each made with ``mode`` whatever the umask.
    ``narrow``: an existing ``folder`` with another mode (an older version made it
    0755) is set to ``mode`` too (a link is left alone)."""
    folder = Path(folder)
    missing = []
    for path in (folder, *folder.parents):
        if path.is_dir():
            break
        missing.append(path)
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=mode)
            os.chmod(path, mode)
    if narrow:
        with contextlib.suppress(FileNotFoundError):
            st = folder.lstat()
            if stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) != mode:
                os.chmod(folder, mode)


@contextlib.contextmanager
def staged_folder(final: Path, *, mode: int = DIR_MODE, replace: bool = False,
                  sync: Sync = Sync.FULL) -> Iterator[Path]:
    """A new folder beside ``final`` (``mode`` whatever the umask) to fill in the
    ``with`` block; when the block ends it becomes ``final`` by one rename, after
    everything in it was fsynced (``sync`` NONE: nothing is). On a failure it is
    removed and ``final`` is left as it was.

    ``replace``: an existing ``final`` is removed first (the rename cannot go over a
    full folder); otherwise a ``final`` made meanwhile by another process (the same
    content, by its name) is kept and the staged copy dropped.
    """
    import shutil

    tmp = final.parent / f"{TEMP_PREFIX}{os.urandom(6).hex()}"
    try:
        tmp.mkdir(mode=mode)
        os.chmod(tmp, mode)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.rmdir()
        raise write_error(exc, final) from exc
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        if sync is not Sync.NONE:
            fsync_tree(tmp)
        if replace and final.exists():
            shutil.rmtree(final)
        try:
            os.rename(tmp, final)
        except OSError:
            if replace or not final.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # the same content, made meanwhile
        if sync is Sync.FULL:
            fsync_dir(final.parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_error(exc, final) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
