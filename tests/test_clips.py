"""pydub where it serves (issue 10 item 7), with real audio: trimming eSpeak's silence,
joining a short part in memory with the same bytes as the streaming join."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from radiocli.render import clips
from radiocli.render import engines as eng
from radiocli.render.assemble import SHORT_SECONDS, AudioSettings, Piece, assemble
from radiocli.render.levels import Levels

ROOT = Path(__file__).parents[1]


def samples(path: Path) -> bytes:
    with wave.open(str(path), "rb") as fh:
        return fh.readframes(fh.getnframes())


def silent_tail_ms(path: Path) -> int:
    clip = clips.load(path)  # imports pydub quietly
    from pydub.silence import detect_leading_silence

    return detect_leading_silence(clip.reverse(), silence_threshold=-50.0, chunk_size=5)


def test_trim_keeps_the_speech_and_a_short_pause(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    engine = eng.EspeakEngine()
    raw_seconds = engine.synthesize("Bà con chú ý, bà con chú ý.", wav, "vi", 140)
    before = samples(wav)
    assert silent_tail_ms(wav) >= 400  # what eSpeak NG leaves at the end at 140 wpm
    seconds = clips.trim_silence(wav)
    after = samples(wav)
    assert seconds < raw_seconds - 0.1
    assert silent_tail_ms(wav) <= clips.TAIL * 1000 + 5
    assert len(after) == round(seconds * 22050) * 2
    assert after in before  # a cut, nothing else changed


def test_long_text_pieces_follow_each_other_without_dead_air(tmp_path: Path) -> None:
    text = "Một câu thông báo khá dài cho bà con. " * 60  # three engine calls
    assert len(eng.split_text(text)) == 3
    trimmed = eng.speak(eng.EspeakEngine(), text, tmp_path / "t.wav", "vi", 140)
    untrimmed = eng.speak(eng.EspeakEngine(), text, tmp_path / "u.wav", "vi", 140, trim=False)
    assert untrimmed - trimmed > 3 * 0.1  # eSpeak's 0.43 s tail cut to 0.3 s per piece
    with wave.open(str(tmp_path / "t.wav")) as fh:
        assert fh.getnframes() / fh.getframerate() == pytest.approx(trimmed)


def test_silent_text_is_left_alone(tmp_path: Path) -> None:
    wav = tmp_path / "s.wav"
    with wave.open(str(wav), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(22050)
        fh.writeframes(bytes(22050))
    assert clips.trim_silence(wav) == pytest.approx(0.5)
    assert samples(wav) == bytes(22050)


def test_short_join_in_memory_equals_the_streaming_join(tmp_path: Path, monkeypatch) -> None:
    speech = tmp_path / "speech.wav"
    eng.EspeakEngine().synthesize("Thông báo khẩn: bão số năm sắp đổ bộ.", speech, "vi", 140)
    pieces = [Piece("chime", ROOT / "audio/chimes/start.wav"), Piece("speech", speech),
              Piece("pause", None, 0.75), Piece("jingle", ROOT / "audio/jingles/intro.ogg"),
              Piece("speech again", speech), Piece("chime", ROOT / "audio/chimes/end.wav")]
    levels = Levels(tmp_path / "levels")
    joined = []
    for short in (SHORT_SECONDS, 0.0):  # in memory (pydub), then streamed
        monkeypatch.setattr("radiocli.render.assemble.SHORT_SECONDS", short)
        out = tmp_path / f"out-{short}.wav"
        seconds = assemble(pieces, out, AudioSettings(), levels=levels)
        joined.append((seconds, out.read_bytes()))
    assert joined[0] == joined[1]
    assert 10 < joined[0][0] < SHORT_SECONDS
    assert levels.levelled == 4  # the repeated speech was levelled once


def test_pydub_is_used_for_short_parts_only(tmp_path: Path, monkeypatch) -> None:
    calls: list[int] = []
    real = clips.join_to_wav

    def spy(parts, out, sample_rate):
        calls.append(len(parts))
        return real(parts, out, sample_rate)

    monkeypatch.setattr(clips, "join_to_wav", spy)
    chime = ROOT / "audio/chimes/end.wav"
    levels = Levels(tmp_path / "levels")
    assemble([Piece("a", chime), Piece("b", chime)], tmp_path / "a.wav", AudioSettings(),
             levels=levels)
    assemble([Piece("a", chime), Piece("long pause", None, SHORT_SECONDS)],
             tmp_path / "b.wav", AudioSettings(), levels=levels)
    assemble([Piece("a", chime), Piece("b", chime)], tmp_path / "c.wav",
             AudioSettings(crossfade=0.5), levels=Levels(tmp_path / "levels-xf"))
    assert calls == [2]  # long and crossfaded parts stream


def test_trim_cuts_exactly_where_pydub_cut(tmp_path: Path) -> None:
    """The audioop trim gives pydub's bytes (detect_leading_silence, its ms grid, its
    padding), on real speech with its start shifted by a few samples."""
    wav = tmp_path / "a.wav"
    eng.EspeakEngine().synthesize("Bà con chú ý.", wav, "vi-vn-x-south", 175)
    pcm = samples(wav)
    for shift in (0, 1, 7, 333):
        part = pcm[2 * shift:]
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(22050)
            out.writeframes(part)
        clip = clips.load(wav)
        from pydub.silence import detect_leading_silence

        length = len(clip)
        start = detect_leading_silence(clip, silence_threshold=-50.0, chunk_size=5)
        end = length - detect_leading_silence(clip.reverse(), silence_threshold=-50.0,
                                              chunk_size=5)
        first, last = max(0, start - 50), min(length, end + 300)
        expected = clip[first:last].raw_data if first > 0 or last < length else part
        assert clips.trim_pcm(part, 22050) == expected, shift
