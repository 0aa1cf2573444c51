"""Speech brought to the loudness target in Python, without starting ffmpeg.

A spoken text is a mono 16-bit WAV; starting ffmpeg to level it costs about 50 ms, four
times the synthesis of a sentence. Here the same job is done with ``audioop``: C loops
over the whole clip or over short slices of it, never a Python loop per sample.

- :func:`chunk_powers`, :func:`integrated`: the ITU-R BS.1770-4 loudness (K-weighting,
  400 ms blocks every 100 ms, absolute gate -70 LUFS, relative gate -10 LU). The clip is
  not filtered sample by sample: it is split into Haar bands (``audioop.tomono`` halves
  a band in one C pass) whose powers are added to the clip's own with weights fitted to
  the K-weighting's power response (:func:`band_weights`: within 0.2 dB from 60 Hz to
  10 kHz). On eSpeak NG's three voices this is within 0.15 LU of ffmpeg's ``ebur128``.
- :func:`true_peak`: the sample peak, and the signal at a quarter, half and three
  quarters of the way between samples (a 12-tap Lanczos kernel), in the blocks loud
  enough to hold the peak: within 0.1 dB of a 16x reconstruction on eSpeak's voices.
- :func:`reach`, :func:`apply`: a look-ahead limiter whose gain is constant over
  32-sample blocks, falls at most :data:`ATTACK` dB a block ahead of a peak and
  recovers at most :data:`RELEASE` dB a block after it.
- :func:`level`: a plain gain when the true peak allows it; else the gain into the
  limiter that the loudness model (:class:`_Model`) says lands on the target, then the
  result measured and what the model missed given back as a plain gain, as far as the
  true peak allows.
"""

from __future__ import annotations

import cmath
import math
import warnings
from bisect import bisect_left
from collections.abc import Sequence
from functools import cache
from itertools import accumulate
from types import ModuleType
from typing import NamedTuple

DEFAULT_LOUDNESS = -16.0  # LUFS integrated
DEFAULT_TRUE_PEAK = -1.0  # dBTP
SAMPLE_RATE = 22050
FULL_SCALE = 32768.0
BLOCK = 32  # samples per limiter block (1.45 ms at 22,050 Hz)
ATTACK = 1.5  # dB per block the gain may fall before a peak (look-ahead)
RELEASE = 0.35  # dB per block the gain may recover after it
PEAK_MARGIN = 0.35  # dB under the ceiling where the limiter holds the sample peaks
TP_MARGIN = 0.15  # dB under the ceiling the true peak must be (else the limiter holds lower)
SILENT = -70.0  # LUFS of silence (ebur128's floor)
ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU
MAX_GAIN = 30.0  # dB: never lift near-silence into noise
TOLERANCE = 0.05  # LU: the model's gain is solved to a fifth of this
SHORT = 0.1  # LU under the target that a levelled clip may end (for want of room)
_LEVELS = 8  # Haar levels: the deepest band holds what is under rate / 512 (43 Hz)
#: the Haar bands whose powers are weighted (detail levels; 0 is what is left under the
#: deepest level); the band around 500 Hz is left out: the K-weighting is flat there
_BANDS = (1, 2, 3, 4, 6, 7, 8, 0)


def audioop_module() -> ModuleType:
    with warnings.catch_warnings():  # deprecated in 3.11, audioop-lts from 3.13
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    return audioop


# --- the K-weighting as weighted Haar bands --------------------------------------------


