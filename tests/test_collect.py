"""`radiocli logs collect`: what goes where, bad logs set apart (never fatal, never
counted twice), archives within limits, sources that cannot be read, progress."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from click.testing import CliRunner

from radiocli.aslog import LogBook
from radiocli.aslog.collect import collect
from radiocli.aslog.format import genesis
from radiocli.aslog.sources import Limits, candidates
from radiocli.aslog.verify import verify_file
from radiocli.cli import cli
from radiocli.schedule.load import read

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULES = Path(__file__).resolve().parent.parent / "schedules"
D1 = date(2021, 8, 2)


def write_logs(root: Path, stations=("00001", "00004"), days=3, seal=True, first=D1,
               reason: str = "") -> None:
    book = LogBook(root, durable=False)
    for k in range(days):
        day = first + timedelta(days=k)
        for st in stations:
            for hh, minutes in ((6, 30), (17, 15)):
                s = datetime(day.year, day.month, day.day, hh, tzinfo=TZ)
                occ = f"p@{day}T{hh:02d}:00"
                book.event(st, "start", s, s, "p", occ, "normal")
                book.minutes(st, s, s + timedelta(minutes=minutes), "p", occ, "normal")
                book.event(st, "end", s + timedelta(minutes=minutes), s, "p", occ, "normal",
                           reason)
            if seal:
                book.seal(st, day)
    book.close()


def run(home: Path, *args: str):
    return CliRunner().invoke(cli, ["--home", str(home), "-s", str(SCHEDULES), *args],
                              catch_exceptions=False)


def collect_json(home: Path, *sources: Path, into: Path, code: int = 0) -> dict:
    result = run(home, "logs", "collect", *map(str, sources), "--into", str(into), "--json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def minutes_in(store: Path) -> tuple[int, int]:
    """(minute lines, seconds) in the store's published Parquet copy."""
    if not list((store / "minutes").glob("*.parquet")):
        return 0, 0
    rows, seconds = duckdb.sql(
        f"SELECT count(*), coalesce(sum(seconds), 0) FROM read_parquet('{store}/minutes/*.parquet')"
    ).fetchall()[0]
    return int(rows), int(seconds)


def rechain(lines: list[bytes], station: str, day: date) -> bytes:
    """Lines with every ``prev`` computed again: a forger's file whose chain checks out."""
    out = []
    prev = genesis(station, day)
    for line in lines:
        obj = json.loads(line)
        if "prev" in obj:
            obj["prev"] = prev
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        out.append(text)
        prev = hashlib.sha256(text).hexdigest()[:32]
    return b"\n".join(out) + b"\n"


def codes(result: dict) -> set[str]:
    return {n["code"] for n in result["notes"]}


# --- the usual way ----------------------------------------------------------------------


def test_layout_and_running_twice_adds_nothing(tmp_path):
    write_logs(tmp_path / "logs")
    store = tmp_path / "store"
    first = collect_json(tmp_path, tmp_path / "logs", into=store)
    assert first["added"] == 6 and first["minutes"] == 6 * 45
    raw = store / "raw" / "001" / "00001" / "2021-08-02.jsonl"
    assert raw.read_bytes() == (tmp_path / "logs" / "00001" / "2021-08-02.jsonl").read_bytes()
    assert list((store / "minutes").glob("2021-08-*.parquet"))
    assert list((store / "events").glob("2021-08-*.parquet"))
    again = collect_json(tmp_path, tmp_path / "logs", into=store)
    assert again["added"] == 0 and again["unchanged"] == 6
    # the same files from another place (a copy on a USB stick) add nothing either
    shutil.copytree(tmp_path / "logs", tmp_path / "usb")
    third = collect_json(tmp_path, tmp_path / "usb", into=store)
    assert third["added"] == 0 and third["unchanged"] == 6
    assert minutes_in(store) == (6 * 45, 6 * 45 * 60)


