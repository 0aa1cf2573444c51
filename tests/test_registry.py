from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from radiocli.schedule.load import load
from radiocli.schedule.registry import Change, District, Registry, Station

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
CSV = DATA / "hanoi_2021_units.csv"


def test_sample_registry_has_579_stations_in_30_districts(sample_schedules):
    registry = load(sample_schedules).registry
    assert len(registry) == 579
    assert len(registry.districts) == 30
    kinds = Counter(s.kind for s in registry.base.values())
    assert kinds == {"phường": 175, "xã": 383, "thị trấn": 21}
    district_kinds = Counter(d.kind for d in registry.districts.values())
    assert district_kinds == {"quận": 12, "huyện": 17, "thị xã": 1}
    assert registry.base["00001"].name == "Phường Phúc Xá"
    assert registry.base["00001"].district_name == "Quận Ba Đình"


def test_names_are_not_keys(sample_schedules):
    registry = load(sample_schedules).registry
    names = Counter(s.name for s in registry.base.values())
    assert names["Phường Quang Trung"] == 3  # three different stations, three codes


@pytest.mark.skipif(not CSV.exists(), reason="../shared/data is not beside the repo")
def test_build_script_reproduces_the_committed_registry(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_registry.py"), str(DATA),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    committed = REPO / "schedules" / "registry"
    for name in ("units.yaml", "changes.yaml"):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


def test_the_2025_sample_registry_is_the_generated_one():
    """The 2025 sample carries a copy of the registry (a schedules folder holds its own);
    build_registry.py writes both, and they must not drift apart."""
    copy = REPO / "examples" / "hanoi-2025" / "schedules" / "registry"
    committed = REPO / "schedules" / "registry"
    assert sorted(p.name for p in copy.iterdir()) == ["changes.yaml", "units.yaml"]
    for name in ("units.yaml", "changes.yaml"):
        assert (copy / name).read_bytes() == (committed / name).read_bytes(), name


def test_every_2021_station_has_its_centroid(sample_schedules):
    registry = load(sample_schedules).registry
    assert all(s.lat is not None and s.lon is not None for s in registry.base.values())
    # Hanoi lies within 20.5-21.4 N, 105.2-106.1 E
    assert all(20.5 < s.lat < 21.4 and 105.2 < s.lon < 106.1  # type: ignore[operator]
               for s in registry.base.values())
    phuc_xa = registry.base["00001"]
    assert (phuc_xa.lat, phuc_xa.lon) == (21.046798, 105.848112)
    # 00010 joined 00004 on 2025-01-01 and carries its centroid (the source has no other)
    assert (registry.base["00010"].lat, registry.base["00010"].lon) == (21.044395, 105.843174)


@pytest.mark.skipif(not CSV.exists(), reason="../shared/data is not beside the repo")
def test_registry_centroids_are_the_official_ones(sample_schedules):
    import csv

    with (DATA / "hanoi_2021_coords.csv").open(encoding="utf-8") as fh:
        official = {r["unit_code"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(fh)}
    registry = load(sample_schedules).registry
    assert {c: (s.lat, s.lon) for c, s in registry.base.items()} == official


def test_a_unit_with_half_a_position_is_a_located_problem(project):
    from radiocli.schedule.load import read

    units = project / "schedules" / "registry" / "units.yaml"
    text = units.read_text(encoding="utf-8")
    text = text.replace('district: "001", lat: 21.046798, lon: 105.848112}',
                        'district: "001", lat: 21.046798}', 1)
    text = text.replace('lat: 21.044395, lon: 105.843174}', 'lat: north, lon: 105.843174}', 1)
    units.write_text(text, encoding="utf-8")
    _schedule, problems = read(project / "schedules")
    found = [(p.line, p.message) for p in problems if p.file.endswith("units.yaml")]
    assert len(found) == 2, found
    assert "unit 00001: give both lat: and lon:" in found[0][1]
    assert "unit 00004: lat/lon must be numbers" in found[1][1]
    assert found[0][0] == 1 + text.splitlines().index(
        next(line for line in text.splitlines() if '"00001"' in line))


def _registry() -> Registry:
    districts = [District("001", "Quận Ba Đình", "quận"), District("900", "Phường mới", "")]
    stations = [Station("00001", "Phường Phúc Xá", "phường", "001", "Quận Ba Đình", "quận"),
                Station("00004", "Phường Trúc Bạch", "phường", "001", "Quận Ba Đình", "quận")]
    changes = [
        Change(date(2025, 1, 1), "rename", "00001", name="Phường Phúc Xá Mới"),
        Change(date(2025, 7, 1), "merge", "00001", name="Phường Ba Đình", merged=("00004",)),
        Change(date(2025, 7, 1), "move", "00001", district=""),
    ]
    return Registry(stations, districts, changes)


def test_rename_and_merge_apply_from_their_date_without_rewriting_history():
    registry = _registry()
    before = registry.as_of(date(2024, 12, 31))
    assert before["00001"].name == "Phường Phúc Xá" and "00004" in before
    renamed = registry.as_of(date(2025, 1, 1))
    assert renamed["00001"].name == "Phường Phúc Xá Mới"
    merged = registry.as_of(date(2025, 7, 1))
    assert "00004" not in merged
    assert merged["00001"].name == "Phường Ba Đình" and merged["00001"].district == ""
    assert registry.merged_into("00004", date(2025, 7, 2)) == "00001"
    assert registry.known("00004")  # old logs of 00004 are still recognised
    assert registry.as_of(date(2021, 8, 1))["00004"].name == "Phường Trúc Bạch"


def test_changes_file_is_read_from_yaml(project):
    (project / "schedules" / "registry" / "changes.yaml").write_text(
        "changes:\n"
        "  - date: 2025-01-01\n"
        "    merge: {stations: ['00004'], into: '00001', name: Phường Phúc Xá}\n"
        "    note: Nghị quyết sáp nhập (ví dụ)\n", encoding="utf-8")
    registry = load(project / "schedules").registry
    assert "00004" in registry.as_of(date(2024, 12, 31))
    assert "00004" not in registry.as_of(date(2025, 1, 1))
    assert len(registry.as_of(date(2025, 1, 1))) == 578


def test_stations_list_cli(cli, sample_schedules):
    import json

    result = cli("--schedules", str(sample_schedules), "stations", "list", "--district", "002",
                 "--on", "2021-08-01", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 18 and all(r["district"] == "002" for r in rows)
    assert rows[0] == {"code": "00037", "name": "Phường Phúc Tân", "kind": "phường",
                       "district": "002", "district_name": "Quận Hoàn Kiếm",
                       "district_kind": "quận", "lat": 21.037267, "lon": 105.856919,
                       "valid_from": None, "valid_to": "2025-06-30"}
    bad = cli("--schedules", str(sample_schedules), "stations", "list", "--district", "999")
    assert bad.exit_code == 2


def test_a_registry_problem_names_the_registry_file_not_the_last_file_read(project):
    from radiocli.schedule.load import read

    units = project / "schedules" / "registry" / "units.yaml"
    lines = units.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  - {"))
    lines.insert(first + 1, lines[first])  # 00001 twice
    units.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _schedule, problems = read(project / "schedules")
    twice = [p for p in problems if "listed twice" in p.message]
    assert len(twice) == 1
    assert twice[0].file.endswith("registry/units.yaml") and twice[0].line == first + 2


# --- the registry through time (the committed registry, built from the official lists) --

D2024 = date(2024, 12, 31)
JAN = date(2025, 1, 1)
JUNE = date(2025, 6, 30)
JULY = date(2025, 7, 1)


@pytest.fixture(scope="module")
def hanoi() -> Registry:
    return load(REPO / "schedules").registry


def test_the_registry_answers_for_any_date(hanoi):
    assert not hanoi.problems
    counts = {day: len(hanoi.as_of(day)) for day in (date(2021, 8, 1), D2024, JAN, JUNE, JULY,
                                                     date(2026, 3, 1))}
    assert list(counts.values()) == [579, 579, 526, 526, 126, 126]
    assert len(hanoi.districts_on(JUNE)) == 30
    assert hanoi.districts_on(JULY) == {}
    assert {(s.district, s.district_name, s.district_kind) for s in hanoi.as_of(JULY).values()} \
        == {("", "", "")}
    assert all(s.lat is not None and s.lon is not None for s in hanoi.as_of(JULY).values())
    assert hanoi.periods(date(2024, 12, 1), date(2025, 8, 1)) == [
        (date(2024, 12, 1), D2024), (JAN, JUNE), (JULY, date(2025, 8, 1))]
    assert hanoi.periods(JULY, date(2026, 1, 1)) == [(JULY, date(2026, 1, 1))]


@pytest.mark.skipif(not CSV.exists(), reason="../shared/data is not beside the repo")
def test_the_registry_gives_the_official_lists_on_their_dates(hanoi):
    import csv

    for name, day in (("hanoi_2021_units.csv", D2024), ("hanoi_2025-01_units.csv", JAN),
                      ("hanoi_2025-07_units.csv", JULY)):
        with (DATA / name).open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        official = {r["unit_code"]: (r["unit_name"], r["unit_type"], r.get("district_code", ""),
                                     float(r["lat"]) if "lat" in r else None) for r in rows}
        got = {c: (s.name, s.kind, s.district, s.lat if "lat" in rows[0] else None)
               for c, s in hanoi.as_of(day).items()}
        assert got == official, name


def test_renames_and_merges_of_2025_01_01_keep_the_unit(hanoi):
    before, after = hanoi.unit("00181", D2024), hanoi.unit("00181", JAN)
    assert (before.name, after.name) == ("Phường Văn Miếu", "Phường Văn Miếu Quốc Tử Giám")
    assert before.key == after.key  # renamed, the same unit
    assert hanoi.unit("00184", JAN) is None  # Quốc Tử Giám merged into it
    assert hanoi.merged_into("00184", JAN) == "00181"
    assert hanoi.successor("00184", D2024, JAN) == after


def test_a_reused_code_is_two_units(hanoi):
    truc_bach, ba_dinh = hanoi.unit("00004", JUNE), hanoi.unit("00004", JULY)
    assert (truc_bach.name, ba_dinh.name) == ("Phường Trúc Bạch", "Phường Ba Đình")
    assert truc_bach.key == ("00004", None) and truc_bach.valid_to == JUNE
    assert ba_dinh.key == ("00004", JULY) and ba_dinh.valid_to is None
    assert truc_bach.district == "001" and ba_dinh.district == ""
    assert [u.name for u in hanoi.history("00004")] == ["Phường Trúc Bạch", "Phường Ba Đình"]
    # a record is its day's unit; a code with no unit that day goes to its last holder
    assert hanoi.holder("00004", date(2024, 3, 1)).key == truc_bach.key
    assert hanoi.holder("00004", date(2026, 3, 1)).key == ba_dinh.key
    assert hanoi.holder("00010", date(2025, 3, 1)).name == "Phường Nguyễn Trung Trực"
    assert hanoi.holder("99999", JULY) is None
    # ever() keeps its meaning for the base list: the first unit of each code
    assert len(hanoi.ever()) == 579 and hanoi.ever()["00004"].name == "Phường Trúc Bạch"
    assert hanoi.known("00004") and not hanoi.known("99999")
    assert len(hanoi.units()) == 579 + 126


def test_a_divided_unit_has_a_main_successor_and_partial_ones(hanoi):
    # Phường Điện Biên (00019) was divided among four wards; Ba Đình took the main part
    parts = hanoi.successors("00019", JUNE, JULY)
    assert [s.code for s in parts] == ["00004", "00070", "00190", "00226"]
    assert hanoi.successor("00019", JUNE, JULY).name == "Phường Ba Đình"
    assert hanoi.merged_into("00019", JULY) is None  # divided, not merged
    # Trúc Bạch went whole into the new unit under its own code
    assert hanoi.merged_into("00010", JAN) == "00004"
    assert hanoi.successors("00004", JUNE, JULY) == (hanoi.unit("00004", JULY),)


def test_a_merged_unit_follows_its_successors_through_both_reforms(hanoi):
    assert hanoi.successor("00010", date(2024, 5, 1), date(2024, 12, 1)).name == \
        "Phường Nguyễn Trung Trực"  # still itself
    assert hanoi.successor("00010", date(2024, 5, 1), date(2025, 3, 1)).name == "Phường Trúc Bạch"
    assert hanoi.successor("00010", date(2024, 5, 1), JULY).name == "Phường Ba Đình"
    assert hanoi.successor("00004", JULY, JUNE) is None  # no roll-back to an earlier date


def test_predecessors_are_the_inverse(hanoi):
    covered = hanoi.predecessors("00004", JULY, D2024)
    assert [s.code for s in covered] == ["00004", "00010", "00013", "00016", "00019", "00022",
                                         "00028", "00040", "00055", "00073", "00112"]
    assert covered[0].name == "Phường Trúc Bạch" and covered[0].valid_to == JUNE
    carried = hanoi.predecessors("00004", JULY, D2024, main_only=True)
    assert [s.code for s in carried] == ["00004", "00010", "00013", "00016", "00019"]
    assert all(hanoi.successor(s.code, D2024, JULY).code == "00004" for s in carried)
    assert hanoi.predecessors("00004", JULY, JULY) == (hanoi.unit("00004", JULY),)


def test_roll_up_of_the_579_units_onto_the_126(hanoi):
    """Under the main-successor rule each of the 579 units' history goes to exactly one of
    the 126; 125 of them receive some, and 00340 Phường Yên Sở receives none: it was formed
    from parts of five wards whose main parts all went elsewhere (the old 00340's main part
    went to 00331 Phường Hoàng Mai)."""
    roll = hanoi.roll_up(JULY)
    base = {key: st for key, st in roll.items() if key[1] is None}
    assert len(base) == 579  # every unit of 2021 has a successor
    receiving = {st.code for st in base.values()}
    assert len(receiving) == 125 and receiving <= set(hanoi.as_of(JULY))
    assert set(hanoi.as_of(JULY)) - receiving == {"00340"}
    assert [s.code for s in hanoi.without_history(JULY)] == ["00340"]
    assert hanoi.successor("00340", D2024, JULY).code == "00331"
    assert [s.code for s in hanoi.predecessors("00340", JULY, D2024)] == [
        "00331", "00334", "00337", "00340", "00658"]
    assert hanoi.predecessors("00340", JULY, D2024, main_only=True) == ()
    # the 526 of 2025-01 roll up the same way as the 579 they came from
    assert {st.code for key, st in roll.items() if key[1] is None} == receiving
    assert hanoi.without_history(JUNE) == ()
    # rolled up to 2025-01-01, the 579 become the 526
    jan = {st.code for key, st in hanoi.roll_up(JAN).items()}
    assert jan == set(hanoi.as_of(JAN))


def test_select_uses_the_units_of_the_day(hanoi):
    from radiocli.schedule.model import Targets

    everywhere = Targets(everywhere=True)
    assert len(hanoi.select(everywhere, JUNE)) == 526
    assert len(hanoi.select(everywhere, JULY)) == 126
    district = Targets(districts=frozenset({"001"}))
    assert len(hanoi.select(district, JUNE)) == 13 and hanoi.select(district, JULY) == ()
    assert hanoi.select(Targets(stations=frozenset({"00004"})), JUNE) == ("00004",)
    towns = Targets(kinds=frozenset({"thị trấn"}))
    assert len(hanoi.select(towns, D2024)) == 21 and hanoi.select(towns, JULY) == ()


def _changes_problems(project, text):
    from radiocli.schedule.load import read

    path = project / "schedules" / "registry" / "changes.yaml"
    path.write_text("changes:\n" + text, encoding="utf-8")
    _schedule, problems = read(project / "schedules")
    return sorted((p for p in problems if p.file.endswith("changes.yaml")), key=lambda p: p.line)


def test_a_reused_code_must_end_its_old_unit_the_same_day(project):
    found = _changes_problems(project, (
        "  - {date: 2025-07-01, add: {station: '00004', name: Phường Ba Đình, kind: phường,"
        " district: ''}}\n"))
    assert len(found) == 1 and found[0].line == 2 and found[0].column == 5
    assert "code 00004 still names Phường Trúc Bạch on 2025-07-01" in found[0].message


def test_changes_that_cannot_apply_are_located_problems(project):
    found = _changes_problems(project, (
        "  - {date: 2025-01-01, merge: {stations: ['00010'], into: '99999'}}\n"
        "  - {date: 2025-01-01, split: {station: '00013', into: ['00004', '00016'],"
        " main: '00019'}}\n"
        "  - {date: 2025-01-01, rename: {station: '88888', name: X}}\n"
        "  - {date: 2025-01-01, merge: {stations: ['77777'], into: '00004'}}\n"
        "  - {date: 2025-01-01, add: {station: '90001', name: Xã Mới, kind: xóm,"
        " district: '001'}}\n"))
    assert [p.line for p in found] == [2, 3, 4, 5, 6]
    messages = [p.message for p in found]
    assert "no unit 99999 on 2025-01-01 to merge into" in messages[0]
    assert "main: must be one of the parts" in messages[1]
    assert "no unit 88888 on 2025-01-01" in messages[2]
    assert "no unit 77777 on 2024-12-31" in messages[3]
    assert "needs a name and a kind" in messages[4]
    assert all(p.severity == "error" for p in found)


def test_a_split_reads_from_yaml(project):
    found = _changes_problems(project, (
        "  - {date: 2025-07-01, add: {station: '90001', name: Phường Mới, kind: phường,"
        " district: '', lat: 21.04, lon: 105.84}}\n"
        "  - {date: 2025-07-01, split: {station: '00013', into: ['00004', '90001'],"
        " main: '90001'}}\n"))
    assert found == []
    registry = load(project / "schedules").registry
    new = registry.unit("90001", date(2025, 7, 1))
    assert (new.name, new.lat, new.lon, new.valid_from) == ("Phường Mới", 21.04, 105.84,
                                                            date(2025, 7, 1))
    assert [s.code for s in registry.successors("00013", JUNE, JULY)] == ["90001", "00004"]
    assert len(registry.as_of(JULY)) == 579


def test_stations_list_on_a_date_shows_that_days_units_with_centroids(cli, sample_schedules):
    import json

    def listed(*args):
        result = cli("--schedules", str(sample_schedules), "stations", "list", *args)
        assert result.exit_code == 0, result.output
        return result.output

    for form in ("2025-07-01", "01/07/2025"):  # the date forms every command accepts
        rows = json.loads(listed("--on", form, "--json"))
        assert len(rows) == 126
    ba_dinh = next(r for r in rows if r["code"] == "00004")
    assert ba_dinh == {"code": "00004", "name": "Phường Ba Đình", "kind": "phường",
                       "district": "", "district_name": "", "district_kind": "",
                       "lat": 21.0386, "lon": 105.838, "valid_from": "2025-07-01",
                       "valid_to": None}
    assert len(json.loads(listed("--on", "2025-06-30", "--json"))) == 526
    assert len(json.loads(listed("--on", "31/12/2024", "--json"))) == 579
    table = listed("--on", "2025-07-01").splitlines()
    assert table[:3] == ["126 stations on 2025-07-01", "code\tname\tkind\tlat\tlon",
                         "00004\tPhường Ba Đình\tphường\t21.0386\t105.838"]
    old = listed("--on", "2025-06-30", "--district", "001").splitlines()
    assert old[1] == "code\tname\tkind\tdistrict\tdistrict name\tlat\tlon"
    assert len(old) == 2 + 13
    gone = cli("--schedules", str(sample_schedules), "stations", "list", "--on", "2025-07-01",
               "--district", "001")
    assert gone.exit_code == 2
    assert "district 001 has no units on 2025-07-01 (its last day: 2025-06-30)" in gone.output
    bad = cli("--schedules", str(sample_schedules), "stations", "list", "--on", "2025-13-01")
    assert bad.exit_code == 2


def test_stations_history_shows_both_units_of_a_reused_code(cli, sample_schedules):
    import json

    result = cli("--schedules", str(sample_schedules), "stations", "history", "00004", "--json")
    assert result.exit_code == 0, result.output
    truc_bach, ba_dinh = json.loads(result.output)
    assert (truc_bach["name"], truc_bach["valid_to"], truc_bach["went_to"]) == (
        "Phường Trúc Bạch", "2025-06-30", ["00004 Phường Ba Đình"])
    assert (ba_dinh["name"], ba_dinh["valid_from"], ba_dinh["valid_to"]) == (
        "Phường Ba Đình", "2025-07-01", None)
    assert ba_dinh["formed_from"][:2] == ["00004 Phường Trúc Bạch", "00013 Phường Quán Thánh"]
    divided = json.loads(cli("--schedules", str(sample_schedules), "stations", "history",
                             "00019", "--json").output)
    assert divided[0]["main_successor"] == "00004" and len(divided[0]["went_to"]) == 4
    unknown = cli("--schedules", str(sample_schedules), "stations", "history", "99999")
    assert unknown.exit_code == 2


def test_attribution_names_the_unit_of_a_record_by_code_and_day(hanoi):
    rows = hanoi.attribution(date(2024, 12, 15), date(2026, 1, 15))
    spans = sorted({(first, last) for _c, first, last, _u in rows})
    assert spans == [(date(2024, 12, 15), D2024), (JAN, JUNE), (JULY, date(2026, 1, 15))]
    assert len(rows) == 3 * 579  # every code ever used (the 126 all reuse old codes)

    def unit_of(code, day):
        (unit,) = [u for c, first, last, u in rows if c == code and first <= day <= last]
        return unit

    assert unit_of("00004", date(2024, 12, 20)).name == "Phường Trúc Bạch"
    assert unit_of("00004", date(2024, 12, 20)).district_name == "Quận Ba Đình"
    assert unit_of("00004", date(2026, 1, 10)).name == "Phường Ba Đình"
    assert unit_of("00004", date(2026, 1, 10)).district == ""
    assert unit_of("00181", date(2024, 12, 20)).name == "Phường Văn Miếu"  # its name that day
    assert unit_of("00181", date(2025, 2, 1)).name == "Phường Văn Miếu Quốc Tử Giám"
    # a station still writing under a merged unit's code: its last unit
    assert unit_of("00010", date(2025, 3, 1)).name == "Phường Nguyễn Trung Trực"
    # rolled up to 2025-07-01, a record of 2024 and one of 2026 both count for Ba Đình
    roll = hanoi.roll_up(JULY)
    assert roll[unit_of("00010", date(2024, 12, 20)).key].name == "Phường Ba Đình"
    assert roll[unit_of("00004", date(2026, 1, 10)).key].name == "Phường Ba Đình"
    assert all(u.key in roll for _c, _f, _l, u in rows)


def test_codes_between_is_every_code_in_force_in_a_window(hanoi):
    assert len(hanoi.codes_between(date(2024, 12, 15), date(2025, 1, 15))) == 579
    assert len(hanoi.codes_between(JAN, JUNE)) == 526
    assert hanoi.codes_between(JULY, date(2026, 7, 1)) == tuple(sorted(hanoi.as_of(JULY)))


def test_the_registry_does_not_import_the_model():
    """model imports registry (a Schedule has a Registry); the registry needs nothing of
    the model (targets are a Selection: hashable, with reaches(station)), so the
    dependency goes one way, with no import under TYPE_CHECKING either."""
    import ast

    tree = ast.parse((REPO / "radiocli" / "schedule" / "registry.py").read_text("utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    # its messages come from radiocli.i18n, the catalogues below every layer
    assert not {m for m in imported if m and m.startswith("radiocli") and
                m != "radiocli.i18n"}, imported
    assert "from radiocli.schedule.registry import" in \
        (REPO / "radiocli" / "schedule" / "model.py").read_text("utf-8")
