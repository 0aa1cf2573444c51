"""The plan as a table: preemption shown piece by piece, and a table that fits the
terminal (dates and times whole, the title shown, the decimal comma in Vietnamese)."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console

from radiocli.cli import output


def plain(cli, sample_schedules, *args: str) -> list[list[str]]:
    result = cli("--schedules", str(sample_schedules), "plan", *args)
    assert result.exit_code == 0, result.output
    return [line.split("\t") for line in result.stdout.splitlines()[2:]]


def test_a_preempted_program_shows_its_pieces(cli, sample_schedules):
    rows = plain(cli, sample_schedules, "--date", "2021-08-05", "--station", "00343")
    district = [(r[2], r[3], r[4], r[8], r[9]) for r in rows if r[6] == "chuong-trinh-009"]
    assert district == [
        ("17:00:00", "17:10:00", "10.0", "aired",
         "preempted by Thông báo khẩn về phong tỏa tạm thời"),
        ("17:10:31", "17:29:02", "18.5", "resumed", ""),
    ]
    order = [(r[2], r[6]) for r in rows if "17:00:00" <= r[2] < "18:00:00"]
    assert order == [("17:00:00", "chuong-trinh-009"), ("17:10:00", "khan-cap-009-phong-toa"),
                     ("17:10:31", "chuong-trinh-009")]


def test_csv_shows_the_pieces_too(cli, sample_schedules):
    result = cli("--schedules", str(sample_schedules), "plan", "--date", "2021-08-05",
                 "--station", "00343", "--csv")
    assert "17:10:31,17:29:02,18.5,normal,chuong-trinh-009" in result.stdout


def test_a_cut_program_says_so_on_its_last_piece(sample_schedules):
    """An emergency longer than the program's max_delay: aired, then cut."""
    from dataclasses import replace
    from datetime import date

    from radiocli.cli.plan import table_rows
    from radiocli.plan import day_window, plan
    from radiocli.schedule.load import load

    schedule = load(sample_schedules)
    emergency = schedule.programs["khan-cap-009-phong-toa"]
    schedule.programs[emergency.id] = replace(emergency, duration=3600.0)
    occs = plan(schedule, *day_window(date(2021, 8, 5)), stations=["00343"])
    district = next(o for o in occs if o.program == "chuong-trinh-009")
    rows = table_rows(district, schedule, "en")
    assert [(r["start"], r["end"], r["status"]) for r in rows] == [
        ("17:00:00", "17:10:00", "cut")]
    assert rows[0]["note"] == "preempted by Thông báo khẩn về phong tỏa tạm thời"


@pytest.fixture
def terminal(monkeypatch):
    """A terminal of a given width: what `plan` draws on it."""
    def make(width: int) -> io.StringIO:
        buffer = io.StringIO()
        console = Console(file=buffer, width=width, force_terminal=False, no_color=True)
        monkeypatch.setattr(output, "is_terminal", lambda stream=None: True)
        monkeypatch.setattr(output, "console", lambda stderr=False: console)
        return buffer
    return make


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("args", [
    ("--date", "2021-08-05", "--station", "00343"),
    ("--date", "2021-08-05", "--days", "2", "--district", "009"),
    ("--date", "2021-09-10", "--station", "00478", "--station", "00001"),
])
def test_the_table_fits_the_terminal_and_cuts_nothing(cli, sample_schedules, terminal, width,
                                                      args):
    buffer = terminal(width)
    result = cli("--schedules", str(sample_schedules), "plan", *args)
    assert result.exit_code == 0, result.output
    text = buffer.getvalue()
    lines = text.splitlines()
    assert all(cell_len(line) <= width for line in lines), max(map(cell_len, lines))
    assert "…" not in text
    assert "Chương" in text and "Tiếp sóng" in text  # program titles, not ids
    for moment in ("06:00:00", "06:45:03", "11:00:00"):
        assert moment in text
    if "--days" in args:  # several days: every row says its date, whole
        assert "2021-08-05" in text and "2021-08-06" in text


def test_vietnamese_tables_use_the_decimal_comma(cli, sample_schedules, terminal):
    buffer = terminal(100)
    cli("--lang", "vi", "--schedules", str(sample_schedules), "plan", "--date", "2021-08-05",
        "--station", "00343")
    text = buffer.getvalue()
    assert "45,0" in text and "31,1" in text and "45.0" not in text


def test_vietnamese_plans_write_dates_as_people_read_them(cli, sample_schedules):
    """Under --lang vi the title and the date column say 05/08/2021, and rows of several
    days still come in the order of the days (not of the day-month text)."""
    result = cli("--lang", "vi", "--schedules", str(sample_schedules), "plan", "--date",
                 "31/08/2021", "--days", "2", "--station", "00343")
    assert result.exit_code == 0, result.output
    title, _header, *rows = result.stdout.splitlines()
    assert "31/08/2021" in title and "2021-08-31" not in title
    days = [row.split("\t")[1] for row in rows]
    assert days[0] == "31/08/2021" and days[-1] == "01/09/2021"
    assert days == sorted(days, key=lambda d: d[6:] + d[3:5] + d[:2])


def test_dates_as_operators_write_them(cli, sample_schedules):
    iso = cli("--schedules", str(sample_schedules), "plan", "--date", "2021-08-05",
              "--station", "00343", "--json").stdout
    vn = cli("--schedules", str(sample_schedules), "plan", "--date", "05/08/2021",
             "--station", "00343", "--json").stdout
    assert iso == vn and "2021-08-05T06:00:00+07:00" in iso


@pytest.mark.parametrize("word,offset", [("today", 0), ("hôm nay", 0), ("tomorrow", 1),
                                         ("ngày mai", 1), ("Ngày Mai", 1), ("yesterday", -1)])
def test_today_and_tomorrow(cli, sample_schedules, word, offset, monkeypatch):
    from datetime import date, timedelta

    from radiocli.cli import common

    monkeypatch.setattr(common, "hanoi_today", lambda: date(2021, 8, 5))
    result = cli("--schedules", str(sample_schedules), "plan", "--date", word, "--station",
                 "00343", "--json")
    assert result.exit_code == 0, result.output
    day = date(2021, 8, 5) + timedelta(days=offset)
    assert f'"scheduled": "{day}T06:00:00+07:00"' in result.stdout


def test_a_bad_date_is_a_usage_error(cli, sample_schedules):
    result = cli("--schedules", str(sample_schedules), "plan", "--date", "31/02/2021")
    assert result.exit_code == 2
    assert "names a day that does not exist" in result.output
    result = cli("--schedules", str(sample_schedules), "plan", "--date", "someday")
    assert result.exit_code == 2 and "DD/MM/YYYY" in result.output
