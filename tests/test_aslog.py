"""The as-run log: bytes exactly as docs/asrun-log.md says, the chain, and every kind of
tampering or damage caught by verify."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from radiocli.aslog import LogBook, LogWriteError, genesis
from radiocli.aslog.reader import read_lines
from radiocli.aslog.verify import verify_file, verify_tree

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2021, 8, 2)
PROGRAM = "vov-thoi-su-sang"
OCC = "vov-thoi-su-sang@2021-08-02T06:00"


def at(hh: int, mm: int = 0, ss: int = 0, ms: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, ms * 1000, tzinfo=TZ)


def write_day(root: Path, station: str = "00001", day: date = DAY, seal: bool = True,
              durable: bool = False) -> Path:
    """Two sessions and a seal: 2 + 31 + 2 + 16 + 1 lines (starts 12 ms past the minute)."""
    book = LogBook(root, durable=durable)
    for hh, minutes in ((6, 30), (17, 15)):
        start = at(hh, 0, 0, 12, day)
        occ = f"{PROGRAM}@{day}T{hh:02d}:00"
        book.event(station, "start", start, at(hh, day=day), PROGRAM, occ, "normal")
        book.minutes(station, start, start + timedelta(minutes=minutes), PROGRAM, occ, "normal")
        book.event(station, "end", start + timedelta(minutes=minutes), at(hh, day=day), PROGRAM,
                   occ, "normal")
    if seal:
        book.seal(station, day)
    book.close()
    return root / station / f"{day}.jsonl"


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def codes(problems) -> set[str]:
    return {p.code for p in problems}


# --- bytes and chain ---------------------------------------------------------------------


def test_bytes_match_the_spec_exactly(tmp_path):
    book = LogBook(tmp_path)
    book.event("00001", "start", at(6, 0, 0, 12), at(6), PROGRAM, OCC, "normal")
    book.minutes("00001", at(6, 0, 0, 12), at(6, 2, 30, 12), PROGRAM, OCC, "normal",
                 segments=((at(6, 0, 0, 12), 0), (at(6, 1, 10), 1)))
    book.close()
    raw = lines_of(tmp_path / "00001" / "2021-08-02.jsonl")
    g = hashlib.sha256(b"radiocli-asrun-1:00001:2021-08-02").hexdigest()[:32]
    assert raw[0].decode() == (
        '{"station":"00001","event":"start","at":"2021-08-02T06:00:00.012+07:00",'
        '"scheduled":"2021-08-02T06:00:00+07:00","program":"vov-thoi-su-sang",'
        '"occurrence":"vov-thoi-su-sang@2021-08-02T06:00","priority":"normal","reason":"",'
        f'"prev":"{g}"}}'
    )
    h0 = hashlib.sha256(raw[0]).hexdigest()[:32]
    assert raw[1].decode() == (
        '{"station":"00001","minute":"2021-08-02T06:00+07:00","program":"vov-thoi-su-sang",'
        '"occurrence":"vov-thoi-su-sang@2021-08-02T06:00","segment":0,"priority":"normal",'
        f'"seconds":60,"prev":"{h0}"}}'
    )
    seconds = [json.loads(line)["seconds"] for line in raw[1:]]
    segments = [json.loads(line)["segment"] for line in raw[1:]]
    assert seconds == [60, 60, 30]
    assert segments == [0, 0, 1]  # the segment on air at the start of each minute's part
    for line in raw:
        obj = json.loads(line)
        assert json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() == line


def test_vietnamese_and_quotes_are_written_as_json_dumps_would(tmp_path):
    book = LogBook(tmp_path)
    reason = 'preempted-by: khẩn-cấp@2021-08-02T06:10 "Ủy ban"\n\t'
    book.event("00001", "preempted", at(6, 10), at(6), "thông-báo", "thông-báo@x", "emergency",
               reason)
    book.close()
    line = lines_of(tmp_path / "00001" / "2021-08-02.jsonl")[0]
    obj = json.loads(line)
    assert obj["reason"] == reason and obj["program"] == "thông-báo"
    assert json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() == line


def test_chain_and_seal(tmp_path):
    path = write_day(tmp_path)
    raw = lines_of(path)
    prev = genesis("00001", DAY)
    for line in raw:
        assert json.loads(line)["prev"] == prev
        prev = hashlib.sha256(line).hexdigest()[:32]
    last = json.loads(raw[-1])
    assert last["event"] == "sealed" and last["lines"] == len(raw) - 1
    assert last["at"] == "2021-08-02T23:59:59.999+07:00"
    assert verify_file(path) == []
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o750"


def test_durable_and_buffered_write_the_same_bytes(tmp_path):
    a = write_day(tmp_path / "a", durable=True)
    b = write_day(tmp_path / "b", durable=False)
    assert a.read_bytes() == b.read_bytes()


def test_minutes_over_midnight_go_to_the_file_of_their_day(tmp_path):
    book = LogBook(tmp_path, durable=False)
    start = at(23, 58, 30)
    book.minutes("00001", start, start + timedelta(minutes=3), PROGRAM, "p@x", "priority")
    book.seal("00001", DAY)
    book.close()
    first = lines_of(tmp_path / "00001" / "2021-08-02.jsonl")
    second = lines_of(tmp_path / "00001" / "2021-08-03.jsonl")
    assert [json.loads(x).get("seconds") for x in first] == [30, 60, None]
    assert [json.loads(x)["seconds"] for x in second] == [60, 30]
    assert json.loads(second[0])["prev"] == genesis("00001", date(2021, 8, 3))
    assert verify_file(tmp_path / "00001" / "2021-08-02.jsonl") == []
    assert verify_file(tmp_path / "00001" / "2021-08-03.jsonl", today=date(2021, 8, 3)) == []


def test_reopen_continues_the_chain(tmp_path):
    book = LogBook(tmp_path)
    book.event("00001", "start", at(6), at(6), PROGRAM, OCC, "normal")
    book.close()
    book = LogBook(tmp_path)
    book.minutes("00001", at(6), at(6, 5), PROGRAM, OCC, "normal")
    book.event("00001", "end", at(6, 5), at(6), PROGRAM, OCC, "normal")
    book.seal("00001", DAY)
    book.close()
    assert verify_file(tmp_path / "00001" / "2021-08-02.jsonl") == []


def test_threads_write_one_station_safely(tmp_path):
    book = LogBook(tmp_path)

    def work(k: int) -> None:
        for i in range(20):
            start = at(6) + timedelta(minutes=10 * k, seconds=i)
            book.event("00001", "resumed", start, at(6), PROGRAM, f"p{k}@x", "normal")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    book.seal("00001", DAY)
    book.close()
    path = tmp_path / "00001" / "2021-08-02.jsonl"
    assert len(lines_of(path)) == 161
    assert verify_file(path) == []


def test_seal_before_and_seal_stale(tmp_path):
    book = LogBook(tmp_path, durable=False)
    book.minutes("00001", at(6), at(6, 3), PROGRAM, OCC, "normal")
    book.minutes("00002", at(7), at(7, 3), PROGRAM, OCC, "normal")
    assert book.seal_before(date(2021, 8, 3)) == 2
    book.minutes("00001", at(6, day=date(2021, 8, 3)), at(6, 3, day=date(2021, 8, 3)),
                 PROGRAM, OCC, "normal")
    book.close()
    book = LogBook(tmp_path)
    assert book.seal_stale("00001", date(2021, 8, 4)) == [date(2021, 8, 3)]
    assert book.seal_stale("00001", date(2021, 8, 4)) == []
    book.close()
    assert verify_tree(tmp_path) == []


def test_core_does_not_import_click_or_rich():
    code = (
        "import sys, radiocli.aslog, radiocli.aslog.verify, radiocli.aslog.reader, "
        "radiocli.aslog.collect, radiocli.aslog.store, radiocli.aslog.publish, "
        "radiocli.aslog.sources, radiocli.aslog.parts, radiocli.aslog.scan;"
        "assert 'click' not in sys.modules and 'rich' not in sys.modules, sys.modules.keys()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- tampering ---------------------------------------------------------------------------


def tamper(path: Path, change) -> None:  # noqa: ANN001
    raw = lines_of(path)
    raw = change(raw)
    path.write_bytes(b"".join(line + b"\n" for line in raw))


def test_edited_line_is_caught(tmp_path):
    path = write_day(tmp_path)

    def edit(raw):
        raw[5] = raw[5].replace(b'"seconds":60', b'"seconds":59')
        return raw

    tamper(path, edit)
    problems = verify_file(path)
    assert "edited" in codes(problems)
    assert any(p.line == 6 for p in problems)
    assert all(str(path) in str(p) for p in problems)


def test_edited_line_rewritten_by_another_program_is_caught(tmp_path):
    path = write_day(tmp_path)

    def pretty(raw):
        raw[3] = json.dumps(json.loads(raw[3])).encode()  # ASCII escapes, spaces
        return raw

    tamper(path, pretty)
    problems = verify_file(path)
    assert {"format", "edited"} <= codes(problems)


def test_removed_line_is_caught(tmp_path):
    path = write_day(tmp_path)
    tamper(path, lambda raw: raw[:10] + raw[11:])
    problems = verify_file(path)
    assert "removed" in codes(problems)
    assert any(p.line == 11 and p.code == "removed" for p in problems)


def test_inserted_line_is_caught(tmp_path):
    path = write_day(tmp_path)
    tamper(path, lambda raw: raw[:10] + [raw[9]] + raw[10:])
    problems = verify_file(path)
    assert "inserted" in codes(problems)


def test_reordered_lines_are_caught(tmp_path):
    path = write_day(tmp_path)
    tamper(path, lambda raw: raw[:10] + [raw[11], raw[10]] + raw[12:])
    problems = verify_file(path)
    assert "reordered" in codes(problems)


def test_truncated_file_is_caught(tmp_path):
    path = write_day(tmp_path)
    tamper(path, lambda raw: raw[:20])
    problems = verify_file(path, today=date(2021, 8, 10))
    assert codes(problems) == {"truncated"}
    # today's file may be unsealed: it is still being written
    assert verify_file(path, today=DAY) == []


def test_line_moved_from_another_station_or_day_is_caught(tmp_path):
    a = write_day(tmp_path, "00001")
    b = write_day(tmp_path, "00004")
    c = write_day(tmp_path, "00001", day=date(2021, 8, 3))
    moved = lines_of(b)[3]
    tamper(a, lambda raw: raw[:3] + [moved] + raw[4:])
    assert "wrong-station" in codes(verify_file(a))
    whole = b.read_bytes()
    (tmp_path / "00004" / "2021-08-05.jsonl").write_bytes(whole)
    problems = verify_file(tmp_path / "00004" / "2021-08-05.jsonl")
    assert "wrong-day" in codes(problems)
    assert c.exists()


def test_unknown_keys_and_garbage_are_reported_not_raised(tmp_path):
    path = write_day(tmp_path)

    def garbage(raw):
        obj = json.loads(raw[4])
        obj["extra"] = 1
        raw[4] = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        raw[6] = b"\xff\xfe not utf8"
        raw[7] = b"\x00\x00\x00"
        raw[8] = b"[1,2]"
        raw[9] = b"x" * (3 << 20)
        return raw

    tamper(path, garbage)
    problems = verify_file(path)
    assert {"unknown-keys", "unreadable"} <= codes(problems)
    messages = " ".join(p.message for p in problems)
    assert "invalid UTF-8" in messages and "NUL" in messages and "too long" in messages
    assert "not a JSON object" in messages


def test_torn_tail_is_reported(tmp_path):
    path = write_day(tmp_path, seal=False)
    with open(path, "ab") as fh:
        fh.write(b'{"station":"00001","minute":"2021-08-0')
    problems = verify_file(path, today=DAY)
    assert codes(problems) == {"torn"}


# --- recovery and failures ---------------------------------------------------------------


def test_torn_last_line_is_set_aside_and_nothing_before_it_lost(tmp_path):
    path = write_day(tmp_path, seal=False)
    good = path.read_bytes()
    torn = b'{"station":"00001","minute":"2021-08-02T17:1'
    with open(path, "ab") as fh:
        fh.write(torn)
    book = LogBook(tmp_path)
    book.minutes("00001", at(18), at(18, 2), PROGRAM, OCC, "normal")
    book.seal("00001", DAY)
    book.close()
    data = path.read_bytes()
    assert data.startswith(good)
    assert (tmp_path / "00001" / "2021-08-02.jsonl.torn-1").read_bytes() == torn
    recovered = json.loads(data[len(good):].split(b"\n")[0])
    assert recovered["event"] == "recovered"
    assert recovered["reason"].startswith("torn: 44 bytes") and ".torn-1" in recovered["reason"]
    assert recovered["at"] == "2021-08-02T18:00:00.000+07:00"
    assert verify_file(path) == []
    assert {p.code for p in verify_tree(tmp_path)} == {"torn-file"}


def test_nul_filled_last_line_is_recovered_too(tmp_path):
    path = write_day(tmp_path, seal=False)
    good = path.read_bytes()
    with open(path, "ab") as fh:
        fh.write(b"\x00" * 100 + b"\n")
    book = LogBook(tmp_path)
    book.seal("00001", DAY)
    book.close()
    assert path.read_bytes().startswith(good)
    assert verify_file(path) == []


def test_read_only_folder_keeps_lines_until_they_can_land(tmp_path, monkeypatch):
    reference = write_day(tmp_path / "ref", durable=True)
    root = tmp_path / "logs"
    root.mkdir()
    root.chmod(0o500)
    if os.geteuid() == 0:  # root ignores folder permissions: refuse as the kernel would
        real_mkdir = os.mkdir

        def refuse(path, *args, **kwargs):
            if str(path).startswith(str(root)) and (root.stat().st_mode & 0o200) == 0:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(os, "mkdir", refuse)
    book = LogBook(root, durable=True)
    start = at(6, 0, 0, 12)
    with pytest.raises(LogWriteError) as info:
        book.event("00001", "start", start, at(6), PROGRAM, f"{PROGRAM}@2021-08-02T06:00",
                   "normal")
    assert "permission denied" in str(info.value) and info.value.pending == 1
    with pytest.raises(LogWriteError):
        book.minutes("00001", start, start + timedelta(minutes=30), PROGRAM,
                     f"{PROGRAM}@2021-08-02T06:00", "normal")
    assert book.pending() == 32  # 31 minute lines (06:00..06:30, 12 ms into 06:30) + start
    root.chmod(0o750)
    assert book.flush_pending() == 32
    for hh, minutes in ((17, 15),):
        s = at(hh, 0, 0, 12)
        occ = f"{PROGRAM}@2021-08-02T{hh:02d}:00"
        book.event("00001", "end", start + timedelta(minutes=30), at(6), PROGRAM,
                   f"{PROGRAM}@2021-08-02T06:00", "normal")
        book.event("00001", "start", s, at(hh), PROGRAM, occ, "normal")
        book.minutes("00001", s, s + timedelta(minutes=minutes), PROGRAM, occ, "normal")
        book.event("00001", "end", s + timedelta(minutes=minutes), at(hh), PROGRAM, occ,
                   "normal")
    book.seal("00001", DAY)
    book.close()
    assert (root / "00001" / "2021-08-02.jsonl").read_bytes() == reference.read_bytes()


def test_full_disk_keeps_lines_and_they_land_identical(tmp_path, monkeypatch):
    reference = write_day(tmp_path / "ref", durable=True)
    root = tmp_path / "logs"
    real_write = os.write
    state = {"full": False, "partial": False}

    def fake_write(fd, data):
        if state["partial"]:
            state["partial"] = False
            return real_write(fd, bytes(data)[:7])  # a short write, then the disk fills
        if state["full"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", fake_write)
    book = LogBook(root, durable=True)
    start = at(6, 0, 0, 12)
    occ = f"{PROGRAM}@2021-08-02T06:00"
    book.event("00001", "start", start, at(6), PROGRAM, occ, "normal")
    state.update(full=True, partial=True)
    with pytest.raises(LogWriteError) as info:
        book.minutes("00001", start, start + timedelta(minutes=30), PROGRAM, occ, "normal")
    assert "disk is full" in str(info.value)
    with pytest.raises(LogWriteError):
        book.flush_pending()
    state["full"] = False
    assert book.flush_pending() == 31
    book.event("00001", "end", start + timedelta(minutes=30), at(6), PROGRAM, occ, "normal")
    s = at(17, 0, 0, 12)
    occ = f"{PROGRAM}@2021-08-02T17:00"
    book.event("00001", "start", s, at(17), PROGRAM, occ, "normal")
    book.minutes("00001", s, s + timedelta(minutes=15), PROGRAM, occ, "normal")
    book.event("00001", "end", s + timedelta(minutes=15), at(17), PROGRAM, occ, "normal")
    book.seal("00001", DAY)
    book.close()
    assert (root / "00001" / "2021-08-02.jsonl").read_bytes() == reference.read_bytes()


def test_fsync_policy_in_durable_mode(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    clock = {"t": 0.0}
    book = LogBook(tmp_path, durable=True, fsync_interval=60, monotonic=lambda: clock["t"])
    book.event("00001", "start", at(6), at(6), PROGRAM, OCC, "normal")
    assert len(synced) == 1  # start events are synced at once
    book.minutes("00001", at(6), at(6, 1), PROGRAM, OCC, "normal")
    assert len(synced) == 1
    clock["t"] = 61.0
    book.minutes("00001", at(6, 1), at(6, 2), PROGRAM, OCC, "normal")
    assert len(synced) == 2  # a minute later: synced
    book.event("00001", "end", at(6, 2), at(6), PROGRAM, OCC, "normal")
    assert len(synced) == 3
    book.close()


def test_reader_numbers_lines_and_hashes_huge_ones(tmp_path):
    path = tmp_path / "x.jsonl"
    big = b"y" * (5 << 20)
    path.write_bytes(b"a\n" + big + b"\nb")
    lines = list(read_lines(path))
    assert [line.number for line in lines] == [1, 2, 3]
    assert lines[1].length == len(big) and lines[1].error == "" and lines[1].data is None
    assert "too long" in lines[1].error
    assert lines[1].digest == hashlib.sha256(big).hexdigest()[:32]
    assert lines[2].torn and not lines[0].torn


# --- a late write after the seal, and the fast reader against the careful one -----------


def test_a_late_write_reopens_the_day_and_the_next_seal_closes_it(tmp_path):
    path = write_day(tmp_path)
    book = LogBook(tmp_path)  # another run: the day is sealed on disk
    book.event("00001", "end", at(23, 59, 58), at(17), PROGRAM, OCC, "normal")
    book.seal("00001", DAY)
    book.close()
    lines = lines_of(path)
    assert json.loads(lines[-1])["event"] == "sealed" and json.loads(lines[-1])["lines"] == 53
    assert verify_file(path) == []  # two sealed lines; the last one closes the day


def sample_day(root: Path) -> bytes:
    """A day with a preemption, segments, a missed program and text to escape."""
    book = LogBook(root, durable=False)
    start = at(6, 0, 0, 12)
    book.event("00001", "start", start, at(6), PROGRAM, OCC, "normal")
    book.minutes("00001", start, at(6, 10, 20), PROGRAM, OCC, "normal",
                 segments=((start, 0), (at(6, 4, 30), 1)))
    book.event("00001", "preempted", at(6, 10, 20), at(6), PROGRAM, OCC, "normal",
               "preempted-by: khẩn@2021-08-02T06:10")
    book.event("00001", "start", at(6, 10, 20), at(6, 10), "khẩn", "khẩn@2021-08-02T06:10",
               "emergency")
    book.minutes("00001", at(6, 10, 20), at(6, 12, 5), "khẩn", "khẩn@2021-08-02T06:10",
                 "emergency")
    book.event("00001", "end", at(6, 12, 5), at(6, 10), "khẩn", "khẩn@2021-08-02T06:10",
               "emergency")
    book.event("00001", "resumed", at(6, 12, 5), at(6), PROGRAM, OCC, "normal")
    book.minutes("00001", at(6, 12, 5), at(6, 20), PROGRAM, OCC, "normal")
    book.event("00001", "end", at(6, 20), at(6), PROGRAM, OCC, "normal")
    book.event("00001", "missed", at(11), at(11), "tin", "tin@2021-08-02T11:00", "normal",
               'offline: "quoted" \\ text')
    book.seal("00001", DAY)
    book.close()
    return (root / "00001" / "2021-08-02.jsonl").read_bytes()


EDITS = ("drop", "double", "swap", "flip", "insert", "cut", "seconds", "rechain-double")


def mutate(data: bytes, edit: str, i: int, j: int, byte: int) -> bytes:
    from radiocli.aslog.format import line_hash

    lines = data.split(b"\n")[:-1]
    i %= len(lines)
    j %= len(lines)
    if edit == "drop":
        del lines[i]
    elif edit == "double":
        lines.insert(i, lines[i])
    elif edit == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif edit == "flip":
        raw = bytearray(lines[i])
        raw[j % len(raw)] = byte
        lines[i] = bytes(raw)
    elif edit == "insert":
        lines.insert(i, bytes([byte]) * (j % 7 + 1))
    elif edit == "cut":
        return data[: (i * 97 + j) % len(data)]
    elif edit == "seconds":
        lines[i] = lines[i].replace(b'"seconds":60', f'"seconds":{byte % 70}'.encode())
    elif edit == "rechain-double":  # a forger: a minute line twice, the chain made again
        if b'"minute"' not in lines[i]:
            return data
        lines.insert(i, lines[i])
        prev = genesis("00001", DAY)
        out = []
        for line in lines:
            obj = json.loads(line)
            obj["prev"] = prev
            if obj.get("event") == "sealed":
                obj["lines"] = len(out)
            text = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
            out.append(text)
            prev = line_hash(text)
        lines = out
    return b"\n".join(lines) + b"\n"


def test_the_fast_reader_accepts_exactly_what_the_careful_one_accepts(tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from radiocli.aslog.scan import scan
    from radiocli.aslog.verify import _check_lines

    good = sample_day(tmp_path)
    found = scan(good, "00001", DAY)
    assert found.clean and found.sealed and found.minutes == 22 and found.events == 8

    @settings(max_examples=400, deadline=None)
    @given(st.sampled_from(EDITS), st.integers(0, 400), st.integers(0, 400),
           st.integers(0, 255))
    def agree(edit, i, j, byte):
        data = mutate(good, edit, i, j, byte)
        careful = _check_lines(data, Path("x"), "00001", DAY, None)
        errors = {p.code for p in careful.problems
                  if p.severity == "error" and p.code not in ("torn", "truncated")}
        assert scan(data, "00001", DAY).clean == (not errors), (edit, errors)

    agree()
