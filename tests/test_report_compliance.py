"""`radiocli report compliance` and `report station` tell the truth about what aired.

- An occurrence is aired only when 90 % of its planned seconds aired: short notices
  (30-60 s) of a station that was offline are not "aired" (issue 9, item 3).
- A day without a sealed log is never "complete"; an offline day shows what did not air.
- The figures agree with a recount from the raw log lines, done here in plain Python.
- The policy is checked on what aired by the same code validate uses on the plan
  (issue 9, item 4).
- The plan cache is keyed by what the plan depends on (issue 10, item 8).
"""

from __future__ import annotations

import json
import shutil
import wave
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from radiocli.aslog import LogBook
from radiocli.cli import cli

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REPO = Path(__file__).resolve().parent.parent

NOTICES = """\
# test: short notices of Xã Uy Nỗ (30, 45 and 60 seconds)
station: "00478"
programs:
  thong-bao-30s:
    title: Thông báo 30 giây
    when: {days: every day, at: "07:30"}
    from: 2021-08-01
    until: 2021-08-31
    duration: 30s
    segments:
      - say: Thông báo lịch tiêm vắc xin.
  thong-bao-45s:
    title: Thông báo 45 giây
    when: {days: every day, at: "08:30"}
    from: 2021-08-01
    until: 2021-08-31
    duration: 45s
    segments:
      - say: Thông báo lịch phát gạo hỗ trợ.
  thong-bao-60s:
    title: Thông báo 60 giây
    when: {days: every day, at: "09:30"}
    from: 2021-08-01
    until: 2021-08-31
    duration: 60s
    segments:
      - say: Thông báo lịch thu gom rác.
"""


