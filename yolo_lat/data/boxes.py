"""Box formats, and the conversions between them (numpy arrays or torch tensors, boxes on the last axis).

- ``xyxy``: corners ``x0, y0, x1, y1`` in pixels (the exclusive far corner: width = x1 - x0);
- ``coco``: COCO's ``x, y, width, height`` in pixels, (x, y) the top-left corner;
- ``yolo``: YOLO labels' ``cx, cy, width, height``, normalised by the image width and height.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

__all__ = ["coco_to_xyxy", "xyxy_to_coco", "xyxy_to_yolo", "yolo_to_coco"]

Boxes = TypeVar("Boxes")  # np.ndarray or torch.Tensor, shape (..., 4)


def _copy(b):
    return b.clone() if hasattr(b, "clone") else np.array(b, copy=True)


def xyxy_to_coco(b: Boxes) -> Boxes:
    """``x0, y0, x1, y1`` -> ``x, y, width, height``."""
    out = _copy(b)
    out[..., 2:] = b[..., 2:] - b[..., :2]
    return out


def coco_to_xyxy(b: Boxes) -> Boxes:
    """``x, y, width, height`` -> ``x0, y0, x1, y1``."""
    out = _copy(b)
    out[..., 2:] = b[..., :2] + b[..., 2:]
    return out


def xyxy_to_yolo(b: Boxes, width: float, height: float) -> Boxes:
    """``x0, y0, x1, y1`` in pixels -> ``cx, cy, w, h`` normalised by the image size."""
    out = _copy(b) * 1.0  # float, whatever the input
    out[..., :2] = (b[..., :2] + b[..., 2:]) / 2
    out[..., 2:] = b[..., 2:] - b[..., :2]
    out[..., 0::2] /= width
    out[..., 1::2] /= height
    return out


def yolo_to_coco(b: Boxes, width: float, height: float) -> Boxes:
    """Normalised ``cx, cy, w, h`` -> ``x, y, width, height`` in pixels."""
    out = _copy(b) * 1.0
    out[..., :2] = b[..., :2] - b[..., 2:] / 2
    out[..., 0::2] *= width
    out[..., 1::2] *= height
    return out
