"""The hostile review of trust (issue 12), one test per attack: each failed on the code
before its fix. Keys are generated, bundles approved and verified, daemons started
in-process on a fake clock; nothing sleeps."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from forge import approval, forge, write
from radiocli.errors import PlayoutError, TrustError
from radiocli.home import Home
from radiocli.play import control
from radiocli.play.approved import load_approved
from radiocli.play.clock import FakeClock
from radiocli.play.daemon import Config, Daemon
from radiocli.plan.triggers import TZ
from radiocli.trust import approve, generate_key, sign_alert, verify_alert, verify_bundle
from radiocli.trust.bundle import canonical
from test_play_trust import Site, prog, run, status_errors

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2030, 1, 1, 10, 0, 0, tzinfo=TZ)
UNTIL = T0 + timedelta(days=30)


class City:
    """A project with the real registry approved by the city, keys for city,
    district 001 (Ba Đình) and station 00478 (Xã Uy Nỗ, district 017 Đông Anh)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.schedules = root / "schedules"
        (self.schedules / "registry").mkdir(parents=True)
        shutil.copy(REPO / "schedules" / "registry" / "units.yaml", self.schedules / "registry")
        shutil.copytree(REPO / "audio" / "chimes", root / "audio" / "chimes")
        self.trusted = root / "trusted"
        self.trusted.mkdir()
        self.keys = root / "keys"
        self.city = self.key("city-hanoi", ["city"])
        self.district = self.key("district-001", ["district"], districts=["001"])
        self.home = Home(root / "home")

    def key(self, name: str, roles: list[str], **codes: list[str]) -> Path:
        key, pub = generate_key(self.keys, name, roles, **codes)
        shutil.copy(pub, self.trusted)
        return key

    def file(self, rel: str, text: str) -> Path:
        path = self.schedules / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def approve(self, key: Path, *paths: str, valid_to: datetime = UNTIL,
                valid_from: datetime = T0 - timedelta(hours=1)) -> Path:
        return approve([self.schedules / p for p in paths] or [self.schedules], key,
                       valid_from, valid_to, "Nguyễn Văn A", now=valid_from,
                       root=self.schedules, trusted_dir=self.trusted)

    def verify(self, now: datetime = T0) -> Any:
        return verify_bundle(self.schedules / "approved.json", self.trusted, now=now)


@pytest.fixture
def city(tmp_path: Path) -> City:
    return City(tmp_path)


def program(pid: str, at: str = "17:00", targets: str = "") -> str:
    return (f"  {pid}:\n    title: {pid}\n{targets}    when:\n      at: \"{at}\"\n"
            "    segments:\n      - silence: 10s\n")


def finishes(fn: Callable[[], Any], unblock: Path | None = None, seconds: float = 30) -> Any:
    """fn()'s result (or its exception, raised); a failed test, not a hung suite, when it
    blocks (on a FIFO: then ``unblock`` is opened for writing to let it go)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if unblock is not None:
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"blocked for {seconds} s (on {unblock})")
    if "error" in box:
        raise box["error"]
    return box.get("result")


# --- 1. a district key can change city-wide facts ----------------------------------------

ATTACK = ('district: "001"\n'
          + "".join(line for line in (REPO / "schedules/registry/units.yaml").read_text(
              encoding="utf-8").splitlines(keepends=True) if not line.startswith("#"))
          + """changes:
  - date: 2021-01-01
    move: {station: "00478", district: "001"}
policy:
  name: lax
  title: anything goes
settings:
  policy: lax
  audio: ../../audio
programs:
  dem:
    title: night
    targets: all
    when:
      at: "03:00"
    segments:
      - silence: 10s
