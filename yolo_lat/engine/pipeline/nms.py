"""Batched NMS on the device: the boxes of Ultralytics' ``non_max_suppression``, without its loop.

Ultralytics filters, offsets and suppresses one image at a time, with a host synchronisation per
image (boolean indexing, ``if not n``) and one ``torchvision.ops.nms`` call each. Here the whole
batch is filtered at once, the candidates of each image are ranked by score (stable: ties keep
their order, as torchvision's sort does) and greedy NMS runs as a fixed-point iteration on a
block of pairwise suppressions per image (``keep_j = not any_i<j(keep_i and IoU_ij > iou)``: the
unique solution of that recurrence is greedy NMS, reached after at most as many rounds as the
longest suppression chain, usually 2 to 4). IoU is computed with torchvision's formula on the same
class-offset boxes (``box + class * max_wh``), so the kept set is the same as Ultralytics' on CPU
tensors bit for bit (``tests/engine/test_gpu_pipeline.py``); on CUDA torchvision's own kernel may
contract multiply-adds, which our kernels may round differently at the last bit.

Predictions are processed in fp32 (fp16 outputs are converted first: Ultralytics' fp16 NMS adds
``class * 7680`` in fp16, which is coarse above 2048 and infinite from class 9).
"""

from __future__ import annotations

import numpy as np
import torch

from ... import _ultralytics as ul

__all__ = ["batched_nms", "xywh2xyxy"]

MATRIX_LIMIT = 1 << 25  # images x candidates^2 above this: per-image torchvision NMS (same result)


def xywh2xyxy(x: torch.Tensor) -> torch.Tensor:
    """Centre boxes (cx, cy, w, h) -> corners, with Ultralytics' arithmetic (half sizes, then +/-)."""
    wh = x[..., 2:] / 2
    return torch.cat((x[..., :2] - wh, x[..., :2] + wh), -1)


def _threshold32(iou: float) -> float:
    """The fp32 value t with ``v > t`` <=> ``v > iou`` for every fp32 v (torchvision compares in double)."""
    t = np.float32(iou)
    return float(np.nextafter(t, np.float32(-np.inf)) if float(t) > iou else t)


def _candidates(p: torch.Tensor, conf: float, nc: int, multi_label: bool, classes) -> tuple[torch.Tensor, ...]:
    """(image index, rows x1 y1 x2 y2 score class extra...) of the boxes above ``conf``, grouped by image in
    Ultralytics' order (anchor, then class)."""
    scores = p[..., 4 : 4 + nc]
    if multi_label and nc > 1:
        b, a, j = (scores > conf).nonzero(as_tuple=True)
        score = scores[b, a, j]
    else:
        best, j = scores.max(2)
        b, a = (best > conf).nonzero(as_tuple=True)
        score, j = best[b, a], j[b, a]
    if classes is not None:
        wanted = (j[:, None] == torch.as_tensor(classes, device=p.device).view(1, -1)).any(1)
        b, a, j, score = b[wanted], a[wanted], j[wanted], score[wanted]
    rows = torch.cat((xywh2xyxy(p[b, a, :4]), score[:, None], j[:, None].float(), p[b, a, 4 + nc :]), 1)
    return b, rows


