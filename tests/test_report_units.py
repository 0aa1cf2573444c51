"""Reports across Hanoi's reorganisations (issue 14 items 4 and 5): every line counts for
the unit that held its code that day; ``--as-of DATE`` rolls history up to the units of
DATE; district rows exist while districts do; a reused code names each of its units.

The logs are simulated with the real registry on a small schedule (a program for every
unit, one for two districts, one for two wards) across 2025-01-01 and 2025-07-01, and
checked against a recount of the raw lines with plain json and the registry."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
JAN, JUNE, JULY = date(2025, 1, 1), date(2025, 6, 30), date(2025, 7, 1)
WINDOWS = (("2024-12-15", "2025-01-15"), ("2025-06-15", "2025-07-15"))

PROGRAMS = """\
programs:
  sang:
    targets: all
    when: {days: every day, at: "08:00"}
    segments: [{silence: 90s}]
  quan:
    targets: {districts: ["001", "017"]}
    when: {days: every day, at: "10:00"}
    segments: [{silence: 5m}]
  phuong:
    targets: {stations: ["00004", "00181"]}
    when: {days: [mon, wed, fri], at: "12:00"}
    segments: [{silence: 3m}]
"""


def invoke(home: Path, *args: str) -> str:
    from radiocli.cli import cli

    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The two windows simulated for every unit in force each day, collected into one
    store: (root, schedules folder, store, registry)."""
    from radiocli.schedule.load import load

    root = tmp_path_factory.mktemp("reorg")
    schedules = root / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", schedules / "registry")
    (schedules / "p.yaml").write_text(PROGRAMS, encoding="utf-8")
    for start, end in WINDOWS:
        invoke(root / "home", "--schedules", str(schedules), "simulate", "--from", start,
               "--to", end, "--all", "--logs", str(root / "logs" / start), "--json")
    invoke(root / "home", "--schedules", str(schedules), "logs", "collect",
           str(root / "logs"), "--into", str(root / "store"))
    return root, schedules, root / "store", load(schedules).registry


def report(city, *args: str, lang: str = "vi") -> dict:
    root, schedules, store, _registry = city
    return json.loads(invoke(root / "home", "--schedules", str(schedules), "--lang", lang,
                             "report", *args, "--store", str(store), "--json"))


def raw_lines(logs: Path, start: str, end: str):
    """(code, day, is a start line, seconds) of every line of the period, from the files."""
    for path in sorted(logs.rglob("*.jsonl")):
        day = date.fromisoformat(path.stem)
        if not date.fromisoformat(start) <= day <= date.fromisoformat(end):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            yield obj["station"], day, obj.get("event") == "start", obj.get("seconds", 0)


def recount(city, start: str, end: str, key) -> tuple[Counter, Counter]:
    """Sessions and seconds of the raw lines, per ``key(unit of the line)``."""
    root, _schedules, _store, registry = city
    sessions: Counter = Counter()
    seconds: Counter = Counter()
    for code, day, is_start, secs in raw_lines(root / "logs", start, end):
        unit = registry.holder(code, day)
        sessions[key(unit)] += is_start
        seconds[key(unit)] += secs
    return sessions, seconds


def rows_of(rep: dict) -> list[dict]:
    return rep["communes"] if "communes" in rep else rep["rows"]


