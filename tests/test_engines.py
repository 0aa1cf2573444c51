"""Speech engines: real eSpeak NG, pyttsx3 in its worker process."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import pytest

from radiocli.errors import RenderError, ToolMissing
from radiocli.render import engines as eng
from radiocli.render.worker import check_wav

TEXTS = [f"Bản tin số {i}: " + "bà con chú ý lắng nghe thông báo của xã. " * (1 + i % 7)
         for i in range(50)]


def espeak_seconds(text: str, out: Path) -> float:
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(out), "--stdin"],
                   input=text.encode(), check=True)
    return check_wav(out)


def test_espeak_engine_writes_vietnamese_wav(tmp_path: Path) -> None:
    engine = eng.EspeakEngine()
    seconds = engine.synthesize("Xin chào bà con", tmp_path / "a.wav", "vi", 140)
    with wave.open(str(tmp_path / "a.wav")) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 22050)
    assert 1.0 < seconds < 3.0
    assert "espeak-ng" in engine.version()


def test_text_starting_with_dash_is_text_not_an_option(tmp_path: Path) -> None:
    engine = eng.EspeakEngine()
    seconds = engine.synthesize("-v en --help xin chào", tmp_path / "a.wav", "vi", 140)
    assert seconds > 0.5


@pytest.mark.parametrize("name", ["espeak-ng", "pyttsx3"])
def test_wrong_voice_is_an_error_not_english(tmp_path: Path, name: str) -> None:
    engine = eng.get_engine(name)
    try:
        for voice in ("nonsense", "en"):
            with pytest.raises(RenderError, match="no voice"):
                engine.synthesize("xin chào", tmp_path / "a.wav", voice, 140)
    finally:
        engine.close()


def test_all_vietnamese_voices_listed() -> None:
    ids = {v.id for v in eng.EspeakEngine().voices()}
    assert {"vi", "vi-vn-x-central", "vi-vn-x-south"} <= ids


def test_pyttsx3_matches_the_command_line(tmp_path: Path) -> None:
    engine = eng.Pyttsx3Engine()
    try:
        ours = engine.synthesize(TEXTS[3], tmp_path / "p.wav", "vi", 140)
    finally:
        engine.close()
    assert ours == pytest.approx(espeak_seconds(TEXTS[3], tmp_path / "e.wav"), abs=0.05)


def test_fifty_files_in_a_row_under_cpu_load(tmp_path: Path) -> None:
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    engine = eng.Pyttsx3Engine()
    try:
        got = [engine.synthesize(t, tmp_path / f"{i}.wav", "vi", 140)
               for i, t in enumerate(TEXTS)]
    finally:
        engine.close()
        for burner in burners:
            burner.kill()
            burner.wait()
    for i, text in enumerate(TEXTS):
        expected = espeak_seconds(text, tmp_path / f"ref{i}.wav")
        assert check_wav(tmp_path / f"{i}.wav") == pytest.approx(got[i])
        assert got[i] == pytest.approx(expected, rel=0.01, abs=0.1), f"file {i}"


def test_hung_worker_is_killed_and_replaced(tmp_path: Path) -> None:
    hang = tmp_path / "hang.py"  # a "python" that answers ready, then never again
    hang.write_text("import sys, time\nprint('{\"ok\": true}', flush=True)\n"
                    "sys.stdin.readline()\nwhile True: time.sleep(3600)\n")
    engine = eng.Pyttsx3Engine(timeout=0.5, python=sys.executable)
    engine.python = sys.executable
    engine._start = lambda: _start_script(engine, hang)  # type: ignore[method-assign]
    with pytest.raises(RenderError, match="failed 3 times.*hung"):
        engine.synthesize("xin chào", tmp_path / "a.wav", "vi", 140)
    assert engine.restarts == 3
    assert engine.proc is None


def _start_script(engine: eng.Pyttsx3Engine, script: Path) -> None:
    engine.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE)
    engine._buffer = b""
    engine._read(10)


def test_crashed_worker_is_restarted(tmp_path: Path) -> None:
    engine = eng.Pyttsx3Engine()
    try:
        engine.synthesize("xin chào", tmp_path / "a.wav", "vi", 140)
        assert engine.proc is not None
        engine.proc.kill()
        engine.proc.wait()
        assert engine.synthesize("bà con", tmp_path / "b.wav", "vi", 140) > 0.3
    finally:
        engine.close()


def test_long_text_is_split_and_joined(tmp_path: Path) -> None:
    text = "Một câu thông báo khá dài cho bà con. " * 60
    seconds = eng.speak(eng.EspeakEngine(), text, tmp_path / "long.wav", "vi", 140)
    assert check_wav(tmp_path / "long.wav") == pytest.approx(seconds, abs=0.01)
    assert seconds > 100


def test_split_text_keeps_every_word() -> None:
    text = "Câu một. " * 300 + "x" * 2000
    pieces = eng.split_text(text, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_piper_missing_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(ToolMissing, match="pip install piper-tts"):
        eng.PiperEngine().synthesize("xin chào", tmp_path / "a.wav", "vi.onnx", 140)


def test_piper_voice_file_missing_is_clear(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/piper")
    with pytest.raises(RenderError, match="voice file not found"):
        eng.PiperEngine().synthesize("xin chào", tmp_path / "a.wav",
                                     str(tmp_path / "vi.onnx"), 140)


def test_missing_espeak_raises_tool_missing(monkeypatch) -> None:
    from radiocli import tools as runner
    from radiocli.render import tools

    tools.which.cache_clear()
    eng.espeak_voices.cache_clear()
    monkeypatch.setattr(runner, "on_path", lambda name: None)  # where tools are looked up
    try:
        with pytest.raises(ToolMissing, match="apt-get install espeak-ng"):
            eng.EspeakEngine().voices()
    finally:
        tools.which.cache_clear()
        eng.espeak_voices.cache_clear()


def test_unknown_engine() -> None:
    with pytest.raises(RenderError, match="unknown speech engine"):
        eng.get_engine("festival")


def test_defaults_agree_with_the_schedule_model() -> None:
    from radiocli.schedule import model

    assert (eng.DEFAULT_RATE, eng.DEFAULT_VOICE) == (model.DEFAULT_RATE, model.DEFAULT_VOICE)


def test_espeak_version_and_voices_are_remembered(tmp_path: Path) -> None:
    """say asks espeak-ng its version and voices once per install, not once per run."""
    import json

    from radiocli.render import tools

    memo = tmp_path / "tools.json"
    first = eng.espeak_info(memo)
    assert first.version.startswith("espeak-ng ") and ("vi", "Vietnamese (Northern)",
                                                        "aav/vi") in first.voices
    starts = tools.STARTS["espeak-ng"]
    again = eng.espeak_info(memo)
    assert again == first and tools.STARTS["espeak-ng"] == starts  # from the memo
    assert eng.EspeakEngine(memo).version() == first.version
    assert tools.STARTS["espeak-ng"] == starts
    # another espeak-ng (an upgrade replaces the program): asked again
    data = json.loads(memo.read_text())
    data["espeak-ng"]["binary"][2] -= 1  # its modification time
    data["espeak-ng"]["version"] = "espeak-ng 0.0"
    memo.write_text(json.dumps(data))
    assert eng.espeak_info(memo) == first and tools.STARTS["espeak-ng"] == starts + 1
    memo.write_text("{not json")
    assert eng.espeak_info(memo) == first  # a damaged memo is made again


def test_a_memo_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert eng.espeak_info(tmp_path / "file" / "tools.json").voices  # its folder is a file


def test_a_file_rewritten_with_its_mtime_set_back_gets_a_new_digest_and_length(tmp_path):
    """Caches of a file's content key on its ctime too: size, mtime and inode can all be
    kept by hand."""
    import os
    import struct

    from radiocli.render.engines import file_digest
    from radiocli.schedule.audiofiles import audio_duration

    path = tmp_path / "jingle.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * 8000)
    first = file_digest(path)
    assert audio_duration(path) == 1.0
    was = os.stat(path)
    with open(path, "r+b") as fh:  # the same bytes but the header's rate: half as long
        fh.seek(24)
        fh.write(struct.pack("<II", 16000, 32000))
    os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))
    assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (was.st_size, was.st_mtime_ns)
    assert file_digest(path) != first
    assert audio_duration(path) == 0.5
