"""Where a pixel of the original image lands: letterboxed input, then a cell of a feature map.

The letterbox is Ultralytics' ``LetterBox(new_shape=(S, S), auto=False)`` as YOLO-LAT's predictor
uses it (``yolo_lat._ultralytics.letterbox``): resize by r = min(S/h0, S/w0) to
(round(w0·r), round(h0·r)), then pad, centred, to S×S. A feature map of h×w cells over the S×S
input has stride S/h; the cell of an input point (x, y) is (⌊y/stride⌋, ⌊x/stride⌋).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Letterbox", "cell_of", "grid_points", "parse_points"]

Point = tuple[float, float]


@dataclass(frozen=True)
class Letterbox:
    """Placement of an (h0, w0) image inside the ``imgsz``×``imgsz`` letterboxed input.

    Attributes:
        imgsz: side S of the square input.
        orig_hw: (h0, w0) of the original image.
        new_hw: (h, w) of the resized image inside the input.
        top, left: padding above and left of it, in input pixels.
    """

    imgsz: int
    orig_hw: tuple[int, int]
    new_hw: tuple[int, int]
    top: int
    left: int

    @classmethod
    def fit(cls, orig_hw: tuple[int, int], imgsz: int) -> Letterbox:
        """The placement LetterBox(new_shape=(imgsz, imgsz), auto=False, center=True) chooses."""
        h0, w0 = orig_hw
        r = min(imgsz / h0, imgsz / w0)
        new_w, new_h = max(round(w0 * r), 1), max(round(h0 * r), 1)
        top, left = round((imgsz - new_h) / 2 - 0.1), round((imgsz - new_w) / 2 - 0.1)
        return cls(imgsz, (h0, w0), (new_h, new_w), top, left)

    def to_input(self, point: Point) -> Point:
        """(x, y) in original-image pixels -> (x, y) in input pixels (continuous coordinates)."""
        (h0, w0), (h, w) = self.orig_hw, self.new_hw
        return point[0] * w / w0 + self.left, point[1] * h / h0 + self.top

    def to_image(self, point: Point) -> Point:
        """(x, y) in input pixels -> (x, y) in original-image pixels."""
        (h0, w0), (h, w) = self.orig_hw, self.new_hw
        return (point[0] - self.left) * w0 / w, (point[1] - self.top) * h0 / h


def cell_of(point_in: Point, imgsz: int, hw: tuple[int, int]) -> tuple[int, int]:
    """(row, col) of the cell of an h×w feature map (stride imgsz/h) that holds input point (x, y)."""
    h, w = hw
    row = min(max(int(math.floor(point_in[1] * h / imgsz)), 0), h - 1)
    col = min(max(int(math.floor(point_in[0] * w / imgsz)), 0), w - 1)
    return row, col


def grid_points(width: int, height: int, n: int = 3) -> list[Point]:
    """The centres of an n×n grid over a width×height image, row by row."""
    return [((i + 0.5) * width / n, (j + 0.5) * height / n) for j in range(n) for i in range(n)]


def _fmt(v: float) -> str:
    return f"{v:g}"


def _as_point(item: Any, given: Any) -> Point:
    if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
        raise ValueError(f"points: {given!r} is not a point (x, y) or a list of points [(x, y), ...]")
    try:
        x, y = float(item[0]), float(item[1])
    except (TypeError, ValueError):
        raise ValueError(f"points: {given!r} is not a point (x, y) or a list of points [(x, y), ...]") from None
    return x, y


def parse_points(points: Any, width: int, height: int) -> list[Point]:
    """Validate query points in original-image pixels: (x, y), [(x, y), ...] or "x,y;x,y".

    Raises:
        ValueError: one line naming the bad value and the image's valid range.
    """
    if isinstance(points, str):
        try:
            points = [tuple(float(v) for v in p.split(",")) for p in points.replace(" ", "").split(";") if p]
        except ValueError:
            raise ValueError(f"points: {points!r} is not of the form 'x,y' or 'x,y;x,y'") from None
    if isinstance(points, Sequence) and len(points) == 2 and all(isinstance(v, (int, float)) for v in points):
        points = [points]  # a single (x, y)
    if not isinstance(points, Sequence) or isinstance(points, bytes) or len(points) == 0:
        raise ValueError(f"points: {points!r} is not a point (x, y) or a non-empty list of points")
    out = [_as_point(p, points) for p in points]
    for x, y in out:
        if not (0 <= x < width and 0 <= y < height) or not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(
                f"points: ({_fmt(x)}, {_fmt(y)}) is outside the {width}×{height} image "
                f"(valid: 0 ≤ x < {width}, 0 ≤ y < {height})"
            )
    return out
