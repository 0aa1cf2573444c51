"""The normalizer's compiled patterns kept between runs (render/normalize/regex.py): the
kept code gives the same patterns as re.compile, and a damaged, foreign or missing file
only means compiling again."""

from __future__ import annotations

import marshal
import re
import subprocess
import sys
from pathlib import Path

import pytest

import radiocli.render.normalize  # noqa: F401 - compiles (and keeps) every pattern
from radiocli.render.normalize import normalize
from radiocli.render.normalize import regex as rx

SAMPLES = [
    "UBND xã thông báo: 7h30 ngày 2/8/2021 tiêm vắc xin cho 1.250 người từ 18 tuổi.",
    "Gọi ngay Tổng đài 1022 hoặc 0912.345.678; email ubnd@hanoi.gov.vn, www.hanoi.gov.vn",
    "Quyết định 16/CT-TTg, nhiệt độ -5°C, 1,5 triệu đồng/hộ, tỷ số 2-1, xe 29A-123.45",
    "Kỳ họp thứ 3 HĐND khóa XV; cứu hỏa 114; Covid-19, AstraZeneca, livestream lúc 14h.",
]


@pytest.fixture
def kept(tmp_path: Path, monkeypatch) -> Path:
    """The patterns compiled so far, saved to a file of this test's own."""
    file = tmp_path / "regex.marshal"
    monkeypatch.setattr(rx, "_FILE", file)
    monkeypatch.setattr(rx, "_added", True)
    monkeypatch.setattr(rx.sys, "dont_write_bytecode", False)
    rx.save()
    return file


def test_kept_code_makes_the_same_patterns(kept: Path, monkeypatch) -> None:
    entries = marshal.loads(kept.read_bytes())["patterns"]
    assert len(entries) >= 40  # the normalizer's patterns
    monkeypatch.setattr(rx, "_known", {})
    rx._load()
    assert rx._known.keys() == entries.keys()
    for (pattern, flags) in entries:
        from_code = rx.compile(pattern, flags)
        fresh = re.compile(pattern, flags)
        assert from_code is not fresh
        assert (from_code.pattern, from_code.flags, from_code.groups, from_code.groupindex) \
            == (fresh.pattern, fresh.flags, fresh.groups, fresh.groupindex)
        for text in SAMPLES:
            assert [m.span() for m in from_code.finditer(text)] == \
                [m.span() for m in fresh.finditer(text)], pattern


def test_the_normalizer_reads_the_same_from_kept_code(kept: Path, tmp_path: Path) -> None:
    """A new process loading the kept patterns normalizes exactly as one compiling them."""
    script = ("import sys, json\n"
              "from radiocli.render.normalize import regex\n"
              "from radiocli.render.normalize import normalize\n"
              "print(json.dumps([len(regex._used), [normalize(t) for t in sys.argv[1:]]]))")
    prefix = tmp_path / "pycache"
    env_cached = {"PYTHONPYCACHEPREFIX": str(prefix), "PATH": "/usr/bin:/bin"}
    outputs = []
    for _run in range(2):  # the first run compiles and keeps, the second reads them
        out = subprocess.run([sys.executable, "-c", script, *SAMPLES], env=env_cached,
                             capture_output=True, text=True, check=True).stdout
        outputs.append(out)
    assert list(prefix.rglob("regex.*.marshal"))
    import json

    first, second = (json.loads(o) for o in outputs)
    assert first[1] == second[1] == [normalize(t) for t in SAMPLES]


def test_a_damaged_or_foreign_file_is_compiled_again(kept: Path, monkeypatch) -> None:
    for content in (b"\x00garbage", marshal.dumps({"version": ("cpython-27", 1, 2),
                                                     "patterns": {("a", 0): (0, [1], 0, {}, ())}})):
        kept.write_bytes(content)
        monkeypatch.setattr(rx, "_known", {})
        rx._load()
        assert rx._known == {}
        assert rx.compile(r"(?P<n>[0-9]+)h").match("7h").group("n") == "7"


def test_bad_kept_code_is_refused_and_compiled_again(monkeypatch) -> None:
    monkeypatch.setattr(rx, "_known", {("x+y", 0): (0, [1, 2, 3, 999], 0, {}, (None,))})
    assert rx.compile("x+y").fullmatch("xxy")  # _sre refused the code; re compiled it


def test_nothing_is_written_where_python_writes_no_bytecode(tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setattr(rx, "_FILE", tmp_path / "regex.marshal")
    monkeypatch.setattr(rx, "_added", True)
    monkeypatch.setattr(rx.sys, "dont_write_bytecode", True)
    rx.save()
    assert not (tmp_path / "regex.marshal").exists()
