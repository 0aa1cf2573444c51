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
CSV = REPO.parent / "shared" / "data" / "hanoi_2021_units.csv"


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
    out = tmp_path / "units.yaml"
    subprocess.run([sys.executable, str(REPO / "scripts" / "build_registry.py"), str(CSV),
                    "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (REPO / "schedules" / "registry" / "units.yaml").read_bytes()


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
                 "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 18 and all(r["district"] == "002" for r in rows)
    assert rows[0] == {"code": "00037", "name": "Phường Phúc Tân", "kind": "phường",
                       "district": "002", "district_name": "Quận Hoàn Kiếm",
                       "district_kind": "quận"}
    bad = cli("--schedules", str(sample_schedules), "stations", "list", "--district", "999")
    assert bad.exit_code == 2
