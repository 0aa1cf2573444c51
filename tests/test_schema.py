"""The JSON Schema and the loader come from one table (schedule/values.py FORMATS): for
every value an operator types, the editor's check and `validate` agree.

What only the loader can check (the schema cannot know it) is left out on purpose: a date
that does not exist (2021-02-30), 'until' before 'from', unknown station codes, an
every: shorter than a minute, a between: that ends before it starts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from radiocli.schedule import values
from radiocli.schedule.load import read
from radiocli.schedule.schema import json_schema

REPO = Path(__file__).resolve().parent.parent
VALIDATOR = jsonschema.Draft202012Validator(json_schema())

CITY = """\
programs:
  p:
    title: Thông báo
    targets: all
    when:
      days: every day
      at: "07:30"
    segments:
      - say: Xin chào bà con.
"""

# (what, the text put in place of the placeholder, does it load?)
CASES = [
    ("targets", "targets: all", True),
    ("targets", "targets: tất cả", True),
    ("targets", "targets: Tất cả", True),
    ("targets", "targets: everyone", False),
    ("targets", 'targets: {districts: ["001"], kinds: [xã]}', True),
    ("targets", "targets: {kinds: [village]}", False),
    ("priority", "priority: emergency", True),
    ("priority", "priority: Emergency", True),
    ("priority", "priority: urgent", False),
    ("at", 'at: "06:30"', True),
    ("at", "at: 6h45", True),
    ("at", "at: 17h30", True),
    ("at", "at: 6 giờ 45", True),
    ("at", "at: 6g45", True),
    ("at", 'at: ["06:00", 18h]', True),
    ("at", 'at: "25:00"', False),
    ("at", "at: 7h75", False),
    ("at", "at: sáu giờ", False),
    ("days", "days: monday", True),
    ("days", "days: thứ 2", True),
    ("days", "days: [T2, CN]", True),
    ("days", "days: thứ hai đến thứ sáu", True),
    ("days", "days: T2-T6", True),
    ("days", "days: thứ 2 - thứ 6", True),
    ("days", "days: [1]", False),
    ("days", "days: someday", False),
    ("days", "days: thứ 8", False),
    ("between", 'every: 2h\n      between: "07:00-19:00"', True),
    ("between", "every: 2h\n      between: 7h đến 19h", True),
    ("between", 'every: 2h\n      between: "07:00"', False),
    ("every", 'every: "2"\n      between: "07:00-19:00"', False),
    ("once", 'once: "2021-08-05 17:10"', True),
    ("once", 'once: "5/8/2021 17h10"', True),
    ("once", 'once: "2021-08-05"', False),
    ("except", "except: [holidays]", True),
    ("except", "except: [ngày lễ, 2021-08-19, 19/08/2021]", True),
    ("except", "except: [someday]", False),
    ("from", "from: 2021-08-02", True),
    ("from", "from: 02/08/2021", True),
    ("from", "from: Aug 2", False),
    ("max_duration", "max_duration: 15m", True),
    ("max_duration", "max_duration: 45 phút", True),
    ("max_duration", "max_duration: 15", False),
    ("max_duration", "max_duration: 0m", False),
    ("rate", "rate: 150", True),
    ("rate", 'rate: "150"', True),
    ("rate", "rate: 20", False),
    ("rate", 'rate: "20"', False),
    ("rate", "rate: fast", False),
]


def program_with(what: str, text: str) -> str:
    if what in ("targets",):
        return CITY.replace("    targets: all", "    " + text)
    if what in ("priority", "except", "from", "max_duration"):
        return CITY.replace("    title: Thông báo", "    title: Thông báo\n    " + text)
    if what == "rate":
        return CITY.replace("      - say: Xin chào bà con.",
                            "      - say: Xin chào bà con.\n        " + text)
    if what == "days":
        return CITY.replace("days: every day", text)
    return CITY.replace('      days: every day\n      at: "07:30"', "      " + text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agree") / "schedules"
    shutil.copytree(REPO / "schedules" / "registry", root / "registry")
    return root


def loads(folder: Path, text: str) -> list[str]:
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    _schedule, problems = read(folder)
    return [p.message for p in problems if p.severity == "error"]


def schema_errors(text: str) -> list[str]:
    data = json.loads(json.dumps(yaml.safe_load(text), default=str))
    return [e.message for e in VALIDATOR.iter_errors(data)]


@pytest.mark.parametrize("what,text,ok", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_the_loader_and_the_schema_agree(folder, what, text, ok):
    document = program_with(what, text)
    assert (not loads(folder, document)) == ok, loads(folder, document)
    assert (not schema_errors(document)) == ok, schema_errors(document)


# --- each kind of value: the pattern accepts exactly what the parser parses ------------

PARSERS = {
    "time": values.parse_time,
    "date": values.parse_date,
    "datetime": lambda s: values.parse_datetime(s, None),
    "duration": values.parse_duration,
    "span": values.parse_span,
    "days": lambda s: values.parse_days([s]),
    "priority": lambda s: values.parse_choice(s, values.PRIORITIES),
    "all": lambda s: values.parse_choice(s, values.ALL_WORDS),
    "holidays": lambda s: values.parse_choice(s, values.HOLIDAY_WORDS),
}
PIECES = st.sampled_from([
    "0", "1", "2", "6", "7", "9", "12", "17", "23", "24", "30", "45", "59", "60", "75",
    "2021", "08", "8", "31", "02", ":", "-", "/", "–", " ", "  ", ",", ".", "T", "h", "H",
    "g", "giờ", "phút", "m", "s", "min", "giây", "đến", "to", "thứ", "hai", "sáu", "thứ 2",
    "T2", "T6", "CN", "chủ nhật", "monday", "Friday", "weekdays", "every day", "all",
    "tất cả", "holidays", "ngày lễ", "normal", "Emergency", "x", "\t", "\n",
])
NUM = st.integers(0, 99).map(str) | st.integers(0, 9).map(lambda n: f"0{n}")
CLOCK = st.tuples(st.integers(0, 30).map(str) | NUM,
                  st.sampled_from([":", "h", "H", "g", " giờ ", "giờ", " ", "."]),
                  st.none() | NUM, st.sampled_from(["", "", " phút", ":00", ":7", "p"])
                  ).map(lambda t: t[0] + t[1] + (t[2] or "") + (t[3] if t[2] else ""))
DAY = st.tuples(NUM, st.sampled_from(["-", "/", "."]), NUM, st.integers(1900, 2100).map(str)
                ).map(lambda t: f"{t[3]}{t[1]}{t[2]}{t[1]}{t[0]}" if t[1] == "-"
                      else f"{t[0]}{t[1]}{t[2]}{t[1]}{t[3]}")
WORDS = [*values.WEEKDAYS, *values.DAY_GROUPS, *values.PRIORITIES, *values.ALL_WORDS,
         *values.HOLIDAY_WORDS, "thứ 8", "t1", "mondy"]
WORD = st.tuples(st.sampled_from(WORDS), st.sampled_from([str.lower, str.upper, str.title]),
                 st.sampled_from(["", " ", "  "])).map(lambda t: t[2] + t[1](t[0]) + t[2])
RANGE = st.sampled_from(["-", " - ", "–", " đến ", " to ", " tới ", "~", ", ", ","])
UNIT = st.sampled_from(["h", "m", "s", "min", "phút", " giờ", "giây", "M", "hours", "x", ""])
DURATION = st.lists(st.tuples(st.integers(0, 120).map(str) | st.just("1,5") | st.just("0.0"),
                              UNIT).map("".join), min_size=1, max_size=3).map(" ".join)
SHAPED = {
    "time": CLOCK,
    "date": DAY,
    "datetime": st.tuples(DAY, st.sampled_from([" ", "T", "  ", ""]), CLOCK).map("".join)
    | st.tuples(CLOCK, st.just(" "), DAY).map("".join),
    "duration": DURATION,
    "span": st.tuples(CLOCK, RANGE, CLOCK).map("".join),
    "days": WORD | st.tuples(WORD, RANGE, WORD).map("".join)
    | st.tuples(WORD, RANGE, WORD, RANGE, WORD).map("".join),
    "priority": WORD,
    "all": WORD,
    "holidays": WORD,
}


@st.composite
def mutated(draw, base):
    text = draw(base)
    if text and draw(st.integers(0, 3)) == 0:  # one character inserted, dropped or changed
        i = draw(st.integers(0, len(text) - 1))
        c = draw(st.sampled_from(list("0123456789:-/ hgT")))
        text = draw(st.sampled_from([text[:i] + c + text[i:], text[:i] + text[i + 1:],
                                     text[:i] + c + text[i + 1:]]))
    return text


PIECED = st.lists(PIECES, min_size=1, max_size=7).map("".join)


def parses(kind: str, text: str) -> bool:
    try:
        PARSERS[kind](text)
    except ValueError as exc:  # a well-formed date that does not exist is a format match
        return kind in ("date", "datetime") and "does not exist" in str(exc)
    return True


@settings(max_examples=2000, deadline=None)
@given(data=st.data(), kind=st.sampled_from(sorted(PARSERS)))
def test_each_pattern_accepts_what_its_parser_parses(data, kind):
    text = data.draw(mutated(SHAPED[kind]) | PIECED, label="text")
    assert values.FORMATS[kind].matches(text) == parses(kind, text), (kind, text)


def test_examples_in_the_schema_parse():
    for kind, found in values.FORMATS.items():
        for example in found.examples:
            assert found.matches(example), (kind, example)


def test_the_patterns_are_ecma_regexes_that_match_the_same(tmp_path):
    """Editors check with JavaScript regexes (unicode mode): same verdicts."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    samples = ["06:30", "6h45", "6 giờ 45", "25:00", "thứ 2", "T2-T6", "thứ hai đến thứ sáu",
               "Thứ Hai", "2021-08-05 17:10", "5/8/2021 17h10", "15m", "0m", "45 phút",
               "tất cả", "Tất Cả", "holidays", "Emergency", "07:00-19:00", "7h đến 19h", "1"]
    patterns = {k: f.pattern for k, f in values.FORMATS.items()}
    script = tmp_path / "check.js"
    script.write_text(
        "const [patterns, samples] = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "const out = {};\n"
        "for (const [k, p] of Object.entries(patterns)) {\n"
        "  const re = new RegExp(p, 'u');\n"
        "  out[k] = samples.map(s => re.test(s));\n"
        "}\n"
        "console.log(JSON.stringify(out));\n", encoding="utf-8")
    result = subprocess.run([node, str(script)], input=json.dumps([patterns, samples]),
                            capture_output=True, text=True, check=True)
    got = json.loads(result.stdout)
    for kind, found in values.FORMATS.items():
        assert got[kind] == [found.matches(s) for s in samples], kind