@pytest.mark.parametrize("window", WINDOWS)
def test_totals_equal_a_recount_of_the_raw_lines_under_both_views(city, window):
    """Each unit row, district row and total is the recount of the lines the registry
    gives it: by default under the unit as it aired (its name that day), rolled up to the
    units of the later date with --as-of."""
    start, end = window
    _root, _schedules, _store, registry = city
    on = JAN if start.startswith("2024") else JULY
    as_aired = report(city, "summary", "--from", start, "--to", end)
    rolled = report(city, "summary", "--from", start, "--to", end, "--as-of", str(on))

    # a unit as it aired: its code, name and district (00328 Phường Lĩnh Nam of Quận Hoàng
    # Mai until 2025-06-30 and the new 00328 Phường Lĩnh Nam are two units, two rows)
    sessions, seconds = recount(city, start, end, lambda u: (u.code, u.name, u.district))
    assert sum(sessions.values()) > 0
    for rep in (as_aired, rolled):
        assert rep["sessions"] == sum(sessions.values())
        assert rep["minutes"] == round(sum(seconds.values()) / 60, 1)
    got = {(r["code"], r["name"], r["district"]): (r["sessions"], r["minutes"])
           for r in rows_of(as_aired)}
    assert got == {k: (sessions[k], round(seconds[k] / 60, 1)) for k in sessions}

    roll = registry.roll_up(on)
    by_unit, by_unit_seconds = recount(city, start, end, lambda u: roll[u.key].code)
    got = {r["code"]: (r["sessions"], r["minutes"]) for r in rows_of(rolled)}
    assert set(got) == set(registry.as_of(on))  # the units of that date, every one listed
    assert got == {code: (by_unit[code], round(by_unit_seconds[code] / 60, 1))
                   for code in got}
    assert rolled["units_as_of"] == len(registry.as_of(on))
    # the stations that aired and their daily averages do not depend on the view
    for key in ("stations", "station_days", "sessions_per_station_day",
                "minutes_per_station_day", "incomplete_days"):
        assert rolled[key] == as_aired[key], key


def test_across_2025_01_01_renamed_and_merged_units_keep_their_names_of_the_day(city):
    rep = report(city, "summary", "--from", "2024-12-15", "--to", "2025-01-15")
    rows = {(r["code"], r["name"]): r for r in rows_of(rep)}
    # renamed on 2025-01-01 (after taking in 00184): one row per name, each its days
    old = rows[("00181", "Phường Văn Miếu")]
    new = rows[("00181", "Phường Văn Miếu Quốc Tử Giám")]
    assert (old["span"], new["span"]) == ("đến 31/12/2024", "từ 01/01/2025")
    assert old["complete_days"] == 17 and new["complete_days"] == 15
    merged = rows[("00184", "Phường Quốc Tử Giám")]
    assert merged["span"] == "đến 31/12/2024" and merged["sessions"] == 17
    assert rep["stations"] == 579 and rep["sessions_per_station_day"] > 1
    # the 30 districts existed all along: one row each, equal to their units' recount
    sessions, _seconds = recount(city, "2024-12-15", "2025-01-15", lambda u: u.district)
    assert {d["district"]: d["sessions"] for d in rep["districts"]} == dict(sessions)
    assert len(rep["districts"]) == 30
    assert any("01/01/2025" in note and "--as-of" in note for note in rep["notes"])
    rolled = report(city, "summary", "--from", "2024-12-15", "--to", "2025-01-15",
                    "--as-of", "2025-01-01")
    (vmqtg,) = [r for r in rows_of(rolled) if r["code"] == "00181"]
    assert vmqtg["name"] == "Phường Văn Miếu Quốc Tử Giám"
    assert vmqtg["sessions"] == old["sessions"] + new["sessions"] + merged["sessions"]
    assert "Phường Quốc Tử Giám (00184)" in vmqtg["sources"]


def test_across_2025_07_01_district_rows_end_with_the_districts(city):
    _root, _schedules, _store, registry = city
    rep = report(city, "summary", "--from", "2025-06-15", "--to", "2025-07-15")
    districts = {d["district"]: d for d in rep["districts"]}
    assert len(districts) == 31 and "" in districts  # 30 districts, then the units without
    nothing = districts[""]
    assert nothing["district_name"] == "Không thuộc quận, huyện"
    assert nothing["stations"] == 126 and nothing["sessions"] == sum(
        1 for code, day, is_start, _s in raw_lines(city[0] / "logs", "2025-07-01", "2025-07-15")
        if is_start)
    before, _seconds = recount(city, "2025-06-15", "2025-06-30", lambda u: u.district)
    assert {k: d["sessions"] for k, d in districts.items() if k} == dict(before)
    assert any("Từ 01/07/2025 không còn cấp quận, huyện" in note for note in rep["notes"])
    ba_dinh = [r for r in rows_of(rep) if r["code"] == "00004"]
    assert [(r["name"], r["district"], r["span"]) for r in ba_dinh] == [
        ("Phường Trúc Bạch", "001", "đến 30/06/2025"), ("Phường Ba Đình", "", "từ 01/07/2025")]

    rolled = report(city, "summary", "--from", "2025-06-15", "--to", "2025-07-15",
                    "--as-of", "2025-07-01")
    assert "districts" not in rolled  # no district level: its rows are units
    assert len(rolled["rows"]) == 126 and all(r["district"] == "" for r in rolled["rows"])
    yen_so = next(r for r in rolled["rows"] if r["code"] == "00340")
    assert yen_so["units"] == 1 and yen_so["sessions"] == 15  # only its own days
    assert any("00340" in note and "không nhận lịch sử" in note for note in rolled["notes"])
    # a period wholly after 2025-07-01: no district level by default either
    after = report(city, "summary", "--from", "2025-07-01", "--to", "2025-07-15")
    assert "districts" not in after and len(after["rows"]) == 126
    assert "district_name" not in rows_of(after)[0] or not any(
        r["district_name"] for r in rows_of(after))


