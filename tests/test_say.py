"""`radiocli say` as a real process: it ends without tearing the interpreter down (issue
13.3), and still says everything, exits with the right code and leaves whole files."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

from tests.test_assemble import ebur128

RADIOCLI = [sys.executable, "-m", "radiocli"]


def say(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RADIOCLI_HOME=str(tmp_path / "home"), LANG="C.UTF-8")
    return subprocess.run([*RADIOCLI, "say", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_say_writes_a_whole_levelled_file_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    done = say(tmp_path, "Bà con chú ý: 7h30 sáng mai cắt điện.", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"wrote {out} (") and done.stderr.endswith("dBTP)\n")
    with wave.open(str(out), "rb") as fh:
        assert (fh.getnchannels(), fh.getsampwidth(), fh.getframerate()) == (1, 2, 22050)
        assert fh.getnframes() > 22050
    loudness, peak = ebur128(out)
    assert abs(loudness + 16.0) <= 0.3 and peak <= -1.0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".a.wav")]  # no leftovers
    # espeak-ng's version and voices, remembered for the next run
    assert (tmp_path / "home" / "cache" / "tools.json").is_file()


def test_say_errors_after_the_quick_exit_was_asked_still_reach_the_user(tmp_path: Path
                                                                       ) -> None:
    done = say(tmp_path, "xin chào", "-o", str(tmp_path / "x.wav"), "--voice", "klingon")
    assert done.returncode == 1
    assert "radiocli: " in done.stderr and "no voice 'klingon'" in done.stderr
    assert "Traceback" not in done.stderr
    usage = say(tmp_path, "xin chào")  # a usage error: before the command runs
    assert usage.returncode == 2 and "-o FILE.wav or --play" in usage.stderr


def test_warnings_come_before_the_quick_exit(tmp_path: Path) -> None:
    done = say(tmp_path, "Gọi 1022 🙂", "-o", str(tmp_path / "w.wav"))
    assert done.returncode == 0, done.stderr
    assert "radiocli: warning:" in done.stderr and "wrote" in done.stderr
