"""The minute ledger alone: any sequence of on-air pieces gives minute lines that add up
to what aired, one per occurrence and minute, never over 60 s, segments in order; the
live daemon's way of adding (seconds as they pass, minutes closed as the clock leaves
them) and simulate's (whole pieces when they end) give the same lines."""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from radiocli.aslog.writer import LogBook
from radiocli.plan.timeline import Occurrence
from radiocli.plan.triggers import TZ
from radiocli.play.ledger import SLIVER_S, MinuteLedger, SegmentMap, lines_of, write_lines
from radiocli.schedule.model import Priority

T0 = datetime(2021, 8, 5, 16, 58, 0, tzinfo=TZ)
MINUTE = timedelta(minutes=1)
PROPERTY = settings(max_examples=300, deadline=None)

Piece = tuple[Occurrence, SegmentMap, datetime, datetime, float]  # occ, map, start, end, offset


@st.composite
def segment_maps(draw: st.DrawFn) -> SegmentMap:
    lengths = draw(st.lists(st.floats(0.0, 300.0), min_size=0, max_size=5))
    return SegmentMap.from_lengths((seconds, i) for i, seconds in enumerate(lengths))


@st.composite
def airings(draw: st.DrawFn) -> list[Piece]:
    """A station's pieces on air, in time order, never overlapping: up to three
    occurrences, each resumed any number of times (a preempted program), with or
    without a gap, starting anywhere within a second."""
    occs = [Occurrence("00001", f"p{i}", T0, 3600.0, draw(st.sampled_from(list(Priority))),
                       key=f"p{i}@2021-08-05T16:58") for i in range(3)]
    maps = [draw(segment_maps()) for _ in occs]
    played = [0.0, 0.0, 0.0]
    t = T0 + timedelta(microseconds=draw(st.integers(0, 59_999_999)))
    pieces: list[Piece] = []
    for _ in range(draw(st.integers(1, 8))):
        which = draw(st.integers(0, 2))
        t += timedelta(microseconds=draw(st.one_of(st.just(0), st.integers(0, 200_000_000))))
        length = timedelta(microseconds=draw(st.one_of(
            st.integers(1, 2_000_000), st.integers(1, 400_000_000),
            st.sampled_from([60_000_000, 120_000_000]))))
        pieces.append((occs[which], maps[which], t, t + length, played[which]))
        played[which] += length.total_seconds()
        t += length
    return pieces


def oracle(pieces: list[Piece]) -> dict[tuple[str, datetime], tuple[float, int]]:
    """(occurrence, minute) -> (seconds on air, segment at its first portion), by brute
    force: what the lines must say."""
    out: dict[tuple[str, datetime], tuple[float, int]] = {}
    for occ, segments, a, b, offset in pieces:
        minute = a.replace(second=0, microsecond=0)
        while minute < b:
            lo, hi = max(a, minute), min(b, minute + MINUTE)
            if lo < hi:
                key = (occ.occurrence_id, minute)
                seconds = (hi - lo).total_seconds()
                if key in out:
                    out[key] = (out[key][0] + seconds, out[key][1])
                else:
                    out[key] = (seconds, segments.at(offset + (lo - a).total_seconds()))
            minute += MINUTE
    return out


def simulated(pieces: list[Piece]) -> list:
    """simulate's way: each piece added whole when it ends, its occurrence's minutes
    closed up to the minute the piece ended in; everything at the end."""
    ledger = MinuteLedger()
    items = []
    for occ, segments, a, b, offset in pieces:
        ledger.add(occ, segments, a, b, offset)
        items += ledger.close(b.replace(second=0, microsecond=0), occ.occurrence_id)
    return items + ledger.close()