def test_documents_after_2025_07_01_have_no_district_level_and_map_the_2025_units(city,
                                                                                    tmp_path):
    import docx
    from openpyxl import load_workbook

    root, schedules, store, registry = city
    out = {ext: tmp_path / f"r.{ext}" for ext in ("xlsx", "html", "docx")}
    invoke(root / "home", "--schedules", str(schedules), "report", "summary", "--from",
           "2025-07-01", "--to", "2025-07-15", "--store", str(store), "--xlsx",
           str(out["xlsx"]), "--html", str(out["html"]), "--docx", str(out["docx"]))
    workbook = load_workbook(out["xlsx"])
    assert "Quận, huyện" not in workbook.sheetnames
    communes = workbook["Xã, phường, thị trấn"]
    headings = [c.value for c in communes[3]]
    assert "Mã đài" in headings and "Quận/huyện" not in headings
    assert communes.max_row == 3 + 126 + 1  # title, blank, heading; 126 units; total
    page = out["html"].read_text(encoding="utf-8")
    assert page.count('class="station"') == 126 and "Quận, huyện" not in page
    document = docx.Document(str(out["docx"]))
    headers = [cell.text for table in document.tables for cell in table.rows[0].cells]
    assert "Quận/huyện" not in headers and "Xã, phường, thị trấn" in headers
    # the map places each unit at its 2025 centroid (00004: Ba Đình, not Trúc Bạch)
    from radiocli.report.connection import open_engine
    from radiocli.report.summary import summary

    made = summary(open_engine(store, registry), JULY, date(2025, 7, 15))
    (point,) = [p for p in made.points if p.code == "00004"]
    ba_dinh = registry.unit("00004", JULY)
    assert (point.lat, point.lon, point.name) == (ba_dinh.lat, ba_dinh.lon, "Phường Ba Đình")
    assert ba_dinh.lat != registry.unit("00004", JUNE).lat


def test_the_579_unit_report_rolled_up_to_2025_07_01(city):
    """Done when (issue 14): a report over a period of 2024 as of 2025-07-01 lists the
    126 units with the 579-unit report's totals, and says that 00340 receives no history
    under the main-successor rule, in Vietnamese by default."""
    _root, _schedules, _store, registry = city
    old = report(city, "summary", "--from", "2024-12-15", "--to", "2024-12-31")
    rolled = report(city, "summary", "--from", "2024-12-15", "--to", "2024-12-31",
                    "--as-of", "2025-07-01")
    assert old["stations"] == 579 and len(old["districts"]) == 30
    for key in ("sessions", "minutes", "seconds", "stations", "sessions_per_station_day",
                "minutes_per_station_day"):
        assert rolled[key] == old[key], key
    assert sorted(r["code"] for r in rolled["rows"]) == sorted(registry.as_of(JULY))
    assert sum(r["sessions"] for r in rolled["rows"]) == old["sessions"]
    yen_so = next(r for r in rolled["rows"] if r["code"] == "00340")
    assert (yen_so["name"], yen_so["sessions"], yen_so["minutes"]) == ("Phường Yên Sở", 0, 0)
    (note,) = [n for n in rolled["notes"] if "00340" in n]
    assert note.startswith("Theo quy tắc đơn vị kế thừa chính, Phường Yên Sở (00340) không "
                           "nhận lịch sử nào")
    assert "Phường Hoàng Mai" in note  # where the old Yên Sở's main part went
    english = report(city, "summary", "--from", "2024-12-15", "--to", "2024-12-31",
                     "--as-of", "2025-07-01", lang="en")
    assert any(n.startswith("Under the main-successor rule Phường Yên Sở (00340) receives "
                            "no history") for n in english["notes"])


