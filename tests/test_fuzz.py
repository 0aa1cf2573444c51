"""Fuzzing the edges that take user input: no exception escapes, every call is quick.

Quick profile for CI (under a minute in all). ``FUZZ_EXAMPLES=10000`` runs the long
profile (``benchmarks/fuzz_long.py`` does that and prints counts and times).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0") or 0)
FUZZ = settings(
    max_examples=EXAMPLES or 200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
    database=None,
)
BOUND = 10.0  # seconds one call may take, at most


def quick(started: float, what: str) -> None:
    took = time.monotonic() - started
    assert took < BOUND, f"{what} took {took:.1f}s (bound {BOUND}s)"


@pytest.fixture(scope="module")
def registry_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A schedules folder holding only the registry (fast to load)."""
    root = tmp_path_factory.mktemp("fuzz") / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", root / "registry")
    return root


# --- text pieces -----------------------------------------------------------------------

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
ANY_CHAR = st.one_of(st.characters(), SURROGATES, st.sampled_from(
    ["\x00", "\n", "\r", "\t", "\u200b", "\ufeff", "😀", "\u200d", "Đ", "ạ", "ố", "%", "/", "-"]))
PIECES = st.sampled_from([
    "17/CT-UBND", "6h00", "24/7/2021", "3.542", "1,2 triệu", "85%", "5K", "F0", "COVID-19",
    "Tổng đài 1022", "👨‍👩‍👧", "số 12 ngõ 34/5", "0912 345 678", "km/h", "°C", "2021-08-02", "BCĐ",
    "UBND", "m²", "10-12", "20:30", "Xin chào bà con", " ", "\n", "\x00", "\ud800", "😀",
])
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=300),
    st.lists(st.one_of(PIECES, st.text(ANY_CHAR, max_size=8)), max_size=40).map("".join),
    st.tuples(st.one_of(PIECES, st.text(ANY_CHAR, min_size=1, max_size=5)),
              st.integers(1, 100_000)).map(lambda t: (t[0] * (100_000 // len(t[0]) + 1))[:t[1]]),
)

# --- YAML that looks like a schedule -----------------------------------------------------

KEYS = st.sampled_from([
    "programs", "title", "targets", "when", "days", "at", "every", "between", "once",
    "segments", "say", "play", "chime", "relay", "for", "silence", "from", "until", "except",
    "priority", "district", "station", "blackouts", "holidays", "policy", "policies",
    "abbreviations", "max_duration", "duration", "rate", "voice", "stations", "districts",
    "kinds", "units", "changes", "rules", "windows", "quiet_hours", "settings", "x",
])
SCALARS = st.one_of(
    st.sampled_from(["all", "every day", "11:00", "25:61", "2021-08-02", "2021-02-30", "30m",
                     "0s", "-1", "start", "../../etc/passwd", "/etc/shadow", "file:///x",
                     "http://relay.local/x", "emergency", "mon-fri", "00001", "001", "", "~",
                     "06:00-20:00", "9999999999999999999999", "6h45", "17h30", "6 giờ 45",
                     "6g45", "thứ 2 - thứ 6", "T2-T6", "thứ hai đến thứ sáu", "CN", "tất cả",
                     "ngày lễ", "31/02/2021 09:00", "7h đến 19h", "0m", "1,5h"]),
    st.text(ANY_CHAR.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF), max_size=20),
    st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(), st.dates(),
)
DOCS = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=6)), max_leaves=40)


def as_yaml(doc: object) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:
        return str(doc)


YAML_TEXT = st.one_of(
    DOCS.map(as_yaml),
    st.dictionaries(st.just("programs"), st.dictionaries(st.text(max_size=5), DOCS, max_size=3)
                    ).map(as_yaml),
    st.text(ANY_CHAR, max_size=500),
    st.lists(st.sampled_from(["programs:", "  p:", "    when:", "      at: 11:00", "- a",
                              "&a [*a, *a]", "!!python/object:os.system", "{", "]", "'",
                              "\t", "key: value", "<<: *a", "---", "...", "%YAML 1.1",
                              '      at: "07:30', "       - say: x", "-say: y", "\t\tat: 6h",
                              "    title: Chú ý: mưa", '    at: "07:30" sáng', "   when: x"]),
             max_size=30).map("\n".join),
)