def live(pieces: list[Piece], delay: timedelta) -> list:
    """The daemon's way: a piece that ends adds its seconds since they were last added;
    at the first tick after each minute (``delay`` late) what is on air adds its
    seconds up to the minute, and the minutes before it are closed."""
    ledger = MinuteLedger()
    items: list = []
    logged: dict[int, datetime] = {}
    halted: set[int] = set()
    boundary = pieces[0][2].replace(second=0, microsecond=0) + MINUTE
    while boundary <= pieces[-1][3] + MINUTE:
        tick = boundary + delay
        for i, (occ, segments, a, b, offset) in enumerate(pieces):
            if b <= tick and i not in halted:
                since = logged.get(i, a)
                ledger.add(occ, segments, since, b, offset + (since - a).total_seconds())
                halted.add(i)
        for i, (occ, segments, a, _b, offset) in enumerate(pieces):
            since = logged.get(i, a)
            if i not in halted and a < boundary and since < boundary:
                ledger.add(occ, segments, since, boundary, offset + (since - a).total_seconds())
                logged[i] = boundary
        items += ledger.close(boundary)
        boundary += MINUTE
    return items + ledger.close()


def by_key(items: list) -> dict[tuple[str, datetime], tuple[float, int]]:
    out = {}
    for line in lines_of(items):
        key = (line.occurrence, line.minute)
        assert key not in out, f"two lines for {key}"
        out[key] = (line.seconds, line.segment)
    return out


@PROPERTY
@given(pieces=airings())
def test_minute_lines_add_up_to_what_aired(pieces):
    got = by_key(simulated(pieces))
    want = oracle(pieces)
    aired = sum((b - a).total_seconds() for _o, _s, a, b, _off in pieces)
    slivers = sum(s for s, _seg in want.values() if s < SLIVER_S)
    assert abs(sum(s for s, _seg in got.values()) + slivers - aired) < 1e-3
    for key, (seconds, segment) in want.items():
        if seconds < SLIVER_S:
            assert key not in got, f"a sliver of {seconds} s got a line"
        else:
            assert abs(got[key][0] - seconds) < 1e-6
            assert got[key][1] == segment
    assert set(got) <= set(want)
    assert all(seconds <= 60.0 + 1e-9 for seconds, _seg in got.values())


@PROPERTY
@given(pieces=airings())
def test_segments_never_go_back(pieces):
    got = by_key(simulated(pieces))
    per_occurrence: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for (occ_id, minute), (_seconds, segment) in got.items():
        per_occurrence[occ_id].append((minute, segment))
    for rows in per_occurrence.values():
        segments = [segment for _minute, segment in sorted(rows)]
        assert segments == sorted(segments)


@PROPERTY
@given(pieces=airings(), delay=st.sampled_from([0.0, 0.1, 13.0, 59.9]))
def test_live_and_simulated_adding_give_the_same_lines(pieces, delay):
    live_lines = by_key(live(pieces, timedelta(seconds=delay)))
    simulated_lines = by_key(simulated(pieces))
    assert live_lines.keys() == simulated_lines.keys()
    for key, (seconds, segment) in live_lines.items():
        assert abs(seconds - simulated_lines[key][0]) < 1e-6 and segment == simulated_lines[key][1]


@settings(max_examples=60, deadline=None)
@given(pieces=airings())
def test_written_lines_carry_the_rounded_seconds_in_minute_order(pieces):
    items = simulated(pieces)
    want = {k: v for k, v in by_key(items).items()}
    with tempfile.TemporaryDirectory() as tmp:
        with LogBook(Path(tmp), durable=False) as book:
            written = write_lines(book, items)
        rows = [json.loads(x) for path in sorted(Path(tmp).rglob("*.jsonl"))
                for x in path.read_text(encoding="utf-8").splitlines()]
    lines = [r for r in rows if "minute" in r]
    assert written == len(lines) == len(want)
    for row in lines:
        seconds, segment = want[(row["occurrence"], datetime.fromisoformat(row["minute"]))]
        assert row["seconds"] == min(int(seconds + 0.5), 60)
        assert row["segment"] == segment
    keys = [(r["occurrence"], r["minute"]) for r in lines]
    assert len(keys) == len(set(keys))
    per_occurrence: dict[str, list[str]] = defaultdict(list)
    for occ_id, minute in keys:
        per_occurrence[occ_id].append(minute)
    assert all(minutes == sorted(minutes) for minutes in per_occurrence.values())