""")


def test_1_district_key_moving_a_station_is_refused_end_to_end(tmp_path: Path, cli) -> None:  # noqa: ANN001
    """The review's attack: districts/001.yaml, signed by district-001, also holds the
    registry, moves Đông Anh's 00478 into district 001 and sets a lax policy. approve,
    verify and the daemon of 00478 (through play/approved.py) all refuse it."""
    schedules = tmp_path / "schedules"
    (schedules / "districts").mkdir(parents=True)
    shutil.copytree(REPO / "audio" / "chimes", tmp_path / "audio" / "chimes")
    (schedules / "districts" / "001.yaml").write_text(ATTACK, encoding="utf-8")
    keys, trusted, home = tmp_path / "keys", tmp_path / "trusted", Home(tmp_path / "home")
    result = cli("-s", str(schedules), "keys", "generate", "--out", str(keys), "--name",
                 "district-001", "--role", "district", "--district", "001")
    assert result.exit_code == 0, result.output
    trusted.mkdir()
    shutil.copy(keys / "district-001.pub", trusted)
    result = cli("--home", str(home.root), "approve", str(schedules), "--key",
                 str(keys / "district-001.key"), "--valid-from", "2021-01-01", "--valid-to",
                 "2099-12-31", "--trust", str(trusted))
    assert result.exit_code == 1
    refusal = ('key "district-001" (district, district 001) cannot approve '
               "districts/001.yaml: it holds districts, units, changes, policy, settings, "
               "which need the city role wherever they are written")
    assert refusal in result.output
    assert not (schedules / "approved.json").exists(), "nothing signed"
    # what the old approve signed, made by hand: refused by verify with the same words
    forge(schedules, keys / "district-001.key", datetime(2021, 1, 1, tzinfo=TZ),
          datetime(2099, 12, 31, tzinfo=TZ))
    result = cli("verify", str(schedules / "approved.json"), "--trust", str(trusted))
    assert result.exit_code == 1 and refusal in result.output
    with pytest.raises(TrustError, match="cannot approve districts/001.yaml"):
        load_approved(schedules, trusted, home.approved, now=T0)
    assert not home.approved.exists() or not list(home.approved.iterdir())
    daemon = Daemon(Config(home, schedules, stations=["00478"], trust=trusted),
                    clock=FakeClock(T0))
    with pytest.raises(TrustError, match="nothing airs"):
        daemon.start(threads=False)


CITY_FACTS = {
    "units": 'units:\n  - {code: "99001", name: "Xã Mới", kind: "xã", district: "001"}\n',
    "districts": 'districts:\n  "901": {name: Quận Mới, kind: quận}\n',
    "changes": 'changes:\n  - date: 2030-01-02\n    move: {station: "00478", district: "001"}\n',
    "settings": "settings:\n  render:\n    rate: 300\n",
    "policy": "policy:\n  name: lax\n  title: anything goes\n",
    "holidays": "holidays:\n  - date: 2030-01-05\n    name: a day without city programs\n",
}


@pytest.mark.parametrize("fact", list(CITY_FACTS))
def test_1_city_facts_need_the_city_role_in_any_file(city: City, fact: str) -> None:
    """Next to a registry the city approved, a district file that also holds a city-wide
    fact is refused, whatever else it holds."""
    city.approve(city.city)
    city.file("districts/001.yaml", 'district: "001"\n' + CITY_FACTS[fact]
              + "programs:\n" + program("tin-001"))
    with pytest.raises(TrustError) as info:
        city.approve(city.district, "districts/001.yaml")
    assert f"cannot approve districts/001.yaml: it holds {fact}" in str(info.value)
    assert "need the city role" in str(info.value)


def test_1_city_wide_abbreviations_need_the_city_role(city: City) -> None:
    city.approve(city.city)
    city.file("extra.yaml", "abbreviations:\n  UBND: giặc\nprograms:\n"
              + program("x", targets='    targets: {districts: ["001"]}\n'))
    with pytest.raises(TrustError, match="abbreviations .in a file without district: or "
                                         "station: they apply city-wide"):
        city.approve(city.district, "extra.yaml")
    # in a district file they apply to that file's programs only: allowed
    city.file("extra.yaml", 'district: "001"\nabbreviations:\n  UBND: ủy ban\nprograms:\n'
              + program("x"))
    city.approve(city.district, "extra.yaml")
    assert city.verify().approvals[-1].key.name == "district-001"


def test_1_scope_is_where_a_program_airs_not_the_file(city: City) -> None:
    city.approve(city.city)
    # a file without district: whose program airs in district 001 only: allowed
    city.file("special.yaml", "programs:\n" + program(
        "ba-dinh", targets='    targets: {stations: ["00001", "00004"]}\n'))
    city.approve(city.district, "special.yaml")
    verified = city.verify()
    assert [a.key.name for a in verified.approvals] == ["city-hanoi", "district-001"]
    assert verified.approvals[1].schedules == ("special.yaml",)
    # one that reaches Đông Anh's 00478: refused, naming it
    city.file("special.yaml", "programs:\n" + program(
        "ba-dinh", targets='    targets: {stations: ["00001", "00478"]}\n'))
    with pytest.raises(TrustError) as info:
        city.approve(city.district, "special.yaml")
    assert "cannot approve program ba-dinh" in str(info.value)
    assert "00478 (district 017 from 2030-01-01)" in str(info.value)
    assert "00001" not in str(info.value).partition("outside")[2]
    # and by kind: every commune (xã) of the city
    city.file("special.yaml", "programs:\n" + program(
        "xa", targets="    targets: {kinds: [xã]}\n"))
    with pytest.raises(TrustError, match="cannot approve program xa"):
        city.approve(city.district, "special.yaml")


def test_1_registry_is_the_citys_on_every_day_of_the_approval(city: City) -> None:
    """00004 leaves district 001 on 2030-01-10 (a change the city approved): a district-001
    approval valid past that day may not target it; one that ends before may."""
    city.file("registry/changes.yaml", "changes:\n  - date: 2030-01-10\n"
              '    move: {station: "00004", district: "017"}\n')
    city.approve(city.city)
    city.file("special.yaml", "programs:\n" + program(
        "truc-bach", targets='    targets: {stations: ["00004"]}\n'))
    city.approve(city.district, "special.yaml", valid_to=T0 + timedelta(days=5))
    with pytest.raises(TrustError, match=r"00004 \(district 017 from 2030-01-10\)"):
        city.approve(city.district, "special.yaml", valid_to=T0 + timedelta(days=20))
    # a time-zone trick: 20:00 on the 9th at UTC-5 is 08:00 on the 10th in Hanoi
    late_evening = datetime(2030, 1, 9, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    with pytest.raises(TrustError, match=r"00004 \(district 017 from 2030-01-10\)"):
        city.approve(city.district, "special.yaml", valid_to=late_evening)


def test_a_schedule_file_name_has_one_spelling(city: City) -> None:
    city.file("districts/ba-đình.yaml", 'district: "001"\nprograms:\n'
              + program("a"))  # "đình" with its grave accent as a separate mark
    with pytest.raises(TrustError, match="not in Unicode NFC form"):
        city.approve(city.city)


def test_1_station_keys_and_blackouts(city: City) -> None:
    city.approve(city.city)
    uy_no = city.key("station-00478", ["station"], stations=["00478"])
    other = city.key("station-00001", ["station"], stations=["00001"])
    city.file("stations/00478.yaml", 'station: "00478"\nprograms:\n' + program("uy-no"))
    with pytest.raises(TrustError, match=r"cannot approve program uy-no .* 00478 \(district "
                                         "017"):
        city.approve(other, "stations/00478.yaml")
    city.approve(uy_no, "stations/00478.yaml")
    city.file("districts/001.yaml", 'district: "001"\nblackouts:\n  - from: 2030-01-02 06:00\n'
              '    until: 2030-01-02 18:00\n    stations: ["00478"]\n')
    with pytest.raises(TrustError, match=r"cannot approve the blackout .* 00478 \(district 017"):
        city.approve(city.district, "districts/001.yaml")


def test_1_a_district_bundle_without_the_citys_registry_is_refused(city: City) -> None:
    city.file("districts/001.yaml", 'district: "001"\nprograms:\n' + program("tin-001"))
    approve_all = approval(city.schedules, city.district, T0 - timedelta(hours=1), UNTIL,
                           files=["districts/001.yaml"])
    write(city.schedules, approve_all)
    (city.schedules / "registry" / "units.yaml").unlink()
    with pytest.raises(Exception, match="unknown district code 001"):
        city.verify()


# --- 2. approve signs what verify will refuse; contradictory keys ------------------------


def test_2_approve_refuses_what_verify_refuses_with_the_same_message(city: City) -> None:
    """A program the key may not approve: approve refuses with verify's words and
    writes nothing."""
    city.approve(city.city)
    city.file("special.yaml", "programs:\n" + program(
        "x", targets='    targets: {stations: ["00478"]}\n'))
    with pytest.raises(TrustError) as approving:
        city.approve(city.district, "special.yaml")
    before = (city.schedules / "approved.json").read_bytes()
    write(city.schedules, json.loads(before), approval(
        city.schedules, city.district, T0 - timedelta(hours=1), UNTIL, files=["special.yaml"],
        builds_on=[hashlib.sha256(canonical(json.loads(before)["manifest"]) + base64.b64decode(
            json.loads(before)["signature"]["value"])).hexdigest()]))
    with pytest.raises(TrustError) as verifying:
        city.verify()
    assert str(approving.value) == str(verifying.value)
    assert "cannot approve program x" in str(verifying.value)


def test_2_a_file_waiting_for_another_key_is_noted_not_refused(city: City) -> None:
    """Two districts add their files to one folder: each approves its own (refusing
    would leave each waiting for the other); approve notes the other's file, which
    verify refuses until its key approves it."""
    city.approve(city.city)
    city.file("districts/001.yaml", 'district: "001"\nprograms:\n' + program("a"))
    city.file("districts/002.yaml", 'district: "002"\nprograms:\n' + program("b"))
    notes: list[str] = []
    approve([city.schedules / "districts/001.yaml"], city.district, T0, UNTIL, now=T0,
            root=city.schedules, trusted_dir=city.trusted, notes=notes)
    assert notes == [f"{city.schedules / 'districts/002.yaml'}: schedule file is not in the "
                     "approved bundle yet; verify refuses the folder until it is approved by "
                     "its own key"]
    with pytest.raises(TrustError, match="002.yaml: schedule file is not in the approved "
                                         "bundle; remove it"):
        city.verify(T0 + timedelta(minutes=1))
    city.approve(city.key("district-002", ["district"], districts=["002"]),
                 "districts/002.yaml", valid_from=T0)
    assert len(city.verify(T0 + timedelta(minutes=1)).approvals) == 3


def test_2_approve_judges_the_key_by_its_trusted_pub(city: City) -> None:
    """A .pub next to the key claiming the city role does not make a district key one."""
    pub = city.keys / "district-001.pub"
    data = json.loads(pub.read_text())
    data.update(roles=["city"])
    del data["districts"]
    pub.write_text(json.dumps(data))
    with pytest.raises(TrustError, match='key "district-001" .district, district 001. cannot '
                                         "approve"):
        city.approve(city.district)


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "station", "--district", "001"], "--district goes with --role district"),
    (["--role", "district", "--station", "00001"], "--station goes with --role station"),
    (["--role", "city", "--district", "001"], "a city key covers the whole city"),
    (["--role", "city", "--role", "emergency", "--station", "00001"],
     "a city key covers the whole city"),
    (["--role", "district"], "a district key needs --district CODE"),
    (["--role", "station"], "a station key needs --station CODE"),
    (["--role", "district", "--district", "999"], "unknown district code 999"),
    (["--role", "station", "--station", "99999"], "unknown station code 99999"),
    (["--role", "station", "--station", "1"], 'station code "1" must be 5 digits'),
    (["--role", "emergency", "--district", "1"], 'district code "1" must be 3 digits'),
])
def test_2_keys_generate_refuses_contradictions(cli, tmp_path: Path, args: list[str],  # noqa: ANN001
                                                message: str) -> None:
    result = cli("-s", str(REPO / "schedules"), "keys", "generate", "--out",
                 str(tmp_path / "k"), "--name", "k", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "k" / "k.key").exists()


def test_2_keys_without_codes_approve_nothing(city: City) -> None:
    """A .pub made before codes were required (district role, no district) covers
    nothing, where it used to cover every district."""
    pub = city.trusted / "district-001.pub"
    data = json.loads(pub.read_text())
    del data["districts"]
    pub.write_text(json.dumps(data))
    shutil.copy(pub, city.keys / "district-001.pub")
    city.approve(city.city)
    city.file("districts/001.yaml", 'district: "001"\nprograms:\n' + program("tin-001"))
    with pytest.raises(TrustError, match="names no district or station, so it may approve "
                                         "nothing"):
        city.approve(city.district, "districts/001.yaml")


# --- 3. a district-scoped emergency key alerts the whole city ----------------------------


def test_3_alert_scope_is_checked_against_the_trusted_registry(city: City) -> None:
    from radiocli.schedule.load import read

    registry = read(city.schedules)[0].registry
    key = city.key("emergency-001", ["emergency"], districts=["001"])
    now = T0

    def signed(**where: object) -> dict:
        return sign_alert({"title": "alert", "text": "Bão số 5.", **where}, key, now=now)

    assert verify_alert(signed(stations=["00001"]), city.trusted, now=now,
                        registry=registry)["stations"] == ["00001"]
    assert verify_alert(signed(districts=["001"]), city.trusted, now=now, registry=registry)
    with pytest.raises(TrustError) as info:
        verify_alert(signed(stations=["00001", "00478"]), city.trusted, now=now,
                     registry=registry)
    assert str(info.value) == ('key "emergency-001" may alert district 001 only; the alert '
                               "targets station 00478 (district 017) outside it")
    with pytest.raises(TrustError, match="targets district 017 outside it"):
        verify_alert(signed(districts=["017"]), city.trusted, now=now, registry=registry)
    with pytest.raises(TrustError, match="targets all stations outside it"):
        verify_alert(signed(all=True), city.trusted, now=now, registry=registry)
    with pytest.raises(TrustError, match="targets are malformed"):
        verify_alert(signed(stations="00478"), city.trusted, now=now, registry=registry)
    # without a registry a station's district is unknown: refused, not aired
    with pytest.raises(TrustError, match=r"station 00478 \(no registry"):
        verify_alert(signed(stations=["00478"]), city.trusted, now=now)
    # a city-wide emergency key may alert anywhere
    anywhere = city.key("city-emergency", ["emergency"])
    everywhere = sign_alert({"all": True, "text": "x"}, anywhere, now=now)
    assert verify_alert(everywhere, city.trusted, now=now, registry=registry)["all"] is True


def test_3_daemon_refuses_an_alert_outside_the_keys_district(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    site = Site(tmp_path)
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    dong_anh, pub = generate_key(site.keys, "emergency-017", ["emergency"], districts=["017"])
    shutil.copy(pub, site.trusted)
    clock = FakeClock(T0)
    d = site.daemon(clock)  # serves 00001, Ba Đình (district 001)
    signed = sign_alert({"stations": ["00001"], "title": "alert", "text": "Sơ tán ngay."},
                        dong_anh, now=clock.now())
    with caplog.at_level("ERROR", logger="radiocli.play"):
        control.submit(d.rundir, "alert", {"signed": signed}, clock.now())
        run(d, clock, 20)
    d.stop()
    assert site.events() == [], "nothing aired"
    assert any("alert refused" in r.getMessage() and "00001" in r.getMessage()
               for r in caplog.records)
    assert len(list(d.rundir.rejected.glob("alert-*.json"))) == 1


# --- 4. replay by a different spelling of the same signature -----------------------------


def respelled(signed: dict) -> dict:
    """The same signature bytes, spelled with an unused low bit set."""
    text = signed["signature"]
    assert text.endswith("==") and len(text) == 88
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    other = alphabet[alphabet.index(text[85]) ^ 1]
    copy = {**signed, "signature": text[:85] + other + "=="}
    assert base64.b64decode(copy["signature"]) == base64.b64decode(text)
    return copy


def test_4_a_respelled_signature_is_refused(tmp_path: Path) -> None:
    key, pub = generate_key(tmp_path / "k", "city-emergency", ["emergency"])
    signed = sign_alert({"all": True, "text": "Bão."}, key, now=T0)
    with pytest.raises(TrustError, match="not the canonical base64 spelling"):
        verify_alert(respelled(signed), pub.parent, now=T0)
    from radiocli.trust import alert_identity

    assert alert_identity(respelled(signed)) == alert_identity(signed)
    assert alert_identity(json.loads(json.dumps(signed, indent=3, sort_keys=True))) == \
        alert_identity(signed)


def test_4_daemon_airs_a_respelled_copy_only_once(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    site = Site(tmp_path)
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    clock = FakeClock(T0)
    d = site.daemon(clock)
    signed = sign_alert({"stations": ["00001"], "title": "alert", "text": "Bão số 5."},
                        site.emergency, now=clock.now())
    control.submit(d.rundir, "alert", {"signed": signed}, clock.now())
    run(d, clock, 30)
    with caplog.at_level("ERROR", logger="radiocli.play"):
        control.submit(d.rundir, "alert", {"signed": respelled(signed)}, clock.now())
        run(d, clock, 30)
    d.stop()
    starts = [e for e in site.events() if e[0] == "start"]
    assert len(starts) == 1, site.events()
    assert any("alert refused" in r.getMessage() for r in caplog.records)


def test_4_alert_memory_survives_a_restart_and_forgets_what_expired(tmp_path: Path) -> None:
    from radiocli.trust import AlertMemory

    folder = tmp_path / "run" / "main"
    memory = AlertMemory(folder, now=T0)
    assert memory.take("a" * 64, T0 + timedelta(minutes=10), now=T0) is None
    with pytest.raises(TrustError, match="already received .a replay."):
        memory.take("a" * 64, T0 + timedelta(minutes=10), now=T0 + timedelta(seconds=5))
    memory.take("b" * 64, T0 + timedelta(minutes=11), now=T0)
    path = folder / "alerts-taken.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"id": "cccc", "until": "2030-01-01T1')  # torn by a power cut
    # a restart: a new instance reading the same folder
    again = AlertMemory(folder, now=T0 + timedelta(minutes=5))
    with pytest.raises(TrustError, match="a replay"):
        again.take("a" * 64, T0 + timedelta(minutes=10), now=T0 + timedelta(minutes=5))
    assert again.take("c" * 64, T0 + timedelta(minutes=15), now=T0 + timedelta(minutes=5)) \
        is None
    # an hour later nothing could still pass: the file is trimmed on the next start
    later = AlertMemory(folder, now=T0 + timedelta(hours=1))
    assert not later.seen("a" * 64) and path.read_text() == ""
    later.take("a" * 64, T0 + timedelta(hours=1, minutes=10), now=T0 + timedelta(hours=1))


def test_4_alert_memory_never_blocks_an_emergency(tmp_path: Path) -> None:
    """A FIFO where the memory is kept (or a disk that refuses writes): the alert is still
    taken, remembered in memory, and the daemon is told why."""
    from radiocli.trust import AlertMemory

    folder = tmp_path / "run"
    folder.mkdir()
    os.mkfifo(folder / "alerts-taken.jsonl")
    memory = finishes(lambda: AlertMemory(folder, now=T0))
    assert memory.problem is not None and "not a regular file" in memory.problem
    warning = finishes(lambda: memory.take("a" * 64, T0 + timedelta(minutes=10), now=T0))
    assert warning is not None and "remembered until the daemon stops" in warning
    with pytest.raises(TrustError, match="a replay"):
        memory.take("a" * 64, T0 + timedelta(minutes=10), now=T0)


def test_4_accept_alert_remembers_by_content(tmp_path: Path) -> None:
    from radiocli.trust import AlertMemory, accept_alert

    key, pub = generate_key(tmp_path / "k", "city-emergency", ["emergency"])
    signed = sign_alert({"all": True, "text": "Bão."}, key, now=T0)
    memory = AlertMemory(tmp_path / "run", now=T0)
    verified, warning = accept_alert(signed, pub.parent, memory, now=T0)
    assert warning is None and verified.alert["text"] == "Bão."
    with pytest.raises(TrustError, match="a replay"):
        accept_alert(json.loads(json.dumps(signed, indent=1)), pub.parent,
                     AlertMemory(tmp_path / "run", now=T0), now=T0 + timedelta(minutes=1))


# --- 5. one symlink knocks a trusted station off air -------------------------------------


def test_5_a_link_in_the_schedules_folder_is_refused_by_name(city: City, cli) -> None:  # noqa: ANN001
    city.approve(city.city, valid_from=datetime(2020, 1, 1, tzinfo=TZ),
                 valid_to=datetime(2099, 1, 1, tzinfo=TZ))  # verify runs on today's clock
    elsewhere = city.root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text("programs: {}\n")
    (city.schedules / "city").mkdir()
    (city.schedules / "city" / "evil.yaml").symlink_to(elsewhere / "x.yaml")
    result = cli("verify", str(city.schedules / "approved.json"), "--trust", str(city.trusted))
    assert result.exit_code == 1
    assert "internal error" not in result.output
    assert "city/evil.yaml: a symbolic link in the schedules folder" in result.output
    with pytest.raises(TrustError, match="evil.yaml: a symbolic link"):
        load_approved(city.schedules, city.trusted, city.home.approved, now=T0)
    result = cli("-s", str(city.schedules), "validate")
    assert result.exit_code == 1 and "evil.yaml" in result.output
    assert "internal error" not in result.output


def test_5_a_fifo_in_the_schedules_folder_blocks_nobody(city: City) -> None:
    city.approve(city.city)
    fifo = city.schedules / "city.yaml"
    os.mkfifo(fifo)
    with pytest.raises(TrustError, match=r"city.yaml: a FIFO \(named pipe\) in the schedules"):
        finishes(lambda: city.approve(city.city), unblock=fifo)
    with pytest.raises(TrustError, match="a FIFO"):
        finishes(lambda: load_approved(city.schedules, city.trusted, city.home.approved,
                                       now=T0), unblock=fifo)


def test_5_a_fifo_for_the_bundle_or_an_audio_file_blocks_nobody(city: City) -> None:
    city.file("city.yaml", "programs:\n  tin:\n    title: tin\n    targets: all\n    when:\n"
              '      at: "11:00"\n    segments:\n      - chime: start\n')
    city.approve(city.city)
    chime = city.root / "audio" / "chimes" / "start.wav"
    chime.unlink()
    os.mkfifo(chime)
    with pytest.raises(TrustError, match=r"start.wav: audio file is a FIFO"):
        finishes(lambda: city.verify(), unblock=chime)
    bundle = city.schedules / "approved.json"
    bundle.unlink()
    os.mkfifo(bundle)
    with pytest.raises(TrustError, match="approved bundle is a FIFO"):
        finishes(lambda: load_approved(city.schedules, city.trusted, city.home.approved,
                                       now=T0), unblock=bundle)


def test_5_a_trusted_daemon_keeps_airing_the_last_approved_copy(tmp_path: Path) -> None:
    site = Site(tmp_path)
    site.approve()
    clock = FakeClock(T0)
    site.daemon(clock).stop()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text("programs: {}\n")
    (site.schedules / "evil.yaml").symlink_to(elsewhere / "x.yaml")
    d = site.daemon(clock)  # a restart: airs the last approved copy
    assert any("airing the last approved bundle" in e and "symbolic link" in e
               for e in status_errors(d))
    request = control.submit(d.rundir, "reload", {}, clock.now())
    run(d, clock, 1)
    reply = json.loads((d.rundir.replies / f"{request}.json").read_text())
    assert reply["ok"] is False
    assert "evil.yaml: a symbolic link" in reply["problems"][0]["message"]
    run(d, clock, 60)
    d.stop()
    assert [e[:2] for e in site.events()] == [("start", "a"), ("end", "a")]


# --- 7. two daemons can serve one station ------------------------------------------------


def test_7_a_second_daemon_for_a_served_station_is_refused_naming_the_first(tmp_path: Path
                                                                              ) -> None:
    """Whatever its name, a second daemon that would serve a station already served on
    this machine is refused, and says which daemon (name, pid) serves it: here a real
    `radiocli run --name other` against an in-process daemon named main."""
    import subprocess
    import sys

    from test_play_daemon import make_schedule, program

    later = T0 + timedelta(hours=1)
    schedules = make_schedule(tmp_path / "schedules", program("a", later, 5, ("00001",)))
    home = Home(tmp_path / "home")
    first = Daemon(Config(home, schedules, stations=["00001"]), clock=FakeClock(T0))
    first.start(threads=False)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "radiocli", "--home", str(home.root), "-s", str(schedules),
             "run", "--name", "other", "--district", "001", "--allow-past-clock",
             "--for", "2s"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        assert f"00001 by daemon 'main' (pid {os.getpid()})" in done.stderr
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "home" / "run" / "other.pid").exists()
        # in-process too, and a rehearsal that would drive the same output (a stream)
        for config in (Config(home, schedules, stations=["00004", "00001"], name="third"),
                       Config(home, schedules, stations=["00001"], name="r", rehearsal=True,
                              sink="stream")):
            with pytest.raises(PlayoutError, match="00001 by daemon 'main'"):
                Daemon(config, clock=FakeClock(T0)).start(threads=False)
        # the refused daemon held nothing: 00004 is free for the next one
        other = Daemon(Config(home, schedules, stations=["00004"], name="third"),
                       clock=FakeClock(T0))
        other.start(threads=False)
        other.stop()
        # a rehearsal to files stays apart from the station's log: it may run beside it
        rehearsal = Daemon(Config(home, schedules, stations=["00001"], name="r",
                                  rehearsal=True), clock=FakeClock(T0))
        rehearsal.start(threads=False)
        with pytest.raises(PlayoutError, match="00001 by a rehearsal 'r'"):
            Daemon(Config(home, schedules, stations=["00001"], name="r2", rehearsal=True),
                   clock=FakeClock(T0)).start(threads=False)
        rehearsal.stop()
    finally:
        first.stop()
    again = Daemon(Config(home, schedules, stations=["00001"], name="other"),
                   clock=FakeClock(T0))
    again.start(threads=False)  # once the first stopped, the station is free
    again.stop()


# --- 8. file modes -----------------------------------------------------------------------


def test_8_modes_of_keys_approved_copies(tmp_path: Path) -> None:
    key, _pub = generate_key(tmp_path / "new" / "keys", "k", ["city"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    site = Site(tmp_path / "site")
    site.approve()
    d = site.daemon(FakeClock(T0))
    d.stop()
    root = site.home.approved
    for path in [root, *root.rglob("*")]:
        want = 0o750 if path.is_dir() else 0o640
        assert stat.S_IMODE(path.stat().st_mode) == want, path


def test_8_a_private_key_others_can_read_is_refused(city: City) -> None:
    os.chmod(city.city, 0o644)
    with pytest.raises(TrustError, match="can be read by others .mode 0644.; make it private"):
        city.approve(city.city)


def test_8_modes_of_the_run_folder_status_and_daemon_log(tmp_path: Path, cli) -> None:  # noqa: ANN001
    """A real `radiocli run` (umask 022): status.json, daemon.log, the pid and lock files
    0640, the run folders 0750."""
    from test_play_daemon import make_schedule, program

    later = datetime.now(TZ) + timedelta(hours=1)
    schedules = make_schedule(tmp_path / "schedules", program("a", later, 5, ("00001",)))
    home = tmp_path / "home"
    old = os.umask(0o022)
    try:
        result = cli("--home", str(home), "-s", str(schedules), "run", "--station", "00001",
                     "--for", "1s")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    run_dir = home / "run"
    files = [run_dir / "main" / "status.json", run_dir / "main" / "daemon.log",
             run_dir / "stations" / "00001.lock"]
    folders = [run_dir, run_dir / "main", run_dir / "main" / "spool",
               run_dir / "main" / "replies", run_dir / "main" / "done", run_dir / "stations"]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
    for path in folders:
        assert stat.S_IMODE(path.stat().st_mode) == 0o750, path
    pid = control.PidFile(run_dir / "x.pid")
    pid.acquire({"name": "x"})
    assert stat.S_IMODE((run_dir / "x.pid").stat().st_mode) == 0o640
    pid.release()


# --- 9. no child process left behind when the daemon is killed ---------------------------


def children_of(pid: int) -> dict[int, str]:
    """pid -> command name of every live child of ``pid`` (read from /proc)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat_line[stat_line.index("(") + 1:stat_line.rindex(")")]
        fields = stat_line[stat_line.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out[int(entry.name)] = name
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie is dead: it only waits to be reaped)."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat_line[stat_line.rindex(")") + 2:].split()[0] != "Z"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_9_kill_9_leaves_no_ffmpeg_behind(tmp_path: Path) -> None:
    """A `run --sink file` daemon airs a recording ffmpeg decodes and a relay whose
    server stalls (one byte a second: ffmpeg waits for it and writes nothing, so no
    broken pipe ends it); kill -9 the daemon: within 3 s none of its ffmpeg children
    is left (the relay's decoder used to live on for as long as the server trickled)."""
    import signal
    import socket
    import time

    from test_play_e2e import event, prog, schedule, soon, start, wait_for

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    stop = threading.Event()

    def stall() -> None:
        conns = []
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _addr = server.accept()
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n")
                conns.append(conn)
            except OSError:
                pass
            for conn in conns:
                try:
                    conn.sendall(b"\0")
                except OSError:
                    pass
            stop.wait(1.0)
        for conn in conns:
            conn.close()

    threading.Thread(target=stall, daemon=True).start()
    home = tmp_path / "home"
    at = soon(4)
    sched = schedule(tmp_path / "schedules",
                     prog("rec", at, "      - play: jingles/intro.ogg\n      - silence: 60s\n")
                     + prog("relay", at, f"      - relay: http://127.0.0.1:{port}/live\n"
                            "        for: 60s\n", ("00004",)))
    proc = start(home, sched, "--station", "00001", "--station", "00004", "--sink", "file")
    try:
        wait_for(event(home, "start", "rec"), 30, "the recording to start")
        wait_for(event(home, "start", "relay", "00004"), 30, "the relay to start")
        time.sleep(1.0)  # the decoders are running (real processes, real time)
        ffmpegs = {pid for pid, name in children_of(proc.pid).items() if name == "ffmpeg"}
        assert len(ffmpegs) >= 1, children_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(alive(p) for p in ffmpegs):
            time.sleep(0.05)
        left = [p for p in ffmpegs if alive(p)]
        for pid in left:  # do not leave them to the next test either
            os.kill(pid, signal.SIGKILL)
        assert not left, f"ffmpeg children alive 3 s after kill -9: {left}"
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        server.close()


