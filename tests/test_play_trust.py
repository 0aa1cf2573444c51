"""Only approved content airs (run --trust): the daemon verifies the approved bundle at
start and at every reload, airs from a private copy, refuses each kind of tampering with
its reason while the previous approved schedule keeps airing, stops launching programs
when the approval expires, and airs only signed alerts. Fake clock, no sleeping."""

from __future__ import annotations

import json
import shutil
import stat
import wave
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from forge import forge
from radiocli.errors import TrustError
from radiocli.home import Home
from radiocli.play import control
from radiocli.play.clock import FakeClock
from radiocli.play.daemon import Config, Daemon
from radiocli.plan.triggers import TZ
from radiocli.trust import approve, generate_key, sign_alert

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2030, 1, 1, 10, 0, 0, tzinfo=TZ)


def wav(path: Path, seconds: float, level: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(level.to_bytes(2, "little", signed=True) * int(8000 * seconds))
    return path


def prog(pid: str, at: datetime, segment: str, priority: str = "normal") -> str:
    return (f"  {pid}:\n    title: {pid}\n    priority: {priority}\n"
            f"    targets:\n      stations: [\"00001\"]\n"
            f"    when:\n      once: [\"{at:%Y-%m-%d %H:%M:%S}\"]\n"
            f"    segments:\n      - {segment}\n")


A = prog("a", T0 + timedelta(seconds=30), "play: jingles/intro.wav")
B = prog("b", T0 + timedelta(seconds=150), "silence: 10s")


class Site:
    """A project (schedules/, audio/), keys, a trusted folder and a home."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.schedules = root / "schedules"
        self.audio = root / "audio"
        (self.schedules / "registry").mkdir(parents=True)
        shutil.copy(REPO / "schedules" / "registry" / "units.yaml", self.schedules / "registry")
        shutil.copytree(REPO / "audio" / "chimes", self.audio / "chimes")
        wav(self.audio / "jingles" / "intro.wav", 20)
        self.trusted = root / "trusted"
        self.trusted.mkdir()
        self.keys = root / "keys"
        self.city, pub = generate_key(self.keys, "city-hanoi", ["city"])
        shutil.copy(pub, self.trusted)
        self.emergency, pub = generate_key(self.keys, "city-emergency", ["emergency"])
        shutil.copy(pub, self.trusted)
        self.home = Home(root / "home")
        self.write(A + B)

    def write(self, programs: str) -> None:
        (self.schedules / "programs.yaml").write_text("programs:\n" + programs,
                                                      encoding="utf-8")

    def approve(self, key: Path | None = None, valid_to: datetime | None = None,
                valid_from: datetime | None = None) -> Path:
        return approve([self.schedules], key or self.city, valid_from or T0 - timedelta(hours=1),
                       valid_to or T0 + timedelta(days=30), "Nguyễn Văn A",
                       now=T0 - timedelta(hours=1))

    def daemon(self, clock: FakeClock) -> Daemon:
        d = Daemon(Config(self.home, self.schedules, stations=["00001"], trust=self.trusted),
                   clock=clock)
        d.start(threads=False)
        return d

    def lines(self) -> list[dict]:
        out = []
        for path in sorted((self.home.logs / "00001").glob("*.jsonl")):
            out += [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        return out

    def events(self) -> list[tuple[str, str, str]]:
        return [(x["event"], x["program"], x["reason"]) for x in self.lines()
                if "event" in x and x["event"] not in ("sealed", "recovered")]

    def aired(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for x in self.lines():
            if "minute" in x:
                out[x["program"]] = out.get(x["program"], 0) + x["seconds"]
        return out


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def run(d: Daemon, clock: FakeClock, seconds: float, step: float = 1.0) -> None:
    t = 0.0
    while t < seconds:
        clock.advance(step)
        d.tick()
        t += step


def status_errors(d: Daemon) -> list[str]:
    d.status.write(d.clock.now())
    data = json.loads(d.rundir.status_file.read_text())
    return [e["reason"] for row in data["stations"] for e in row["errors"]]


# --- tampering after approval: each refused with its reason ------------------------------


def changed_byte(site: Site) -> None:
    path = site.schedules / "programs.yaml"
    data = bytearray(path.read_bytes())
    data[data.index(b"title: a") + 7] = ord("x")  # "title: x"
    path.write_bytes(bytes(data))


def swapped_audio(site: Site) -> None:
    wav(site.audio / "jingles" / "intro.wav", 20, level=9000)


def added_file(site: Site) -> None:
    (site.schedules / "extra.yaml").write_text(
        "programs:\n" + prog("x", T0 + timedelta(seconds=60), "silence: 5s"), encoding="utf-8")


def expired_bundle(site: Site) -> None:
    site.approve(valid_to=T0 - timedelta(minutes=1), valid_from=T0 - timedelta(hours=2))


def not_yet_valid(site: Site) -> None:
    site.approve(valid_from=T0 + timedelta(days=1), valid_to=T0 + timedelta(days=2))


def unknown_key(site: Site) -> None:
    stranger, _pub = generate_key(site.root / "other-keys", "city-stranger", ["city"])
    site.approve(key=stranger)


def missing_signature(site: Site) -> None:
    bundle = site.schedules / "approved.json"
    data = json.loads(bundle.read_text())
    del data["signature"]
    bundle.write_text(json.dumps(data))


def bad_signature(site: Site) -> None:
    bundle = site.schedules / "approved.json"
    data = json.loads(bundle.read_text())
    data["manifest"]["valid_to"] = "2099-01-01T00:00:00+07:00"
    bundle.write_text(json.dumps(data))


def missing_bundle(site: Site) -> None:
    (site.schedules / "approved.json").unlink()


def key_without_the_role(site: Site) -> None:
    forge(site.schedules, site.emergency, T0 - timedelta(hours=1), T0 + timedelta(days=30))


REFUSALS: dict[str, tuple[Callable[[Site], None], str]] = {
    "changed byte in a YAML file": (changed_byte, "programs.yaml: schedule file changed "
                                                  "since it was approved"),
    "swapped audio": (swapped_audio, "intro.wav: audio file changed or was swapped"),
    "added file": (added_file, "extra.yaml: schedule file is not in the approved bundle"),
    "expired bundle": (expired_bundle, "expired: valid to 2030-01-01T09:59:00+07:00"),
    "not yet valid": (not_yet_valid, "not yet valid: valid from 2030-01-02"),
    "unknown key": (unknown_key, 'unknown key "city-stranger"'),
    "missing signature": (missing_signature, "the bundle has no signature"),
    "bad signature": (bad_signature, "bad signature"),
    "missing bundle": (missing_bundle, "no approved bundle"),
    "key without the role": (key_without_the_role, "approving schedules needs the city, "
                                                   "district or station role"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_reload_refuses_tampering_and_the_approved_schedule_keeps_airing(site, case, caplog):
    tamper, message = REFUSALS[case]
    site.approve()
    clock = FakeClock(T0)
    d = site.daemon(clock)
    assert d.approved is not None and d.schedule is not None
    assert d.schedule.audio_dir == d.approved.folder / "audio"
    run(d, clock, 10)
    tamper(site)
    with caplog.at_level("ERROR", logger="radiocli.play"):
        ok, problems = d.reload()
    assert not ok
    assert message in str(problems[0].message)
    assert "previous approved schedule keeps airing" in problems[0].message
    assert any(message in r.getMessage() and "reload refused" in r.getMessage()
               for r in caplog.records), "the refusal is in the daemon log"
    assert any(message in e for e in status_errors(d)), "and in status last errors"
    run(d, clock, 200)
    d.stop()
    # the approved a and b aired (as-run lines), nothing from the tampered folder
    assert [e[:2] for e in site.events()] == [("start", "a"), ("end", "a"),
                                              ("start", "b"), ("end", "b")]
    assert site.aired() == {"a": 20, "b": 10}
    assert not [e for e in site.events() if e[0] == "failed"]


def test_snapshot_is_private_and_later_edits_cannot_reach_the_air(site):
    site.approve()
    clock = FakeClock(T0)
    d = site.daemon(clock)
    snap = d.approved.folder
    assert snap.parent == site.home.approved and len(snap.name) == 64
    copied = sorted(p.relative_to(snap).as_posix() for p in snap.rglob("*") if p.is_file())
    assert copied == ["approved.json", "audio/chimes/alert.wav", "audio/chimes/end.wav",
                      "audio/jingles/intro.wav", "schedules/programs.yaml",
                      "schedules/registry/units.yaml"]
    for path in snap.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
    original = (snap / "audio/jingles/intro.wav").read_bytes()
    swapped_audio(site)  # swapped in the working folder, no reload
    run(d, clock, 60)
    d.stop()
    assert (snap / "audio/jingles/intro.wav").read_bytes() == original
    assert ("start", "a", "") in site.events()


def test_a_file_swapped_between_verify_and_copy_is_caught(site, monkeypatch):
    import radiocli.trust as trust

    site.approve()
    real = trust.verify_bundle
    calls = []

    def verify_then_swap(bundle, *args, **kwargs):
        result = real(bundle, *args, **kwargs)
        calls.append(bundle)
        if len(calls) == 1:  # the working folder checked out: now swap the audio
            swapped_audio(site)
        return result

    monkeypatch.setattr(trust, "verify_bundle", verify_then_swap)
    with pytest.raises(TrustError, match="intro.wav: audio file changed while it was being "
                                         "copied"):
        site.daemon(FakeClock(T0))
    assert not [p for p in site.home.approved.iterdir() if len(p.name) == 64]


def test_start_refuses_without_an_earlier_valid_approval(site):
    with pytest.raises(TrustError, match="no approved bundle"):  # nothing approved yet
        site.daemon(FakeClock(T0))
    site.approve()
    changed_byte(site)
    with pytest.raises(TrustError) as info:
        site.daemon(FakeClock(T0))
    assert "schedule file changed since it was approved" in str(info.value)
    assert "no earlier approved schedule is still valid" in str(info.value)


def test_start_airs_the_last_approved_copy_while_it_is_valid(site, caplog):
    site.approve(valid_to=T0 + timedelta(minutes=10))
    clock = FakeClock(T0)
    d = site.daemon(clock)
    d.stop()
    changed_byte(site)
    clock.advance(5)
    with caplog.at_level("ERROR", logger="radiocli.play"):
        d = site.daemon(clock)
    assert any("schedules refused" in r.getMessage() and "changed since it was approved"
               in r.getMessage() for r in caplog.records)
    assert any("airing the last approved bundle" in e for e in status_errors(d))
    run(d, clock, 60)
    d.stop()
    assert [e[:2] for e in site.events()] == [("start", "a"), ("end", "a")]
    # once that approval has expired too, the daemon refuses to start
    clock.advance(600)
    with pytest.raises(TrustError, match="no earlier approved schedule is still valid"):
        site.daemon(clock)


def test_cli_refuses_to_start_with_the_reason_and_no_traceback(site, cli):
    site.approve()
    changed_byte(site)
    result = cli("--home", str(site.home.root), "-s", str(site.schedules), "run",
                 "--station", "00001", "--trust", str(site.trusted), "--clock",
                 "2030-01-01 10:00:00", "--for", "1s")
    assert result.exit_code == 1
    assert "schedule file changed since it was approved" in result.output
    assert "Traceback" not in result.output


def test_expiry_while_running_stops_programs_but_emergencies_air(site, caplog):
    site.write(A + B + prog("em", T0 + timedelta(seconds=170), "silence: 5s", "emergency"))
    site.approve(valid_to=T0 + timedelta(minutes=2))
    clock = FakeClock(T0)
    d = site.daemon(clock)
    with caplog.at_level("ERROR", logger="radiocli.play"):
        run(d, clock, 200)
    assert any("approval of the schedules ended" in r.getMessage() for r in caplog.records)
    signed = sign_alert({"stations": ["00001"], "title": "alert", "text": "Thông báo khẩn."},
                        site.emergency, now=clock.now())
    control.submit(d.rundir, "alert", {"signed": signed}, clock.now())
    run(d, clock, 60)
    d.stop()
    ev = site.events()
    assert [e[:2] for e in ev[:2]] == [("start", "a"), ("end", "a")]
    assert ev[2][:2] == ("missed", "b") and ev[2][2].startswith(
        "expired: the approval of the schedules ended at 2030-01-01T10:02+07:00")
    assert [e[:2] for e in ev[3:5]] == [("start", "em"), ("end", "em")]
    assert ev[5][0] == "start" and ev[5][1].startswith("alert-")


# --- signed alerts ------------------------------------------------------------------------


def test_unsigned_alert_is_refused_and_a_signed_one_airs(site, caplog):
    site.write(prog("later", T0 + timedelta(hours=3), "silence: 5s"))
    site.approve()
    clock = FakeClock(T0)
    d = site.daemon(clock)
    with caplog.at_level("ERROR", logger="radiocli.play"):
        control.submit(d.rundir, "alert", {"stations": ["00001"], "text": "Giả mạo."},
                       clock.now())
        run(d, clock, 5)
        # signed with a trusted key without the emergency role: refused as well
        control.submit(d.rundir, "alert", {"signed": sign_alert(
            {"stations": ["00001"], "text": "Giả mạo."}, site.city, now=clock.now())},
            clock.now())
        run(d, clock, 5)
    assert site.events() == []
    rejected = sorted(d.rundir.rejected.glob("alert-*.json"))
    assert len(rejected) == 2 and not list(d.rundir.spool.glob("alert-*.json"))
    messages = [r.getMessage() for r in caplog.records]
    assert any("alert refused: the alert is not signed" in m for m in messages)
    assert any("emergency alerts need a key with the emergency role" in m for m in messages)
    reply = json.loads(next(d.rundir.replies.glob("alert-*.json")).read_text())
    assert reply["ok"] is False and reply["reason"].startswith("alert refused")

    signed = sign_alert({"stations": ["00001"], "title": "alert", "text": "Bão số 5."},
                        site.emergency, now=clock.now())
    control.submit(d.rundir, "alert", {"signed": signed}, clock.now())
    run(d, clock, 30)
    # the same signed alert put in the spool again is a replay
    with caplog.at_level("ERROR", logger="radiocli.play"):
        control.submit(d.rundir, "alert", {"signed": signed}, clock.now())
        run(d, clock, 30)
    d.stop()
    ev = site.events()
    assert [e[0] for e in ev] == ["start", "end"] and ev[0][1].startswith("alert-")
    assert any("already received (a replay)" in r.getMessage() for r in caplog.records)
    assert len(list(d.rundir.rejected.glob("alert-*.json"))) == 3


def test_alert_command_needs_a_key_under_trust(site, cli):
    site.approve()
    d = site.daemon(FakeClock(T0))
    try:
        result = cli("--home", str(site.home.root), "alert", "--station", "00001", "x")
        assert result.exit_code == 2
        assert "airs only signed alerts: give --key KEY" in result.output
    finally:
        d.stop()