def invoke(home: Path, schedules: Path, *args: str):
    result = CliRunner().invoke(cli, ["--home", str(home), "-s", str(schedules), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def offline_home(tmp_path_factory):
    """The sample with short notices at 00478, simulated 9-12 August 2021 with the
    station offline all of 10 August and 16:00-17:00 on 12 August (the 16:30 notice),
    plus a hand-written log of 00481 on 11 August: the district program aired for 14
    of its 28.5 minutes, then the operator stopped the player."""
    root = tmp_path_factory.mktemp("offline")
    shutil.copytree(REPO / "schedules", root / "schedules")
    shutil.copytree(REPO / "audio", root / "audio")
    (root / "schedules" / "stations" / "00478-notices.yaml").write_text(NOTICES,
                                                                        encoding="utf-8")
    home = root / "home"
    invoke(home, root / "schedules", "simulate", "--from", "2021-08-09", "--to", "2021-08-12",
           "--station", "00478", "--offline", "00478:2021-08-10--2021-08-10",
           "--offline", "00478:2021-08-12T16:00--2021-08-12T17:00")
    book = LogBook(home / "logs", durable=False)
    start = datetime(2021, 8, 11, 17, 0, 0, tzinfo=TZ)
    occ = "chuong-trinh-017@2021-08-11T17:00"
    book.event("00481", "start", start, start, "chuong-trinh-017", occ, "normal")
    stop = start + timedelta(minutes=14)
    book.minutes("00481", start, stop, "chuong-trinh-017", occ, "normal")
    book.event("00481", "end", stop, start, "chuong-trinh-017", occ, "normal",
               "shutdown: the operator stopped the player")
    book.seal_before(date(2021, 8, 12))
    book.close()
    return root, home


def compliance_json(root: Path, home: Path, *args: str, lang: str = "en") -> dict:
    result = invoke(home, root / "schedules", "--lang", lang, "report", "compliance",
                    "--from", "2021-08-09", "--to", "2021-08-12", "--json", *args)
    return json.loads(result.stdout)


def by_occurrence(report: dict, station: str) -> dict[str, dict]:
    return {r["occurrence"]: r for r in report["rows"] if r["station"] == station}


def test_silence_is_not_aired_short_notices_of_an_offline_station(offline_home):
    root, home = offline_home
    rows = by_occurrence(compliance_json(root, home, "--station", "00478"), "00478")
    # the 0.6-minute notice of Tuesday 10 August: the station was off the air all day
    notice = rows["thong-bao-uy-no-ho-tro@2021-08-10T16:30"]
    assert notice["planned_minutes"] > 0 and notice["aired_minutes"] == 0
    assert notice["code"] == "offline"
    # ... and on Thursday 12 August, 16:00-17:00 off the air
    assert rows["thong-bao-uy-no-ho-tro@2021-08-12T16:30"]["code"] == "offline"
    for seconds in (30, 45, 60):
        at = {30: "07:30", 45: "08:30", 60: "09:30"}[seconds]
        off = rows[f"thong-bao-{seconds}s@2021-08-10T{at}"]
        assert (off["code"], off["aired_minutes"]) == ("offline", 0), off
        on = rows[f"thong-bao-{seconds}s@2021-08-11T{at}"]
        assert on["code"] == "aired" and on["aired_minutes"] == round(seconds / 60, 1)
    assert {r["code"] for r in rows.values() if "2021-08-10T" in r["occurrence"]} == {"offline"}


def test_half_aired_program_is_partial_with_the_reason_from_the_log(offline_home):
    root, home = offline_home
    rows = by_occurrence(compliance_json(root, home, "--station", "00481"), "00481")
    half = rows["chuong-trinh-017@2021-08-11T17:00"]
    assert half["code"] == "partial"
    assert half["aired_minutes"] == 14.0 and half["planned_minutes"] > 28
    assert "shutdown: the operator stopped the player" in half["reason"]
    assert "14 of" in half["reason"]
    # the other days of 00481 have no log at all: offline, and the reason says so
    other = rows["chuong-trinh-017@2021-08-10T17:00"]
    assert other["code"] == "offline" and "no-log" in other["reason"]


def test_station_report_never_calls_an_offline_or_missing_day_complete(offline_home):
    root, home = offline_home
    out = invoke(home, root / "schedules", "--lang", "en", "report", "station", "--station",
                 "00478", "--from", "2021-08-09", "--to", "2021-08-12", "--json")
    days = {r["date"]: r for r in json.loads(out.stdout)["rows"]}
    tenth = days["2021-08-10"]
    assert tenth["sessions"] == 0 and tenth["aired"] == 0
    assert tenth["missed"] == tenth["planned"] >= 9  # 5 city/district + 3 notices + 16:30
    assert tenth["log"] == "no-log"  # offline all day: no file, as a dead station writes none
    assert days["2021-08-12"]["missed"] == 1  # the 16:30 notice
    assert days["2021-08-09"]["missed"] == 0 and days["2021-08-09"]["log"] == "ok"
    out = invoke(home, root / "schedules", "--lang", "en", "report", "station", "--station",
                 "00481", "--from", "2021-08-09", "--to", "2021-08-12", "--json")
    report = json.loads(out.stdout)
    logs = [r["log"] for r in report["rows"]]
    assert logs == ["no-log", "no-log", "ok", "no-log"]
    assert report["incomplete_days"] == 3
    vi = invoke(home, root / "schedules", "report", "station", "--station", "00478", "--from",
                "2021-08-09", "--to", "2021-08-12").stdout
    tenth_line = next(line for line in vi.splitlines() if "10/08/2021" in line)
    assert "đủ" not in tenth_line and "không có" in tenth_line


# --- a recount from the raw lines, in plain Python ---------------------------------------


def recount(logs: Path, planned: list, station_codes: set[str]) -> dict[tuple[str, str], tuple]:
    """(station, occurrence) -> (status, aired minutes), by the rule docs/reports.md
    states, from the JSON lines alone."""
    seconds: Counter[tuple[str, str]] = Counter()
    events: dict[tuple[str, str], Counter[str]] = {}
    activity: dict[str, list[tuple[datetime, datetime]]] = {}
    for path in sorted(logs.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            st = obj["station"]
            if st not in station_codes:
                continue
            if "minute" in obj:
                at = datetime.fromisoformat(obj["minute"])
                seconds[(st, obj["occurrence"])] += obj["seconds"]
                activity.setdefault(st, []).append((at, at + timedelta(minutes=1)))
            elif obj["event"] != "sealed":
                at = datetime.fromisoformat(obj["at"])
                activity.setdefault(st, []).append((at, at))
                if obj["occurrence"]:
                    events.setdefault((st, obj["occurrence"]), Counter())[obj["event"]] += 1
    out = {}
    for occ in planned:
        key = (occ.station, occ.occurrence_id)
        aired = seconds.get(key, 0)
        ev = events.get(key, Counter())
        start = occ.start or occ.scheduled
        end = occ.end or start + timedelta(seconds=occ.duration_s)
        near = any(a <= end + timedelta(minutes=1) and b >= start - timedelta(minutes=1)
                   for a, b in activity.get(occ.station, []))
        if ev["failed"]:
            status = "failed"
        elif ev["missed"] and not aired:
            status = "missed"
        elif aired and aired >= 0.9 * round(occ.duration_s, 1):
            status = "aired"
        elif ev["preempted"] > ev["resumed"]:
            status = "preempted"
        elif aired or ev["start"]:
            status = "partial"
        elif not near:
            status = "offline"
        else:
            status = "missed"
        out[key] = (status, round(aired / 60, 1))
    return out


def test_compliance_agrees_with_a_recount_from_the_raw_lines(offline_home):
    from radiocli.plan import plan
    from radiocli.schedule.load import load

    root, home = offline_home
    stations = {"00478", "00481"}
    schedule = load(root / "schedules")
    planned = plan(schedule, datetime(2021, 8, 9, tzinfo=TZ), datetime(2021, 8, 13, tzinfo=TZ),
                   stations=stations)
    expected = recount(home / "logs", planned, stations)
    report = compliance_json(root, home, "--district", "017")
    got = {(r["station"], r["occurrence"]): (r["code"], r["aired_minutes"])
           for r in report["rows"] if r["station"] in stations}
    assert got == expected
    statuses = Counter(status for status, _m in expected.values())
    assert statuses["aired"] > 20 and statuses["offline"] > 10 and statuses["partial"] == 1
    # the totals are those rows counted
    assert report["counts"]["partial"] >= 1
    assert report["aired"] == sum(1 for r in report["rows"] if r["code"] == "aired")
    # problems come first, grouped by station, with the station's name
    codes = [r["code"] for r in report["rows"]]
    assert codes.index("aired") > max(i for i, c in enumerate(codes) if c != "aired") or \
        codes[-1] == "aired"
    problems = [r for r in report["rows"] if r["code"] != "aired"]
    assert [r["station"] for r in problems] == sorted(r["station"] for r in problems)
    assert {r["station_name"] for r in problems if r["station"] == "00478"} == {"Xã Uy Nỗ"}


# --- one policy implementation -----------------------------------------------------------

STRICT = """\
# test: a strict profile without the 2021 exemption
policy:
  name: hanoi
  quiet_hours: "20:00-06:00"
  exempt_priorities: [emergency]
  rules:
    - name: inner-emergency-only
      districts: ["001"]
      emergency_only: true
    - name: urban-wards
      district_kinds: [quận]
      max_sessions_per_day: 2
      max_session_minutes: 30
      days: weekdays
      windows: ["06:00-11:30", "13:30-18:30"]
"""


def test_policy_on_what_aired_equals_validate_on_the_plan(tmp_path):
    """The same sessions (a plan, simulated without faults, collected) give the same
    violations through the report as through radiocli.plan.policy.check on the plan."""
    from radiocli.plan import plan
    from radiocli.plan.policy import Session, check
    from radiocli.schedule.load import load

    shutil.copytree(REPO / "schedules", tmp_path / "schedules")
    shutil.copytree(REPO / "audio", tmp_path / "audio")
    (tmp_path / "schedules" / "policy" / "hanoi.yaml").write_text(STRICT, encoding="utf-8")
    home = tmp_path / "home"
    schedules = tmp_path / "schedules"
    invoke(home, schedules, "simulate", "--from", "2021-08-06", "--to", "2021-08-08",
           "--district", "001", "--district", "003")
    got = []
    for district in ("001", "003"):
        out = invoke(home, schedules, "--lang", "en", "report", "compliance", "--from",
                     "2021-08-06", "--to", "2021-08-08", "--district", district, "--json")
        got += [(v["station"], v["date"], v["program"], v["rule"], v["code"], v["message"])
                for v in json.loads(out.stdout)["violations"]]

    schedule = load(schedules)
    codes = sorted(c for c, s in schedule.registry.as_of(date(2021, 8, 6)).items()
                   if s.district in ("001", "003"))
    occurrences = plan(schedule, datetime(2021, 8, 6, tzinfo=TZ),
                       datetime(2021, 8, 9, tzinfo=TZ), stations=codes)
    sessions = sorted((Session((o.station,), o.program, o.start, o.end, o.priority)
                       for o in occurrences if o.start is not None),
                      key=lambda s: (s.start, s.stations))
    assert schedule.policy is not None
    expected = [(st, v.day, v.program, v.rule, v.code, v.message)
                for v in check(schedule.policy, schedule.registry, sessions)
                for st in v.stations]
    assert Counter(got) == Counter(expected)
    kinds = {code for _s, _d, _p, _r, code, _m in got}
    assert kinds >= {"quiet-hours", "emergency-only", "max-sessions", "max-minutes", "day",
                     "window"}


def test_policy_counts_an_occurrence_once_and_places_each_piece(tmp_path):
    """A program preempted and resumed is one session as long as it was on the air; its
    resumed piece is where it aired: 20:40-20:45 then 21:00-21:10 breaks the quiet
    hours (from 21:00) but not a 20-minute cap: 15 minutes on the air, though it spans 30."""
    from radiocli.aslog.collect import collect
    from radiocli.report.connection import open_engine
    from radiocli.report.policy_check import aired_violations
    from radiocli.schedule.load import load
    from radiocli.schedule.model import PolicyRule, Targets

    schedule = load(REPO / "schedules")
    assert schedule.policy is not None
    rule = PolicyRule("test-cap", Targets(stations=("00001",)), max_session_minutes=20,
                      max_sessions_per_day=1)
    from dataclasses import replace

    schedule.policies = {"hanoi": replace(schedule.policy, exemptions=(), rules=(rule,))}
    book = LogBook(tmp_path / "logs", durable=False)
    day = date(2021, 8, 2)

    def at(hh: int, mm: int) -> datetime:
        return datetime.combine(day, time(hh, mm), TZ)

    occ = "test@2021-08-02T20:40"
    book.event("00001", "start", at(20, 40), at(20, 40), "test", occ, "normal")
    book.minutes("00001", at(20, 40), at(20, 45), "test", occ, "normal")
    book.event("00001", "preempted", at(20, 45), at(20, 40), "test", occ, "normal",
               "preempted-by: alert@2021-08-02T20:45")
    book.event("00001", "resumed", at(21, 0), at(20, 40), "test", occ, "normal")
    book.minutes("00001", at(21, 0), at(21, 10), "test", occ, "normal")
    book.event("00001", "end", at(21, 10), at(20, 40), "test", occ, "normal")
    book.seal_before(day + timedelta(days=1))
    book.close()
    collect([tmp_path / "logs"], tmp_path / "store", schedule.registry, today=date(2021, 9, 1))
    engine = open_engine(tmp_path / "store", schedule.registry)
    cond, params = engine.scope(day, day)
    found = aired_violations(engine, schedule, cond, params, "en")
    assert {(v["code"], v["station"]) for v in found} == {("quiet-hours", "00001")}
    assert found[0]["occurrences"] == occ


# --- the plan cache ----------------------------------------------------------------------

JINGLE_PROGRAM = """\
station: "00001"
programs:
  nhac-hieu-thu:
    title: Nhạc hiệu thử
    when: {days: every day, at: "08:00"}
    from: 2021-08-01
    until: 2021-08-31
    segments:
      - play: jingles/thu.wav
"""


def write_wav(path: Path, seconds: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 8000 * seconds)


def test_plan_cache_follows_the_audio_files(tmp_path):
    """Changing an audio file's length changes the report: the cached plan is keyed by
    the audio files' content, not only the schedule files."""
    shutil.copytree(REPO / "schedules", tmp_path / "schedules")
    shutil.copytree(REPO / "audio", tmp_path / "audio")
    (tmp_path / "schedules" / "stations" / "00001-jingle.yaml").write_text(
        JINGLE_PROGRAM, encoding="utf-8")
    write_wav(tmp_path / "audio" / "jingles" / "thu.wav", 60)
    home = tmp_path / "home"

    def planned_minutes() -> float:
        out = invoke(home, tmp_path / "schedules", "--lang", "en", "report", "compliance",
                     "--from", "2021-08-02", "--to", "2021-08-02", "--station", "00001",
                     "--json")
        rows = json.loads(out.stdout)["rows"]
        return next(r["planned_minutes"] for r in rows
                    if r["occurrence"] == "nhac-hieu-thu@2021-08-02T08:00")

    assert planned_minutes() == 1.0
    assert planned_minutes() == 1.0  # from the cache
    write_wav(tmp_path / "audio" / "jingles" / "thu.wav", 150)
    assert planned_minutes() == 2.5


def test_plan_key_covers_version_rendered_lengths_and_files(monkeypatch, tmp_path):
    import radiocli
    from radiocli.report.compliance import plan_key
    from radiocli.schedule.load import load

    shutil.copytree(REPO / "schedules", tmp_path / "schedules")
    shutil.copytree(REPO / "audio", tmp_path / "audio")
    schedule = load(tmp_path / "schedules")
    day = date(2021, 8, 2)
    key = plan_key(schedule, day, day, ["00001"], None)
    assert plan_key(schedule, day, day, ["00001"], None) == key
    assert plan_key(schedule, day, day, ["00001"], {"vov-thoi-su-sang": 2700.0}) != key
    assert plan_key(schedule, day, day, ["00004"], None) != key
    monkeypatch.setattr(radiocli, "__version__", "9.9.9")
    assert plan_key(schedule, day, day, ["00001"], None) != key
    monkeypatch.undo()
    chime = tmp_path / "audio" / "chimes" / "start.wav"
    chime.write_bytes(chime.read_bytes() + b"\x00\x00")
    assert plan_key(schedule, day, day, ["00001"], None) != key
    policy = tmp_path / "schedules" / "policy" / "hanoi.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert plan_key(schedule, day, day, ["00001"], None) != key