def test_a_program_preempted_twice_in_one_minute_gets_one_line():
    occ = Occurrence("00001", "a", T0, 600.0, Priority.NORMAL)
    segments = SegmentMap()
    ledger = MinuteLedger()
    t = T0 + timedelta(seconds=5)
    ledger.add(occ, segments, t, t + timedelta(seconds=10), 0.0)  # preempted at :15
    ledger.add(occ, segments, t + timedelta(seconds=20), t + timedelta(seconds=30), 10.0)
    ledger.add(occ, segments, t + timedelta(seconds=40), t + timedelta(seconds=90), 20.0)
    lines = lines_of(ledger.close())
    assert [(line.minute, round(line.seconds, 3)) for line in lines] == [
        (T0, 35.0), (T0 + MINUTE, 35.0)]


def test_the_segment_of_a_resumed_minute_is_the_one_on_air():
    """Found while unifying: simulate named the segment that began after the resume
    for every minute of the resumed piece."""
    occ = Occurrence("00001", "a", T0, 900.0, Priority.NORMAL)
    segments = SegmentMap.from_lengths([(366.0, 0), (285.5, 1), (248.1, 2)])
    ledger = MinuteLedger()
    ledger.add(occ, segments, T0, T0 + timedelta(seconds=493), 0.0)
    resumed = T0 + timedelta(seconds=522.8)
    ledger.add(occ, segments, resumed, resumed + timedelta(seconds=300), 493.0)
    lines = {line.minute: line.segment for line in lines_of(ledger.close())}
    # resumed 8:42.8 into the clock, 493 s into the program: segment 1 until 651.5 s,
    # that is until 11:41.3 on the clock (simulate said 2 from minute 9 on)
    assert [lines[T0 + m * MINUTE] for m in (8, 9, 10, 11, 12, 13)] == [1, 1, 1, 1, 2, 2]


@PROPERTY
@given(pieces=airings(), split=st.integers(0, 8))
def test_taking_an_occurrence_gives_what_adding_and_closing_give(pieces, split):
    """``take`` (simulate's way when an occurrence is over, built directly in the usual
    case of one fresh piece) gives the very items of ``add_pieces`` then ``close``, also
    after earlier pieces were added and their minutes closed (a preempted program)."""
    by_occ: dict[str, list[Piece]] = defaultdict(list)
    for piece in pieces:
        by_occ[piece[0].occurrence_id].append(piece)
    for occ_pieces in by_occ.values():
        occ, segments = occ_pieces[0][0], occ_pieces[0][1]
        cut = min(split, len(occ_pieces) - 1)
        results = []
        for fast in (False, True):
            occ.pieces = [(a, b) for _o, _s, a, b, _off in occ_pieces[:cut]]
            occ.played_s = sum((b - a).total_seconds() for a, b in occ.pieces)
            ledger = MinuteLedger()
            early = ledger.add_pieces(occ, segments)
            items = ledger.close(occ.pieces[-1][1].replace(second=0, microsecond=0),
                                 occ.occurrence_id) if occ.pieces else []
            occ.pieces += [(a, b) for _o, _s, a, b, _off in occ_pieces[cut:]]
            occ.played_s = sum((b - a).total_seconds() for a, b in occ.pieces)
            if fast:
                seconds, rest = ledger.take(occ, segments)
            else:
                seconds = ledger.add_pieces(occ, segments)
                rest = ledger.close(occurrence=occ.occurrence_id)
            assert len(ledger) == 0
            results.append((early + seconds, items + rest))
        assert results[0] == results[1]
