"""Shared test fixtures' building blocks."""

from __future__ import annotations

from pathlib import Path

from yolo_lat.data.shapes import ShapesConfig, ensure_shapes

TINY = ShapesConfig(train=12, val=6, imgsz=64, seed=7, max_objects=3)


def tiny_shapes(cache: Path) -> Path:
    """A 12 + 6 image shapes dataset at 64 px; returns its data.yaml."""
    return ensure_shapes(cache, TINY)
