"""COCO evaluation (pycocotools)."""

from .coco_eval import STAT_NAMES, evaluate_coco, format_table, yolo_labels_to_coco

__all__ = ["STAT_NAMES", "evaluate_coco", "format_table", "yolo_labels_to_coco"]
