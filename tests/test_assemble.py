"""Program audio: assembly, loudness (checked by ffmpeg's ebur128), playlists, bad input."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import wave
from pathlib import Path

import pytest

from radiocli.errors import RenderError
from radiocli.render import programs as pg
from radiocli.render.assemble import AudioSettings, Piece, assemble
from radiocli.schedule.model import (
    Chime, Priority, Program, Recording, Relay, Schedule, Silence, Speech, Targets,
)
from radiocli.schedule.registry import Registry

ROOT = Path(__file__).parents[1]
FAST = pg.RenderSettings(engine="espeak-ng")


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) by ffmpeg's ebur128 filter, an independent meter."""
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    summary = err[err.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return i, peak


def schedule(tmp_path: Path, *segments: object, pid: str = "p") -> Schedule:
    audio = tmp_path / "audio"
    if not audio.exists():
        audio.mkdir()
        (audio / "chimes").mkdir()
        (audio / "jingles").mkdir()
        for name in ("chimes/start.wav", "chimes/end.wav", "jingles/intro.ogg"):
            (audio / name).write_bytes((ROOT / "audio" / name).read_bytes())
    program = Program(pid, "t", Priority.NORMAL, Targets(everywhere=True), (), tuple(segments))
    return Schedule(tmp_path, audio, Registry([], []), programs={pid: program})


def render(tmp_path: Path, sched: Schedule, settings: pg.RenderSettings = FAST):
    program = next(iter(sched.programs.values()))
    return pg.render_program(tmp_path / "cache", sched, program, settings)


def test_program_loudness_and_format(tmp_path: Path) -> None:
    sched = schedule(tmp_path, Chime("start"), Speech("Xin chào bà con, ủy ban nhân dân xã "
                     "thông báo lịch tiêm chủng vắc xin cho người dân trên địa bàn."),
                     Silence(1.0), Recording("jingles/intro.ogg"), Chime("end"))
    result = render(tmp_path, sched)
    part = result.playlist.parts[0]
    with wave.open(str(part.path)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, 22050, 2)
        assert part.seconds == pytest.approx(wav.getnframes() / 22050)
    loudness, peak = ebur128(part.path)
    assert loudness == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.0 + 0.1
    assert part.seconds == pytest.approx(3 + 1 + 8 + 2 + 7, abs=3)


def test_loudness_target_is_configurable(tmp_path: Path) -> None:
    sched = schedule(tmp_path, Speech("Bà con chú ý, bà con chú ý, sau đây là thông báo."))
    settings = pg.RenderSettings(engine="espeak-ng", audio=AudioSettings(loudness=-23.0,
                                                                          true_peak=-3.0))
    loudness, peak = ebur128(render(tmp_path, sched, settings).playlist.parts[0].path)
    assert loudness == pytest.approx(-23.0, abs=1.0)
    assert peak <= -3.0 + 0.1


def test_relay_splits_the_program_into_parts(tmp_path: Path) -> None:
    sched = schedule(tmp_path, Chime("start"), Speech("Sau đây là chương trình tiếp sóng."),
                     Relay("http://relay.local:8000/hanoi", 600), Chime("end"))
    result = render(tmp_path, sched)
    kinds = [(p.kind, p.segments) for p in result.playlist.parts]
    assert kinds == [("audio", (0, 1)), ("relay", (2,)), ("audio", (3,))]
    assert result.playlist.parts[1].url == "http://relay.local:8000/hanoi"
    manifest = json.loads((result.playlist.folder / "manifest.json").read_text())
    assert manifest["parts"][1] == {"kind": "relay", "url": "http://relay.local:8000/hanoi",
                                    "seconds": 600.0, "segments": [2]}
    assert manifest["seconds"] == pytest.approx(result.playlist.seconds, abs=1e-5)
    # what plan and playout read
    durations = pg.rendered_durations(tmp_path / "cache", _default(sched))
    playlist = pg.program_playlist(tmp_path / "cache", _default(sched), "p")
    assert playlist is None and durations == {}  # rendered with espeak-ng, not the default
    default = render(tmp_path, sched, pg.RenderSettings())
    assert pg.rendered_durations(tmp_path / "cache", sched) == {
        "p": pytest.approx(default.playlist.seconds)}
    assert pg.program_playlist(tmp_path / "cache", sched, "p") == default.playlist


def _default(sched: Schedule) -> Schedule:
    return sched


def test_second_render_is_a_cache_hit_and_edit_is_not(tmp_path: Path) -> None:
    sched = schedule(tmp_path, Speech("Thông báo lần một."))
    first = render(tmp_path, sched)
    again = render(tmp_path, sched)
    assert first.rendered and first.synthesized == 1
    assert not again.rendered and again.key == first.key
    edited = schedule(tmp_path, Speech("Thông báo lần hai."))
    assert render(tmp_path, edited).key != first.key


def test_crossfade_is_explicit(tmp_path: Path) -> None:
    chime = ROOT / "audio" / "chimes" / "end.wav"
    plain = assemble([Piece("a", chime), Piece("b", chime)], tmp_path / "a.wav",
                     AudioSettings())
    faded = assemble([Piece("a", chime), Piece("b", chime)], tmp_path / "b.wav",
                     AudioSettings(crossfade=0.5))
    assert plain == pytest.approx(4.0, abs=0.01)
    assert faded == pytest.approx(3.5, abs=0.01)


def test_mp3_output(tmp_path: Path) -> None:
    sched = schedule(tmp_path, Chime("end"))
    settings = pg.RenderSettings(engine="espeak-ng", audio=AudioSettings(format="mp3"))
    part = render(tmp_path, sched, settings).playlist.parts[0]
    assert part.path.suffix == ".mp3" and part.path.read_bytes()[:3] in (b"ID3", b"\xff\xfb")


@pytest.mark.parametrize("segment, message", [
    (Recording("../outside.wav"), "leaves the audio folder"),
    (Recording("/etc/passwd"), "absolute path"),
    (Recording("missing.wav"), "not found"),
    (Recording("folder.wav"), "is a folder"),
    (Recording("link.wav"), "outside the audio folder"),
    (Recording("corrupt.wav"), "not a readable audio file|corrupt"),
    (Recording("truncated.wav"), "truncated"),
    (Chime("nope"), "not found"),
    (Chime("../x"), "not a chime name"),
    (Speech(""), "empty"),
    (Speech("🙂 ☎ ★"), "nothing speakable"),
    (Speech("chữ " * 30000), "more than 20,000"),
])
def test_bad_input_names_program_and_segment(tmp_path: Path, segment: object,
                                              message: str) -> None:
    sched = schedule(tmp_path, Silence(1), segment)
    audio = sched.audio_dir
    (audio / "folder.wav").mkdir()
    (tmp_path / "outside.wav").write_bytes((ROOT / "audio/chimes/end.wav").read_bytes())
    os.symlink(tmp_path / "outside.wav", audio / "link.wav")
    (audio / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 10)
    whole = (ROOT / "audio/chimes/start.wav").read_bytes()
    (audio / "truncated.wav").write_bytes(whole[: len(whole) // 3])
    with pytest.raises(RenderError, match=message) as info:
        render(tmp_path, sched)
    assert 'program "p", segment 2' in str(info.value)
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert not [p for p in leftovers if ".tmp-" in str(p)]
    assert not list((tmp_path / "cache").rglob("manifest.json"))


def test_other_scripts_render_with_warnings(tmp_path: Path) -> None:
    sched = schedule(tmp_path, Speech("Xin chào 中文 Привет 🙂"))
    result = render(tmp_path, sched)
    assert result.playlist is not None
    assert any("cjk" in w and 'segment 1' in w for w in result.warnings)


def test_full_disk_is_a_render_error_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    sched = schedule(tmp_path, Speech("Thông báo khi đĩa đầy."), Chime("end"))
    import radiocli.render.programs as programs

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(programs, "assemble", full)
    with pytest.raises(RenderError, match="disk full: .*cache/programs"):
        render(tmp_path, sched)
    assert not list((tmp_path / "cache" / "programs").iterdir())
    # the speech itself was complete and stays usable
    assert len(list((tmp_path / "cache" / "speech").rglob("*.wav"))) == 1


def test_memory_stays_low_for_long_silence_and_chimes(tmp_path: Path) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pieces = [Piece("s", None, 600.0), Piece("c", ROOT / "audio/chimes/start.wav")] * 2
    seconds = assemble(pieces, tmp_path / "long.wav", AudioSettings())
    assert seconds == pytest.approx(1206, abs=0.1)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50


def _raw_wav(raw: Path, wav_path: Path) -> Path:
    with wave.open(str(wav_path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(raw.read_bytes())
    return wav_path


def _quiet_copy(src: Path, dst: Path, gain_db: float) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-af", f"volume={gain_db}dB",
                    "-ac", "1", "-ar", "22050", "-c:a", "pcm_s16le", str(dst)], check=True)
    return dst


@pytest.mark.parametrize("kind, runs", [
    ("speech", 1),  # estimated in Python, converted and limited in one ffmpeg run
    ("quiet chime", 2),  # its sample peak allows a plain gain: its true peak is measured
    ("ogg jingle", 1),  # not a WAV: converted and measured; a plain gain is enough
    ("ogg speech", 2),  # not a WAV: converted and measured, then limited
    ("no headroom", 2),  # the gain back does not fit under the ceiling: limited again
])
def test_every_levelling_path_is_on_target(tmp_path: Path, monkeypatch, kind: str,
                                           runs: int) -> None:
    from radiocli.render import loudness as ln
    from radiocli.render import tools
    from radiocli.render.engines import EspeakEngine

    speech = tmp_path / "speech.wav"
    EspeakEngine().synthesize("Bà con chú ý, ủy ban nhân dân xã thông báo lịch tiêm chủng.",
                              speech, "vi", 140)
    source = {"speech": speech, "no headroom": speech,
              "quiet chime": _quiet_copy(ROOT / "audio/chimes/end.wav", tmp_path / "q.wav", -20),
              "ogg jingle": ROOT / "audio/jingles/intro.ogg",
              "ogg speech": tmp_path / "speech.ogg"}[kind]
    if kind == "ogg speech":
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(speech), "-ac", "2", "-c:a",
                        "libvorbis", str(source)], check=True)
    if kind == "no headroom":
        monkeypatch.setattr(ln, "HEADROOM", 0.0)
    before = tools.STARTS["ffmpeg"]
    measured = ln.level(source, tmp_path / "out.raw", kind)
    assert tools.STARTS["ffmpeg"] - before == runs
    loudness, peak = ebur128(_raw_wav(tmp_path / "out.raw", tmp_path / "out.wav"))
    assert loudness == pytest.approx(-16.0, abs=0.3)
    assert peak <= -1.0 + 0.05
    assert measured.loudness == pytest.approx(loudness, abs=0.15)
    assert measured.true_peak == pytest.approx(peak, abs=0.15)
    assert not list(tmp_path.glob("*.limited"))


def test_silence_is_left_alone(tmp_path: Path) -> None:
    from radiocli.render import loudness as ln

    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(bytes(44100))
    measured = ln.level(silent, tmp_path / "out.raw", "silence")
    assert measured.loudness <= ln.SILENT
    assert (tmp_path / "out.raw").read_bytes() == bytes(44100)


def test_estimate_is_close_to_ebur128(tmp_path: Path) -> None:
    from radiocli.render import loudness as ln
    from radiocli.render.engines import EspeakEngine

    for voice in ("vi", "vi-vn-x-central", "vi-vn-x-south"):
        wav = tmp_path / f"{voice}.wav"
        EspeakEngine().synthesize("Thông báo khẩn: bão số năm sắp đổ bộ, bà con chú ý.", wav,
                                  voice, 140)
        assert ln.estimate(wav) == pytest.approx(ebur128(wav)[0], abs=0.6)
    assert ln.estimate(ROOT / "audio/jingles/intro.ogg") is None
