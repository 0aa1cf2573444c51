"""YAML syntax errors point at the line where the mistake is and say what to do, with
libyaml (the fast parser PyYAML wheels ship) and with the pure-Python parser alike."""

from __future__ import annotations

import pytest
import yaml

from radiocli.schedule import yamlfile
from radiocli.schedule.yamlfile import YamlProblem, parse

GOOD = """\
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
      - chime: end
"""

# (name, text, line of the mistake, words the message must hold, words of the hint)
CASES = [
    ("unclosed quote", GOOD.replace('at: "07:30"', 'at: "07:30'), 7, "never closed",
     "close it"),
    ("unclosed quote in from", GOOD.replace("from: 2021-08-02", 'from: "2021-08-02'), 8,
     "never closed", "close it"),
    ("list item indented one more",
     GOOD.replace("      - chime: end", "       - chime: end"), 12, "not lined up",
     "same column"),
    ("list item indented one less",
     GOOD.replace("      - chime: end", "     - chime: end"), 12, "not lined up",
     "same column"),
    ("key indented one less", GOOD.replace("    from: 2021-08-02", "   from: 2021-08-02"),
     8, "indented by 3 spaces", "same number of spaces"),
    ("key indented further", GOOD.replace("    until: 2021-08-31", "      until: 2021-08-31"),
     9, "indented further", "line it up"),
    ("tab for indentation", GOOD.replace("    from: 2021-08-02", "\tfrom: 2021-08-02"), 8,
     "tab", "spaces"),
    ("tab deep in a block", GOOD.replace("      at: \"07:30\"", "\t\tat: \"07:30\""), 7, "tab",
     "spaces"),
    ("colon inside a value", GOOD.replace("title: Thông báo", "title: Chú ý: mưa lớn"), 4,
     "colon and space", 'title: "Chú ý: mưa lớn"'),
    ("key without colon", GOOD.replace("    title: Thông báo", "    title Thông báo"), 4,
     'no "key: value" colon', "key: value"),
    ("unclosed flow list", GOOD.replace("days: [monday]", "days: [monday"), 6,
     "not closed", "close it with ]"),
    ("dash without space", GOOD.replace("      - say: Xin", "      -say: Xin"), 11,
     "needs a space", "- say"),
    ("text after a quote", GOOD.replace('at: "07:30"', 'at: "07:30" sáng'), 7,
     "after the closing quote", "inside the quotes"),
    ("value starting with @", GOOD.replace("title: Thông báo", "title: @UBND"), 4,
     'cannot start with "@"', "quotes"),
]


@pytest.fixture(params=["libyaml", "python"])
def loader(request, monkeypatch):
    if request.param == "libyaml":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("PyYAML built without libyaml")
        monkeypatch.setattr(yamlfile, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(yamlfile, "_Loader", yaml.SafeLoader)
    return request.param


@pytest.mark.parametrize("name,text,line,words,hint", CASES, ids=[c[0] for c in CASES])
def test_a_syntax_error_points_at_the_mistake(loader, name, text, line, words, hint):
    with pytest.raises(YamlProblem) as caught:
        parse(text, "schedules/stations/00001.yaml")
    problem = caught.value.problem
    assert problem.code == "syntax"
    assert problem.line == line, problem
    assert words in problem.message, problem
    assert hint in problem.hint, problem
    assert "expected" not in problem.message and "while " not in problem.message


def test_validate_says_tab_with_the_line(cli, project):
    path = project / "schedules" / "stations" / "00001.yaml"
    path.write_text(GOOD.replace("    from: 2021-08-02", "\tfrom: 2021-08-02"),
                    encoding="utf-8")
    result = cli("--schedules", str(project / "schedules"), "validate", str(path))
    assert result.exit_code == 1
    assert "stations/00001.yaml:8:1: error: YAML syntax: a tab character" in result.output
