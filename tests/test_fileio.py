"""The one module for writing files (radiocli.fileio): modes whatever the umask, nothing
left behind after a failure, the old file intact, and fsync calls as each Sync level
says; and a static check that no other module replace-writes on its own."""

from __future__ import annotations

import ast
import errno
import os
import pickle
import stat
from pathlib import Path

import pytest

from radiocli import fileio
from radiocli.errors import RadioError
from radiocli.fileio import Sync, WriteError

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def umask():
    """Run with a umask, restored afterwards."""
    old = os.umask(0o022)
    os.umask(old)

    def set_umask(value: int) -> None:
        os.umask(value)

    yield set_umask
    os.umask(old)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
@pytest.mark.parametrize("wanted", [0o600, 0o640, 0o644])
def test_the_mode_is_the_one_asked_whatever_the_umask(tmp_path, umask, mask, wanted):
    umask(mask)
    for n, data in enumerate((b"bytes", "text", lambda p: p.write_bytes(b"tool"))):
        target = tmp_path / f"a{n}.json"
        fileio.write_atomic(target, data, mode=wanted)
        assert mode(target) == wanted
        fileio.write_atomic(target, data, mode=wanted)  # over an existing file too
        assert mode(target) == wanted
        new = tmp_path / f"new{n}"
        fileio.write_new(new, data, mode=wanted)
        assert mode(new) == wanted


def test_folders_get_their_mode_whatever_the_umask(tmp_path, umask):
    umask(0o077)
    deep = tmp_path / "a" / "b" / "c"
    fileio.make_folder(deep)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", deep):
        assert mode(folder) == 0o750
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    os.chmod(old, 0o755)
    fileio.make_folder(old)
    assert mode(old) == 0o755  # left as it is
    fileio.make_folder(old, narrow=True)
    assert mode(old) == 0o750


def test_text_and_bytes_are_written_whole(tmp_path):
    target = tmp_path / "x.json"
    fileio.write_atomic(target, "tiếng Việt\n")
    assert target.read_text(encoding="utf-8") == "tiếng Việt\n"
    fileio.write_atomic(target, b"\x00" * 100_000)
    assert target.read_bytes() == b"\x00" * 100_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]


def test_a_writer_gets_a_temporary_path_with_the_suffix_beside_the_target(tmp_path):
    seen: list[Path] = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_text("ok")

    fileio.write_atomic(tmp_path / "part-0.wav", write)
    assert seen[0].parent == tmp_path and seen[0].suffix == ".wav"
    assert seen[0].name.startswith(".tmp-")  # hidden; the cache's readers skip these
    assert not seen[0].exists()
    assert (tmp_path / "part-0.wav").read_text() == "ok"


def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "status.json"
    fileio.write_atomic(target, "old")

    def half_then_full(tmp: Path) -> None:
        tmp.write_bytes(b"half of the new")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteError) as caught:
        fileio.write_atomic(target, half_then_full)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]
    error = caught.value
    assert isinstance(error, OSError) and isinstance(error, RadioError)
    assert error.errno == errno.ENOSPC and error.filename == str(target)
    assert str(error) == f"disk full: {target} (free some space and run again)"


