"""Approval bundles: the happy path and every refusal, each with its reason."""

from __future__ import annotations

import json
import shutil
import stat
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from forge import forge
from radiocli.errors import TrustError
from radiocli.trust import (
    approve, check_alert_key, generate_key, sign_alert, verify_alert, verify_bundle,
)

REPO = Path(__file__).resolve().parent.parent
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2021, 8, 2, 9, 0, tzinfo=HANOI)
CITY_YAML = """\
programs:
  ban-tin:
    title: Bản tin phòng, chống dịch
    targets: all
    when:
      days: every day
      at: "11:00"
    segments:
      - chime: start
      - play: jingles/intro.wav
      - say: Xin chào bà con
"""


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """A small project (registry, one city file, chimes, a jingle), a city key trusted."""
    (tmp_path / "schedules" / "registry").mkdir(parents=True)
    shutil.copy(REPO / "schedules" / "registry" / "units.yaml",
                tmp_path / "schedules" / "registry")
    shutil.copytree(REPO / "audio" / "chimes", tmp_path / "audio" / "chimes")
    (tmp_path / "audio" / "jingles").mkdir()
    (tmp_path / "audio" / "jingles" / "intro.wav").write_bytes(b"RIFF-jingle-v1")
    (tmp_path / "schedules" / "city.yaml").write_text(CITY_YAML, encoding="utf-8")
    key, pub = generate_key(tmp_path / "keys", "city-hanoi", ["city"])
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    shutil.copy(pub, trusted)
    return {"root": tmp_path, "schedules": tmp_path / "schedules", "key": key, "pub": pub,
            "trusted": trusted, "audio": tmp_path / "audio"}


def approved(site: dict[str, Path], days: int = 30) -> Path:
    return approve([site["schedules"]], site["key"], NOW, NOW + timedelta(days=days),
                   "Nguyễn Văn A", now=NOW)


def refused(bundle: Path, site: dict[str, Path], now: datetime = NOW + timedelta(hours=1)
            ) -> str:
    with pytest.raises(TrustError) as info:
        verify_bundle(bundle, site["trusted"], now=now)
    return str(info.value)


