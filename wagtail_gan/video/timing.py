"""Frame timing, as pure functions (no I/O): which output frame is which source frame or which
in-between, for frame-rate conversion, slow motion and clips from stills.

An output frame is ``(i, t)``: source frame ``i`` when ``t == 0``, else the in-between at
fraction ``t`` (0 < t < 1) from frame ``i`` to frame ``i + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

FACTORS = (2, 4)
MODES = ("fps", "slowmo")


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


def interpolation_plan(n_frames: int, fps: Fraction, factor: int, mode: str = "fps") -> Plan:
    """``factor`` output frames per source frame: ``k - 1`` in-betweens after each frame, the
    last frame held ``k`` times so the result lasts exactly as long as the source (``fps``
    mode: ``factor`` x the frame rate) or ``factor`` x longer (``slowmo``: same frame rate,
    audio stretched)."""
    if factor not in FACTORS:
        raise ValueError(f"factor must be one of {FACTORS}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if n_frames < 1:
        raise ValueError("the video has no frames")
    frames: list[tuple[int, float]] = []
    for i in range(n_frames - 1):
        frames.extend((i, j / factor) for j in range(factor))
    frames.extend((n_frames - 1, 0.0) for _ in range(factor))
    fps = Fraction(fps)
    if mode == "fps":
        return Plan(frames, fps * factor, 1.0)
    return Plan(frames, fps, 1.0 / factor)


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


def pair_times(plan: Plan) -> dict[int, list[float]]:
    """For each pair (i, i + 1), the in-between fractions the plan needs (sorted, unique)."""
    wanted: dict[int, set[float]] = {}
    for i, t in plan.frames:
        if t:
            wanted.setdefault(i, set()).add(t)
    return {i: sorted(ts) for i, ts in wanted.items()}
