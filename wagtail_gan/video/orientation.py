"""Rotation metadata (worker side, no I/O): phones record upright video sideways and say in
the MP4 track header how to turn it (a display matrix; FFmpeg attaches it to every decoded
frame as side data). :func:`orientation` reads it; :meth:`Orientation.apply` turns the pixels
so outputs and thumbnails are upright without relying on the player."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np


class UnsupportedTurn(ValueError):
    """A display matrix that is not a quarter turn or a mirror."""


@dataclass(frozen=True)
class Orientation:
    """How a player turns the stored picture upright, from the display matrix a phone writes
    into the MP4 track header (FFmpeg hands it to every decoded frame as side data): transpose,
    then reverse the rows, then the columns. Quarter turns and mirrors only."""

    transpose: bool = False
    flip_rows: bool = False
    flip_cols: bool = False
    # Clockwise degrees of the turn, as FFmpeg reports it (0, 90, 180 or 270).
    rotation: int = 0

    @classmethod
    def from_matrix(cls, m: tuple[int, ...]) -> Orientation:
        """FFmpeg's 3x3 matrix ``a b u / c d v / x y w`` (16.16 fixed point) maps a stored
        pixel (p, q) to (a*p + c*q, b*p + d*q) on screen (translation ignored)."""
        a, b, c, d = (v / 65536 for v in (m[0], m[1], m[3], m[4]))
        unit = [abs(abs(v) - 1) < 0.01 for v in (a, b, c, d)]
        zero = [abs(v) < 0.01 for v in (a, b, c, d)]
        if unit[0] and unit[3] and zero[1] and zero[2]:
            return cls(False, d < 0, a < 0, _degrees(m))
        if unit[1] and unit[2] and zero[0] and zero[3]:
            return cls(True, b < 0, c < 0, _degrees(m))
        raise UnsupportedTurn(f"the picture is turned by {_degrees(m)}° (display matrix); "
                              "only quarter turns are supported")

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        if self.transpose:
            rgb = rgb.transpose(1, 0, 2)
        if self.flip_rows:
            rgb = rgb[::-1]
        if self.flip_cols:
            rgb = rgb[:, ::-1]
        return rgb


UPRIGHT = Orientation()


def _degrees(m: tuple[int, ...]) -> int:
    """Clockwise degrees a matrix turns the picture (FFmpeg's ``av_display_rotation_get``
    reports the same angle counter-clockwise)."""
    return round(math.degrees(math.atan2(m[1], m[0]))) % 360


def orientation(frame) -> Orientation:
    """The turn a decoded PyAV frame's display matrix asks for (upright when it has none)."""
    try:
        data = bytes(frame.side_data["DISPLAYMATRIX"])
    except KeyError:
        return UPRIGHT
    return Orientation.from_matrix(struct.unpack("=9i", data))