# --- further attacks -----------------------------------------------------------------------


def signed_bundle(city: City, change: Callable[[dict], None]) -> Path:
    """A bundle by the city key whose manifest ``change`` edited before signing."""
    from radiocli.trust.keys import load_private

    city.approve(city.city)
    bundle = city.schedules / "approved.json"
    data = json.loads(bundle.read_text())
    change(data["manifest"])
    signature = load_private(city.city).sign(canonical(data["manifest"]))
    data["signature"]["value"] = base64.b64encode(signature).decode()
    bundle.write_text(json.dumps(data))
    return bundle


@pytest.mark.parametrize(("spelling", "path"), [
    ("dot", "./registry/units.yaml"),
    ("double slash", "registry//units.yaml"),
    ("parent", "registry/../registry/units.yaml"),
    ("control character", "registry/units.yaml\n"),
    ("decomposed unicode", "registry/unitś.yaml".replace("ś", "s\u0301")),
])
def test_manifest_paths_have_one_spelling(city: City, spelling: str, path: str) -> None:
    bundle = signed_bundle(city, lambda m: m["schedules"].append(
        {"path": path, "sha256": m["schedules"][0]["sha256"]}))
    with pytest.raises(TrustError, match="manifest lists an unsafe path"):
        verify_bundle(bundle, city.trusted, now=T0)


