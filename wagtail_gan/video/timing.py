"""Frame timing, as pure functions (no I/O): which output frame is which source frame or which
in-between, for frame-rate conversion, slow motion and clips from stills.

An output frame is ``(i, t)``: source frame ``i`` when ``t == 0``, else the in-between at
fraction ``t`` (0 < t < 1) from frame ``i`` to frame ``i + 1``.

Videos are placed by their frames' timestamps (:class:`Timeline`), not by a nominal rate: an
output frame at source time ``s`` between frames shown at ``a`` and ``b`` is the in-between at
``t = (s - a) / (b - a)``, so variable-frame-rate sources (phones drop or stretch frames) keep
their motion on time; for a constant-rate source this is exactly ``factor - 1`` in-betweens
at ``j / factor`` after each frame.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median

FACTORS = (2, 4)
MODES = ("fps", "slowmo")
# Timestamps within this of a frame grid or an output frame are that (clocks round: 1 ms in
# Matroska, 1/600 s on phones; a remux keeps the rounding in a finer clock).
ROUNDING = Fraction(1, 1000)


class TimingError(ValueError):
    """Frame timestamps that cannot be placed on a timeline (missing, duplicated)."""


@dataclass(frozen=True)
class Plan:
    frames: list[tuple[int, float]]
    fps: Fraction
    # How fast the audio plays relative to the source (0.5: stretched to twice its length).
    tempo: float = 1.0

    @property
    def total(self) -> int:
        return len(self.frames)

    @property
    def duration(self) -> float:
        return float(len(self.frames) / self.fps)

    @property
    def generated(self) -> int:
        return sum(1 for _, t in self.frames if t)


@dataclass(frozen=True)
class Timeline:
    """When a video's frames are shown. ``times``: seconds from the first frame, ascending;
    ``end``: when the last frame stops showing; ``rate``: the constant rate the output is
    built on (the source's own, or for a variable-rate source its average rounded to whole
    frames per second); ``start``: the first frame's time in the file (to line the audio
    up); ``stamps``: the frames' timestamps as stored, ascending, in units of ``tick``."""

    times: tuple[Fraction, ...]
    end: Fraction
    rate: Fraction
    variable: bool = False
    start: Fraction = Fraction(0)
    tick: Fraction = Fraction(0)
    stamps: tuple[int, ...] = ()


def timeline(pts: Sequence[int], time_base: Fraction, *, last_duration: int = 0,
             nominal_rates: Sequence[Fraction | None] = ()) -> Timeline:
    """The timeline of frames with presentation timestamps ``pts`` (``time_base`` units, any
    order); ``last_duration``: how long the last one shows (else the median interval).

    Constant rate - every frame within :data:`ROUNDING` (or one clock tick) of a grid (one
    of the stream's ``nominal_rates``, else the mean rate as a whole or NTSC rate, else the
    mean itself): the exact grid, so each source frame lands on an output frame. Otherwise
    variable-rate: the timestamps themselves. Raises :class:`TimingError` when frames share
    a timestamp."""
    if not pts:
        raise TimingError("the video has no frames")
    tb = Fraction(time_base)
    ordered = sorted(pts)
    n = len(ordered)
    intervals = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    if intervals and min(intervals) == 0:
        at = ordered[intervals.index(0)] * tb
        raise TimingError(f"two frames share the timestamp {float(at):.3f} s")
    times = tuple((p - ordered[0]) * tb for p in ordered)
    grid = _grid(times, max(tb, ROUNDING), nominal_rates) if intervals else None
    if not intervals:
        rate = Fraction(next((r for r in nominal_rates if r), 25)).limit_denominator(1001)
        end = last_duration * tb if last_duration > 0 else 1 / rate
    elif grid is not None:
        rate, times, end = grid, tuple(i / grid for i in range(n)), n / grid
    else:
        typical = median(intervals)
        last = last_duration if 0 < last_duration <= 4 * typical else typical
        end = (ordered[-1] - ordered[0] + last) * tb
        rate = Fraction(max(1, round(n / end)))
    return Timeline(times, end, rate, bool(intervals) and grid is None, ordered[0] * tb, tb,
                    tuple(ordered))


def _grid(times: tuple[Fraction, ...], tolerance: Fraction, nominal: Sequence):
    """The first rate whose grid every frame sits on within ``tolerance``, or None."""
    mean = (len(times) - 1) / times[-1]
    ntsc = Fraction(round(mean * Fraction(1001, 1000)) * 1000, 1001)
    for rate in (*nominal, round(mean), ntsc, mean):
        if rate:
            rate = Fraction(rate).limit_denominator(1001)
            if all(abs(t - i / rate) <= tolerance for i, t in enumerate(times)):
                return rate
    return None


def retime(line: Timeline, factor: int, mode: str = "fps") -> Plan:
    """``factor`` x the frame rate over the same duration (``fps`` mode) or ``factor`` x
    slower at the same rate (``slowmo``: audio slowed to match): output frame ``k`` shows
    source time ``k / (rate * factor)``, the source frame there (within :data:`ROUNDING`) or
    the in-between of the two frames around it; past the last frame, the last frame."""
    if factor not in FACTORS:
        raise ValueError(f"factor must be one of {FACTORS}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    times, tol = line.times, max(line.tick, ROUNDING)
    step = 1 / (line.rate * factor)
    frames: list[tuple[int, float]] = []
    for k in range(max(1, math.ceil(line.end / step))):
        s = k * step
        i = max(0, bisect_right(times, s + tol) - 1)
        if s - times[i] <= tol or i == len(times) - 1:
            frames.append((i, 0.0))
        else:
            frames.append((i, float((s - times[i]) / (times[i + 1] - times[i]))))
    if mode == "fps":
        return Plan(frames, line.rate * factor, 1.0)
    return Plan(frames, line.rate, 1.0 / factor)


def stills_plan(n_stills: int, *, seconds: float, fps: int, hold: float) -> Plan:
    """A clip of ``round(seconds * fps)`` frames through ``n_stills`` images: each still shown
    for ``hold`` seconds, the remaining frames shared (as evenly as possible) by the
    ``n_stills - 1`` transitions of generated in-betweens."""
    if n_stills < 2:
        raise ValueError("a clip needs at least two images")
    total = round(float(seconds) * int(fps))
    hold_frames = round(float(hold) * int(fps))
    transitions = n_stills - 1
    moving = total - hold_frames * n_stills
    if moving < transitions:
        need = (hold_frames * n_stills + transitions) / int(fps)
        raise ValueError(f"{seconds:g} s is too short for {n_stills} images held {hold:g} s "
                         f"each: make it at least {need:.2f} s or shorten the hold")
    frames: list[tuple[int, float]] = []
    for i in range(n_stills):
        frames.extend((i, 0.0) for _ in range(hold_frames))
        if i < transitions:
            m = moving // transitions + (1 if i < moving % transitions else 0)
            frames.extend((i, (j + 1) / (m + 1)) for j in range(m))
    if hold_frames == 0:  # no hold: start and end on the stills themselves
        frames[0] = (0, 0.0)
        frames[-1] = (n_stills - 1, 0.0)
    return Plan(frames, Fraction(int(fps)), 1.0)