def test_as_of_and_district_mistakes_are_clear_errors(city):
    root, schedules, store, _registry = city
    from radiocli.cli import cli

    def fails(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--home", str(root / "home"), "--schedules",
                                          str(schedules), "--lang", "en", "report", *args,
                                          "--store", str(store)], catch_exceptions=False)
        assert result.exit_code == 1, result.output
        return result.stderr

    assert "choose --as-of 2025-07-01 or later" in fails(
        "summary", "--from", "2025-06-15", "--to", "2025-07-15", "--as-of", "2025-01-01")
    assert "district 001 Quận Ba Đình has no units on 2025-07-01 (its last day was " \
           "2025-06-30)" in fails("summary", "--from", "2025-06-15", "--to", "2025-07-15",
                                  "--district", "001", "--as-of", "2025-07-01")
    assert "has no units between 2025-07-01 and 2025-07-15" in fails(
        "summary", "--from", "2025-07-01", "--to", "2025-07-15", "--district", "001")
    assert "no unit holds code 00010 on 2025-07-01" in fails(
        "summary", "--from", "2024-12-15", "--to", "2024-12-31", "--station", "00010",
        "--as-of", "2025-07-01")


def test_a_district_report_across_its_end_counts_its_days_and_says_so(city):
    rep = report(city, "summary", "--from", "2025-06-15", "--to", "2025-07-15", "--district",
                 "001")
    sessions, _seconds = recount(city, "2025-06-15", "2025-07-15",
                                 lambda u: u.district == "001")
    assert rep["sessions"] == sessions[True] and len(rep["rows"]) == 13
    assert all(r["span"] == "đến 30/06/2025" for r in rep["rows"])
    assert any(note.startswith("Quận Ba Đình không còn từ 01/07/2025") for note in rep["notes"])


# --- a reused code: 00004 in 2024 and in 2026, in one store ---------------------------


@pytest.fixture(scope="module")
def reused(tmp_path_factory):
    """00004's station simulated on 2024-12-30 (Phường Trúc Bạch, district 001) and on
    2026-01-02 (Phường Ba Đình, no district), collected into one store."""
    from radiocli.schedule.load import load

    root = tmp_path_factory.mktemp("reused")
    schedules = root / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", schedules / "registry")
    (schedules / "p.yaml").write_text(PROGRAMS, encoding="utf-8")
    for day in ("2024-12-30", "2026-01-02"):
        invoke(root / "home", "--schedules", str(schedules), "simulate", "--from", day, "--to",
               day, "--station", "00004", "--logs", str(root / "logs"), "--json")
    invoke(root / "home", "--schedules", str(schedules), "logs", "collect", str(root / "logs"),
           "--into", str(root / "store"))
    return root, schedules, root / "store", load(schedules).registry


PERIOD = ("--from", "2024-12-30", "--to", "2026-01-02")


def test_collect_attributes_each_log_of_a_reused_code_to_its_unit_of_the_day(reused):
    from radiocli.aslog.store import Store

    _root, _schedules, store, _registry = reused
    with Store(store) as opened:
        logs = {row["date"]: (row["district"], row["path"]) for row in opened.logs()}
    assert logs == {"2024-12-30": ("001", "raw/001/00004/2024-12-30.jsonl"),
                    "2026-01-02": ("", "raw/none/00004/2026-01-02.jsonl")}


def test_summary_names_each_unit_of_a_reused_code(reused):
    for scope in ((), ("--station", "00004")):
        rep = report(reused, "summary", *PERIOD, *scope)
        rows = [(r["code"], r["name"], r["district"], r["sessions"]) for r in rows_of(rep)
                if r["sessions"]]
        # a Monday (every unit, its district, two wards) and a Friday (no district now)
        assert rows == [("00004", "Phường Trúc Bạch", "001", 3),
                        ("00004", "Phường Ba Đình", "", 2)], scope
        assert rep["stations"] == 2  # two units, one code
    rolled = report(reused, "summary", *PERIOD, "--as-of", "2025-07-01")
    assert [(r["code"], r["name"], r["sessions"]) for r in rolled["rows"] if r["sessions"]] == [
        ("00004", "Phường Ba Đình", 5)]
    rolled = report(reused, "summary", *PERIOD, "--station", "00004", "--as-of", "2025-07-01")
    # it carries Trúc Bạch, Nguyễn Trung Trực (merged into it on 2025-01-01), Quán Thánh,
    # Ngọc Hà, Điện Biên (its main part) and itself: six units of the period
    assert [(r["name"], r["sessions"], r["units"]) for r in rolled["rows"]] == [
        ("Phường Ba Đình", 5, 6)]


