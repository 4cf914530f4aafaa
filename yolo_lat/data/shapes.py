"""``shapes``: a deterministic synthetic detection dataset, generated on first use.

Each image has 1–7 objects from six classes (circle, rectangle, triangle, star, cross,
hexagon) over a textured background with clutter (lines, blobs and arcs that are not objects).
Objects vary in scale, aspect ratio, rotation, colour and fill texture (solid, stripes, checks,
noise), and may partly occlude each other: a placement is rejected if it would hide more than
half of an earlier object, and every box is the tight box of the object's *visible* pixels, as
COCO annotates. Image ``i`` of a split depends only on (seed, split, i), so the dataset is the
same on every machine and generation order does not matter.

Written both as YOLO labels (``labels/<split>/*.txt``) and as COCO instances JSON
(``annotations/instances_<split>.json``), with a ``data.yaml`` for Ultralytics.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from ultralytics.utils import LOGGER

from .boxes import xyxy_to_coco, xyxy_to_yolo
from .files import atomic_dir

CLASSES = ("circle", "rectangle", "triangle", "star", "cross", "hexagon")
VERSION = 1  # bump when the generator's output changes
Box = tuple[int, int, int, int, int, int]  # (cls, x0, y0, x1, y1, visible_area), pixels, inclusive


@dataclass(frozen=True)
class ShapesConfig:
    train: int = 1200
    val: int = 200
    imgsz: int = 320
    seed: int = 0
    max_objects: int = 7

    def dirname(self) -> str:
        return f"shapes-v{VERSION}-{self.train}-{self.val}-{self.imgsz}-s{self.seed}"


def _polygon(cls: str, rng: np.random.Generator) -> np.ndarray | None:
    """Unit-size outline (points in [-1, 1]²) of a polygonal class, None for the circle."""
    if cls == "rectangle":
        return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float)
    if cls == "triangle":
        a = np.deg2rad([90, 210, 330])
        return np.stack([np.cos(a), -np.sin(a)], 1)
    if cls == "hexagon":
        a = np.deg2rad(np.arange(0, 360, 60))
        return np.stack([np.cos(a), np.sin(a)], 1)
    if cls == "star":
        a = np.deg2rad(np.arange(0, 360, 36) - 90)
        r = np.where(np.arange(10) % 2 == 0, 1.0, rng.uniform(0.38, 0.5))
        return np.stack([r * np.cos(a), r * np.sin(a)], 1)
    if cls == "cross":
        t = rng.uniform(0.28, 0.4)
        return np.array(
            [
                [-t, -1],
                [t, -1],
                [t, -t],
                [1, -t],
                [1, t],
                [t, t],
                [t, 1],
                [-t, 1],
                [-t, t],
                [-1, t],
                [-1, -t],
                [-t, -t],
            ],
            float,
        )
    return None


def _mask(cls: str, cx: float, cy: float, size: float, aspect: float, angle: float, rng, shape) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    sx, sy = size * math.sqrt(aspect) / 2, size / math.sqrt(aspect) / 2
    if cls == "circle":
        cv2.ellipse(mask, (round(cx), round(cy)), (max(1, round(sx)), max(1, round(sy))), angle, 0, 360, 1, -1)
        return mask
    pts = _polygon(cls, rng) * [sx, sy]
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    pts = pts @ np.array([[c, s], [-s, c]]) + [cx, cy]
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask


def _texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A fill for one object: solid, stripes, checks or noise in 1–2 colours."""
    c1 = rng.integers(0, 256, 3)
    c2 = np.clip(c1 + rng.integers(-90, 91, 3), 0, 255)
    kind = rng.integers(0, 4)
    if kind == 0:
        return np.broadcast_to(c1, (h, w, 3)).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    period = rng.integers(4, 12)
    if kind == 1:
        a = rng.uniform(0, math.pi)
        sel = (np.cos(a) * xx + np.sin(a) * yy) % (2 * period) < period
    elif kind == 2:
        sel = ((xx // period) + (yy // period)) % 2 == 0
    else:
        sel = rng.random((h, w)) < 0.5
    return np.where(sel[..., None], c1, c2).astype(np.uint8)


def _background(
    h: int, w: int, rng: np.random.Generator, clutter: tuple[int, int] = (3, 12), blob_radius: tuple[int, int] = (2, 6)
) -> np.ndarray:
    """Gradient + grey noise + ``clutter`` (low, high) thin lines, blobs and arcs that are not objects."""
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0, 1, w)[None, :, None] if rng.random() < 0.5 else np.linspace(0, 1, h)[:, None, None]
    img = (c0 * (1 - t) + c1 * t) * np.ones((h, w, 1))
    img += rng.normal(0, rng.uniform(2, 14), (h, w, 1))
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(*clutter)):  # clutter: thin lines, small blobs, arcs
        color = tuple(int(x) for x in rng.integers(0, 256, 3))
        kind = rng.integers(0, 3)
        p1 = tuple(int(x) for x in rng.integers(0, [w, h]))
        if kind == 0:
            p2 = tuple(int(x) for x in rng.integers(0, [w, h]))
            cv2.line(img, p1, p2, color, int(rng.integers(1, 3)))
        elif kind == 1:
            cv2.circle(img, p1, int(rng.integers(*blob_radius)), color, -1)
        else:
            axes = tuple(int(x) for x in rng.integers(6, 30, 2))
            cv2.ellipse(img, p1, axes, float(rng.uniform(0, 360)), 0, float(rng.uniform(60, 200)), color, 2)
    return img


