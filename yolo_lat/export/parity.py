"""The parity check of an exported model: the same letterboxed images through PyTorch (fp32) and the
export's runtime (ONNX Runtime, OpenVINO), comparing the raw head outputs and the final boxes.

A model exported with ``nms=True`` returns final boxes, (batch, max_det, 6) rows x1, y1, x2, y2, score,
class padded with zeros; those are compared with what Ultralytics' NMS makes of PyTorch's raw outputs.
Boxes are paired by matching (same class, IoU >= 0.5), not by score order, since boxes of equal score
may come out in either order. A full-precision export must give the same number of boxes per image,
each within 0.5 px of its match. A reduced-precision one (fp16 execution, int8 quantisation) is
expected to move boxes a little: it agrees when every box on each side has a match on the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .. import _ultralytics as ul

__all__ = ["MATCH_IOU", "STRICT_PX", "Parity", "compare_boxes", "compare_with_torch", "final_boxes"]

STRICT_PX = 0.5  # largest coordinate difference of a full-precision export's boxes, in input pixels
MATCH_IOU = 0.5  # a reduced-precision export's box matches a PyTorch box of the same class at this IoU


@dataclass
class Parity:
    runtime: str  # e.g. "ONNX Runtime (CPUExecutionProvider)", "OpenVINO 2026.4 (CPU, f32)"
    images: int
    max_abs_diff: float | None  # raw head outputs; None when NMS is inside the exported model
    max_rel_diff: float | None  # max |export − torch| / max |torch|
    boxes_torch: int
    boxes_export: int
    boxes_matched: int  # PyTorch boxes with a same-class export box at IoU >= MATCH_IOU
    max_box_diff_px: float  # between each PyTorch box and its match
    boxes_agree: bool
    exact: bool = True  # full precision: boxes must agree within STRICT_PX, else by IoU matching

    def __str__(self) -> str:
        raw = (
            "raw outputs n/a (NMS inside the model)"
            if self.max_abs_diff is None
            else f"raw outputs max abs diff {self.max_abs_diff:.3g}, max rel diff {self.max_rel_diff:.3g}"
        )
        rule = f"within {STRICT_PX} px" if self.exact else f"matched at IoU>={MATCH_IOU}"
        verdict = "agree" if self.boxes_agree else "DIFFER"
        return (
            f"{self.runtime} vs PyTorch on {self.images} image(s): {raw}; final boxes {verdict} ({rule}: "
            f"{self.boxes_export} vs {self.boxes_torch}, {self.boxes_matched} matched, "
            f"max coordinate diff {self.max_box_diff_px:.3g} px)"
        )


def _raw(out) -> torch.Tensor:
    return out[0] if isinstance(out, (list, tuple)) else out


def final_boxes(out: np.ndarray) -> list[torch.Tensor]:
    """(B, max_det, 6) zero-padded NMS output -> per image the rows that are detections."""
    t = torch.from_numpy(np.ascontiguousarray(out)).float()
    return [d[d[:, 4] > 0] for d in t]


def _matches(a: torch.Tensor, b: torch.Tensor) -> tuple[int, float]:
    """How many boxes of ``a`` have a box of ``b`` of the same class at IoU >= MATCH_IOU, and the largest
    coordinate difference (px) between a box and its best match."""
    if not len(a) or not len(b):
        return 0, 0.0
    from torchvision.ops import box_iou

    iou = box_iou(a[:, :4], b[:, :4]) * (a[:, 5:6] == b[:, 5].unsqueeze(0))
    best, j = iou.max(1)
    ok = best >= MATCH_IOU
    diff = float((a[ok, :4] - b[j[ok], :4]).abs().max()) if ok.any() else 0.0
    return int(ok.sum()), diff


def compare_boxes(dt: list[torch.Tensor], de: list[torch.Tensor], exact: bool) -> tuple[int, int, int, float, bool]:
    """Counts, matched boxes, largest coordinate difference between matched boxes, and the verdict: every
    box on each side matched (same class, IoU >= MATCH_IOU), and for ``exact`` also the same count per image
    and matched boxes within STRICT_PX. Matching, not score order: boxes of equal score may come in any order."""
    n_t, n_e = sum(len(d) for d in dt), sum(len(d) for d in de)
    forward = [_matches(a, b) for a, b in zip(dt, de)]
    matched, matched_back = sum(m for m, _ in forward), sum(_matches(b, a)[0] for a, b in zip(dt, de))
    max_box = max((d for _, d in forward), default=0.0)
    agree = matched == n_t and matched_back == n_e
    if exact:
        agree &= all(len(a) == len(b) for a, b in zip(dt, de)) and max_box <= STRICT_PX
    return n_t, n_e, matched, max_box, agree


def compare_with_torch(
    model: torch.nn.Module,
    run: Callable[[np.ndarray], np.ndarray],
    images: list[np.ndarray],
    imgsz: int,
    runtime: str,
    *,
    fixed_batch: int | None = None,
    max_batch: int | None = None,
    nms_inside: bool = False,
    exact: bool = True,
    end2end: bool = False,
    conf: float = 0.25,
    iou: float = 0.7,
    max_det: int = 300,
) -> Parity:
    """Run ``images`` (BGR, any size) letterboxed to ``imgsz`` through ``model`` (fp32) and through
    ``run`` (a float32 (B, 3, imgsz, imgsz) batch -> the export's first output); compare the outputs.

    ``fixed_batch``: the export's batch size when it is static (images are then sent in batches of it);
    ``max_batch``: the largest batch a dynamic export takes (one with NMS inside: its ``batch=``);
    ``nms_inside``: the export returns final boxes (``nms=True``); ``exact``: full precision (see module).
    """
    x = ul.letterbox_batch(images, imgsz).astype(np.float32) / 255
    net = model.float().eval()
    step = fixed_batch or max_batch or len(x)
    outs_t, outs_e = [], []
    with torch.no_grad():
        for i in range(0, len(x), step):
            c = x[i : i + step]
            n = len(c)
            if fixed_batch and n < fixed_batch:  # a static batch: pad with copies, keep the first n
                c = np.concatenate([c, np.repeat(c[-1:], fixed_batch - n, 0)])
            outs_t.append(_raw(net(torch.from_numpy(c[:n]))).numpy())
            outs_e.append(np.asarray(run(c))[:n])
    yt, ye = np.concatenate(outs_t), np.concatenate(outs_e)
    dt = ul.non_max_suppression(torch.from_numpy(yt), conf, iou, max_det=max_det, end2end=end2end)
    if nms_inside:
        if ye.ndim != 3 or ye.shape[-1] != 6:
            raise ValueError(f"an export with NMS inside should output (batch, max_det, 6), got shape {ye.shape}")
        de, abs_diff, rel_diff = final_boxes(ye), None, None
    else:
        if yt.shape != ye.shape:
            raise ValueError(f"{runtime} output shape {ye.shape} differs from PyTorch output shape {yt.shape}")
        abs_diff = float(np.abs(ye - yt).max())
        rel_diff = abs_diff / max(float(np.abs(yt).max()), 1e-12)
        de = ul.non_max_suppression(torch.from_numpy(ye), conf, iou, max_det=max_det, end2end=end2end)
    n_t, n_e, matched, max_box, agree = compare_boxes(dt, de, exact)
    return Parity(runtime, len(images), abs_diff, rel_diff, n_t, n_e, matched, max_box, agree, exact)
