"""The quick collect a report makes first (folders unchanged since they were listed are
not listed again) and the store's ``days`` files (what reports read), issue 11 item 5:
neither may change a figure."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from radiocli.aslog import sources
from radiocli.aslog.collect import collect
from radiocli.cli import cli
from radiocli.schedule.load import read

REPO = Path(__file__).resolve().parent.parent
SCHEDULES = REPO / "schedules"
PERIOD = ("2021-08-02", "2021-08-05")


def _chaos():
    spec = importlib.util.spec_from_file_location("chaos_collect",
                                                  REPO / "benchmarks" / "chaos_collect.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chaos_collect"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """Four days of six stations' logs, all sealed."""
    folder = tmp_path_factory.mktemp("made") / "logs"
    _chaos().synthetic_logs(folder, 6, 4)
    return folder


@pytest.fixture(scope="module")
def registry():
    return read(SCHEDULES)[0].registry


@pytest.fixture
def settled(monkeypatch) -> None:
    """Folders count as settled however recently they changed. A listing stands only
    for a folder whose ctime is 2 s older than the listing (sources.RACY_NS); the
    folders of a test were all made just now, and a ctime cannot be set back."""
    monkeypatch.setattr(sources, "RACY_NS", 0)


def summary(store: Path) -> dict:
    result = CliRunner().invoke(cli, ["-s", str(SCHEDULES), "report", "summary", "--from",
                                      PERIOD[0], "--to", PERIOD[1], "--store", str(store),
                                      "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def figures(store: Path) -> dict:
    """The summary without its notes (a copy set apart stays noted after a good copy
    of the day came in)."""
    return {k: v for k, v in summary(store).items() if k != "notes"}


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def rewrite_in_place(path: Path, data: bytes) -> None:
    """New content in the same file (same inode; the folder does not change)."""
    with open(path, "r+b") as fh:
        fh.write(data)
        fh.truncate()


@pytest.fixture
def scans(monkeypatch) -> list[str]:
    """The folders named ``logs`` or under one listed (os.scandir) while it is in use."""
    listed: list[str] = []
    real = os.scandir

    def counting(path="."):
        if isinstance(path, str | os.PathLike) and "/logs" in os.fspath(path):
            listed.append(os.path.basename(os.fspath(path)))
        return real(path)

    monkeypatch.setattr(sources.os, "scandir", counting)
    return listed


def test_a_quick_collect_does_not_list_unchanged_folders(tmp_path, made, registry, scans,
                                                         settled):
    logs = tmp_path / "logs"
    shutil.copytree(made, logs)
    store = tmp_path / "store"
    first = collect([logs], store, registry)
    assert first.added == 24
    scans.clear()
    again = collect([logs], store, registry, quick=True)
    assert (again.unchanged, again.added, again.replaced) == (24, 0, 0)
    assert scans == ["logs"]  # the station folders stand as listed
    scans.clear()
    full = collect([logs], store, registry)
    assert full.unchanged == 24 and len(scans) == 7  # a collect lists every folder


def test_a_folder_changed_in_the_last_seconds_is_listed_again(tmp_path, made, registry,
                                                              scans):
    logs = tmp_path / "logs"
    shutil.copytree(made, logs)  # its folders were just written
    store = tmp_path / "store"
    collect([logs], store, registry)
    with sqlite3.connect(store / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM listings").fetchone() == (0,)
    scans.clear()
    assert collect([logs], store, registry, quick=True).unchanged == 24
    assert len(scans) == 7


def test_a_quick_collect_sees_every_change_that_can_change_a_figure(tmp_path, made, registry,
                                                                   settled):
    """A day still growing (appended in place), a rejected copy mended in place and a
    new day's file are collected; a sealed day written to again is not looked at (its
    first copy counts, so its figures cannot change) until a full collect sets it
    apart."""
    logs = tmp_path / "logs"
    shutil.copytree(made, logs)
    a, b, c, d = sorted(p for p in logs.iterdir())[:4]
    held = tmp_path / "held"
    held.mkdir()
    shutil.move(a / "2021-08-05.jsonl", held / "2021-08-05.jsonl")  # comes later
    growing = b / "2021-08-04.jsonl"
    whole = growing.read_bytes()
    first_half = b"".join(line + b"\n" for line in lines(growing)[: len(lines(growing)) // 2])
    rewrite_in_place(growing, first_half)  # unsealed: watched
    broken = c / "2021-08-03.jsonl"
    good = broken.read_bytes()
    rewrite_in_place(broken, good.replace(b'"seconds":60', b'"seconds":59', 1))  # rejected
    store = tmp_path / "store"
    first = collect([logs], store, registry)
    assert (first.added, first.rejected, first.truncated) == (22, 1, 1)
    with sqlite3.connect(store / "catalog.sqlite") as db:
        watched = sorted(r[0] for r in db.execute("SELECT name FROM watched"))
    assert watched == ["2021-08-03.jsonl", "2021-08-04.jsonl"]

    sealed = d / "2021-08-02.jsonl"
    with open(sealed, "ab") as fh:  # a sealed day written to again, in place
        fh.write(lines(sealed)[-1] + b"\n")
    rewrite_in_place(growing, whole)  # the day went on and was sealed
    was = os.stat(broken)
    rewrite_in_place(broken, good)  # mended: the same size, and its mtime set back
    os.utime(broken, ns=(was.st_atime_ns, was.st_mtime_ns))
    quick = collect([logs], store, registry, quick=True)
    assert (quick.added, quick.replaced, quick.rejected, quick.unchanged) == (1, 1, 0, 21)

    listed = os.stat(a)
    shutil.move(held / "2021-08-05.jsonl", a / "2021-08-05.jsonl")  # a new file, and the
    os.utime(a, ns=(listed.st_atime_ns, listed.st_mtime_ns))  # folder's mtime set back
    assert os.stat(a).st_mtime_ns == listed.st_mtime_ns
    quick = collect([logs], store, registry, quick=True)
    assert (quick.added, quick.replaced, quick.rejected, quick.unchanged) == (1, 0, 0, 23)

    clean = tmp_path / "clean"
    collect([made], clean, registry)
    assert figures(store) == figures(clean)
    full = collect([logs], store, registry)
    assert (full.added, full.replaced, full.rejected, full.unchanged) == (0, 0, 1, 23)
    assert figures(store) == figures(clean)


def test_a_report_from_the_home_sees_a_day_still_being_written(tmp_path, made, settled):
    home = tmp_path / "home"
    shutil.copytree(made, home / "logs")
    growing = sorted((home / "logs").iterdir())[0] / "2021-08-05.jsonl"
    whole = growing.read_bytes()
    rewrite_in_place(growing, b"".join(line + b"\n" for line in lines(growing)[:40]))

    def report() -> dict:
        result = CliRunner().invoke(cli, ["-s", str(SCHEDULES), "--home", str(home), "report",
                                          "summary", "--from", PERIOD[0], "--to", PERIOD[1],
                                          "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    before = report()
    rewrite_in_place(growing, whole)  # written on, in place: the folder does not change
    after = report()
    assert after["seconds"] > before["seconds"]
    assert after == summary(home / "store")
    full = tmp_path / "full"
    collect([made], full, read(SCHEDULES)[0].registry)
    assert after == summary(full)


def test_a_store_without_days_files_reports_the_same_and_gets_them(tmp_path, made, registry):
    """A store published before parts had days files: reports add the lines up
    instead, and the next collect that publishes writes them."""
    logs = tmp_path / "logs"
    shutil.copytree(made, logs)
    held = logs / "held.jsonl"
    station = sorted(logs.iterdir())[0]
    shutil.move(station / "2021-08-05.jsonl", held)
    store = tmp_path / "store"
    collect([logs], store, registry)
    expected = summary(store)
    days = Path(os.path.realpath(store / "current")) / "days"
    assert sorted(days.iterdir())
    shutil.rmtree(days)
    assert summary(store) == expected
    shutil.move(held, station / "2021-08-05.jsonl")
    assert collect([logs], store, registry).added == 1
    days = Path(os.path.realpath(store / "current")) / "days"
    with sqlite3.connect(store / "catalog.sqlite") as db:
        parts = db.execute("SELECT count(*) FROM parts").fetchone()[0]
    assert len(list(days.iterdir())) == parts == 2
    clean = tmp_path / "clean"
    collect([made], clean, registry)
    assert summary(store) == summary(clean)


def test_a_file_rewritten_with_its_mtime_set_back_is_read_again(tmp_path, made, registry):
    """Size, mtime and inode can all be kept by hand; the ctime cannot."""
    logs = tmp_path / "logs"
    shutil.copytree(made, logs)
    store = tmp_path / "store"
    collect([logs], store, registry)
    day = sorted(logs.iterdir())[0] / "2021-08-03.jsonl"
    was = os.stat(day)
    data = day.read_bytes()
    rewrite_in_place(day, data.replace(b'"seconds":60', b'"seconds":59', 1))
    os.utime(day, ns=(was.st_atime_ns, was.st_mtime_ns))
    assert (os.stat(day).st_size, os.stat(day).st_mtime_ns) == (was.st_size, was.st_mtime_ns)
    again = collect([logs], store, registry)
    assert (again.unchanged, again.rejected) == (23, 1)


def test_a_store_that_kept_no_ctime_reads_each_file_once_more(tmp_path, made, registry):
    logs = tmp_path / "logs"
    shutil.copytree(made, logs)
    store = tmp_path / "store"
    collect([logs], store, registry)
    with sqlite3.connect(store / "catalog.sqlite") as db:  # the catalog as it was before
        db.executescript(
            "CREATE TABLE old AS SELECT folder, name, size, mtime_ns, inode FROM seen;"
            "DROP TABLE seen;"
            "CREATE TABLE seen (folder INTEGER NOT NULL, name TEXT NOT NULL, "
            "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, "
            "PRIMARY KEY (folder, name)) WITHOUT ROWID;"
            "INSERT INTO seen SELECT * FROM old; DROP TABLE old;")
    expected = summary(store)
    again = collect([logs], store, registry)
    assert (again.unchanged, again.added, again.replaced) == (24, 0, 0)
    assert summary(store) == expected
    with sqlite3.connect(store / "catalog.sqlite") as db:
        assert db.execute("SELECT count(*) FROM seen WHERE ctime_ns = 0").fetchone() == (0,)