def _suppress_matrix(boxes: torch.Tensor, valid: torch.Tensor, iou: float) -> torch.Tensor:
    """Greedy NMS of score-sorted ``boxes`` (B, K, 4) -> keep (B, K), torchvision's IoU formula."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    area = (x2 - x1) * (y2 - y1)
    w = (torch.minimum(x2[:, :, None], x2[:, None, :]) - torch.maximum(x1[:, :, None], x1[:, None, :])).clamp_(min=0)
    h = (torch.minimum(y2[:, :, None], y2[:, None, :]) - torch.maximum(y1[:, :, None], y1[:, None, :])).clamp_(min=0)
    inter = w * h
    over = inter / (area[:, :, None] + area[:, None, :] - inter) > _threshold32(iou)
    k = boxes.shape[1]
    over &= torch.ones(k, k, dtype=torch.bool, device=boxes.device).triu_(1)  # i suppresses j only when i ranks first
    over &= valid[:, :, None] & valid[:, None, :]
    s = over.to(torch.float32)
    keep = valid
    for _ in range(k + 1):  # a chain of k boxes needs k rounds; it converges long before
        new = valid & (torch.bmm(keep.to(torch.float32)[:, None, :], s)[:, 0] == 0)
        if torch.equal(new, keep):
            break
        keep = new
    return keep


def batched_nms(
    prediction: torch.Tensor | list | tuple,
    conf: float = 0.25,
    iou: float = 0.7,
    classes: list[int] | None = None,
    agnostic: bool = False,
    multi_label: bool = False,
    max_det: int = 300,
    nc: int = 0,
    max_nms: int = 30000,
    max_wh: int = 7680,
    end2end: bool = False,
) -> list[torch.Tensor]:
    """Ultralytics' ``non_max_suppression`` (same arguments, same boxes) for a batch at once.

    ``prediction``: (B, 4 + nc + extra, anchors) raw head outputs (or a tuple whose first element is).
    Returns per image an (n, 6 + extra) fp32 tensor x1, y1, x2, y2, score, class, sorted by score.
    End-to-end heads (B, n, 6) and batches with more than ``max_nms`` candidates in one image are
    handed to Ultralytics' own function (filtering only, or its truncation order, respectively).
    """
    if not 0 <= conf <= 1 or not 0 <= iou <= 1:
        raise ValueError(f"conf={conf} and iou={iou} must both lie in [0, 1]")
    p = prediction[0] if isinstance(prediction, (list, tuple)) else prediction
    kwargs = dict(classes=classes, agnostic=agnostic, multi_label=multi_label, max_det=max_det, nc=nc,
                  max_nms=max_nms, max_wh=max_wh, end2end=end2end)  # fmt: skip
    if end2end or p.shape[-1] == 6:
        return ul.reference_nms(p, conf, iou, **kwargs)
    p = p.float()
    n_img, nc = p.shape[0], nc or p.shape[1] - 4
    b, rows = _candidates(p.transpose(1, 2), conf, nc, multi_label, classes)
    counts = torch.bincount(b, minlength=n_img)
    k = int(counts.max()) if n_img else 0  # the one synchronisation before NMS
    if k == 0:
        return [rows[:0]] * n_img
    if k > max_nms:
        return ul.reference_nms(p, conf, iou, **kwargs)
    offset = rows[:, 5:6] * (0 if agnostic else max_wh)
    if n_img * k * k > MATRIX_LIMIT:
        return _per_image(rows, offset, counts.tolist(), iou, max_det)
    # rank within each image by score (stable), images kept apart
    order = torch.sort(rows[:, 4], descending=True, stable=True)[1]
    order = order[torch.sort(b[order], stable=True)[1]]
    start = torch.cumsum(counts, 0) - counts
    slot = torch.arange(len(order), device=p.device) - start[b[order]]
    index = torch.full((n_img, k), -1, dtype=torch.long, device=p.device)
    index[b[order], slot] = order
    valid = index >= 0
    boxes = (rows[:, :4] + offset)[index.clamp(min=0)]
    keep = _suppress_matrix(boxes, valid, iou)
    keep &= torch.cumsum(keep, 1) <= max_det
    kept = index[keep]
    return list(rows[kept].split(keep.sum(1).tolist()))


def _per_image(rows: torch.Tensor, offset: torch.Tensor, counts: list[int], iou: float, max_det: int) -> list:
    """One torchvision NMS per image (what Ultralytics calls), for candidate sets too large for a matrix."""
    import torchvision

    out = []
    for r, o in zip(rows.split(counts), offset.split(counts)):
        out.append(r[torchvision.ops.nms(r[:, :4] + o, r[:, 4], iou)[:max_det]])
    return out
