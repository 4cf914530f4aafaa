"""Validator: Ultralytics' DetectionValidator with ``data=`` names and COCO evaluation.

A standalone ``val`` writes into its run folder ``predictions.json`` (original image and
category ids, xywh boxes in pixels of the original images) and ``coco_eval.json`` (the 12
COCOeval statistics from pycocotools, each class's AP and AP50, and the ground-truth JSON used),
and prints the 12 statistics.
"""

from __future__ import annotations

import json

from ultralytics.models.yolo.detect import DetectionValidator
from ultralytics.utils import LOGGER

from .. import _ultralytics as ul
from ..data.registry import resolve_data
from ..eval.coco_eval import evaluate_coco, format_table
from ..eval.ground_truth import ground_truth_for
from .defaults import RunFolder, run_project
from .devices import check_device
from .pipeline import batched_nms, pipeline_enabled
from .threads import use_cpu_threads

__all__ = ["YOLOLATValidator"]


class YOLOLATValidator(DetectionValidator):
    """Validates any detection model; standalone runs accept ``data=shapes`` / ``data=coco`` and
    add COCO evaluation by pycocotools. On CUDA, NMS runs for the whole batch at once
    (``yolo_lat.engine.pipeline.batched_nms``, the same boxes as Ultralytics'); ``gpu_pipeline``
    as for the predictor (None: on for CUDA unless ``YOLO_LAT_GPU_PIPELINE=0``)."""

    gpu_pipeline: bool | None = None
    gt = None
    _folder: RunFolder | None = None  # the run folder of a standalone val, removed if the val fails

    def __init__(self, dataloader=None, save_dir=None, args=None, _callbacks: dict | None = None) -> None:
        if save_dir is None:  # a standalone val: its run folder goes under ./runs/detect unless project= is given
            args = dict(args if isinstance(args, dict) else vars(args) if args is not None else {})
            args["project"] = run_project(args.get("project"), args.get("task"))
            name = str(args.get("name") or args.get("mode") or "val")
            self._folder = RunFolder(args["project"], name, bool(args.get("exist_ok")))
        super().__init__(dataloader, save_dir, args, _callbacks)

    def init_metrics(self, model) -> None:
        use_cpu_threads(self.device)  # after Ultralytics' select_device() set its own count
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

    def preprocess(self, batch: dict) -> dict:
        use_cpu_threads(self.device)  # the count follows the machine's load (see threads.py)
        return super().preprocess(batch)

    def postprocess(self, preds) -> list[dict]:
        if (
            self.args.task != "detect"
            or ul.validator_end2end(self)
            or not pipeline_enabled(self.device, self.gpu_pipeline)
        ):
            return super().postprocess(preds)
        a = self.args
        out = batched_nms(preds, a.conf, a.iou, multi_label=True, agnostic=a.single_cls or a.agnostic_nms,
                          max_det=a.max_det)  # fmt: skip
        return [{"bboxes": x[:, :4], "conf": x[:, 4], "cls": x[:, 5], "extra": x[:, 6:]} for x in out]

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
        coco = evaluate_coco(self.gt.path, predictions, per_class=True)
        per_class = coco.pop("per_class")
        out = {**coco, "per_class": per_class, "ground_truth": str(self.gt.path),
               "ground_truth_generated": self.gt.generated}  # fmt: skip
        (self.save_dir / "coco_eval.json").write_text(json.dumps(out, indent=1))
        LOGGER.info(f"COCO evaluation (pycocotools) against {self.gt.path}:\n{format_table(coco)}")
        self.coco_stats = coco
        return {**stats, **{f"metrics/coco/{k}": v for k, v in coco.items()}}

    def __call__(self, trainer=None, model=None, **kwargs):
        if trainer is not None:
            return super().__call__(trainer, model, **kwargs)
        try:
            check_device(self.args.device)
            with ul.args_value(self.args, "data", resolve_data(self.args.data)):
                stats = super().__call__(trainer, model, **kwargs)
                if self.gt is not None and not ul.json_predictions(self):  # no detections at all: still report
                    stats = self._coco_eval(stats)
                return stats
        except BaseException:  # nothing half-written: the run folder this val made goes
            if self._folder is not None:
                self._folder.discard(self.save_dir)
            raise
