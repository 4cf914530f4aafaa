"""COCO box evaluation with pycocotools, and ground truth built from YOLO labels.

The 12 standard COCOeval statistics, under their usual names:
AP (IoU .50:.95), AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..data.boxes import yolo_to_coco
from ..data.files import read_json

__all__ = ["STAT_NAMES", "evaluate_coco", "format_table", "yolo_labels_to_coco"]

STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")


def _check_predictions(preds: list, gt: dict, gt_name: str) -> None:
    if not isinstance(preds, list):
        raise ValueError("predictions must be a JSON list of {image_id, category_id, bbox, score}")
    image_ids = {im["id"] for im in gt.get("images", [])}
    cat_ids = {c["id"] for c in gt.get("categories", [])}
    for i, p in enumerate(preds):
        missing = [k for k in ("image_id", "category_id", "bbox", "score") if k not in p]
        if missing:
            raise ValueError(f"prediction {i} lacks {missing}")
        if p["image_id"] not in image_ids:
            raise ValueError(
                f"prediction {i} has image_id {p['image_id']!r}, which is not in the ground truth {gt_name}"
            )
        if p["category_id"] not in cat_ids:
            raise ValueError(
                f"prediction {i} has category_id {p['category_id']!r}, which is not in the ground truth {gt_name} "
                f"(categories: {sorted(cat_ids)})"
            )
        if len(p["bbox"]) != 4:
            raise ValueError(f"prediction {i} has bbox {p['bbox']!r}; expected [x, y, width, height]")


def evaluate_coco(
    ground_truth: str | Path | dict, predictions: str | Path | Sequence[dict], per_class: bool = False
) -> dict[str, float]:
    """COCOeval ('bbox') of ``predictions`` against ``ground_truth`` (a COCO instances JSON, or its dict).

    Predictions are a list (or JSON file) of {image_id, category_id, bbox [x, y, w, h] in
    pixels, score}. An image or category id that the ground truth does not have is an error
    naming it. With no predictions every statistic is 0.

    ``per_class``: also ``"per_class"``, {category name: {"AP", "AP50"}} from the same evaluation
    (all areas, 100 detections; what COCOeval restricted to that category gives; -1 for a
    category without ground truth).
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = ground_truth if isinstance(ground_truth, dict) else read_json(ground_truth, "ground-truth file")
    preds = (
        list(predictions) if not isinstance(predictions, (str, Path)) else read_json(predictions, "predictions file")
    )
    _check_predictions(preds, gt, "(given as a dict)" if isinstance(ground_truth, dict) else str(ground_truth))
    if not preds:
        stats = dict.fromkeys(STAT_NAMES, 0.0)
        if per_class:
            stats["per_class"] = {c["name"]: {"AP": 0.0, "AP50": 0.0} for c in gt.get("categories", [])}
        return stats
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(preds)
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    # COCOeval reports -1 where a statistic is undefined (no ground truth in that size range)
    stats = {name: float(v) for name, v in zip(STAT_NAMES, ev.stats)}
    if per_class:
        stats["per_class"] = _per_class(ev, {c["id"]: c["name"] for c in gt.get("categories", [])})
    return stats


def _per_class(ev, names: dict[int, str]) -> dict[str, dict[str, float]]:
    """Each category's AP (IoU .50:.95) and AP50 from an accumulated COCOeval: its precision
    array [IoU, recall, category, area, max detections] at area 'all' and 100 detections."""

    def mean(p: np.ndarray) -> float:
        p = p[p > -1]
        return float(p.mean()) if p.size else -1.0

    prec = ev.eval["precision"][:, :, :, ev.params.areaRngLbl.index("all"), ev.params.maxDets.index(100)]
    i50 = int(np.argmin(np.abs(ev.params.iouThrs - 0.5)))
    return {
        names[cid]: {"AP": mean(prec[:, :, k]), "AP50": mean(prec[i50, :, k])} for k, cid in enumerate(ev.params.catIds)
    }


def format_table(stats: dict[str, float]) -> str:
    """Two-row Markdown-like table of the 12 statistics."""
    head = " ".join(f"{n:>6}" for n in STAT_NAMES)
    vals = " ".join(f"{stats[n]:6.3f}" for n in STAT_NAMES)
    return f"{head}\n{vals}"


def yolo_labels_to_coco(
    im_files: Sequence[str], shapes: Sequence[tuple[int, int]], labels: Sequence[dict], names: dict[int, str]
) -> tuple[dict, dict[str, int]]:
    """COCO instances dict from YOLO labels, and the map image-file stem -> image id.

    ``shapes`` are (height, width) of the original images; ``labels`` are Ultralytics label
    dicts with normalised xywh ``bboxes`` and ``cls``. Image ids are 1..N in dataset order,
    category ids are class index + 1.
    """
    images, anns, stem_to_id = [], [], {}
    for i, (f, (h, w), lb) in enumerate(zip(im_files, shapes, labels), start=1):
        stem_to_id[Path(f).stem] = i
        images.append({"id": i, "file_name": Path(f).name, "height": int(h), "width": int(w)})
        boxes = np.asarray(lb.get("bboxes", np.zeros((0, 4))), dtype=float).reshape(-1, 4)
        cls = np.asarray(lb.get("cls", np.zeros((0, 1)))).reshape(-1)
        for (x, y, ww, hh), c in zip(yolo_to_coco(boxes, w, h), cls):
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i,
                    "category_id": int(c) + 1,
                    "bbox": [float(x), float(y), float(ww), float(hh)],
                    "area": float(ww * hh),
                    "iscrowd": 0,
                }
            )
    cats = [{"id": int(k) + 1, "name": str(v)} for k, v in sorted(names.items())]
    return {"images": images, "annotations": anns, "categories": cats}, stem_to_id
