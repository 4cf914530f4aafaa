"""Letterbox on the device: uint8 images in, the network's input batch out.

The geometry is Ultralytics' ``LetterBox`` (scale to fit, round each side, pad with 114 split as
``round(d - 0.1)`` / ``round(d + 0.1)``; ``auto`` pads only to a multiple of the stride), and the
boxes go back with its ``scale_boxes`` arithmetic. The resize is ``torch.nn.functional.interpolate``
(bilinear, no antialias, half-pixel centres, like ``cv2.INTER_LINEAR``) rounded back to uint8
values; cv2 interpolates with 11-bit fixed-point weights, so pixels may differ by one grey level
and the final boxes by a fraction of a pixel, not bitwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["Letterbox", "letterbox_geometry", "letterbox_images", "scale_boxes", "to_device"]

PAD_VALUE = 114.0


@dataclass(frozen=True)
class Letterbox:
    """Where an (h, w) image lands in the input: resized to (new_h, new_w) at (top, left) of (out_h, out_w)."""

    h: int
    w: int
    new_h: int
    new_w: int
    top: int
    left: int
    out_h: int
    out_w: int


def letterbox_geometry(shape: Sequence[int], new_shape: int | Sequence[int], auto: bool = False,
                       stride: int = 32) -> Letterbox:  # fmt: skip
    """Ultralytics' LetterBox geometry (scaleup, centred) for an image of ``shape`` (h, w, ...)."""
    h, w = int(shape[0]), int(shape[1])
    nh, nw = (new_shape, new_shape) if isinstance(new_shape, int) else (int(new_shape[0]), int(new_shape[1]))
    if h < 1 or w < 1:
        raise ValueError(f"image shape {tuple(shape)} has no pixels; expected (h, w, channels) with h, w >= 1")
    r = min(nh / h, nw / w)
    new_w, new_h = max(round(w * r), 1), max(round(h * r), 1)
    dw, dh = nw - new_w, nh - new_h
    if auto:
        dw, dh = int(np.mod(dw, stride)), int(np.mod(dh, stride))
    dw, dh = dw / 2, dh / 2
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    return Letterbox(h, w, new_h, new_w, top, left, new_h + top + bottom, new_w + left + right)


def to_device(images: Sequence[np.ndarray], device: torch.device) -> list[torch.Tensor]:
    """BGR uint8 (H, W, 3) arrays -> RGB uint8 (3, H, W) tensors on ``device``: uploaded as uint8 (one
    copy when the shapes agree, from pinned memory on CUDA), channels reordered there."""
    pin = device.type == "cuda"
    if len({im.shape for im in images}) == 1:
        x = torch.from_numpy(np.stack(images) if len(images) > 1 else images[0][None])
        x = (x.pin_memory() if pin else x).to(device, non_blocking=pin)
        return list(x.permute(0, 3, 1, 2).flip(1))
    out = []
    for im in images:
        t = torch.from_numpy(np.ascontiguousarray(im))
        out.append((t.pin_memory() if pin else t).to(device, non_blocking=pin).permute(2, 0, 1).flip(0))
    return out


def letterbox_images(images: Sequence[torch.Tensor], imgsz: int | Sequence[int], auto: bool = False,
                     stride: int = 32, half: bool = False) -> tuple[torch.Tensor, list[Letterbox]]:  # fmt: skip
    """RGB uint8 (3, H, W) tensors, all on one device -> (N, 3, h, w) in [0, 1] (fp16 with ``half``)
    and each image's geometry. ``auto`` (Ultralytics' rect predict) applies only when the shapes agree."""
    if not images:
        raise ValueError("letterbox_images needs at least one image, got none")
    same = len({tuple(im.shape) for im in images}) == 1
    boxes = [letterbox_geometry(im.shape[1:], imgsz, auto and same, stride) for im in images]
    g0 = boxes[0]
    out = torch.full((len(images), 3, g0.out_h, g0.out_w), PAD_VALUE, device=images[0].device)
    if same:  # one interpolation for the batch
        _paste(out, torch.stack(images), g0)
    else:
        for i, (im, g) in enumerate(zip(images, boxes)):
            _paste(out[i : i + 1], im[None], g)
    out = out.half() if half else out
    return out.div_(255), boxes


def _paste(out: torch.Tensor, x: torch.Tensor, g: Letterbox) -> None:
    x = x.float()
    if (g.new_h, g.new_w) != (g.h, g.w):
        x = F.interpolate(x, size=(g.new_h, g.new_w), mode="bilinear", align_corners=False)
        x = x.round_().clamp_(0, 255)  # cv2.resize of uint8 gives uint8
    out[:, :, g.top : g.top + g.new_h, g.left : g.left + g.new_w] = x


def scale_boxes(dets: list[torch.Tensor], geometry: Sequence[Letterbox]) -> list[torch.Tensor]:
    """xyxy boxes (columns 0-3 of each image's detections) from input pixels to original-image pixels,
    in place, clipped to the image: Ultralytics' ``scale_boxes`` for all images in one pass."""
    counts = [len(d) for d in dets]
    if not sum(counts):
        return dets
    rows = torch.cat(dets)
    device = rows.device
    per_image = torch.tensor(
        [[g.left, g.top, g.new_w / g.w, g.new_h / g.h, g.w, g.h] for g in geometry], dtype=torch.float32
    ).to(device, non_blocking=True)
    p = per_image.repeat_interleave(torch.tensor(counts, device=device), 0)
    xy = rows[:, :4].view(-1, 2, 2)
    xy.sub_(p[:, None, :2]).div_(p[:, None, 2:4])
    xy.clamp_(min=torch.zeros_like(p[:, None, 4:6]), max=p[:, None, 4:6])
    return list(rows.split(counts))