def render(cfg: ShapesConfig, split: str, index: int) -> tuple[np.ndarray, list[Box]]:
    """Image ``index`` of ``split``: BGR uint8 image and [(cls, x0, y0, x1, y1, visible_area)] (pixels, inclusive)."""
    split_id = {"train": 0, "val": 1}[split]
    rng = np.random.default_rng([cfg.seed, split_id, index])
    s = cfg.imgsz
    img = _background(s, s, rng)
    masks: list[np.ndarray] = []
    visible: list[np.ndarray] = []
    classes: list[int] = []
    n = int(rng.integers(1, cfg.max_objects + 1))
    for _ in range(n * 6):  # attempts
        if len(masks) == n:
            break
        cls = int(rng.integers(0, len(CLASSES)))
        size = s * math.exp(rng.uniform(math.log(0.08), math.log(0.45)))
        aspect = math.exp(rng.uniform(-0.45, 0.45))
        cx, cy = rng.uniform(0.05, 0.95, 2) * s
        m = _mask(CLASSES[cls], cx, cy, size, aspect, rng.uniform(0, 360), rng, (s, s))
        area = int(m.sum())
        if area < 40:
            continue
        new_visible = [v & (1 - m) for v in visible]
        if any(nv.sum() < 0.5 * mm.sum() for nv, mm in zip(new_visible, masks)):
            continue  # would hide more than half of an earlier object
        tex = _texture(s, s, rng)
        img[m.astype(bool)] = tex[m.astype(bool)]
        edge = cv2.morphologyEx(m, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(bool)
        if rng.random() < 0.5:  # outline in a contrasting colour for some objects
            img[edge] = 255 - tex[edge]
        visible = [*new_visible, m.copy()]
        masks.append(m)
        classes.append(cls)
    boxes = []
    for cls, v in zip(classes, visible):
        ys, xs = np.nonzero(v)
        boxes.append((cls, int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()), int(v.sum())))
    return img, boxes


@dataclass(frozen=True)
class Generator:
    """A synthetic dataset as ``ensure_generated`` writes it: its name, version (part of the cache
    folder's name via the config's ``dirname``), class names, JPEG quality and
    ``render(cfg, split, index) -> (BGR image, boxes)``."""

    name: str
    version: int
    classes: tuple[str, ...]
    render: Callable[[Any, str, int], tuple[np.ndarray, list[Box]]]
    jpeg_quality: int = 95


SHAPES = Generator("shapes", VERSION, CLASSES, render)


def _write_split(cfg: Any, root: Path, split: str, count: int, gen: Generator = SHAPES) -> dict:
    (root / "images" / split).mkdir(parents=True, exist_ok=True)
    (root / "labels" / split).mkdir(parents=True, exist_ok=True)
    s = cfg.imgsz
    coco = {
        "info": {"description": f"YOLO-LAT {gen.name} v{gen.version} ({split})", "version": str(gen.version)},
        "images": [],
        "annotations": [],
        "categories": [{"id": i + 1, "name": name, "supercategory": "shape"} for i, name in enumerate(gen.classes)],
    }
    ann_id = 1
    for i in range(count):
        img, boxes = gen.render(cfg, split, i)
        name = f"{split}_{i:06d}.jpg"
        cv2.imwrite(str(root / "images" / split / name), img, [cv2.IMWRITE_JPEG_QUALITY, gen.jpeg_quality])
        lines = []
        image_id = i + 1
        coco["images"].append({"id": image_id, "file_name": name, "width": s, "height": s})
        for cls, *inclusive, area in boxes:
            xyxy = np.array(inclusive) + [0, 0, 1, 1]  # the far corner exclusive: a 1-pixel object is 1 wide
            cx, cy, w, h = xyxy_to_yolo(xyxy, s, s)
            lines.append(f"{cls} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
            coco["annotations"].append(
                {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": cls + 1,
                    "bbox": xyxy_to_coco(xyxy).tolist(),
                    "area": area,
                    "iscrowd": 0,
                }
            )
            ann_id += 1
        (root / "labels" / split / f"{split}_{i:06d}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    (root / "annotations").mkdir(exist_ok=True)
    (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
    return coco


def ensure_shapes(cache_dir: Path, cfg: ShapesConfig = ShapesConfig()) -> Path:
    """Generate the shapes dataset under ``cache_dir`` if it is not there yet; returns its data.yaml."""
    return ensure_generated(cache_dir, cfg, SHAPES)


def ensure_generated(cache_dir: Path, cfg: Any, gen: Generator) -> Path:
    """Generate ``gen``'s dataset for ``cfg`` (``train``/``val`` image counts, ``imgsz``, ``dirname()``)
    under ``cache_dir`` if it is not there yet; returns its data.yaml.

    Generation happens in a temporary folder that is renamed into place when complete, so an
    interrupted run never leaves a half-written dataset behind.
    """
    root = Path(cache_dir) / cfg.dirname()
    data_yaml = root / "data.yaml"
    if data_yaml.is_file():
        return data_yaml
    LOGGER.info(f"Generating the {gen.name} dataset ({cfg.train} train + {cfg.val} val images) into {root} ...")
    with atomic_dir(root, "data.yaml") as tmp:
        for split, count in (("train", cfg.train), ("val", cfg.val)):
            _write_split(cfg, tmp, split, count, gen)
        names = "\n".join(f"  {i}: {name}" for i, name in enumerate(gen.classes))
        (tmp / "data.yaml").write_text(
            f"# YOLO-LAT synthetic '{gen.name}' dataset v{gen.version} (generated; COCO JSON in annotations/)\n"
            f"path: {root}\ntrain: images/train\nval: images/val\n"
            f"coco_json:\n  train: annotations/instances_train.json\n  val: annotations/instances_val.json\n"
            f"names:\n{names}\n"
        )
    return data_yaml