def test_station_report_names_the_unit_of_each_day(reused):
    rep = report(reused, "station", "--station", "00004", *PERIOD)
    days = {r["date"]: r for r in rep["rows"]}
    assert days["2024-12-30"]["unit"] == "Phường Trúc Bạch"
    assert days["2026-01-02"]["unit"] == "Phường Ba Đình"
    assert (days["2024-12-30"]["sessions"], days["2026-01-02"]["sessions"]) == (3, 2)
    assert rep["headline"].startswith("Phường Trúc Bạch, Phường Ba Đình (00004): 5 buổi phát")
    rolled = report(reused, "station", "--station", "00004", *PERIOD, "--as-of", "2025-07-01")
    assert rolled["name"] == "Phường Ba Đình" and rolled["sessions"] == 5
    assert "unit" not in rolled["rows"][0]


def test_compliance_names_the_unit_of_each_occurrence(reused):
    rep = report(reused, "compliance", *PERIOD, "--station", "00004")
    aired = Counter((r["scheduled"][:10], r["station_name"]) for r in rep["rows"]
                    if r["code"] == "aired")
    assert aired == {("2024-12-30", "Phường Trúc Bạch"): 3, ("2026-01-02", "Phường Ba Đình"): 2}
    by_unit = {(r["station_name"], r["aired"]) for r in rep["stations"]}
    assert by_unit == {("Phường Trúc Bạch", 3), ("Phường Ba Đình", 2)}
    offline = Counter(r["station_name"] for r in rep["rows"] if r["code"] == "offline")
    # Trúc Bạch's days until 2025-06-30 and Ba Đình's from 2025-07-01, without a log
    assert offline["Phường Trúc Bạch"] > 180 and offline["Phường Ba Đình"] > 180
    rolled = report(reused, "compliance", *PERIOD, "--station", "00004", "--as-of",
                    "2025-07-01")
    assert [(r["station_name"], r["aired"]) for r in rolled["stations"]] == [
        ("Phường Ba Đình", 5)]
    assert {r["unit"] for r in rolled["rows"]} == {"Phường Ba Đình (00004)"}


def test_lines_under_a_code_the_registry_no_longer_knows_are_reported(reused):
    """A registry edited after the logs were collected: the report does not count lines
    under codes it does not know, and says how many and which."""
    from radiocli.report.connection import open_engine
    from radiocli.report.summary import summary
    from radiocli.schedule.registry import Registry

    _root, _schedules, store, registry = reused
    without = Registry([st for code, st in registry.base.items() if code != "00004"],
                       registry.districts.values())
    day = date(2024, 12, 30)
    made = summary(open_engine(store, without), day, day, "en")
    assert made.totals["sessions"] == 0
    assert "Logs under 1 code(s) not in the registry are not counted (3 sessions, 9.5 " \
           "minutes): 00004" in made.notes
    assert summary(open_engine(store, registry), day, day).totals["sessions"] == 3


def test_day_by_day_the_frame_gives_each_line_its_unit(reused):
    from radiocli.report.units import Frame

    _root, _schedules, _store, registry = reused
    frame = Frame(registry, date(2024, 12, 30), date(2026, 1, 2), station="00004")
    for day in (date(2024, 12, 30), JUNE, JULY, date(2026, 1, 2)):
        source = frame.source_of("00004", day)
        assert source is not None and source.station.key == registry.holder("00004", day).key
    rolled = Frame(registry, date(2024, 12, 30), date(2026, 1, 2), on=JULY, station="00004")
    assert [row.station.name for row in rolled.rows] == ["Phường Ba Đình"]
    assert {rolled.rows[0].station.key} == {
        rolled.rows[s.row].station.key for s in rolled.sources}
    assert timedelta(days=0) == JULY - rolled.rows[0].station.valid_from