def test_manifest_listing_a_file_twice(city: City) -> None:
    bundle = signed_bundle(city, lambda m: m["schedules"].append(dict(m["schedules"][0])))
    with pytest.raises(TrustError, match='lists "registry/units.yaml" twice'):
        verify_bundle(bundle, city.trusted, now=T0)


def test_duplicate_keys_in_the_bundle_are_refused(city: City) -> None:
    bundle = city.approve(city.city)
    text = bundle.read_text()
    manifest = json.dumps(json.loads(text)["manifest"])
    forged = text.replace('"manifest": {', f'"manifest": {manifest}, "manifest": {{', 1)
    bundle.write_text(forged)
    with pytest.raises(TrustError, match='duplicate key "manifest"'):
        verify_bundle(bundle, city.trusted, now=T0)


def test_a_deeply_nested_bundle_is_refused_cleanly(city: City) -> None:
    bundle = city.schedules / "approved.json"
    bundle.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(TrustError, match="nested"):
        verify_bundle(bundle, city.trusted, now=T0)
    with pytest.raises(TrustError, match="nested"):
        load_approved(city.schedules, city.trusted, city.home.approved, now=T0)


def test_a_key_name_cannot_forge_a_log_line(city: City) -> None:
    bundle = city.approve(city.city)
    data = json.loads(bundle.read_text())
    data["manifest"]["approved_by"]["fingerprint"] = "SHA256:unknown"
    data["manifest"]["approved_by"]["key"] = "x\nradiocli: reloaded: OK\x1b[2K"
    bundle.write_text(json.dumps(data))
    with pytest.raises(TrustError) as info:
        verify_bundle(bundle, city.trusted, now=T0)
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)
    assert 'unknown key "x\\x0aradiocli: reloaded: OK\\x1b[2K"' in str(info.value)