def test_an_error_of_the_writer_passes_unchanged_and_nothing_is_left(tmp_path):
    target = tmp_path / "report.xlsx"
    target.write_text("old")

    def broken(tmp: Path) -> None:
        tmp.write_text("partial")
        raise ValueError("the workbook could not be made")

    with pytest.raises(ValueError, match="workbook"):
        fileio.write_atomic(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_a_failed_write_of_bytes_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    target.write_text("old")
    real_write = os.write

    def full(fd, data):
        if len(data) > 10:
            real_write(fd, bytes(data[:10]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(WriteError, match="disk full"):
        fileio.write_atomic(target, b"x" * 100)
    with pytest.raises(WriteError, match="disk full"):
        fileio.write_new(tmp_path / "new", b"x" * 100)
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_write_new_never_replaces(tmp_path):
    target = tmp_path / "city.key"
    target.write_text("the old key")
    with pytest.raises(WriteError, match="already exists") as caught:
        fileio.write_new(target, "a new key")
    assert caught.value.errno == errno.EEXIST
    assert target.read_text() == "the old key"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(WriteError, match="already exists"):
        fileio.write_new(link, "x")
    assert not (tmp_path / "elsewhere").exists()


def test_a_missing_folder_is_said(tmp_path):
    target = tmp_path / "no" / "such" / "report.csv"
    with pytest.raises(WriteError, match=r"report\.csv: cannot write the file: no such file"):
        fileio.write_atomic(target, "x")


def test_write_error_crosses_processes():
    error = fileio.write_error(OSError(errno.EFBIG, "File too large"), "/tmp/a.wav")
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, WriteError) and str(again) == str(error)
    assert "ulimit -f" in str(again) and again.errno == errno.EFBIG


class Fsyncs:
    """os.fsync counted by what it synced: 'dir' or 'file'."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        real = os.fsync

        def fsync(fd):
            self.calls.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
            return real(fd)

        monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize(("sync", "expected"), [
    (Sync.FULL, ["file", "dir"]),
    (Sync.DATA, ["file"]),
    (Sync.NONE, []),
])
def test_each_sync_level_fsyncs_what_it_says(tmp_path, monkeypatch, sync, expected):
    fsyncs = Fsyncs(monkeypatch)
    fileio.write_atomic(tmp_path / "a", b"data", sync=sync)
    assert fsyncs.calls == expected
    fsyncs.calls.clear()
    fileio.write_atomic(tmp_path / "b.wav", lambda p: p.write_bytes(b"RIFF"), sync=sync)
    assert fsyncs.calls == expected
    fsyncs.calls.clear()
    fileio.write_new(tmp_path / "c", "data", sync=sync)
    assert fsyncs.calls == expected


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    """A folder fsynced before the rename would not make the new name durable."""
    order: list[str] = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("rename"),
                                                     real_replace(a, b))[1])
    monkeypatch.setattr(os, "fsync", lambda fd: (order.append(
        "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"), real_fsync(fd))[1])
    fileio.write_atomic(tmp_path / "a", b"x")
    assert order == ["file", "rename", "dir"]


def test_a_staged_folder_appears_whole_or_not_at_all(tmp_path, umask, monkeypatch):
    umask(0o077)
    final = tmp_path / "copy"
    with pytest.raises(RuntimeError):
        with fileio.staged_folder(final) as tmp:
            (tmp / "a").write_text("1")
            raise RuntimeError("verification failed")
    assert list(tmp_path.iterdir()) == []
    fsyncs = Fsyncs(monkeypatch)
    with fileio.staged_folder(final) as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b").write_text("2")
        (tmp / "a").write_text("1")
        assert not final.exists()
    assert (final / "sub" / "b").read_text() == "2" and mode(final) == 0o750
    assert sorted(fsyncs.calls) == ["dir", "dir", "dir", "file", "file"]  # sub, copy, parent
    assert [p.name for p in tmp_path.iterdir()] == ["copy"]
    # replace: the old folder goes; without it, a folder made meanwhile is kept
    with fileio.staged_folder(final, replace=True) as tmp:
        (tmp / "new").write_text("3")
    assert sorted(p.name for p in final.iterdir()) == ["new"]
    with fileio.staged_folder(final) as tmp:
        (tmp / "other").write_text("4")
    assert sorted(p.name for p in final.iterdir()) == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["copy"]


# --- no other module replace-writes on its own ---------------------------------------------

# Renames that are not a write of a file's content: each says why it is not fileio's.
ALLOWED_RENAMES = {
    # moving a file the spool holds into rejected/: a request set apart, never rewritten
    "radiocli/play/control.py": 1,
    # moving a spool file into done/ or rejected/ once handled
    "radiocli/play/alerts.py": 1,
    # the limiter's output (a scratch file inside a cache write) over the scratch input
    "radiocli/render/loudness.py": 1,
    # the store: a migrated format-1 folder, files moved from .incoming into place (named
    # in .pending first and published by one SQLite commit)
    "radiocli/aslog/publish.py": 3,
    # the store's `current` symbolic link pointed at a new generation
    "radiocli/aslog/durable.py": 1,
}


def renames(path: Path) -> int:
    """Calls of os.replace/os.rename and of Path.replace/Path.rename (one argument: a
    str's replace takes two)."""
    found = 0
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in ("replace", "rename"):
            continue
        target = node.func.value
        if isinstance(target, ast.Name) and target.id == "os":
            found += 1
        elif len(node.args) == 1 and not node.keywords and not isinstance(target, ast.Constant):
            found += 1
    return found


def test_only_fileio_renames_files_into_place():
    counts = {}
    for path in sorted((ROOT / "radiocli").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "radiocli/fileio.py":
            continue
        n = renames(path)
        if n:
            counts[rel] = n
    assert counts == ALLOWED_RENAMES, (
        "write files with radiocli.fileio (write_atomic, write_new, staged_folder); a "
        "rename that is not a write goes in ALLOWED_RENAMES with why")


def test_the_static_check_finds_a_rename(tmp_path):
    source = tmp_path / "x.py"
    source.write_text("import os\nos.replace(a, b)\ntmp.replace(final)\n"
                      "name.replace('-', '_')\n", encoding="utf-8")
    assert renames(source) == 2


# --- the call sites keep (or strengthen) their guarantees ----------------------------------


def test_the_call_sites_sync_as_they_say(tmp_path, monkeypatch):
    """Durable where a restart or a signature depends on the file: a spool request, a
    report, the recording an alert names, the alert memory, the approved copy in use
    (the last three were not fsynced, or not their folder, before fileio)."""
    from datetime import datetime

    from radiocli import TZ
    from radiocli.cli.alert import _keep
    from radiocli.play import approved, control
    from radiocli.report.files import write_text
    from radiocli.trust.replay import AlertMemory

    now = datetime(2021, 8, 5, 9, 0, tzinfo=TZ)
    audio = tmp_path / "alert.wav"
    audio.write_bytes(b"RIFF")
    fsyncs = Fsyncs(monkeypatch)

    def synced(call) -> list[str]:
        fsyncs.calls.clear()
        call()
        return sorted(fsyncs.calls)

    assert synced(lambda: control.write_json_atomic(tmp_path / "run" / "spool" / "a.json",
                                                    {"id": 1})) == ["dir", "file"]
    assert synced(lambda: control.write_json_atomic(tmp_path / "status.json", {},
                                                    fsync=False)) == []
    assert synced(lambda: write_text(tmp_path / "report.csv", "a,b\n")) == ["dir", "file"]
    assert synced(lambda: _keep(audio, tmp_path / "run" / "alert-audio" / "x.wav")) == \
        ["dir", "file"]
    assert synced(lambda: AlertMemory(tmp_path / "run", now=now)) == ["dir", "file"]
    copy = approved.Approved("ab" * 32, tmp_path / "ab", now, now, "key", "me", None)
    assert synced(lambda: approved._set_current(tmp_path, copy, now)) == ["dir", "file"]
    for path in (tmp_path / "run" / "spool" / "a.json", tmp_path / "current.json",
                 tmp_path / "run" / "alert-audio" / "x.wav", tmp_path / "run" / "alerts-taken.jsonl"):
        assert mode(path) == 0o640, path
    assert mode(tmp_path / "report.csv") == 0o644