# --- the registry kept between runs, for report summary ---------------------------------


def test_the_cached_registry_answers_as_the_schedules_do_and_follows_every_edit(tmp_path):
    from radiocli.schedule.load import read
    from radiocli.schedule.registry_cache import cached_registry, schedule_digest

    schedules = tmp_path / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", schedules / "registry")
    (schedules / "p.yaml").write_text(PROGRAMS, encoding="utf-8")
    cache = tmp_path / "cache"
    reads: list[int] = []

    def loader():
        reads.append(1)
        return read(schedules)[0].registry

    first = cached_registry(schedules, cache, loader)
    again = cached_registry(schedules, cache, loader)
    assert len(reads) == 1 and len(list(cache.glob("*.json"))) == 1
    for day in (date(2024, 5, 1), JAN, JULY):
        assert again.as_of(day) == first.as_of(day)
    assert again.roll_up(JULY) == first.roll_up(JULY)
    assert again.attribution(date(2024, 12, 1), date(2026, 1, 1)) == \
        first.attribution(date(2024, 12, 1), date(2026, 1, 1))
    # any edit of any schedule file is a new key: the loader reads the folder again
    changes = schedules / "registry" / "changes.yaml"
    changes.write_text(changes.read_text(encoding="utf-8").replace(
        'rename: {station: "00181", name: "Phường Văn Miếu Quốc Tử Giám"}',
        'rename: {station: "00181", name: "Phường Văn Miếu - Quốc Tử Giám"}'), encoding="utf-8")
    edited = cached_registry(schedules, cache, loader)
    assert len(reads) == 2 and edited.unit("00181", JAN).name == "Phường Văn Miếu - Quốc Tử Giám"
    assert len(list(cache.glob("*.json"))) == 1  # the old key's file is gone
    # a damaged cache file is made again; a link in the folder is never cached
    next(cache.glob("*.json")).write_text("{", encoding="utf-8")
    assert cached_registry(schedules, cache, loader).unit("00181", JAN).name == \
        "Phường Văn Miếu - Quốc Tử Giám"
    assert len(reads) == 3
    (schedules / "link.yaml").symlink_to(schedules / "p.yaml")
    assert schedule_digest(schedules) is None
    cached_registry(schedules, cache, loader)
    cached_registry(schedules, cache, loader)
    assert len(reads) == 5


def test_report_summary_keeps_the_registry_in_the_home_cache(reused):
    root, schedules, store, _registry = reused
    home = root / "home"
    for _ in range(2):
        out = json.loads(invoke(home, "--schedules", str(schedules), "report", "summary",
                                *PERIOD, "--station", "00004", "--store", str(store),
                                "--json"))
        assert [r["name"] for r in out["rows"] if r["sessions"]] == ["Phường Trúc Bạch",
                                                                     "Phường Ba Đình"]
    assert len(list((home / "cache" / "registry").glob("*.json"))) == 1


def test_a_station_report_says_which_days_its_unit_was_not_in_force(city):
    """00340 as of 2025-07-01 over 2025-06-25..07-05: Phường Yên Sở of 2025 began on
    07-01 and carries no earlier unit, so the days before are not in force, not missing
    logs; a code whose unit ended before the period says so."""
    rolled = report(city, "station", "--station", "00340", "--from", "2025-06-25", "--to",
                    "2025-07-05", "--as-of", "2025-07-01")
    logs = [r["log_code"] for r in rolled["rows"]]
    assert logs == ["not-in-force"] * 6 + ["ok"] * 5
    assert rolled["rows"][0]["log"] == "(không có hiệu lực)"
    assert rolled["incomplete_days"] == 0 and rolled["sessions"] == 5
    assert any("00340" in n and "không nhận lịch sử" in n for n in rolled["notes"])
    ended = report(city, "station", "--station", "00010", "--from", "2025-06-15", "--to",
                   "2025-06-20", lang="en")
    assert ended["sessions"] == 0
    assert "Phường Nguyễn Trung Trực (00010) was not in force in the period (in force from " \
           "… to 2024-12-31)." in ended["notes"]