def test_key_file_is_private_and_pub_lists_roles(tmp_path: Path) -> None:
    key, pub = generate_key(tmp_path, "district-001", ["district"], districts=["001"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    data = json.loads(pub.read_text())
    assert data["name"] == "district-001"
    assert data["roles"] == ["district"] and data["districts"] == ["001"]
    assert data["fingerprint"].startswith("SHA256:")


def test_generate_refuses_overwrite_and_unknown_role(tmp_path: Path) -> None:
    generate_key(tmp_path, "k", ["city"])
    with pytest.raises(TrustError, match="already exists"):
        generate_key(tmp_path, "k", ["city"])
    with pytest.raises(TrustError, match="unknown role mayor"):
        generate_key(tmp_path, "other", ["mayor"])
    with pytest.raises(TrustError, match="key name"):
        generate_key(tmp_path, "../evil", ["city"])


def test_happy_path(site: dict[str, Path]) -> None:
    bundle = approved(site)
    assert bundle == site["schedules"] / "approved.json"
    manifest = json.loads(bundle.read_text())["manifest"]
    assert [e["path"] for e in manifest["schedules"]] == ["city.yaml", "registry/units.yaml"]
    # the daemon's own alert and end chimes are approved with what the programs play
    assert [e["path"] for e in manifest["audio"]] == [
        "chimes/alert.wav", "chimes/end.wav", "chimes/start.wav", "jingles/intro.wav"]
    assert manifest["approved_at"] == "2021-08-02T09:00:00+07:00"
    result = verify_bundle(bundle, site["trusted"], now=NOW + timedelta(days=1))
    assert result.key.name == "city-hanoi" and result.approver == "Nguyễn Văn A"
    assert "OK: 2 schedule files and 4 audio files" in result.summary()


def test_changed_yaml_byte_names_the_file(site: dict[str, Path]) -> None:
    bundle = approved(site)
    path = site["schedules"] / "city.yaml"
    path.write_text(CITY_YAML.replace("11:00", "11:01"), encoding="utf-8")
    message = refused(bundle, site)
    assert "city.yaml: schedule file changed since it was approved" in message


def test_swapped_audio(site: dict[str, Path]) -> None:
    bundle = approved(site)
    (site["audio"] / "jingles" / "intro.wav").write_bytes(b"RIFF-hijack")
    assert "intro.wav: audio file changed or was swapped" in refused(bundle, site)


def test_chime_shadowed_by_another_format(site: dict[str, Path]) -> None:
    bundle = approved(site)
    (site["audio"] / "chimes" / "start.wav").unlink()
    (site["audio"] / "chimes" / "start.ogg").write_bytes(b"OggS")
    assert "start.wav: audio file is in the bundle but missing" in refused(bundle, site)


def test_added_file(site: dict[str, Path]) -> None:
    bundle = approved(site)
    (site["schedules"] / "extra.yaml").write_text("programs: {}\n", encoding="utf-8")
    assert "extra.yaml: schedule file is not in the approved bundle" in refused(bundle, site)


def test_expired_and_not_yet_valid(site: dict[str, Path]) -> None:
    bundle = approved(site, days=30)
    assert "expired: valid to 2021-09-01T09:00:00+07:00" in refused(
        bundle, site, NOW + timedelta(days=31))
    assert "not yet valid: valid from 2021-08-02T09:00:00+07:00" in refused(
        bundle, site, NOW - timedelta(minutes=1))


def test_unknown_key(site: dict[str, Path]) -> None:
    bundle = approved(site)
    (site["trusted"] / "city-hanoi.pub").unlink()  # revoked
    assert 'unknown key "city-hanoi"' in refused(bundle, site)
    assert "not in the trusted keys folder" in refused(bundle, site)


def test_bad_signature(site: dict[str, Path]) -> None:
    bundle = approved(site)
    data = json.loads(bundle.read_text())
    data["manifest"]["valid_to"] = "2031-01-01T00:00:00+07:00"
    bundle.write_text(json.dumps(data))
    assert "bad signature" in refused(bundle, site)


def test_signature_by_other_key_with_same_name(site: dict[str, Path], tmp_path: Path) -> None:
    bundle = approved(site)
    other, _pub = generate_key(tmp_path / "other", "city-hanoi", ["city"])
    forged = approve([site["schedules"]], other, NOW, NOW + timedelta(days=9), now=NOW,
                     out=tmp_path / "forged.json")
    data = json.loads(bundle.read_text())
    data["signature"] = json.loads(forged.read_text())["signature"]
    bundle.write_text(json.dumps(data))
    assert "bad signature" in refused(bundle, site)


def test_missing_bundle_and_missing_signature(site: dict[str, Path]) -> None:
    assert "no approved bundle" in refused(site["schedules"] / "approved.json", site)
    bundle = approved(site)
    data = json.loads(bundle.read_text())
    del data["signature"]
    bundle.write_text(json.dumps(data))
    assert "the bundle has no signature" in refused(bundle, site)
    bundle.write_text("{not json")
    assert "not an approved bundle" in refused(bundle, site)


def test_key_without_role(site: dict[str, Path], tmp_path: Path) -> None:
    key, pub = generate_key(tmp_path / "k", "alerts-only", ["emergency"])
    shutil.copy(pub, site["trusted"])
    message = "approving schedules needs the city, district or station role"
    with pytest.raises(TrustError, match=message):  # approve refuses as verify does
        approve([site["schedules"]], key, NOW, NOW + timedelta(days=3), now=NOW)
    assert not (site["schedules"] / "approved.json").exists()
    bundle = forge(site["schedules"], key, NOW, NOW + timedelta(days=3))
    assert message in refused(bundle, site)


def test_district_key_cannot_approve_city_files(site: dict[str, Path], tmp_path: Path
                                                ) -> None:
    key, pub = generate_key(tmp_path / "k", "district-001", ["district"], districts=["001"])
    shutil.copy(pub, site["trusted"])
    with pytest.raises(TrustError) as info:
        approve([site["schedules"]], key, NOW, NOW + timedelta(days=3), now=NOW)
    bundle = forge(site["schedules"], key, NOW, NOW + timedelta(days=3))
    message = refused(bundle, site)
    assert message == str(info.value)
    assert 'key "district-001" (district, district 001) cannot approve' in message
    assert "registry/units.yaml: it holds districts, units" in message
    assert "need the city role wherever they are written" in message


def test_approve_refuses_missing_audio(site: dict[str, Path]) -> None:
    (site["audio"] / "jingles" / "intro.wav").unlink()
    with pytest.raises(TrustError, match='audio file "jingles/intro.wav" does not exist'):
        approved(site)


def test_alerts_need_emergency_role(site: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(TrustError, match="emergency alerts need a key with the emergency role"):
        check_alert_key(site["pub"], site["trusted"])
    key, pub = generate_key(tmp_path / "k", "city-emergency", ["emergency"])
    shutil.copy(pub, site["trusted"])
    assert check_alert_key(pub, site["trusted"]).name == "city-emergency"
    signed = sign_alert({"text": "Bão số 3"}, key, now=NOW)
    assert verify_alert(signed, site["trusted"], now=NOW + timedelta(minutes=1)) == {
        "text": "Bão số 3"}
    with pytest.raises(TrustError, match="refusing a replay"):
        verify_alert(signed, site["trusted"], now=NOW + timedelta(hours=1))
    tampered = {**signed, "alert": {"text": "Sơ tán ngay"}}
    with pytest.raises(TrustError, match="bad alert signature"):
        verify_alert(tampered, site["trusted"], now=NOW)
    plain = sign_alert({"text": "x"}, site["key"], now=NOW)
    with pytest.raises(TrustError, match="emergency role"):
        verify_alert(plain, site["trusted"], now=NOW)


def test_cli_generate_approve_verify(site: dict[str, Path], cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "cli-keys"
    result = cli("keys", "generate", "--out", str(out), "--name", "city-2", "--role", "city")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((out / "city-2.key").stat().st_mode) == 0o600
    shutil.copy(out / "city-2.pub", site["trusted"])
    result = cli("approve", str(site["schedules"]), "--key", str(out / "city-2.key"),
                 "--valid-from", "2020-01-01", "--valid-to", "2099-12-31")
    assert result.exit_code == 0, result.output
    bundle = site["schedules"] / "approved.json"
    result = cli("verify", str(bundle), "--trust", str(site["trusted"]))
    assert result.exit_code == 0, result.output
    assert "OK: 2 schedule files" in result.output
    (site["audio"] / "jingles" / "intro.wav").write_bytes(b"other")
    result = cli("verify", str(bundle), "--trust", str(site["trusted"]))
    assert result.exit_code == 1
    assert "audio file changed or was swapped" in result.output


def test_cli_city_and_district_approve_one_bundle(site: dict[str, Path], cli,  # noqa: ANN001
                                                  tmp_path: Path) -> None:
    """The city approves the folder, district 001 its file, then its file's removal;
    verify says who approved what."""
    keys, schedules = tmp_path / "cli-keys", site["schedules"]
    assert cli("-s", str(schedules), "keys", "generate", "--out", str(keys), "--name",
               "district-001", "--role", "district", "--district", "001").exit_code == 0
    shutil.copy(keys / "district-001.pub", site["trusted"])
    dates = ("--valid-from", "2020-01-01", "--valid-to", "2099-12-31")
    common = ("-s", str(schedules), "approve", "--trust", str(site["trusted"]), *dates)
    assert cli(*common, str(schedules), "--key", str(site["key"])).exit_code == 0
    district = schedules / "districts" / "001.yaml"
    district.parent.mkdir()
    district.write_text('district: "001"\nprograms:\n  tin:\n    when: {at: "17:00"}\n'
                        "    segments:\n      - chime: start\n", encoding="utf-8")
    result = cli(*common, str(district), "--key", str(keys / "district-001.key"))
    assert result.exit_code == 0, result.output
    result = cli("verify", str(schedules / "approved.json"), "--trust", str(site["trusted"]),
                 "--json")
    assert result.exit_code == 0, result.output
    approvals = json.loads(result.output)["approvals"]
    assert [(a["key"], a["covers"], a["schedules"]) for a in approvals] == [
        ("city-hanoi", "the whole city", ["city.yaml", "registry/units.yaml"]),
        ("district-001", "district 001", ["districts/001.yaml"])]
    district.unlink()
    result = cli(*common, str(district), "--key", str(keys / "district-001.key"))
    assert result.exit_code == 0, result.output
    result = cli("verify", str(schedules / "approved.json"), "--trust", str(site["trusted"]))
    assert result.exit_code == 0, result.output
    assert "OK: 2 schedule files" in result.output


def test_cli_help_has_examples(cli) -> None:  # noqa: ANN001
    for args in (("keys", "--help"), ("keys", "generate", "--help"), ("approve", "--help"),
                 ("verify", "--help")):
        result = cli(*args)
        assert result.exit_code == 0 and "Example: radiocli" in result.output


def test_core_does_not_import_click() -> None:
    import subprocess
    import sys

    code = "import sys, radiocli.trust; print('click' in sys.modules or 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