@FUZZ
@given(content=st.one_of(YAML_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
                         st.binary(max_size=2000)))
def test_schedule_loader_never_raises(registry_only: Path, content: bytes) -> None:
    from radiocli.schedule.load import read

    (registry_only / "fuzz.yaml").write_bytes(content)
    started = time.monotonic()
    schedule, problems = read(registry_only)
    quick(started, "reading a schedule")
    assert all(p.file for p in problems)
    assert len(schedule.registry) > 0


@FUZZ
@given(text=TEXT)
@example(text="1" * 100_000)
@example(text="\x00\ud800😀" * 33_334)
@example(text="Đ" * 100_000)
def test_normalizer_never_raises(text: str) -> None:
    from radiocli.render.normalize import normalize

    started = time.monotonic()
    spoken = normalize(text)
    quick(started, f"normalizing {len(text)} characters")
    assert isinstance(spoken, str)
    assert not any(c.isdigit() for c in spoken if c.isascii())


LOG_LINES = st.sampled_from([
    b'{"station":"00001","minute":"2021-08-02T11:00+07:00"}',
    b'{"event":"start","station":"00001"}', b'{"sealed":true}', b"{}", b"[]", b"null",
    b'"\\ud800"', b"\xff\xfe", b"\x00", b"", b"{" * 50, b'{"a":' * 30,
])


@FUZZ
@given(content=st.one_of(st.binary(max_size=4000),
                         st.lists(st.one_of(LOG_LINES, st.binary(max_size=60)), max_size=40)
                         .map(b"\n".join)),
       name=st.sampled_from(["00001/2021-08-02.jsonl", "station=00001/date=2021-08-02.jsonl",
                             "x/y.jsonl", "00001/2021-02-30.jsonl"]))
def test_aslog_verifier_never_raises(tmp_path_factory: pytest.TempPathFactory, content: bytes,
                                     name: str) -> None:
    from radiocli.aslog.verify import verify_file

    path = tmp_path_factory.getbasetemp() / "aslog-fuzz" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    started = time.monotonic()
    problems = verify_file(path)
    quick(started, "verifying an as-run log")
    assert isinstance(problems, list)


ARGS = st.one_of(
    st.sampled_from(["--json", "--csv", "--strict", "--all", "--date", "--days", "--station",
                     "-d", "--district", "--from", "--to", "--offline", "--fail", "--late",
                     "--seed", "--workers", "--check", "--abbreviations", "--skipped", "list",
                     "show", "--help", "-h", "--", "-", "2021-08-02", "2021-08-03",
                     "2021-13-45", "1", "2", "0", "-1", "367", "00001", "001", "99999",
                     "0.5", "2", "nan", "00001:2021-08-02--2021-08-03", "p:2", "/dev/null",
                     "schedules/holidays.yaml", "Xin chào 24/7/2021"]),
    st.text(ANY_CHAR.filter(lambda c: c != "\x00" and not 0xD800 <= ord(c) <= 0xDFFF),
            max_size=12),
)
COMMANDS = ["validate", "plan", "stations", "normalize", "simulate"]


@FUZZ
@given(command=st.sampled_from(COMMANDS), args=st.lists(ARGS, max_size=6))
def test_cli_arguments_never_crash(registry_only: Path, command: str, args: list[str]
                                   ) -> None:
    from radiocli.cli import cli

    if command == "simulate" and "--workers" not in args:
        args = [*args, "--workers", "1"]
    argv = ["--schedules", str(registry_only), command, *args]
    started = time.monotonic()
    result = CliRunner().invoke(cli, argv, input="", catch_exceptions=True)
    quick(started, f"radiocli {' '.join(argv)}")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"radiocli {argv!r} raised {result.exception!r}")
    assert result.exit_code in (0, 1, 2), (argv, result.exit_code, result.output)
    assert "internal error" not in result.output, (argv, result.output)