def test_prefix_is_replaced_by_the_longer_copy_and_counted_once(tmp_path):
    early = tmp_path / "early"
    write_logs(early, stations=("00001",), days=1, seal=False)
    full = tmp_path / "full"
    write_logs(full, stations=("00001",), days=1, seal=True)
    store = tmp_path / "store"
    collect_json(tmp_path, early, into=store)
    result = collect_json(tmp_path, full, into=store)
    assert result["replaced"] == 1
    again = collect_json(tmp_path, early, into=store)  # the same file: not even read
    assert again["unchanged"] == 1
    shutil.copytree(early, tmp_path / "copy")  # the shorter copy from elsewhere
    assert collect_json(tmp_path, tmp_path / "copy", into=store)["older"] == 1
    assert minutes_in(store) == (45, 45 * 60)
    # the shorter copy's raw file went away once the longer one was published
    assert sorted(p.name for p in (store / "raw" / "001" / "00001").iterdir()) == [
        "2021-08-02.v2.jsonl"]


def test_conflicting_copy_is_set_aside_and_the_first_kept(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_logs(a, stations=("00001",), days=1)
    book = LogBook(b, durable=False)
    s = datetime(2021, 8, 2, 7, tzinfo=TZ)
    book.minutes("00001", s, s + timedelta(minutes=5), "other", "other@x", "normal")
    book.seal("00001", D1)
    book.close()
    store = tmp_path / "store"
    collect_json(tmp_path, a, into=store)
    result = collect_json(tmp_path, b, into=store)
    assert result["conflicts"] == 1
    assert "conflict" in codes(result)
    assert len(list((store / "conflicts" / "00001").glob("2021-08-02.*.jsonl"))) == 1
    raw = store / "raw" / "001" / "00001" / "2021-08-02.jsonl"
    assert raw.read_bytes() == (a / "00001" / "2021-08-02.jsonl").read_bytes()


def test_tampered_and_unknown_are_kept_apart_and_gaps_reported(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001", "00004", "99999"), days=3)
    (logs / "00001" / "2021-08-03.jsonl").unlink()  # a gap
    path = logs / "00004" / "2021-08-04.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"seconds":60', b'"seconds":6')
    path.write_bytes(b"\n".join(lines))
    store = tmp_path / "store"
    result = collect_json(tmp_path, logs, into=store)
    assert result["rejected"] == 1 and result["unknown"] == 3
    assert result["gaps"] == {"00001": ["2021-08-03"]}
    assert len(list((store / "unknown" / "99999").glob("*.jsonl"))) == 3
    assert list((store / "rejected" / "00004").glob("2021-08-04.*.jsonl"))


# --- bad logs: set apart, never fatal, never counted twice (issue 11, item 3) -----------


def test_a_file_of_zero_bytes_is_quarantined_and_the_rest_collected(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001",), days=2)
    (logs / "00001" / "2021-08-02.jsonl").write_bytes(b"")
    store = tmp_path / "store"
    result = collect_json(tmp_path, logs, into=store)
    assert result["quarantined"] == 1 and result["added"] == 1
    assert "empty" in codes(result)
    assert minutes_in(store) == (45, 45 * 60)
    assert list((store / "quarantine" / "00001").glob("2021-08-02.*.jsonl"))
    again = collect_json(tmp_path, logs, into=store)
    assert again["quarantined"] == 0 and again["unchanged"] == 2
    # a report over the store works and says what it left out
    report = run(tmp_path, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-03",
                 "--store", str(store), "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["minutes"] == 45


def test_todays_empty_file_is_left_for_later_not_quarantined(tmp_path):
    logs = tmp_path / "logs"
    (logs / "00001").mkdir(parents=True)
    (logs / "00001" / "2021-08-02.jsonl").write_bytes(b"")
    registry = read(SCHEDULES)[0].registry
    result = collect([logs], tmp_path / "store", registry, today=D1)
    assert result.in_progress == 1 and result.quarantined == 0 and not result.notes


def test_control_characters_are_flagged_and_replaced_in_the_columns(tmp_path):
    logs = tmp_path / "logs"
    evil = "x\r=2+3+cmd|' /C calc'!A0\x07\x1b[31m"
    write_logs(logs, stations=("00001",), days=1, reason=evil)
    path = logs / "00001" / "2021-08-02.jsonl"
    assert b"\\r=2+3" in path.read_bytes()  # the writer escaped it: the log is valid JSON
    warnings = verify_file(path)
    assert {p.code for p in warnings} == {"control-characters"}
    assert all(p.severity == "warning" for p in warnings)
    store = tmp_path / "store"
    result = collect_json(tmp_path, logs, into=store)
    assert result["added"] == 1 and result["escaped"] == 1
    assert "control-characters" in codes(result)
    reasons = duckdb.sql(
        f"SELECT DISTINCT reason FROM read_parquet('{store}/events/*.parquet') "
        "WHERE reason <> ''").fetchall()
    assert reasons == [("x =2+3+cmd|' /C calc'!A0\ufffd\ufffd[31m",)]
    # the raw copy keeps the log as it was, byte for byte
    assert (store / "raw" / "001" / "00001" / "2021-08-02.jsonl").read_bytes() == \
        path.read_bytes()


def test_a_sealed_day_sent_again_with_more_lines_does_not_replace_it(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001",), days=1)
    store = tmp_path / "store"
    collect_json(tmp_path, logs, into=store)
    assert minutes_in(store) == (45, 45 * 60)
    # the station appends chained lines and a new sealed line to the collected day
    book = LogBook(logs, durable=False)
    s = datetime(2021, 8, 2, 20, tzinfo=TZ)
    book.event("00001", "start", s, s, "p", "p@2021-08-02T20:00", "normal")
    book.minutes("00001", s, s + timedelta(minutes=120), "p", "p@2021-08-02T20:00", "normal")
    book.seal("00001", D1)
    book.close()
    assert not [p for p in verify_file(logs / "00001" / "2021-08-02.jsonl")
                if p.severity == "error"]
    result = collect_json(tmp_path, logs, into=store)
    assert result["conflicts"] == 1 and result["replaced"] == 0
    note = next(n for n in result["notes"] if n["code"] == "conflict")
    assert "collected sealed" in note["message"]
    assert minutes_in(store) == (45, 45 * 60)  # not 165 minutes


def test_a_rechained_file_with_every_minute_twice_is_refused(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001",), days=1)
    path = logs / "00001" / "2021-08-02.jsonl"
    lines = path.read_bytes().split(b"\n")[:-1]
    doubled = []
    for line in lines[:-1]:
        doubled.append(line)
        if b'"minute"' in line:
            doubled.append(line)
    sealed = json.loads(lines[-1])
    sealed["lines"] = len(doubled)
    doubled.append(json.dumps(sealed, separators=(",", ":")).encode())
    path.write_bytes(rechain(doubled, "00001", D1))
    problems = verify_file(path)
    # every minute twice: written twice within its occurrence, and 120 s in a minute
    assert {p.code for p in problems if p.severity == "error"} == {"duplicate", "overlap"}
    store = tmp_path / "store"
    result = collect_json(tmp_path, logs, into=store)
    assert result["duplicates"] == 1 and result["added"] == 0
    assert "duplicate" in codes(result)
    assert minutes_in(store) == (0, 0)
    assert list((store / "duplicates" / "00001").glob("*.jsonl"))


def test_a_rechained_file_with_an_overlapping_program_is_refused(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001",), days=1)
    path = logs / "00001" / "2021-08-02.jsonl"
    lines = path.read_bytes().split(b"\n")[:-1]
    extra = [line.replace(b"p@2021-08-02T06:00", b"q@2021-08-02T06:00")
             for line in lines if b'"minute":"2021-08-02T06:1' in line]
    forged = lines[:-1] + extra
    sealed = json.loads(lines[-1])
    sealed["lines"] = len(forged)
    forged.append(json.dumps(sealed, separators=(",", ":")).encode())
    path.write_bytes(rechain(forged, "00001", D1))
    assert {p.code for p in verify_file(path) if p.severity == "error"} == {"overlap"}
    result = collect_json(tmp_path, logs, into=tmp_path / "store")
    assert result["duplicates"] == 1 and result["added"] == 0


# --- archives and sources (issue 11, item 4) --------------------------------------------


def test_archives_are_read_and_unsafe_members_refused(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001",), days=1)
    data = (logs / "00001" / "2021-08-02.jsonl").read_bytes()
    tar_path = tmp_path / "station.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        for name in ("logs/00001/2021-08-02.jsonl", "../evil/00001/2021-08-03.jsonl",
                     "/abs/00001/2021-08-04.jsonl"):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    zip_path = tmp_path / "station.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("00001/2021-08-02.jsonl", data)
        z.writestr("../../00001/2021-08-05.jsonl", data)
    store = tmp_path / "store"
    result = collect_json(tmp_path, tar_path, zip_path, into=store, code=1)
    assert result["added"] == 1 and result["unchanged"] == 1
    unsafe = [n for n in result["notes"] if n["code"] == "unsafe-member"]
    assert len(unsafe) == 3 and result["broken"] == 3
    assert not (tmp_path / "evil").exists()


def bomb(kind: str, path: Path, member: str = "00001/2021-08-02.jsonl",
         size: int = 24 << 20) -> Path:
    """An archive whose one member is ``size`` bytes of zeros (it compresses to almost
    nothing)."""
    data = b"0" * size
    if kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(member, data)
        return path
    mode = {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz"}[kind]
    with tarfile.open(path, mode) as tar:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("kind", ["zip", "tar.gz", "tar.bz2", "tar.xz"])
def test_an_archive_that_unpacks_far_beyond_its_size_is_stopped_at_its_member(tmp_path,
                                                                              kind):
    archive = bomb(kind, tmp_path / f"bomb.{kind}")
    assert archive.stat().st_size < 200_000
    notes = []
    found = list(candidates(archive, notes))
    assert found == []
    limit = [n for n in notes if n.code == "archive-limit"]
    assert len(limit) == 1 and limit[0].severity == "error"
    assert limit[0].file == f"{archive}:00001/2021-08-02.jsonl"
    assert "times its size" in limit[0].message


def test_the_unpacked_total_is_capped_for_every_archive_type(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001", "00004"), days=3)
    files = sorted(logs.rglob("*.jsonl"))
    total = sum(f.stat().st_size for f in files)
    for kind in ("zip", "tar", "tar.gz", "tar.bz2", "tar.xz"):
        path = tmp_path / f"logs.{kind}"
        if kind == "zip":
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                for f in files:
                    z.write(f, f.relative_to(logs))
        else:
            mode = {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz"}[kind]
            with tarfile.open(path, mode) as tar:
                for f in files:
                    tar.add(f, str(f.relative_to(logs)))
        notes = []
        found = list(candidates(path, notes, limits=Limits(unpacked=total // 2)))
        assert 0 < len(found) < len(files), kind
        limit = [n for n in notes if n.code == "archive-limit"]
        assert len(limit) == 1, (kind, notes)
        assert "unpacks to more than" in limit[0].message and ":0000" in limit[0].file


def test_reading_an_archive_is_bounded_in_time(tmp_path):
    archive = bomb("tar.bz2", tmp_path / "slow.tar.bz2", size=2 << 20)
    notes = []
    assert list(candidates(archive, notes, limits=Limits(ratio=1e9, seconds=1e-6))) == []
    assert [n.code for n in notes] == ["archive-limit"]
    assert "took longer than" in notes[0].message


def test_a_member_too_large_for_a_day_is_named(tmp_path):
    archive = bomb("zip", tmp_path / "big.zip", size=3 << 20)
    notes = []
    list(candidates(archive, notes, limits=Limits(member=1 << 20)))
    assert [(n.code, n.file) for n in notes if n.severity == "error"] == [
        ("too-large", f"{archive}:00001/2021-08-02.jsonl"), ("no-logs", str(archive))]


def test_windows_zips_and_zips_made_inside_a_station_folder_are_collected(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001", "00004"), days=1)
    windows = tmp_path / "windows.zip"
    with zipfile.ZipFile(windows, "w") as z:
        z.writestr("logs\\00001\\2021-08-02.jsonl",
                   (logs / "00001" / "2021-08-02.jsonl").read_bytes())
    inside = tmp_path / "inside.zip"
    with zipfile.ZipFile(inside, "w") as z:
        z.writestr("2021-08-02.jsonl", (logs / "00004" / "2021-08-02.jsonl").read_bytes())
    store = tmp_path / "store"
    result = collect_json(tmp_path, windows, inside, into=store)
    assert result["added"] == 2 and result["rejected"] == 0
    note = next(n for n in result["notes"] if n["code"] == "no-station-folder")
    assert "station 00004" in note["message"] and note["severity"] == "warning"
    assert (store / "raw" / "001" / "00004" / "2021-08-02.jsonl").exists()


def test_symbolic_links_are_reported(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001", "00004"), days=1)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(logs / "00004", elsewhere)
    os.symlink(elsewhere, logs / "00004")  # a linked station folder: not followed
    (logs / "00007").mkdir()
    os.symlink(elsewhere / "2021-08-02.jsonl", logs / "00007" / "2021-08-02.jsonl")
    store = tmp_path / "store"
    result = collect_json(tmp_path, logs, into=store, code=1)
    links = {n["file"]: n for n in result["notes"] if n["code"] == "symlink"}
    assert links[str(logs / "00004")]["severity"] == "error"
    # a linked log file is read (then its chain says it is 00004's, not 00007's)
    assert links[str(logs / "00007" / "2021-08-02.jsonl")]["severity"] == "warning"
    assert result["added"] == 1 and result["rejected"] == 1 and result["broken"] == 1


def test_a_missing_or_broken_source_exits_1_with_counts(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001",), days=1)
    broken = tmp_path / "broken.zip"
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.write(logs / "00001" / "2021-08-02.jsonl", "00001/2021-08-02.jsonl")
    broken.write_bytes(good.read_bytes()[:40])
    result = run(tmp_path, "logs", "collect", str(tmp_path / "nope"), str(broken), str(logs),
                 "--into", str(tmp_path / "store"))
    assert result.exit_code == 1
    assert "no such file or folder" in result.stderr
    assert "cannot read the archive" in result.stderr
    assert "1 added" in result.stdout
    assert "2 source(s), archive(s) or file(s) could not be read" in result.stderr


def test_progress_is_reported_through_a_callback(tmp_path):
    logs = tmp_path / "logs"
    write_logs(logs, stations=("00001", "00004"), days=3)
    calls = []
    registry = read(SCHEDULES)[0].registry
    collect([logs], tmp_path / "store", registry, progress=lambda d, t: calls.append((d, t)))
    assert [d for d, _t in calls] == list(range(1, 7))
    assert all(t == 6 for _d, t in calls)


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    write_logs(tmp_path / "logs", days=1)
    result = run(tmp_path, "logs", "collect", str(tmp_path / "logs"), "--into",
                 str(tmp_path / "store"))
    assert result.exit_code == 0 and result.stderr == ""


def test_verify_command_exit_codes(tmp_path):
    write_logs(tmp_path / "logs", days=1)
    ok = run(tmp_path, "logs", "verify")
    assert ok.exit_code == 0
    path = tmp_path / "logs" / "00001" / "2021-08-02.jsonl"
    lines = path.read_bytes().split(b"\n")
    del lines[5]
    path.write_bytes(b"\n".join(lines))
    bad = run(tmp_path, "logs", "verify", "--json")
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert report["errors"] >= 1
    assert any(p["code"] == "removed" and p["line"] == 6 for p in report["problems"])
    tail = run(tmp_path, "logs", "tail", "--station", "00004", "-n", "2")
    assert tail.exit_code == 0 and "sealed" in tail.stdout and "00004" in tail.stdout