def test_an_approver_name_cannot_forge_a_log_line(city: City) -> None:
    approve([city.schedules], city.city, T0, UNTIL, "A\nradiocli: OK\x1b[2K", now=T0,
            trusted_dir=city.trusted)
    verified = city.verify(T0 + timedelta(minutes=1))
    assert "\n" not in verified.summary() and "\x1b" not in verified.summary()
    assert "A\\x0aradiocli: OK\\x1b[2K" in verified.summary()


def test_two_trusted_pubs_of_one_key_with_different_roles(city: City) -> None:
    """A stale copy of district-001.pub, edited to say city, sorting after the real one."""
    data = json.loads((city.trusted / "district-001.pub").read_text())
    data.update(roles=["city"])
    del data["districts"]
    (city.trusted / "zz-old.pub").write_text(json.dumps(data))
    forge(city.schedules, city.district, T0 - timedelta(hours=1), UNTIL)
    with pytest.raises(TrustError, match="are the same key .* with different names, roles"):
        city.verify()


def test_a_chime_linked_out_of_the_audio_folder(city: City) -> None:
    alert = city.root / "audio" / "chimes" / "alert.wav"
    alert.unlink()
    secret = city.root / "secret.wav"
    secret.write_bytes(b"not for the air")
    alert.symlink_to(secret)
    with pytest.raises(TrustError, match="chime alert: .*points outside the audio folder"):
        city.approve(city.city)


