"""`radiocli report`: totals match the raw lines exactly; XLSX, CSV, HTML, bad input."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from radiocli.aslog import LogBook
from radiocli.cli import cli

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULES = Path(__file__).resolve().parent.parent / "schedules"
D1 = date(2021, 8, 2)
EVIL = "=HYPERLINK(\"http://x\")<script>alert(1)</script>"


def make_logs(root: Path) -> None:
    """Three stations in two districts, three days, odd seconds, a preempt and a miss."""
    book = LogBook(root, durable=False)
    for k in range(3):
        day = D1 + timedelta(days=k)
        for st, minutes in (("00001", 31), ("00004", 17), ("00118", 44)):
            for hh in (6, 17):
                s = datetime(day.year, day.month, day.day, hh, 0, 7, tzinfo=TZ)
                occ = f"vov@{day}T{hh:02d}:00"
                book.event(st, "start", s, s, "vov", occ, "normal")
                book.minutes(st, s, s + timedelta(minutes=minutes, seconds=13), "vov", occ,
                             "normal")
                book.event(st, "end", s + timedelta(minutes=minutes), s, "vov", occ, "normal")
            s = datetime(day.year, day.month, day.day, 11, tzinfo=TZ)
            book.event(st, "missed", s, s, "=tin", f"=tin@{day}T11:00", "normal",
                       "offline: " + EVIL)
        book.seal_before(day + timedelta(days=1))
    book.close()


def run(home: Path, *args: str):
    result = CliRunner().invoke(cli, ["--home", str(home), "-s", str(SCHEDULES), *args],
                                catch_exceptions=False)
    return result


def raw_totals(root: Path) -> tuple[int, float, set[str]]:
    """Sessions, minutes and stations straight from the lines, with plain json."""
    sessions, seconds, stations = 0, 0, set()
    for path in sorted(root.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            stations.add(obj["station"])
            if obj.get("event") == "start":
                sessions += 1
            seconds += obj.get("seconds", 0)
    return sessions, seconds / 60, stations


@pytest.fixture
def home(tmp_path):
    make_logs(tmp_path / "logs")
    return tmp_path


def test_summary_matches_the_raw_lines_exactly(home):
    result = run(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04",
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    sessions, minutes, stations = raw_totals(home / "logs")
    assert report["sessions"] == sessions == 18
    assert report["minutes"] == round(minutes, 1)
    assert report["stations"] == len(stations) == 3
    assert report["days"] == 3
    # every district of the city is listed, those that sent nothing with zeros
    assert len(report["districts"]) == 30
    assert {r["district"] for r in report["districts"] if r["sessions"]} == {"001", "004"}
    assert sum(r["sessions"] for r in report["districts"]) == sessions
    assert report["headline"].startswith("3 đài truyền thanh xã, phường, thị trấn")
    # collected into <home>/store; a second report collects nothing new, counts the same
    again = json.loads(run(home, "report", "summary", "--from", "2021-08-02", "--to",
                           "2021-08-04", "--json").stdout)
    assert again["sessions"] == sessions and again["minutes"] == report["minutes"]


def test_english_and_station_report(home):
    result = run(home, "--lang", "en", "report", "station", "--station", "00001", "--from",
                 "2021-08-01", "--to", "2021-08-04", "--json")
    report = json.loads(result.stdout)
    assert [r["sessions"] for r in report["rows"]] == [0, 2, 2, 2]
    assert [r["missed_lines"] for r in report["rows"]] == [0, 1, 1, 1]
    # "missed" counts planned occurrences that did not air (these fake logs air none of
    # the sample's programs), so it is never below what the log itself calls missed
    assert all(r["missed"] + r["partial"] + r["aired"] == r["planned"] for r in report["rows"])
    assert all(r["missed"] >= 4 for r in report["rows"])
    assert report["rows"][0]["log"] == "no-log"
    assert [r["log"] for r in report["rows"][1:]] == ["ok"] * 3
    text = run(home, "--lang", "en", "report", "summary", "--from", "2021-08-02", "--to",
               "2021-08-04").stdout
    assert "commune, ward and town radio stations aired 18 sessions" in text


def test_csv_and_xlsx_neutralize_formulas(home, tmp_path):
    from openpyxl import load_workbook

    out = run(home, "report", "compliance", "--from", "2021-08-02", "--to", "2021-08-02",
              "--station", "00001", "--csv", "--xlsx", str(tmp_path / "c.xlsx"))
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0][:3] == ["STT", "Mã đài", "Tên đài"]
    cells = [c for row in rows for c in row]
    assert not any(c.startswith("=") for c in cells)
    assert "'=tin@2021-08-02T11:00" in cells
    wb = load_workbook(tmp_path / "c.xlsx")
    values = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert "'=tin@2021-08-02T11:00" in values
    assert any(isinstance(v, str) and v.startswith("offline: =HYPERLINK") for v in values)
    summary = run(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04",
                  "--xlsx", str(tmp_path / "s.xlsx"))
    assert summary.exit_code == 0
    ws = load_workbook(tmp_path / "s.xlsx")["Quận, huyện"]
    assert ws["B3"].value == "Mã quận/huyện"


def test_compliance_reasons(home):
    out = run(home, "--lang", "en", "report", "compliance", "--from", "2021-08-02", "--to",
              "2021-08-02", "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    codes = {r["code"] for r in report["rows"]}
    # the sample schedule plans programs these fake logs never aired
    assert "offline" in codes or "missed" in codes
    assert "unplanned" in codes  # "vov" is not a program of the schedule
    assert report["planned"] > 0


def test_html_is_one_escaped_file(home, tmp_path):
    target = tmp_path / "r.html"
    out = run(home, "report", "compliance", "--from", "2021-08-02", "--to", "2021-08-03",
              "--station", "00001", "--html", str(target))
    assert out.exit_code == 0, out.output
    text = target.read_text(encoding="utf-8")
    assert "<script" not in text and "&lt;script&gt;" in text
    assert "<svg" in text and "src=" not in text and "href=" not in text
    summary = tmp_path / "s.html"
    run(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04", "--html",
        str(summary))
    text = summary.read_text(encoding="utf-8")
    # the map and two charts
    assert text.count("<svg") == 3 and "<script" not in text and "<link" not in text


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium not installed")
def test_html_loads_in_headless_chromium_without_errors(home, tmp_path):
    target = tmp_path / "r.html"
    run(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04", "--html",
        str(target))
    proc = subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--enable-logging=stderr", "--v=0", "--dump-dom", target.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0
    assert "<svg" in proc.stdout
    assert "Uncaught" not in proc.stderr and "CONSOLE(" not in proc.stderr


def test_bad_input_gives_clear_messages(home, tmp_path):
    backwards = run(home, "report", "summary", "--from", "2021-08-04", "--to", "2021-08-02")
    assert backwards.exit_code == 1 and "backwards" in backwards.stderr
    empty = run(home, "report", "summary", "--from", "2020-01-01", "--to", "2020-01-02",
                "--json")
    assert empty.exit_code == 0
    assert json.loads(empty.stdout)["sessions"] == 0
    missing = run(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04",
                  "--store", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and "no such store" in missing.stderr
    bad_date = run(home, "report", "summary", "--from", "2021-13-01", "--to", "2021-08-04")
    assert bad_date.exit_code == 2


def test_tampered_log_is_left_out_and_said_so(home):
    path = home / "logs" / "00004" / "2021-08-03.jsonl"
    lines = path.read_bytes().split(b"\n")
    del lines[4]
    path.write_bytes(b"\n".join(lines))
    out = run(home, "report", "summary", "--from", "2021-08-02", "--to", "2021-08-04",
              "--json")
    report = json.loads(out.stdout)
    assert report["sessions"] == 16  # the two sessions of the tampered day are left out
    assert any("00004 2021-08-03" in note for note in report["notes"])
    shutil.rmtree(home / "store")
