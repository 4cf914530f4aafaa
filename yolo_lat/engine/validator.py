"""Validator: Ultralytics' DetectionValidator with ``data=`` names and COCO evaluation.

A standalone ``val`` writes into its run folder ``predictions.json`` (original image and
category ids, xywh boxes in pixels of the original images) and ``coco_eval.json`` (the 12
COCOeval statistics from pycocotools, and the ground-truth JSON used), and prints them.
"""

from __future__ import annotations

import json

from ultralytics.models.yolo.detect import DetectionValidator
from ultralytics.utils import LOGGER

from .. import _ultralytics as ul
from ..data.registry import resolve_data
from ..eval.coco_eval import evaluate_coco, format_table
from ..eval.ground_truth import ground_truth_for
from .threads import use_all_cpu_threads

__all__ = ["YOLOLATValidator"]


class YOLOLATValidator(DetectionValidator):
    """Validates any detection model; standalone runs accept ``data=shapes`` / ``data=coco`` and
    add COCO evaluation by pycocotools."""

    gt = None

    def init_metrics(self, model) -> None:
        use_all_cpu_threads(self.device)  # after Ultralytics' select_device() set its own count
        if not self.training:
            ul.request_json_predictions(self)  # pred_to_json per image, predictions.json, eval_json
        super().init_metrics(model)
        if not self.training:
            split = self.args.split or "val"
            self.gt = ground_truth_for(self.data, split, self.dataloader.dataset, self.save_dir)
            if len(self.gt.category_ids) != len(model.names):
                raise ValueError(
                    f"the model has {len(model.names)} classes but the ground truth {self.gt.path} has "
                    f"{len(self.gt.category_ids)} categories"
                )
            self.class_map = self.gt.category_ids

    def pred_to_json(self, predn, pbatch) -> None:
        if self.gt is None:
            return super().pred_to_json(predn, pbatch)
        path, detections = ul.json_detections(predn, pbatch)
        image_id = self.gt.stem_to_image_id.get(path.stem)
        if image_id is None:
            raise ValueError(f"image {path.name} has no entry in the ground truth {self.gt.path}")
        ul.json_predictions(self).extend(
            {
                "image_id": image_id,
                "category_id": self.class_map[c],
                "bbox": [round(x, 3) for x in box],
                "score": round(score, 5),
            }
            for box, score, c in detections
        )

    def eval_json(self, stats: dict) -> dict:
        if self.training or self.gt is None:
            return stats
        return self._coco_eval(stats)

    def _coco_eval(self, stats: dict) -> dict:
        predictions = ul.json_predictions(self)
        pred_file = self.save_dir / "predictions.json"
        if not pred_file.exists():  # Ultralytics writes it only when there are predictions
            pred_file.write_text(json.dumps(predictions))
        coco = evaluate_coco(self.gt.path, predictions)
        out = {**coco, "ground_truth": str(self.gt.path), "ground_truth_generated": self.gt.generated}
        (self.save_dir / "coco_eval.json").write_text(json.dumps(out, indent=1))
        LOGGER.info(f"COCO evaluation (pycocotools) against {self.gt.path}:\n{format_table(coco)}")
        self.coco_stats = coco
        return {**stats, **{f"metrics/coco/{k}": v for k, v in coco.items()}}

    def __call__(self, trainer=None, model=None, **kwargs):
        if trainer is not None:
            return super().__call__(trainer, model, **kwargs)
        with ul.args_value(self.args, "data", resolve_data(self.args.data)):
            stats = super().__call__(trainer, model, **kwargs)
            if self.gt is not None and not ul.json_predictions(self):  # no detections at all: still report
                stats = self._coco_eval(stats)
            return stats