def test_a_bundle_signature_has_one_spelling(city: City) -> None:
    bundle = city.approve(city.city)
    data = json.loads(bundle.read_text())
    data["signature"]["value"] = respelled({"signature": data["signature"]["value"]})[
        "signature"]
    bundle.write_text(json.dumps(data))
    with pytest.raises(TrustError, match="canonical base64"):
        city.verify()


def test_removing_a_file_needs_the_key_that_approved_it_or_the_city(city: City) -> None:
    city.approve(city.city)
    city.file("districts/001.yaml", 'district: "001"\nprograms:\n' + program("tin-001"))
    city.approve(city.district, "districts/001.yaml")
    (city.schedules / "districts" / "001.yaml").unlink()
    with pytest.raises(TrustError, match="schedule file is in the bundle but missing"):
        city.verify()
    other = city.key("district-002", ["district"], districts=["002"])
    with pytest.raises(TrustError, match='key "district-002" cannot remove districts/001.yaml'):
        city.approve(other, "districts/001.yaml")
    city.approve(city.district, "districts/001.yaml")  # the removal, approved by its key
    assert city.verify().schedules.keys() == {"registry/units.yaml"}


def test_an_approval_cannot_be_taken_out_of_the_middle(city: City) -> None:
    """Each approval signs the digests of the ones before it: taking district 001's out
    (with its file) while district 002's stays is refused."""
    city.approve(city.city)
    ba_dinh = city.file("districts/001.yaml", 'district: "001"\nprograms:\n' + program("a"))
    city.approve(city.district, "districts/001.yaml")
    city.file("districts/002.yaml", 'district: "002"\nprograms:\n' + program("b"))
    city.approve(city.key("district-002", ["district"], districts=["002"]),
                 "districts/002.yaml")
    bundle = city.schedules / "approved.json"
    data = json.loads(bundle.read_text())
    assert len(data["approvals"]) == 3
    del data["approvals"][1]
    bundle.write_text(json.dumps(data))
    ba_dinh.unlink()
    with pytest.raises(TrustError, match='approvals before the one by "district-002" are not '
                                         "the ones it was signed after"):
        city.verify()
    # an approval of every file by the city starts a fresh bundle
    city.approve(city.city)
    assert "approvals" not in json.loads(bundle.read_text())
    assert city.verify().approvals[0].schedules == ("districts/002.yaml",
                                                   "registry/units.yaml")


def test_a_cosigned_bundle_airs_and_each_program_ends_with_its_approval(city: City) -> None:
    """The city approves the registry and a city program, district 001 its own file for
    a shorter time: the daemon of 00001 airs both; each program knows when its approval
    ends, and the bundle ends with the earliest."""
    city.file("city.yaml", "programs:\n" + program("tin", "10:01", "    targets: all\n"))
    city.approve(city.city)
    city.file("districts/001.yaml", 'district: "001"\nprograms:\n' + program("a", "10:02"))
    city.approve(city.district, "districts/001.yaml", valid_to=T0 + timedelta(days=7))
    clock = FakeClock(T0)
    d = Daemon(Config(city.home, city.schedules, stations=["00001"], trust=city.trusted),
               clock=clock)
    d.start(threads=False)
    assert d.approved is not None
    assert d.approved.valid_to == T0 + timedelta(days=7)
    assert d.approved.valid_to_of("a") == T0 + timedelta(days=7)
    assert d.approved.valid_to_of("tin") == UNTIL
    run(d, clock, 180)
    d.stop()
    lines = [json.loads(x) for x in (city.home.logs / "00001" / "2030-01-01.jsonl")
             .read_text().splitlines()]
    assert [(x["event"], x["program"]) for x in lines if x.get("event") == "start"] == [
        ("start", "tin"), ("start", "a")]


