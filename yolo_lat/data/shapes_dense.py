"""``shapes-dense``: a deterministic synthetic dataset where small objects and global context matter.

Each image (640 px by default) holds 20–60 small objects (sizes 10–40 px, log-uniform; boxes
median ≈ 20 px) from six classes that differ only in detail, or only in context:

- ``disc`` / ``dotted_disc``: a disc, and the same disc with a small dot of the opposite colour at
  its centre;
- ``square`` / ``notched_square``: a (slightly rotated) square, and the same square with one corner
  cut away (a notch a third of its side);
- ``star_warm`` / ``star_cool``: **the same star**; which label it carries depends only on the
  image's theme, shown by a coloured frame around the whole image (16 px at 640): red–orange for
  *warm* (R ≥ 190, B ≤ 70), blue–cyan for *cool* (B ≥ 190, R ≤ 70). Nothing near a star tells
  the two apart; a detector must look at the frame, up to ~300 px away.

Every image shows one theme (half the images each); a star's colour is independent of the
theme. Objects never overlap (2 px apart at least) and lie inside the frame, so each box is the
object's full tight box. The background is a gradient with noise and a faint texture (stripes,
checks or noise); clutter that is *not* labelled is drawn under the objects: thin lines, tiny
blobs and arcs, outlines of shapes (circles, squares, stars, triangles, hexagons), partial shapes
(half or less of a disc, square or star) and filled shapes of other kinds (triangles, hexagons,
crosses). Image ``i`` of a split depends only on (seed, split, i), as for ``shapes``, whose
helpers and writer this module reuses (YOLO labels, COCO JSON, data.yaml, atomic cache folder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .shapes import Box, Generator, _background, _mask, _texture, ensure_generated

__all__ = ["CLASSES", "THEMES", "DenseShapesConfig", "ensure_shapes_dense", "render", "theme_of"]

CLASSES = ("disc", "dotted_disc", "square", "notched_square", "star_warm", "star_cool")
THEMES = ("warm", "cool")  # star_warm in warm images, star_cool in cool ones
VERSION = 1  # bump when the generator's output changes
_STREAM = 2  # keeps these images' random streams apart from the shapes dataset's
_GAP = 2  # pixels between objects
_DISTRACTORS = (15, 41)  # unlabelled shapes per image: [low, high)


@dataclass(frozen=True)
class DenseShapesConfig:
    train: int = 400
    val: int = 100
    imgsz: int = 640
    seed: int = 0
    min_objects: int = 20
    max_objects: int = 60
    min_size: int = 10  # object size (diameter, side), pixels
    max_size: int = 40

    def dirname(self) -> str:
        return (
            f"shapes-dense-v{VERSION}-{self.train}-{self.val}-{self.imgsz}"
            f"-o{self.min_objects}-{self.max_objects}-z{self.min_size}-{self.max_size}-s{self.seed}"
        )

    def frame(self) -> int:
        """Width of the theme frame, pixels."""
        return max(4, self.imgsz // 40)


def _rng(cfg: DenseShapesConfig, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([cfg.seed, {"train": 0, "val": 1}[split], index, _STREAM])


def theme_of(cfg: DenseShapesConfig, split: str, index: int) -> int:
    """The theme (index into THEMES) of image ``index`` of ``split``: its first random draw."""
    return int(_rng(cfg, split, index).integers(0, 2))


def _frame_color(theme: int, rng: np.random.Generator) -> tuple[int, int, int]:
    warm = (int(rng.integers(0, 71)), int(rng.integers(30, 151)), int(rng.integers(190, 256)))  # BGR
    return warm if theme == 0 else warm[::-1]


def _size(cfg: DenseShapesConfig, rng: np.random.Generator) -> float:
    return math.exp(rng.uniform(math.log(cfg.min_size), math.log(cfg.max_size)))


def _patch(cx: float, cy: float, size: float, s: int) -> tuple[slice, slice, float, float]:
    """Rows, columns of a square patch around (cx, cy) big enough for a shape of ``size``, and the
    centre in patch coordinates."""
    half = int(size * 0.8) + 2 + _GAP
    x0, y0 = max(0, int(cx) - half), max(0, int(cy) - half)
    x1, y1 = min(s, int(cx) + half + 1), min(s, int(cy) + half + 1)
    return slice(y0, y1), slice(x0, x1), cx - x0, cy - y0


def _contrast(color: np.ndarray) -> np.ndarray:
    return (color + 128) % 256


def _distractor(img: np.ndarray, cfg: DenseShapesConfig, rng: np.random.Generator) -> None:
    """One unlabelled shape anywhere: an outline, a partial shape (≤ half) or a filled other kind."""
    s = img.shape[0]
    size, angle, color = _size(cfg, rng), rng.uniform(0, 360), rng.integers(0, 256, 3)
    cx, cy = rng.uniform(0, s, 2)
    rows, cols, px, py = _patch(cx, cy, size, s)
    shape = img[rows, cols].shape[:2]
    kind = rng.integers(0, 3)
    if kind == 0:
        cls = ("circle", "rectangle", "star", "triangle", "hexagon")[rng.integers(0, 5)]
        m = _mask(cls, px, py, size, 1.0, angle, rng, shape)
        m = cv2.morphologyEx(m, cv2.MORPH_GRADIENT, np.ones((2, 2), np.uint8))
    elif kind == 1:
        m = _mask(("circle", "rectangle", "star")[rng.integers(0, 3)], px, py, size, 1.0, angle, rng, shape)
        yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
        a = rng.uniform(0, 2 * math.pi)
        m &= ((xx - px) * math.cos(a) + (yy - py) * math.sin(a) > rng.uniform(0, 0.25) * size).astype(np.uint8)
    else:
        m = _mask(("triangle", "hexagon", "cross")[rng.integers(0, 3)], px, py, size, 1.0, angle, rng, shape)
    img[rows, cols][m.astype(bool)] = color


def _object_mask(kind: int, size: float, px: float, py: float, rng: np.random.Generator, shape) -> np.ndarray:
    """Mask of a disc (kinds 0, 1), square (2, 3) or star (4); the notch of kind 3 is cut here."""
    if kind <= 1:
        return _mask("circle", px, py, size, math.exp(rng.uniform(-0.1, 0.1)), rng.uniform(0, 180), rng, shape)
    if kind == 4:
        return _mask("star", px, py, size, 1.0, rng.uniform(0, 360), rng, shape)
    angle = rng.uniform(-20, 20)
    m = _mask("rectangle", px, py, size, 1.0, angle, rng, shape)
    if kind == 3:  # a square of 2/3 the side centred on one corner removes a third of each edge there
        dx, dy = (rng.integers(0, 2, 2) * 2 - 1) * size / 2
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        m &= 1 - _mask("rectangle", px + dx * c - dy * s, py + dx * s + dy * c, size * 2 / 3, 1.0, angle, rng, shape)
    return m


def render(cfg: DenseShapesConfig, split: str, index: int) -> tuple[np.ndarray, list[Box]]:
    """Image ``index`` of ``split``: BGR uint8 image and [(cls, x0, y0, x1, y1, area)] (pixels, inclusive)."""
    rng = _rng(cfg, split, index)
    theme = int(rng.integers(0, 2))  # first draw: theme_of() repeats it
    s, frame = cfg.imgsz, cfg.frame()
    img = _background(s, s, rng, clutter=(s // 16, s // 8), blob_radius=(1, 4))
    img = cv2.addWeighted(img, 0.8, _texture(s, s, rng), 0.2, 0)
    for _ in range(rng.integers(*_DISTRACTORS)):
        _distractor(img, cfg, rng)
    cv2.rectangle(img, (0, 0), (s - 1, s - 1), _frame_color(theme, rng), 2 * frame)  # ±frame around the edge
    return img, _objects(img, cfg, rng, theme)


def _objects(img: np.ndarray, cfg: DenseShapesConfig, rng: np.random.Generator, theme: int) -> list[Box]:
    """Paint 20–60 (by default) objects inside the frame, none touching another; their boxes."""
    s, frame = cfg.imgsz, cfg.frame()
    taken = np.zeros((s, s), np.uint8)  # object pixels, grown by _GAP
    boxes: list[Box] = []
    n = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    for _ in range(n * 20):  # attempts
        if len(boxes) == n:
            break
        kind, size = int(rng.integers(0, 5)), _size(cfg, rng)
        cx, cy = rng.uniform(frame + _GAP + 0.8 * size, s - frame - _GAP - 0.8 * size, 2)
        rows, cols, px, py = _patch(cx, cy, size, s)
        m = _object_mask(kind, size, px, py, rng, taken[rows, cols].shape)
        if not m.any() or (taken[rows, cols] & m).any():
            continue
        color = rng.integers(0, 256, 3)
        img[rows, cols][m.astype(bool)] = color
        if kind == 1:
            r = max(1, round(size * 0.15))
            cv2.circle(img[rows, cols], (round(px), round(py)), r, tuple(int(c) for c in _contrast(color)), -1)
        taken[rows, cols] |= cv2.dilate(m, np.ones((2 * _GAP + 1, 2 * _GAP + 1), np.uint8))
        ys, xs = np.nonzero(m)
        x0, y0, cls = cols.start, rows.start, kind if kind < 4 else 4 + theme
        boxes.append(
            (cls, x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()), y0 + int(ys.max()), int(m.sum()))
        )
    return boxes


SHAPES_DENSE = Generator("shapes-dense", VERSION, CLASSES, render, jpeg_quality=90)


def ensure_shapes_dense(cache_dir: Path, cfg: DenseShapesConfig = DenseShapesConfig()) -> Path:
    """Generate the shapes-dense dataset under ``cache_dir`` if it is not there yet; returns its data.yaml."""
    return ensure_generated(cache_dir, cfg, SHAPES_DENSE)
