"""Speech levelled in Python (render/pcmlevel.py), checked by ffmpeg's ebur128 meter on
real eSpeak NG speech: several texts, voices and rates, a loud clipped one, a very
short one, silence, other targets; the meter and the true-peak estimate on their own."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import pytest

from radiocli.render import engines as eng
from radiocli.render import pcmlevel as pl
from tests.test_assemble import ebur128

RATE = 22050


def speech(tmp_path: Path, text: str, voice: str = "vi", rate: int = 140) -> bytes:
    """eSpeak NG's speech as the speech cache keeps it (silence trimmed)."""
    wav = tmp_path / f"{abs(hash((text, voice, rate)))}.wav"
    eng.speak(eng.EspeakEngine(), text, wav, voice, rate)
    with wave.open(str(wav), "rb") as fh:
        return fh.readframes(fh.getnframes())


def write(path: Path, pcm: bytes) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return path


def checked(tmp_path: Path, pcm: bytes, target: float = -16.0, ceiling: float = -1.0,
            within: float = 0.3) -> pl.Levelled:
    """Level ``pcm``; ebur128 finds it on target, under the ceiling, and as reported."""
    done = pl.level(pcm, RATE, target, ceiling)
    loudness, peak = ebur128(write(tmp_path / "out.wav", done.pcm))
    assert loudness == pytest.approx(target, abs=within), (loudness, peak, done)
    assert peak <= ceiling, (loudness, peak, done)  # ebur128 prints tenths: no slack
    assert done.loudness == pytest.approx(loudness, abs=within)  # what say prints is true
    assert done.true_peak == pytest.approx(peak, abs=0.15)
    assert done.true_peak <= ceiling - pl.TP_MARGIN + 1e-6
    assert len(done.pcm) == len(pcm)  # levelled, not cut or padded
    return done


TEXTS = [
    "Ủy ban nhân dân xã thông báo: bảy giờ ba mươi phút ngày hai tháng tám tiêm vắc xin "
    "cho người dân từ mười tám tuổi trở lên.",
    "Bão số ba sắp đổ bộ, bà con khẩn trương chằng chống nhà cửa, gọi ngay một một bốn.",
    "Xin chào.",  # its "x" puts strong content near 11 kHz: peaks between the samples
    "Khẩn cấp! Khẩn cấp!",
]


@pytest.mark.parametrize("voice, rate", [("vi", 140), ("vi-vn-x-central", 175),
                                         ("vi-vn-x-south", 100)])
@pytest.mark.parametrize("text", TEXTS, ids=["bulletin", "storm", "xin-chao", "urgent"])
def test_speech_is_on_target_by_ebur128(tmp_path: Path, text: str, voice: str,
                                        rate: int) -> None:
    pcm = speech(tmp_path, text, voice, rate)
    done = checked(tmp_path, pcm, within=0.3 if len(pcm) > 4 * RATE else 0.4)
    # eSpeak's peaks reach full scale: the gain to -16 LUFS alone would put them over the
    # ceiling, so every one of these went through the limiter
    assert done.limited


def test_a_loud_clipped_text_is_brought_down(tmp_path: Path) -> None:
    pcm = speech(tmp_path, TEXTS[1])
    clipped = pl.audioop_module().mul(pcm, 2, 10 ** (12 / 20))  # 12 dB louder, clipped
    assert pl.loudness(clipped, RATE) > -10.0
    done = checked(tmp_path, clipped)
    assert done.true_peak < -3.0  # clipping flattened its peaks: 6 dB down is a plain gain


def test_a_quiet_text_gets_a_plain_gain(tmp_path: Path) -> None:
    quiet = pl.audioop_module().mul(speech(tmp_path, TEXTS[0]), 2, 10 ** (-20 / 20))
    done = checked(tmp_path, quiet, target=-23.0, ceiling=-2.0)
    assert not done.limited  # its peaks fit under the ceiling at -23 LUFS


def test_other_targets(tmp_path: Path) -> None:
    pcm = speech(tmp_path, TEXTS[0])
    checked(tmp_path, pcm, target=-23.0, ceiling=-2.0)
    checked(tmp_path, pcm, target=-14.0, ceiling=-1.0)


def test_a_very_short_text_is_levelled(tmp_path: Path) -> None:
    pcm = speech(tmp_path, "A.")
    seconds = len(pcm) / 2 / RATE
    assert seconds < 1.0
    if seconds >= 0.5:  # long enough for ebur128's gating blocks
        checked(tmp_path, pcm, within=0.5)
    short = pcm[:2 * int(0.3 * RATE)]  # under one 400 ms block: ebur128 gives no figure
    done = pl.level(short, RATE, -16.0, -1.0)
    assert done.loudness == pytest.approx(-16.0, abs=0.1)  # measured as one block
    assert done.true_peak <= -1.0


def test_silence_is_left_alone() -> None:
    silence = bytes(2 * RATE)
    done = pl.level(silence, RATE, -16.0, -1.0)
    assert done.pcm == silence and not done.limited
    assert done.loudness == pl.SILENT and done.true_peak == -200.0
    assert pl.level(b"", RATE, -16.0, -1.0).pcm == b""