def test_two_approvers_at_once_lose_neither_approval(city: City, monkeypatch) -> None:  # noqa: ANN001
    """Both districts read the bundle before either writes it (forced with a barrier):
    without the bundle's lock the second write drops the first approval."""
    import radiocli.trust.approval as bundle_module

    city.approve(city.city)
    other = city.key("district-002", ["district"], districts=["002"])
    city.file("districts/001.yaml", 'district: "001"\nprograms:\n' + program("a"))
    city.file("districts/002.yaml", 'district: "002"\nprograms:\n' + program("b"))
    barrier = threading.Barrier(2)
    real = bundle_module._manifest

    def meet_then_sign(*args: Any, **kwargs: Any) -> dict:
        try:
            barrier.wait(timeout=1)  # with the lock the other cannot come: times out
        except threading.BrokenBarrierError:
            pass
        return real(*args, **kwargs)

    monkeypatch.setattr(bundle_module, "_manifest", meet_then_sign)
    threads = [threading.Thread(target=city.approve, args=(key, f"districts/{code}.yaml"))
               for key, code in ((city.district, "001"), (other, "002"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(a.key.name for a in city.verify().approvals) == [
        "city-hanoi", "district-001", "district-002"]


def test_a_linked_folder_in_the_schedules_folder_is_refused(city: City) -> None:
    """A link to a folder elsewhere: its files would be read from outside (or silently
    skipped); refused by name."""
    city.approve(city.city)
    elsewhere = city.root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text("programs: {}\n")
    (city.schedules / "extra").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(TrustError, match="extra: a symbolic link in the schedules folder"):
        city.verify()


def test_a_bundle_too_large_is_refused_before_it_is_read(city: City) -> None:
    bundle = city.schedules / "approved.json"
    with open(bundle, "wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    with pytest.raises(TrustError, match="approved.json: the approved bundle is larger than "
                                         "16 MB; refused"):
        finishes(lambda: load_approved(city.schedules, city.trusted, city.home.approved,
                                       now=T0))


# --- the alert desk wired to trust (issue 12 items 3, 4, 6 and 8, daemon side) ------------


def trusted_daemon(site: Site, clock: FakeClock, stations: list[str]) -> Daemon:
    d = Daemon(Config(site.home, site.schedules, stations=stations, trust=site.trusted),
               clock=clock)
    d.start(threads=False)
    return d


def starts_of(home: Home, station: str) -> list[dict]:
    out = []
    for path in sorted((home.logs / station).glob("*.jsonl")):
        out += [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    return [x for x in out if x.get("event") == "start"]


def test_3_a_district_emergency_key_alerts_its_district_only(tmp_path: Path) -> None:
    """Through the command and a daemon serving 00001 (Ba Đình, 001) and 00478 (Đông Anh,
    017): the district-001 key puts 00001 on air (the daemon judges the scope with the
    registry the city approved) and is refused for 00478, naming it."""
    from test_play_alerts import alert

    site = Site(tmp_path)
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    key, pub = generate_key(site.keys, "emergency-001", ["emergency"], districts=["001"])
    shutil.copy(pub, site.trusted)
    clock = FakeClock(T0)
    d = trusted_daemon(site, clock, ["00001", "00478"])
    result = alert(d, clock, "--station", "00478", "--key", str(key), "Sơ tán ngay.")
    assert result.exit_code == 1, result.output
    assert ('REFUSED at 1 station(s) (00478): alert refused: key "emergency-001" may alert '
            "district 001 only; the alert targets station 00478 (district 017) outside it; "
            "nothing was aired") in result.output
    result = alert(d, clock, "--station", "00001", "--key", str(key), "Sơ tán ngay.")
    assert result.exit_code == 0, result.output
    assert "on air at 1 station(s) (00001)" in result.output
    d.stop()
    assert starts_of(site.home, "00478") == []
    assert len(starts_of(site.home, "00001")) == 1
    assert len(list(d.rundir.rejected.glob("alert-*.json"))) == 1


def test_3_the_daemon_judges_scope_with_the_approved_registry(tmp_path: Path,
                                                              caplog) -> None:  # noqa: ANN001
    """In-process, signed on the daemon's clock: the daemon passed no registry, so the
    district key's alert for its own 00001 was refused ("no registry") and the refusal
    of 00478 could not say where 00478 is."""
    site = Site(tmp_path)
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    key, pub = generate_key(site.keys, "emergency-001", ["emergency"], districts=["001"])
    shutil.copy(pub, site.trusted)
    clock = FakeClock(T0)
    d = trusted_daemon(site, clock, ["00001", "00478"])
    with caplog.at_level("ERROR", logger="radiocli.play"):
        for code in ("00478", "00001"):
            control.submit(d.rundir, "alert", {"signed": sign_alert(
                {"stations": [code], "title": "alert", "text": "Sơ tán ngay."}, key,
                now=clock.now())}, clock.now())
            run(d, clock, 30)
    d.stop()
    assert any('key "emergency-001" may alert district 001 only; the alert targets station '
               "00478 (district 017) outside it" in r.getMessage() for r in caplog.records)
    assert starts_of(site.home, "00478") == []
    assert len(starts_of(site.home, "00001")) == 1


def test_4_a_requeued_copy_airs_once_across_a_restart(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    site = Site(tmp_path)
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    clock = FakeClock(T0)
    d = site.daemon(clock)
    signed = sign_alert({"stations": ["00001"], "title": "alert", "text": "Bão số 5."},
                        site.emergency, now=clock.now())
    control.submit(d.rundir, "alert", {"signed": signed}, clock.now())
    run(d, clock, 60)
    d.stop()
    clock.advance(60)
    d = site.daemon(clock)  # a restart, three minutes after the alert was signed
    with caplog.at_level("ERROR", logger="radiocli.play"):
        request = control.submit(d.rundir, "alert", {
            "signed": json.loads(json.dumps(signed, indent=3, sort_keys=True))}, clock.now())
        run(d, clock, 30)
    d.stop()
    assert [e[0] for e in site.events()] == ["start", "end"]
    assert any("already received (a replay)" in r.getMessage() for r in caplog.records)
    reply = json.loads((d.rundir.replies / f"alert-{request}.json").read_text())
    assert reply["outcome"] == "refused" and "a replay" in reply["reason"]


def test_4_a_signed_alert_on_air_at_a_crash_resumes_after_the_restart(tmp_path: Path) -> None:
    """Not a replay: the same spool file, on air when the daemon died, airs its rest."""
    from test_play_daemon import crash

    site = Site(tmp_path)
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    clock = FakeClock(T0)
    d = site.daemon(clock)
    signed = sign_alert({"stations": ["00001"], "title": "alert",
                         "text": "Thông báo khẩn. " * 8}, site.emergency, now=clock.now())
    control.submit(d.rundir, "alert", {"signed": signed}, clock.now())
    run(d, clock, 3)
    crash(d)
    clock.advance(5)
    d = site.daemon(clock)
    run(d, clock, 90)
    d.stop()
    ev = [e[0] for e in site.events()]
    assert ev[0] == "start" and ev.count("end") == 1 and "missed" not in ev
    assert not list(d.rundir.rejected.glob("alert-*.json"))


# --- 6. the spool can freeze the daemon ---------------------------------------------------


def spool_daemon(tmp_path: Path) -> tuple[Daemon, FakeClock]:
    from test_play_daemon import daemon_for, program

    clock = FakeClock(T0)
    return daemon_for(tmp_path, program("a", T0 + timedelta(hours=5), 5), clock), clock


def test_6_a_fifo_named_like_an_alert_blocks_nobody(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    d, clock = spool_daemon(tmp_path)
    fifo = d.rundir.spool / "alert-x.json"
    os.mkfifo(fifo)
    with caplog.at_level("ERROR", logger="radiocli.play"):
        finishes(lambda: run(d, clock, 1, step=0.2), unblock=fifo, seconds=10)
    assert not fifo.exists() and not fifo.is_symlink()
    assert stat.S_ISFIFO((d.rundir.rejected / "alert-x.json").lstat().st_mode)
    assert any("spool: alert-x.json refused: a FIFO (named pipe), not a regular file; moved "
               "to" in r.getMessage() for r in caplog.records)
    assert any("spool: alert-x.json refused" in e for e in status_errors(d))
    # the daemon still takes alerts
    control.submit(d.rundir, "alert", {"stations": ["00001"], "text": "Bão số 5."},
                   clock.now())
    run(d, clock, 30)
    d.stop()
    assert [x["event"] for x in starts_of(Home(tmp_path / "home"), "00001")] == ["start"]


def test_6_links_folders_and_oversized_files_are_set_apart_unread(tmp_path: Path) -> None:
    d, clock = spool_daemon(tmp_path)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"id": "20300101T100000-aaaaaa", "kind": "alert",
                                     "created": T0.isoformat(), "stations": ["00001"],
                                     "text": "Giả mạo."}))
    (d.rundir.spool / "alert-link.json").symlink_to(elsewhere)
    (d.rundir.spool / "alert-dir.json").mkdir()
    big = {"id": "20300101T100000-bbbbbb", "kind": "alert", "created": T0.isoformat(),
           "stations": ["00001"], "text": "Bão.", "pad": "x" * 70_000}
    (d.rundir.spool / "alert-20300101T100000-bbbbbb.json").write_text(json.dumps(big))
    run(d, clock, 30)
    d.stop()
    assert starts_of(Home(tmp_path / "home"), "00001") == [], "nothing aired"
    assert sorted(p.name for p in d.rundir.rejected.iterdir()) == [
        "alert-20300101T100000-bbbbbb.json", "alert-dir.json", "alert-link.json"]
    assert (d.rundir.rejected / "alert-link.json").is_symlink()
    assert list(d.rundir.spool.iterdir()) == []
    reply = json.loads((d.rundir.replies / "alert-20300101T100000-bbbbbb.json").read_text())
    assert reply["ok"] is False and "larger than 64 KiB" in reply["reason"]


def test_6_duplicate_keys_in_a_request_are_refused(tmp_path: Path) -> None:
    """Two readers could see two alerts in the same bytes: refused, with a reply."""
    d, clock = spool_daemon(tmp_path)
    (d.rundir.spool / "alert-20300101T100000-cccccc.json").write_text(
        '{"id": "20300101T100000-cccccc", "kind": "alert", "created": "2030-01-01T10:00:00+07:00",'
        ' "stations": ["00001"], "text": "Diễn tập.", "text": "Sơ tán ngay."}')
    run(d, clock, 30)
    d.stop()
    assert starts_of(Home(tmp_path / "home"), "00001") == []
    reply = json.loads((d.rundir.replies / "alert-20300101T100000-cccccc.json").read_text())
    assert reply["outcome"] == "refused" and 'duplicate key "text"' in reply["reason"]


# --- 8. file modes of alerts, replies and the run folder ----------------------------------


def test_8_alert_files_replies_and_spool_folders_are_owner_and_group_only(
        tmp_path: Path) -> None:
    from test_play_alerts import alert

    d, clock = spool_daemon(tmp_path)
    audio = tmp_path / "notice.wav"
    import wave

    with wave.open(str(audio), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    result = alert(d, clock, "--station", "00001", "--file", str(audio))
    assert result.exit_code == 0, result.output
    (d.rundir.spool / "alert-bad.json").write_text("{")  # refused: set apart, answered
    run(d, clock, 30)
    d.status.write(clock.now())
    d.stop()
    run_dir = tmp_path / "home" / "run"
    folders = [run_dir, d.rundir.folder, d.rundir.spool, d.rundir.replies, d.rundir.done,
               d.rundir.rejected, d.rundir.alert_audio]
    files = [d.rundir.status_file, *d.rundir.replies.iterdir(), *d.rundir.done.iterdir(),
             *d.rundir.rejected.iterdir(), *d.rundir.alert_audio.iterdir()]
    assert len(files) >= 6
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750, folder
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path


def test_4_a_memory_that_cannot_be_read_is_said_and_alerts_still_air(tmp_path: Path) -> None:
    """A FIFO where alerts-taken.jsonl should be: the daemon says why in status and the
    log, and the emergency airs all the same."""
    site = Site(tmp_path)
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    folder = site.home.run / "main"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "alerts-taken.jsonl")
    clock = FakeClock(T0)
    d = finishes(lambda: site.daemon(clock), seconds=20)
    assert any("cannot read the alerts already taken" in e for e in status_errors(d))
    control.submit(d.rundir, "alert", {"signed": sign_alert(
        {"stations": ["00001"], "title": "alert", "text": "Bão số 5."}, site.emergency,
        now=clock.now())}, clock.now())
    finishes(lambda: run(d, clock, 30), seconds=20)
    d.stop()
    assert [e[0] for e in site.events()] == ["start", "end"]
    assert any("cannot record the alert" in e for e in status_errors(d))


def test_6_a_fifo_as_the_alert_recording_blocks_nobody(tmp_path: Path) -> None:
    """An unsigned alert whose recording is a FIFO: the decoder would wait for a writer;
    the alert fails (its chime airs) and the daemon goes on."""
    d, clock = spool_daemon(tmp_path)
    fifo = tmp_path / "notice.wav"
    os.mkfifo(fifo)
    request = control.submit(d.rundir, "alert", {"stations": ["00001"], "file": str(fifo)},
                             clock.now())
    finishes(lambda: run(d, clock, 20), unblock=fifo, seconds=20)
    d.stop()
    reply = json.loads((d.rundir.replies / f"alert-{request}.json").read_text())
    assert reply["ok"] is False
    assert reply["stations"][0]["outcome"] == "failed"
    assert "cannot be read" in reply["stations"][0]["reason"]
