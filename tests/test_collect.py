"""`radiocli logs collect`: store layout, idempotence, duplicates, conflicts, archives."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from radiocli.aslog import LogBook
from radiocli.cli import cli

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULES = Path(__file__).resolve().parent.parent / "schedules"
D1 = date(2021, 8, 2)


def write_logs(root: Path, stations=("00001", "00004"), days=3, seal=True, first=D1) -> None:
    book = LogBook(root, durable=False)
    for k in range(days):
        day = first + timedelta(days=k)
        for st in stations:
            for hh, minutes in ((6, 30), (17, 15)):
                s = datetime(day.year, day.month, day.day, hh, tzinfo=TZ)
                occ = f"p@{day}T{hh:02d}:00"
                book.event(st, "start", s, s, "p", occ, "normal")
                book.minutes(st, s, s + timedelta(minutes=minutes), "p", occ, "normal")
                book.event(st, "end", s + timedelta(minutes=minutes), s, "p", occ, "normal")
            if seal:
                book.seal(st, day)
    book.close()


def run(home: Path, *args: str):
    result = CliRunner().invoke(cli, ["--home", str(home), "-s", str(SCHEDULES), *args],
                                catch_exceptions=False)
    return result


def collect_json(home: Path, *sources: Path, into: Path) -> dict:
    result = run(home, "logs", "collect", *map(str, sources), "--into", str(into), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_layout_and_running_twice_adds_nothing(tmp_path):
    write_logs(tmp_path / "logs")
    store = tmp_path / "store"
    first = collect_json(tmp_path, tmp_path / "logs", into=store)
    assert first["added"] == 6 and first["minutes"] == 6 * 45
    raw = store / "raw" / "district=001" / "station=00001" / "date=2021-08-02.jsonl"
    assert raw.read_bytes() == (tmp_path / "logs" / "00001" / "2021-08-02.jsonl").read_bytes()
    assert list((store / "minutes" / "district=001").glob("*.parquet"))
    assert list((store / "events" / "district=001").glob("*.parquet"))
    again = collect_json(tmp_path, tmp_path / "logs", into=store)
    assert again["added"] == 0 and again["unchanged"] == 6
    # the same files from another place (a copy on a USB stick) add nothing either
    shutil.copytree(tmp_path / "logs", tmp_path / "usb")
    third = collect_json(tmp_path, tmp_path / "usb", into=store)
    assert third["added"] == 0 and third["unchanged"] == 6
    import duckdb

    n = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{store}/minutes/*/*.parquet', hive_partitioning=1)"
    ).fetchall()[0][0]
    assert n == 6 * 45


def test_prefix_is_replaced_by_the_longer_copy_and_counted_once(tmp_path):
    early = tmp_path / "early"
    write_logs(early, stations=("00001",), days=1, seal=False)
    full = tmp_path / "full"
    write_logs(full, stations=("00001",), days=1, seal=True)
    store = tmp_path / "store"
    collect_json(tmp_path, early, into=store)
    result = collect_json(tmp_path, full, into=store)
    assert result["replaced"] == 1
    again = collect_json(tmp_path, early, into=store)  # the shorter copy again
    assert again["older"] == 1 or again["unchanged"] == 1
    import duckdb

    n = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{store}/minutes/*/*.parquet')"
    ).fetchall()[0][0]
    assert n == 45


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
    assert any(n["code"] == "conflict" for n in result["notes"])
    assert list((store / "conflicts").rglob("*.jsonl.1"))
    raw = store / "raw" / "district=001" / "station=00001" / "date=2021-08-02.jsonl"
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
    assert list((store / "unknown" / "station=99999").glob("*.jsonl"))
    assert list((store / "rejected" / "station=00004").glob("*"))


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
    result = collect_json(tmp_path, tar_path, zip_path, into=store)
    assert result["added"] == 1 and result["unchanged"] == 1
    unsafe = [n for n in result["notes"] if n["code"] == "unsafe-member"]
    assert len(unsafe) == 3
    assert not (tmp_path / "evil").exists()


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
