from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from radiocli.schedule import load
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
    for name in ("units.yaml",):
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


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
                       "district_kind": "quận", "lat": 21.037267, "lon": 105.856919}
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