def test_the_meter_follows_ebur128_on_the_three_voices(tmp_path: Path) -> None:
    for voice in ("vi", "vi-vn-x-central", "vi-vn-x-south"):
        pcm = speech(tmp_path, TEXTS[0], voice)
        reference, _peak = ebur128(write(tmp_path / "raw.wav", pcm))
        assert pl.loudness(pcm, RATE) == pytest.approx(reference, abs=0.15)


def test_the_k_weighting_model_is_within_a_fifth_of_a_decibel() -> None:
    """The Haar band weights reproduce BS.1770's K-weighting power response."""
    weights = pl.band_weights(RATE)
    for hz in (60, 100, 200, 500, 1000, 1681, 2500, 4000, 8000, 10000):
        model = 1 + sum(w * pl.haar_power(b, RATE, hz)
                        for b, w in zip(pl._BANDS, weights, strict=True))
        assert 10 * math.log10(model / pl.k_power(RATE, hz)) == pytest.approx(0, abs=0.2), hz


def test_true_peak_between_samples() -> None:
    """A sine at 1/4 of the rate sampled 45 degrees off its peaks: every sample is 3 dB
    under the peak; the estimate finds the peak, as ebur128 would."""
    audioop = pl.audioop_module()
    amplitude = 0.5 * 32768
    frames = [round(amplitude * math.sin(math.pi / 2 * n + math.pi / 4)) for n in range(4000)]
    pcm = b"".join(int(v).to_bytes(2, "little", signed=True) for v in frames)
    sample_peak = 20 * math.log10(audioop.max(pcm, 2) / 32768)
    assert sample_peak == pytest.approx(20 * math.log10(0.5) - 3.01, abs=0.05)
    assert pl.true_peak(pcm) == pytest.approx(20 * math.log10(0.5), abs=0.1)


def test_the_limiter_gain_ramps_ahead_of_a_peak_and_recovers_after_it() -> None:
    levels = [-40.0] * 20 + [0.0] + [-40.0] * 40
    gains = [min(0.0, -6.0 + r) for r in pl.reach(levels)]  # hold the peak at -6 dBFS
    assert gains[20] == pytest.approx(-6.0)
    assert gains[19] == pytest.approx(-6.0 + pl.ATTACK)  # ahead: ATTACK dB a block
    assert gains[21] == pytest.approx(-6.0 + pl.RELEASE)  # after: RELEASE dB a block
    assert gains[0] == 0.0 and gains[-1] == 0.0
    assert all(abs(a - b) <= pl.ATTACK + 1e-9 for a, b in zip(gains, gains[1:], strict=False))


def test_say_prints_what_ebur128_measures(tmp_path: Path) -> None:
    import re

    from click.testing import CliRunner

    from radiocli.cli import cli
    from radiocli.render import tools

    out = tmp_path / "say.wav"
    before = tools.STARTS["ffmpeg"]
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "say", TEXTS[0],
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert tools.STARTS["ffmpeg"] == before  # levelled without ffmpeg
    said = re.search(r"\(([\d.]+) s, (-[\d.]+) LUFS, true peak (-[\d.]+) dBTP\)",
                     result.output)
    assert said is not None, result.output
    loudness, peak = ebur128(out)
    assert float(said.group(2)) == pytest.approx(loudness, abs=0.25)
    assert float(said.group(3)) == pytest.approx(peak, abs=0.2)
    assert loudness == pytest.approx(-16.0, abs=0.3) and peak <= -1.0
    with wave.open(str(out), "rb") as fh:
        assert (fh.getnchannels(), fh.getsampwidth(), fh.getframerate()) == (1, 2, RATE)
        assert fh.getnframes() / RATE == pytest.approx(float(said.group(1)), abs=0.05)


def test_render_levels_speech_in_python_and_recordings_with_ffmpeg(tmp_path: Path) -> None:
    from radiocli.render import tools
    from radiocli.render.levels import Levels, Source, file_ident

    wav = tmp_path / "speech.wav"
    eng.speak(eng.EspeakEngine(), TEXTS[1], wav, "vi", 140)
    levels = Levels(tmp_path / "levels")
    before = tools.STARTS["ffmpeg"]
    spoken = levels.get(Source(wav, "speech:abc", "segment 1"))
    assert tools.STARTS["ffmpeg"] == before
    chime = Path(__file__).parents[1] / "audio/chimes/end.wav"
    levels.get(Source(chime, file_ident(chime), "segment 2"))
    assert tools.STARTS["ffmpeg"] > before  # a recording: decoded and measured by ffmpeg
    loudness, peak = ebur128(spoken.path)
    assert loudness == pytest.approx(-16.0, abs=0.3) and peak <= -1.0
    assert spoken.loudness == pytest.approx(loudness, abs=0.3)
    # the same speech through say's path gives the same samples
    with wave.open(str(spoken.path), "rb") as fh:
        cached = fh.readframes(fh.getnframes())
    with wave.open(str(wav), "rb") as fh:
        assert pl.level(fh.readframes(fh.getnframes()), RATE, -16.0, -1.0).pcm == cached


def test_the_weights_table_is_the_fit() -> None:
    for rate, weights in pl._WEIGHTS.items():
        assert weights == pytest.approx(pl.fit_band_weights(rate), abs=2e-6), rate
    assert pl.band_weights(11025) == pl.fit_band_weights(11025)  # a rate not in the table
