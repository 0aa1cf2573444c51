"""radiocli say / voices / render through the CLI, with a temporary home."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

from click.testing import CliRunner

from radiocli.cli import cli

ROOT = Path(__file__).parents[1]


def invoke(tmp_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--home", str(tmp_path / "home"),
                                    "--schedules", str(ROOT / "schedules"), *args])


def test_say_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    result = invoke(tmp_path, "say", "UBND xã thông báo: 7h30 ngày 2/8 tiêm vắc xin", "-o",
                    str(out))
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as wav:
        assert wav.getframerate() == 22050 and wav.getnframes() > 22050


def test_say_of_the_sample_bulletin_is_at_the_target_loudness(tmp_path: Path) -> None:
    from radiocli.schedule.load import load

    from tests.test_assemble import ebur128

    bulletin = load(ROOT / "schedules").programs["ban-tin-covid-thanh-pho"].segments[2].text
    out = tmp_path / "bulletin.wav"
    result = invoke(tmp_path, "say", bulletin, "-o", str(out))
    assert result.exit_code == 0, result.output
    loudness, peak = ebur128(out)
    assert abs(loudness - -16.0) <= 1.0 and peak <= -1.0 + 0.1, (loudness, peak)
    quieter = tmp_path / "quieter.wav"
    assert invoke(tmp_path, "say", bulletin, "-o", str(quieter), "--loudness", "-23").exit_code == 0
    assert abs(ebur128(quieter)[0] - -23.0) <= 1.0


def test_say_bad_input_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    for args, message in [
        (["", "-o", "x.wav"], "empty"),
        (["xin chào", "-o", "x.wav", "--voice", "klingon"], "no voice 'klingon'"),
        (["a " * 50001, "-o", "x.wav"], "more than 20,000"),
        (["xin chào"], "-o FILE.wav or --play"),
    ]:
        result = invoke(tmp_path, "say", *args)
        assert result.exit_code in (1, 2)
        assert message in result.output
        assert "Traceback" not in result.output


def test_voices_json(tmp_path: Path) -> None:
    result = invoke(tmp_path, "voices", "--json")
    rows = json.loads(result.output)
    defaults = [r for r in rows if r["default"]]
    assert defaults == [{"engine": "pyttsx3", "id": "vi", "name": "Vietnamese (Northern)",
                         "language": "vi", "default": True, "note": ""}]
    assert {r["id"] for r in rows if r["engine"] == "espeak-ng"} >= {"vi", "vi-vn-x-south"}


def test_render_then_all_from_cache(tmp_path: Path) -> None:
    first = invoke(tmp_path, "render", "--date", "2021-08-02", "--station", "00478")
    assert first.exit_code == 0, first.output
    assert "from cache" in first.output
    n = int(first.output.split(" programs")[0].split()[-1])
    assert n >= 2
    again = invoke(tmp_path, "render", "--date", "2021-08-02", "--station", "00478")
    assert f"{n} programs, 0 rendered, {n} from cache" in again.output
    info = json.loads(invoke(tmp_path, "cache", "info", "--json").output)
    assert info["kinds"]["programs"]["entries"] >= 1


def test_missing_ffmpeg_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    from radiocli import tools as runner
    from radiocli.render import tools

    tools.which.cache_clear()
    real = tools.on_path
    monkeypatch.setattr(runner, "on_path", lambda n: None if n == "ffmpeg" else real(n))
    try:
        result = invoke(tmp_path, "render", "--date", "2021-08-02", "--station", "00478",
                        "--jobs", "1")
    finally:
        tools.which.cache_clear()
    assert result.exit_code == 1
    assert "apt-get install ffmpeg" in result.output
    assert "Traceback" not in result.output


def test_core_never_imports_click_or_rich() -> None:
    code = ("import sys, radiocli.render.programs, radiocli.render.speech;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_help_has_examples() -> None:
    for command in (["say"], ["voices"], ["cache"], ["cache", "info"], ["render"]):
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert "Example:" in result.output