def k_weighting(rate: int) -> list[tuple[list[float], list[float]]]:
    """The two biquads of BS.1770's K-weighting at ``rate`` (as libebur128 computes
    them): the high shelf of the head, then the high-pass (RLB) filter."""
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = ([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
             [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    highpass = ([1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return [shelf, highpass]


def k_power(rate: int, frequency: float) -> float:
    """The K-weighting's power gain at ``frequency`` Hz."""
    z = cmath.exp(-2j * math.pi * frequency / rate)
    power = 1.0
    for b, a in k_weighting(rate):
        power *= abs((b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)) ** 2
    return power


def haar_power(band: int, rate: int, frequency: float) -> float:
    """The power gain of a Haar band (a detail level, or 0: what is under the deepest)
    at ``frequency`` Hz, as :func:`chunk_powers` splits the clip ((a +- b) / 2 of each
    pair of samples of the band above)."""
    w = 2 * math.pi * frequency / rate
    lows = _LEVELS if band == 0 else band - 1
    power = 1.0
    for j in range(lows):
        power *= math.cos(w * 2**j / 2) ** 2
    if band:
        power *= math.sin(w * 2 ** (band - 1) / 2) ** 2
    return power


#: band_weights(rate) for the usual rates (fitting takes 3 ms; a test checks the table)
_WEIGHTS = {
    16000: (1.645719, 1.665523, 0.105924, -0.233971, 0.007808, -0.296049, -0.824704, -1.183762),
    22050: (1.590409, 1.677335, 0.983936, -0.437744, 0.023989, -0.142207, -0.570553, -1.057206),
    24000: (1.582318, 1.653427, 1.184344, -0.419024, 0.010569, -0.109380, -0.505226, -1.015503),
    44100: (2.078812, 1.215004, 1.834524, 0.634774, -0.215686, 0.047278, -0.108427, -0.737496),
    48000: (2.542970, 0.985554, 1.862080, 0.843520, -0.240598, 0.053255, -0.064202, -0.704320),
}


def band_weights(rate: int) -> tuple[float, ...]:
    """Weights w of :data:`_BANDS` such that power + sum(w * band power) follows the
    K-weighting's power response (least squares over 40 Hz to 10.5 kHz, log-spaced)."""
    return _WEIGHTS.get(rate) or fit_band_weights(rate)


@cache
def fit_band_weights(rate: int) -> tuple[float, ...]:
    """:func:`band_weights`, computed."""
    top = min(10500.0, 0.47 * rate)
    grid = [40.0 * (top / 40.0) ** (i / 199) for i in range(200)]
    rows = [[haar_power(b, rate, f) for b in _BANDS] for f in grid]
    target = [k_power(rate, f) - 1.0 for f in grid]
    n = len(_BANDS)
    normal = [[sum(r[i] * r[j] for r in rows) for j in range(n)] for i in range(n)]
    rhs = [sum(r[i] * t for r, t in zip(rows, target, strict=True)) for i in range(n)]
    return tuple(_solve(normal, rhs))


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a small, well-posed system)."""
    n = len(rhs)
    m = [row[:] + [value] for row, value in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= factor * m[col][c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (m[r][n] - sum(m[r][c] * out[c] for c in range(r + 1, n))) / m[r][r]
    return out


# --- loudness ----------------------------------------------------------------------------


def chunk_bounds(frames: int, rate: int) -> list[int]:
    """Sample offsets of the complete 100 ms chunks of a clip (and the end of the last)."""
    return [round(c * rate / 10) for c in range(frames * 10 // rate + 1)]


def _mean_squares(pcm: bytes, bounds: Sequence[int], shift: int) -> list[float]:
    """Mean square (16-bit units) over each chunk of a band decimated by 2**shift: each
    band sample stands for 2**shift samples, and one that straddles two chunks counts in
    each for the samples it covers there."""
    audioop = audioop_module()
    rms, sample = audioop.rms, audioop.getsample
    size = 1 << shift
    count = len(pcm) // 2
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        first, last = -(-start // size), end // size  # band samples wholly in the chunk
        total = rms(pcm[2 * first:2 * last], 2) ** 2 * (last - first) * size if last > first else 0
        if start % size and first - 1 < count:  # the sample straddling the start
            total += sample(pcm, 2, first - 1) ** 2 * (first * size - start)
        if end % size and last < count:  # and the one straddling the end
            total += sample(pcm, 2, last) ** 2 * (end - last * size)
        out.append(total / (end - start))
    return out


def chunk_powers(pcm: bytes, rate: int) -> list[float]:
    """The K-weighted mean square (full scale 1.0) of each 100 ms chunk of 16-bit mono
    ``pcm``: the chunk's own power plus the weighted powers of its Haar bands."""
    audioop = audioop_module()
    bounds = chunk_bounds(len(pcm) // 2, rate)
    if len(bounds) < 2:
        return []
    weights = dict(zip(_BANDS, band_weights(rate), strict=True))
    total = _mean_squares(pcm, bounds, 0)
    low = pcm
    for level in range(1, _LEVELS + 1):
        low = low[:len(low) - len(low) % 4]  # whole pairs
        if level in weights:
            detail = audioop.tomono(low, 2, 0.5, -0.5)
            _add(total, _mean_squares(detail, bounds, level), weights[level])
        low = audioop.tomono(low, 2, 0.5, 0.5)
    _add(total, _mean_squares(low, bounds, _LEVELS), weights[0])
    scale = 1.0 / (FULL_SCALE * FULL_SCALE)
    return [max(0.0, p) * scale for p in total]


def _add(total: list[float], powers: list[float], weight: float) -> None:
    for i, p in enumerate(powers):
        total[i] += weight * p


def block_powers(powers: Sequence[float]) -> list[float]:
    """Powers of the 400 ms gating blocks, one every 100 ms."""
    return [(powers[i] + powers[i + 1] + powers[i + 2] + powers[i + 3]) / 4
            for i in range(len(powers) - 3)]


def integrated(powers: Sequence[float]) -> float:
    """Integrated loudness (LUFS) from chunk powers: BS.1770's two gates; SILENT when no
    block passes the absolute gate. A clip shorter than one block (400 ms) is measured
    as one block (BS.1770 gives it no loudness: ebur128 says -70)."""
    floor = 10 ** ((ABSOLUTE_GATE + 0.691) / 10)
    blocks = block_powers(powers) if len(powers) >= 4 else [sum(powers) / len(powers)] \
        if powers else []
    gated = [p for p in blocks if p > floor]
    if not gated:
        return SILENT
    relative = sum(gated) / len(gated) * 10 ** (RELATIVE_GATE / 10)
    kept = [p for p in gated if p > relative]
    return -0.691 + 10 * math.log10(sum(kept) / len(kept))


def loudness(pcm: bytes, rate: int) -> float:
    """Integrated loudness (LUFS) of 16-bit mono ``pcm``."""
    return integrated(chunk_powers(pcm, rate))


# --- peaks ---------------------------------------------------------------------------------

_PAIRS = 6  # the interpolation weighs 2 * _PAIRS samples around each point


def _interpolation(phase: float) -> list[float]:
    """Weights of x[n-5] .. x[n+6] for the signal at n + ``phase``: a Lanczos kernel
    (sinc windowed by sinc) over 12 samples, scaled to unit DC gain."""
    raw = []
    for j in range(1 - _PAIRS, _PAIRS + 1):
        t = phase - j
        raw.append(_sinc(t) * _sinc(t / _PAIRS))
    total = sum(raw)
    return [w / total for w in raw]


def _sinc(t: float) -> float:
    return math.sin(math.pi * t) / (math.pi * t) if t else 1.0


def _pair_weights(phase: float) -> tuple[list[float], list[float]]:
    """The interpolation at n + ``phase`` as sum(a[k] * (x[n-k] + x[n+1+k])) +
    sum(b[k] * (x[n-k] - x[n+1+k])), k = 0.._PAIRS-1 (at n + 1 - ``phase``: the same a,
    and -b)."""
    c = _interpolation(phase)  # c[j + _PAIRS - 1] weighs x[n + j]
    mid = _PAIRS - 1
    a = [(c[mid - k] + c[mid + 1 + k]) / 2 for k in range(_PAIRS)]
    b = [(c[mid - k] - c[mid + 1 + k]) / 2 for k in range(_PAIRS)]
    return a, b


_HALF = _pair_weights(0.5)[0]
_QUARTER = _pair_weights(0.25)
#: how much higher than the samples around it the interpolation can be (dB)
REACH = 20 * math.log10(max(sum(abs(w) for w in _interpolation(p)) for p in (0.25, 0.5)))
_CONTEXT = 2 * _PAIRS  # samples kept around a run of blocks (more than the kernel's span)


def between_peak(pcm: bytes) -> int:
    """The largest magnitude (16-bit units) of ``pcm`` between its samples, at a quarter,
    half and three quarters of the way (4x oversampling), where all the samples the
    interpolation weighs are in ``pcm``."""
    audioop = audioop_module()
    edge = 2 * _PAIRS  # bytes of the first and last samples no point can be centred on
    if len(pcm) < 2 * edge + 2:
        return 0
    mul, add = audioop.mul, audioop.add
    x = mul(pcm, 2, 0.25)  # every sum below stays within 16 bits
    neg = mul(x, 2, -1.0)
    n = len(x)
    sums, diffs = [], []
    for k in range(_PAIRS):
        first = slice(edge - 2 - 2 * k, n - edge - 2 * k)
        second = slice(edge + 2 * k, n - edge + 2 + 2 * k)
        sums.append(add(x[first], x[second], 2))
        diffs.append(add(x[first], neg[second], 2))

    def weighted(parts: list[bytes], weights: Sequence[float]) -> bytes:
        total = mul(parts[0], 2, weights[0])
        for part, w in zip(parts[1:], weights[1:], strict=True):
            total = add(total, mul(part, 2, w), 2)
        return total

    even = weighted(sums, _QUARTER[0])
    odd = weighted(diffs, _QUARTER[1])
    peak = max(audioop.max(weighted(sums, _HALF), 2), audioop.max(add(even, odd, 2), 2),
               audioop.max(add(even, mul(odd, 2, -1.0), 2), 2))
    return 4 * int(peak)


def true_peak(pcm: bytes, levels: Sequence[float] | None = None, block: int = BLOCK
              ) -> float:
    """The true peak (dBFS, -200 for silence) of 16-bit mono ``pcm``: its sample peak or
    its peak between samples (:func:`between_peak`), looked for only in the
    blocks loud enough to hold it. ``levels``: each block's sample peak in dBFS (at most
    1 dB under it), when known."""
    if levels is None:
        levels = block_levels(block_peaks(pcm, block))
    audioop = audioop_module()
    top = audioop.max(pcm, 2) if pcm else 0
    if not top:
        return -200.0
    floor = 20 * math.log10(top / FULL_SCALE) - REACH - 1.0
    # the runs of blocks that may hold the peak, with context, in one buffer: where the
    # interpolation straddles two runs it sees only context, quieter than ``floor``,
    # whose interpolation cannot reach the sample peak
    pieces = []
    step = 2 * block
    i, count = 0, len(levels)
    while i < count:
        if levels[i] < floor:
            i += 1
            continue
        j = i + 1
        while j < count and levels[j] >= floor:
            j += 1
        pieces.append(pcm[max(0, i * step - 2 * _CONTEXT):j * step + 2 * _CONTEXT])
        i = j
    between = between_peak(bytes(2 * _CONTEXT).join(pieces)) if pieces else 0
    return 20 * math.log10(max(top, between) / FULL_SCALE)


def block_peaks(pcm: bytes, block: int = BLOCK) -> list[int]:
    """The sample peak of each block of ``block`` samples."""
    peak = audioop_module().max
    step = 2 * block
    return [peak(pcm[i:i + step], 2) for i in range(0, len(pcm), step)]


def block_levels(peaks: Sequence[int]) -> list[float]:
    """Block peaks in dBFS (-200 for silence)."""
    log10 = math.log10
    return [20 * log10(p / FULL_SCALE) if p else -200.0 for p in peaks]


# --- the limiter ---------------------------------------------------------------------------


def reach(levels: Sequence[float], attack: float = ATTACK, release: float = RELEASE
          ) -> list[float]:
    """For each block, min over all blocks j of (ramp(j to b) - level of j): ramp is
    :data:`ATTACK` dB a block before j, :data:`RELEASE` dB a block after it. A limiter
    holding the peaks at ``hold`` dBFS gives block b the gain min(gain, hold + reach)
    dB: what one peak needs, reached ahead of it and left behind it at those rates.
    (Two running minima: min over j >= b of (-level_j + attack * (j - b)) is
    min over j >= b of (-level_j + attack * j), less attack * b; the same after it.)"""
    count = len(levels)
    ahead = [attack * j - v for j, v in enumerate(levels)]
    ahead = list(accumulate(reversed(ahead), min))
    ahead.reverse()
    back = [m - attack * b for b, m in enumerate(ahead)]
    behind = list(accumulate((v - release * b for b, v in enumerate(back)), min))
    return [m + release * b for b, m in enumerate(behind)][:count]


def apply(pcm: bytes, gains: Sequence[float], block: int = BLOCK) -> bytes:
    """``pcm`` with each block ``block`` samples long made ``gains[b]`` dB louder."""
    mul = audioop_module().mul
    parts = []
    step = 2 * block
    start, count = 0, len(gains)
    while start < count:
        end = start + 1
        value = gains[start]
        while end < count and gains[end] == value:
            end += 1
        parts.append(mul(pcm[start * step:end * step], 2, 10 ** (value / 20)))
        start = end
    return b"".join(parts)


class _Model:
    """The loudness of the limited clip as a function of the gain, from the chunk powers:
    each chunk's power scaled by its blocks' gains, averaged with the blocks' power (their
    peak squared) as weights. A block is held under ``hold`` when its reach is under
    gain - hold; the blocks of each chunk are sorted by reach, with running sums, so that
    one gain costs one bisection per chunk."""

    def __init__(self, powers: Sequence[float], peaks: Sequence[int], reaches: Sequence[float],
                 rate: int, block: int) -> None:
        self.powers = powers
        weights = [float(p) * p for p in peaks]
        self.chunks: list[tuple[list[float], list[float], list[float]]] = []
        count = len(peaks)
        for c in range(len(powers)):
            first = round(c * rate / 10) // block
            last = min(count, max(first + 1, round((c + 1) * rate / 10) // block))
            rows = sorted(zip(reaches[first:last], weights[first:last], strict=True))
            keys = [r for r, _w in rows]
            held = list(accumulate((w * 10 ** (r / 10) if r < 200 else 0.0 for r, w in rows),
                                   initial=0.0))
            free = list(accumulate((w for _r, w in rows), initial=0.0))
            self.chunks.append((keys, held, free))

    def loudness(self, gain: float, hold: float) -> float:
        cut = gain - hold
        up, down = 10 ** (gain / 10), 10 ** (hold / 10)
        scaled = []
        for power, (keys, held, free) in zip(self.powers, self.chunks, strict=True):
            total = free[-1]
            if not total:
                scaled.append(power * up)
                continue
            k = bisect_left(keys, cut)  # the first k blocks are held under ``hold``
            scaled.append(power * (down * held[k] + up * (total - free[k])) / total)
        return integrated(scaled)

    def solve(self, target: float, hold: float, start: float) -> float:
        """The gain (at most MAX_GAIN) that brings the clip to ``target`` LUFS: the
        loudness at ``start`` is under it; each step adds what is missing, and secant
        steps once two points are known."""
        gain, error = start, target - self.loudness(start, hold)
        last: tuple[float, float] | None = None
        for _ in range(12):
            if abs(error) <= TOLERANCE / 5 or gain >= MAX_GAIN:
                break
            step = error
            if last is not None and last[1] != error:
                step = -error * (gain - last[0]) / (error - last[1])
            last = (gain, error)
            gain = min(MAX_GAIN, gain + step)
            error = target - self.loudness(gain, hold)
        return gain


class Measure(NamedTuple):
    loudness: float  # LUFS integrated (-70 for silence)
    true_peak: float  # dBTP (-inf as -200)
    seconds: float  # duration

    def plus(self, gain: float) -> Measure:
        """The measure of the same audio ``gain`` dB louder."""
        return Measure(self.loudness + gain, self.true_peak + gain, self.seconds)


class Levelled(NamedTuple):
    pcm: bytes
    loudness: float  # LUFS integrated
    true_peak: float  # dBTP
    limited: bool


def level(pcm: bytes, rate: int, target: float, ceiling: float) -> Levelled:
    """``pcm`` (16-bit mono) at ``target`` LUFS with its true peak under ``ceiling``
    dBTP. Silence (and near-silence under -60 LUFS) is left alone."""
    audioop = audioop_module()
    powers = chunk_powers(pcm, rate)
    before = integrated(powers)
    if before <= -60.0:
        return Levelled(pcm, before, true_peak(pcm), False)
    gain = min(MAX_GAIN, target - before)
    peaks = block_peaks(pcm)
    levels = block_levels(peaks)
    if max(levels) + gain <= ceiling - TP_MARGIN:
        peak = true_peak(pcm, levels)
        if peak + gain <= ceiling - TP_MARGIN:  # a plain gain: loudness, peaks move by it
            return Levelled(audioop.mul(pcm, 2, 10 ** (gain / 20)), before + gain,
                            peak + gain, False)
    reaches = reach(levels)
    model = _Model(powers, peaks, reaches, rate, BLOCK)
    hold = ceiling - PEAK_MARGIN  # where the sample peaks are held
    aim = target  # what the model is asked for (corrected by what it missed)
    for _attempt in range(4):
        gain = model.solve(aim, hold, min(gain, aim - before))
        gains = [hold + r if hold + r < gain else gain for r in reaches]
        out = apply(pcm, gains)
        tp = true_peak(out, [lv + g for lv, g in zip(levels, gains, strict=True)])
        measured = loudness(out, rate)
        # what the model missed, as a plain gain (exact), as far as the true peak allows;
        # over the ceiling, the plain gain brings the true peak down
        fix = min(target - measured, ceiling - TP_MARGIN - tp)
        if abs(fix) > 0.005:
            out = audioop.mul(out, 2, 10 ** (fix / 20))
        after, tp = measured + fix, tp + fix
        if target - after <= SHORT or gain >= MAX_GAIN:
            break
        # short of the target for want of room between the peaks and the ceiling: hold
        # the sample peaks lower by what the true peak rose above them, ask for more
        hold = ceiling - TP_MARGIN - (tp - fix - hold) - 0.02
        aim += target - measured
    return Levelled(out, after, tp, True)
