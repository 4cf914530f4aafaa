"""Which COCO ground truth a validation split is evaluated against, and how ids map to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import _ultralytics as ul
from ..data.coco import COCO_KEYS
from ..data.files import read_json
from .coco_eval import yolo_labels_to_coco

__all__ = ["GroundTruth", "ground_truth_for"]


@dataclass
class GroundTruth:
    path: Path  # COCO instances JSON
    stem_to_image_id: dict[str, int]  # image file stem -> COCO image id
    category_ids: list[int]  # class index -> COCO category id
    generated: bool  # built from YOLO labels (no COCO JSON existed)


def _image_hw(path: str) -> tuple[int, int]:
    """(height, width) of an image as Ultralytics sees it (EXIF orientation applied), from its header."""
    from PIL import Image

    with Image.open(path) as im:
        w, h = ul.exif_size(im)
    return h, w


def _data_path(data: dict, p: str | Path) -> Path:
    p = Path(p)
    return p if p.is_absolute() else Path(data.get("path", ".")) / p


def ground_truth_for(data: dict, split: str, dataset, save_dir: Path) -> GroundTruth:
    """The dataset's own COCO JSON for ``split`` when it has one (shapes, coco, COCO-JSON YAMLs),
    otherwise a JSON generated from its YOLO labels into ``save_dir/ground_truth.json``."""
    coco_json = (data.get("coco_json") or {}).get(split)
    if coco_json:
        path = _data_path(data, coco_json)
        gt = read_json(path, "COCO ground truth", COCO_KEYS)
        index_file = data.get("coco_index")
        index = read_json(_data_path(data, index_file), "COCO id index") if index_file else None
        if index:
            cats = [int(index["categories"][str(i)]) for i in range(len(index["categories"]))]
            stems = {k: int(v) for k, v in index["images"][split].items()}
        else:
            cats = sorted(int(c["id"]) for c in gt["categories"])
            stems = {Path(im["file_name"]).stem: int(im["id"]) for im in gt["images"]}
        return GroundTruth(path, stems, cats, generated=False)
    files, labels = ul.dataset_labels(dataset)
    shapes = [_image_hw(f) for f in files]  # labels' "shape" is gone after rect sorting
    gt, stems = yolo_labels_to_coco(files, shapes, labels, data["names"])
    path = Path(save_dir) / "ground_truth.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gt))
    return GroundTruth(path, stems, [i + 1 for i in range(len(data["names"]))], generated=True)
