"""Every validation rule, each with a bad input: the problem's code, its line, and that
validate exits 1 with file:line:column (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOOD_PROGRAM = """\
station: "00001"
programs:
  thong-bao:
    title: Thông báo
    when:
      days: [monday]
      at: "07:30"
    from: 2021-08-02
    until: 2021-08-31
    segments:
      - say: Xin chào bà con.
"""

CASES = [
    # (name, file text, expected code, expected line)
    ("syntax", "programs:\n  a: [1, 2\n", "syntax", 2),  # where the [ opens
    ("tabs", "programs:\n\ta: 1\n", "syntax", 2),
    ("unknown key with suggestion", GOOD_PROGRAM.replace("    title:", "    titel:"),
     "unknown-key", 4),
    ("duplicate key", GOOD_PROGRAM.replace("    title: Thông báo\n",
                                           "    title: Thông báo\n    title: Khác\n"),
     "duplicate-key", 5),
    ("bad time", GOOD_PROGRAM.replace('"07:30"', '"25:00"'), "format", 7),
    ("bad date", GOOD_PROGRAM.replace("from: 2021-08-02", "from: 2021-02-30"), "format", 8),
    ("weekday number", GOOD_PROGRAM.replace("[monday]", "[1]"), "format", 6),
    ("unknown station", GOOD_PROGRAM.replace('"00001"', '"99999"'), "unknown-station", 1),
    ("unknown district in targets",
     'programs:\n  p:\n    targets: {districts: ["998"]}\n    when: {at: "08:00"}\n'
     "    segments: [{say: Xin chào}]\n", "unknown-district", 3),
    ("missing audio", GOOD_PROGRAM.replace("- say: Xin chào bà con.", "- play: khong-co.wav"),
     "audio-missing", 11),
    ("audio path leaves the audio folder",
     GOOD_PROGRAM.replace("- say: Xin chào bà con.", "- play: ../schedules/radiocli.yaml"),
     "audio-path", 11),
    ("absolute audio path", GOOD_PROGRAM.replace("- say: Xin chào bà con.", "- play: /etc/passwd"),
     "audio-path", 11),
    ("relay scheme", GOOD_PROGRAM.replace("- say: Xin chào bà con.",
                                          "- relay: file:///etc/passwd\n        for: 5m"),
     "relay-scheme", 11),
    ("never fires", GOOD_PROGRAM.replace("from: 2021-08-02\n    until: 2021-08-31",
                                         "from: 2021-08-03\n    until: 2021-08-08"),
     "never-fires", 6),
    ("empty rule", GOOD_PROGRAM.replace('      days: [monday]\n      at: "07:30"\n',
                                        "      days: [monday]\n"), "never-fires", 6),
    ("priority typo", GOOD_PROGRAM.replace("    title: Thông báo\n",
                                           "    title: Thông báo\n    priority: urgent\n"),
     "format", 5),
    ("duration without unit", GOOD_PROGRAM.replace("    title: Thông báo\n",
                                                   "    title: Thông báo\n    max_duration: 15\n"),
     "format", 5),
    ("alias bomb", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "alias", 2),
    ("deep nesting", "programs: " + "[" * 200 + "]" * 200 + "\n", "too-deep", 1),
    ("several documents", "programs: {}\n---\nprograms: {}\n", "multi-doc", 2),
]


def write(project: Path, text: str | bytes, name: str = "stations/00001.yaml") -> Path:
    path = project / "schedules" / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name,text,code,line", CASES, ids=[c[0] for c in CASES])
def test_each_rule_reports_file_line_and_what_to_do(cli, project, name, text, code, line):
    path = write(project, text)
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    mine = [p for p in report["problems"] if p["file"].endswith("stations/00001.yaml")]
    assert any(p["code"] == code and p["line"] == line for p in mine), mine
    assert all(p["message"] for p in mine)
    plain = cli("--schedules", str(project / "schedules"), "validate", str(path))
    assert plain.exit_code == 1
    assert "stations/00001.yaml:" in plain.output and "Traceback" not in plain.output


def test_unknown_key_says_did_you_mean(cli, project):
    write(project, GOOD_PROGRAM.replace("    title:", "    titel:"))
    result = cli("--schedules", str(project / "schedules"), "validate")
    assert 'unknown key "titel" in program "thong-bao" (did you mean "title"?)' in result.output


@pytest.mark.parametrize("content,code", [
    (b"", "empty"),
    (b"\x00\x01\x02garbage\xff", "binary"),
    (b"programs:\n  a: \xff\xfe\n", "encoding"),
    (b"- just\n- a list\n", "type"),
])
def test_hostile_files_get_a_clear_message(cli, project, content, code):
    write(project, content)
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    problems = json.loads(result.output)["problems"]
    assert any(p["code"] == code for p in problems), problems


def test_a_50_mb_file_is_refused_quickly(cli, project):
    path = project / "schedules" / "stations" / "00001.yaml"
    with open(path, "wb") as fh:
        fh.write(b"programs:\n")
        fh.write(b"  # " + b"x" * (50 * 1024 * 1024) + b"\n")
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    problems = json.loads(result.output)["problems"]
    assert any(p["code"] == "too-large" for p in problems)


def test_same_priority_overlap_is_an_error(cli, project):
    write(project, GOOD_PROGRAM.replace('"07:30"', '"06:10"'))  # inside the VOV relay
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    problems = json.loads(result.output)["problems"]
    overlap = [p for p in problems if p["code"] == "overlap"]
    assert overlap and "vov-thoi-su-sang" in overlap[0]["message"]


def test_policy_violations_outside_the_exemption(cli, project):
    policy = project / "schedules" / "policy" / "hanoi.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("from: 2021-07-24\n      until: 2021-09-21",
                                   "from: 2020-01-01\n      until: 2020-01-02"),
                      encoding="utf-8")
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    assert result.exit_code == 1
    codes = {p["code"] for p in json.loads(result.output)["problems"]}
    assert {"policy-emergency-only", "policy-max-minutes", "policy-max-sessions",
            "policy-day"} <= codes


def test_quiet_hours_are_checked_even_in_an_exemption(cli, project):
    write(project, GOOD_PROGRAM.replace('"07:30"', '"21:30"'))
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    codes = {p["code"] for p in json.loads(result.output)["problems"]}
    assert "policy-quiet-hours" in codes


def test_sample_validates_clean(cli, sample_schedules):
    result = cli("--schedules", str(sample_schedules), "validate")
    assert result.exit_code == 0, result.output


def test_schema_is_valid_json_schema_and_accepts_the_sample(cli, sample_schedules):
    import jsonschema
    import yaml

    schema = json.loads(cli("schema").output)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(sample_schedules.rglob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")),
                                     default=str))
        errors = list(validator.iter_errors(data))
        assert not errors, (path, errors[0].message)


def test_render_settings_are_read_and_checked(project):
    from radiocli.render.programs import RenderSettings
    from radiocli.schedule.load import read

    settings = project / "schedules" / "radiocli.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + "  render:\n    engine: espeak-ng\n    rate: 150\n"
                        "    format: mp3\n    loudness: -18\n", encoding="utf-8")
    schedule, problems = read(project / "schedules")
    assert not problems
    render = RenderSettings.from_schedule(schedule)
    assert (render.engine, render.rate, render.audio.format, render.audio.loudness) == \
        ("espeak-ng", 150, "mp3", -18.0)
    settings.write_text(text + "  render:\n    engine: festival\n    rate: 20\n",
                        encoding="utf-8")
    _schedule, problems = read(project / "schedules")
    assert {p.code for p in problems} == {"format", "range"}
    assert all(p.file.endswith("radiocli.yaml") and p.line for p in problems)


def test_a_whole_disk_as_schedules_folder_is_refused_at_once(cli, tmp_path):
    deep = tmp_path / "big"
    for i in range(30):
        (deep / f"d{i}").mkdir(parents=True)
    folder = deep
    for level in range(12):
        folder = folder / f"l{level}"
    folder.mkdir(parents=True)
    result = cli("--schedules", str(deep), "validate", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [p["code"] for p in problems] == ["too-large"]
    assert "does not look like a schedules folder" in problems[0]["message"]


# --- messages that tell the operator what they need (issue 9 item 6) ------------------


def problems_for(cli, project, text: str) -> list[dict]:
    write(project, text)
    result = cli("--schedules", str(project / "schedules"), "validate", "--json")
    return [p for p in json.loads(result.output)["problems"]
            if p["file"].endswith("stations/00001.yaml")]


def test_a_day_that_does_not_exist_is_said_so(cli, project):
    problems = problems_for(cli, project, GOOD_PROGRAM.replace(
        '      days: [monday]\n      at: "07:30"\n', '      once: "2021-02-30 09:00"\n'))
    assert [p["message"] for p in problems] == [
        "'once' names a day that does not exist: \"2021-02-30\" (February 2021 has 28 days)"]


@pytest.mark.parametrize("days,expected", [
    ('["thứ 2"]', (0,)), ("[thứ 7, CN]", (5, 6)), ("[T2, T4, T6]", (0, 2, 4)),
    ("thứ hai đến thứ sáu", (0, 1, 2, 3, 4)), ("thứ 2 - thứ 6", (0, 1, 2, 3, 4)),
    ("T2-T6", (0, 1, 2, 3, 4)), ("[Thứ Hai, thu ba]", (0, 1)),
])
def test_weekdays_as_vietnamese_write_them(cli, project, days, expected):
    from radiocli.schedule.load import read

    write(project, GOOD_PROGRAM.replace("[monday]", days))
    schedule, problems = read(project / "schedules")
    assert not [p for p in problems if p.severity == "error"], problems
    assert schedule.programs["thong-bao"].rules[0].days == expected


def test_an_unknown_day_never_gets_another_day_suggested(cli, project):
    for wrong in ("thứ 8", "thứ mười", "T8", "chủ nhậtt"):
        problems = problems_for(cli, project, GOOD_PROGRAM.replace("[monday]", f"[{wrong}]"))
        assert len(problems) == 1 and problems[0]["code"] == "format", problems
        message = problems[0]["message"]
        assert f'unknown day "{wrong}"' in message and "did you mean" not in message
        assert "thứ 2 ... thứ 7, T2 ... T7, CN" in message


def test_the_summary_counts_every_program_written(cli, project):
    bad = GOOD_PROGRAM + """\
  thong-bao-2:
    title: Hai
    when: {at: "25:00"}
    segments: [{say: Hai}]
  thong-bao-3:
    title: Ba
    when: {at: "08:00"}
    from: 2021-08-02
    until: 2021-08-31
    segments: [{play: khong-co.ogg}]
  thong-bao-4:
    title: Bốn
    when: {days: [someday], at: "09:00"}
    segments: [{say: Bốn}]
"""
    path = write(project, bad)
    result = cli("--schedules", str(project / "schedules"), "validate", str(path))
    assert result.exit_code == 1
    assert "1 file checked, 4 programs (2 left out because of errors): 3 errors" \
        in result.stderr
    data = json.loads(cli("--schedules", str(project / "schedules"), "validate", str(path),
                          "--json").output)
    assert (data["programs"], data["programs_loaded"]) == (4, 2)
