"""Station words (issue 16 item 2): a station's and its district's `abbreviations:` apply
in normalize, say, render and validate alike, and the warnings match what is spoken."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from radiocli.cli import cli
from radiocli.render.words import program_abbreviations, scope_abbreviations
from radiocli.schedule.load import load

ROOT = Path(__file__).parents[1]
TEXT = "Họp tại NVH thôn Thượng, HTXNN Cổ Loa; gọi ngay 114."


def invoke(home: Path, schedules: Path, *args: str):
    return CliRunner().invoke(
        cli, ["--home", str(home), "--schedules", str(schedules), *args])


def add_district_words(project: Path) -> None:
    """Đông Anh (017) gets a word of its own, in the copy of the sample."""
    path = project / "schedules" / "districts" / "017.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('district: "017"\n',
                                 'district: "017"\nabbreviations:\n  TTVH: trung tâm văn hóa\n'),
                    encoding="utf-8")


def test_the_sample_station_file_defines_its_words() -> None:
    schedule = load(ROOT / "schedules")
    words = scope_abbreviations(schedule, "station:00505")
    assert words["NVH"] == "nhà văn hóa"
    assert "NVH" not in scope_abbreviations(schedule, "station:00478")
    assert "NVH" not in scope_abbreviations(schedule, "district:017")


def test_normalize_with_station_uses_its_words(tmp_path: Path) -> None:
    plain = invoke(tmp_path, ROOT / "schedules", "normalize", "--check", TEXT)
    assert "en vê hát" in plain.stdout
    assert "unknown abbreviation 'NVH'" in plain.stderr
    station = invoke(tmp_path, ROOT / "schedules", "normalize", "--check", "--station", "00505",
                     TEXT)
    assert station.exit_code == 0, station.stderr
    assert station.stdout == ("họp tại nhà văn hóa thôn thượng, hợp tác xã nông nghiệp cổ loa; "
                              "gọi ngay một một bốn.\n")
    assert station.stderr == ""  # nothing spelled: no warning


def test_unknown_station_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(tmp_path, ROOT / "schedules", "normalize", "--station", "99999", "x")
    assert result.exit_code == 2
    assert "unknown station code 99999" in result.stderr


def test_district_words_reach_its_stations_not_others(project: Path, tmp_path: Path) -> None:
    add_district_words(project)
    schedules = project / "schedules"
    text = "Mời bà con đến TTVH huyện."
    at_00478 = invoke(tmp_path, schedules, "normalize", "--station", "00478", text)
    assert at_00478.stdout == "mời bà con đến trung tâm văn hóa huyện.\n"
    district = invoke(tmp_path, schedules, "normalize", "--district", "017", text)
    assert district.stdout == at_00478.stdout
    elsewhere = invoke(tmp_path, schedules, "normalize", "--station", "00001", text)
    assert "trung tâm văn hóa" not in elsewhere.stdout


def test_say_with_station_speaks_its_words(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    result = invoke(tmp_path / "home", ROOT / "schedules", "say", "--engine", "espeak-ng",
                    "--station", "00505", TEXT, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    spoken = [json.loads(p.read_text())["text"]
              for p in (tmp_path / "home").rglob("speech/*/*.json")]
    assert spoken == ["họp tại nhà văn hóa thôn thượng, hợp tác xã nông nghiệp cổ loa; "
                      "gọi ngay một một bốn."]
    plain = invoke(tmp_path / "home", ROOT / "schedules", "say", "--engine", "espeak-ng",
                   TEXT, "-o", str(out))
    assert "unknown abbreviation 'NVH'" in plain.stderr


STATION_PROGRAM = """
programs:
  hop-thon-thuong:
    title: Họp thôn
    when: {days: every day, at: "08:00"}
    from: 2021-10-01
    until: 2021-10-01
    segments:
      - say: Mời bà con họp tại NVH thôn Thượng, sau đó đến TTVH huyện nghe XYZW báo cáo.
"""


def test_render_and_validate_warn_about_what_is_spoken(project: Path, tmp_path: Path) -> None:
    add_district_words(project)
    schedules = project / "schedules"
    station_file = schedules / "stations" / "00505.yaml"
    station_file.write_text(station_file.read_text(encoding="utf-8") + STATION_PROGRAM,
                            encoding="utf-8")
    schedule = load(schedules)
    words = program_abbreviations(schedule, schedule.programs["hop-thon-thuong"])
    assert words["NVH"] == "nhà văn hóa" and words["TTVH"] == "trung tâm văn hóa"

    home = tmp_path / "home"
    result = invoke(home, schedules, "render", "--date", "2021-10-01", "--station", "00505")
    assert result.exit_code == 0, result.stderr
    render_warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(render_warnings) == 1, result.stderr
    assert "unknown abbreviation 'XYZW'" in render_warnings[0]
    spoken = [json.loads(p.read_text())["text"] for p in home.rglob("speech/*/*.json")]
    assert spoken == ["mời bà con họp tại nhà văn hóa thôn thượng, sau đó đến trung tâm văn "
                      "hóa huyện nghe ích i dài dét vê kép báo cáo."]

    checked = invoke(home, schedules, "validate", "--json")
    problems = json.loads(checked.stdout)["problems"]
    speech = [p["message"] for p in problems if p["code"] == "speech"]
    assert len(speech) == 1 and "unknown abbreviation 'XYZW'" in speech[0]

    check = invoke(home, schedules, "normalize", "--check", "--station", "00505",
                   "Mời bà con họp tại NVH thôn Thượng, sau đó đến TTVH huyện nghe XYZW báo cáo.")
    assert check.stderr.count("warning") == 1 and "'XYZW'" in check.stderr
