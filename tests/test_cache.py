"""The content-addressed cache: keys, atomic writes, info and clear."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from radiocli.errors import RenderError
from radiocli.render.cache import Cache, atomic_write, speech_key


def test_speech_key_depends_on_every_setting() -> None:
    base = speech_key("xin chào", "pyttsx3", "vi", 140, "v1")
    assert base == speech_key("xin chào", "pyttsx3", "vi", 140, "v1")
    others = {
        speech_key("xin chào.", "pyttsx3", "vi", 140, "v1"),
        speech_key("xin chào", "espeak-ng", "vi", 140, "v1"),
        speech_key("xin chào", "pyttsx3", "vi-vn-x-south", 140, "v1"),
        speech_key("xin chào", "pyttsx3", "vi", 150, "v1"),
        speech_key("xin chào", "pyttsx3", "vi", 140, "v2"),
    }
    assert base not in others and len(others) == 5


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "speech" / "ab" / "x.wav"

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"RIFF half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(RenderError, match=f"disk full: {target}"):
        atomic_write(target, half_then_fail, "writing speech")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic_write(target, lambda tmp: tmp.write_text("1"))
    atomic_write(target, lambda tmp: tmp.write_text("2"))
    assert target.read_text() == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_info_and_clear(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    assert cache.info()["entries"] == 0
    for key in ("aa11", "bb22"):
        atomic_write(cache.speech_path(key), lambda tmp: tmp.write_bytes(b"x" * 10))
        atomic_write(cache.speech_path(key).with_suffix(".json"),
                     lambda tmp: tmp.write_text("{}"))
    program = cache.program_dir("cc33")
    program.mkdir(parents=True)
    (program / "manifest.json").write_text("{}")
    (program / "part-0.wav").write_bytes(b"y" * 100)
    (cache.programs_dir / ".tmp-leftover").mkdir()
    info = cache.info()
    assert info["kinds"]["speech"] == {"entries": 2, "bytes": 24}
    assert info["kinds"]["programs"] == {"entries": 1, "bytes": 102}
    assert cache.clear("speech")["entries"] == 2
    assert cache.info()["entries"] == 1
    cache.clear()
    assert cache.info()["bytes"] == 0


def test_cache_cli(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from radiocli.cli import cli

    runner = CliRunner()
    home = tmp_path / "home"
    said = runner.invoke(cli, ["--home", str(home), "say", "xin chào", "-o",
                               str(tmp_path / "a.wav"), "--engine", "espeak-ng"])
    assert said.exit_code == 0, said.output
    info = runner.invoke(cli, ["--home", str(home), "cache", "info", "--json"])
    assert json.loads(info.output)["kinds"]["speech"]["entries"] == 1
    # say levels its speech in Python as it writes the WAV: no levelled-source entry
    assert json.loads(info.output)["kinds"]["levels"]["entries"] == 0
    assert str(home / "cache") == json.loads(info.output)["path"]
    cleared = runner.invoke(cli, ["--home", str(home), "cache", "clear"])
    assert "removed 1 entry (" in cleared.output
