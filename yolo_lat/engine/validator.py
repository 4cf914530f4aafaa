"""Validator: Ultralytics' DetectionValidator with ``data=`` names resolved."""

from __future__ import annotations

from ultralytics.models.yolo.detect import DetectionValidator

from ..data.registry import resolve_data
from .threads import use_all_cpu_threads

__all__ = ["YOLOLATValidator"]


class YOLOLATValidator(DetectionValidator):
    """Validates any detection model; standalone runs accept ``data=shapes`` / ``data=coco`` names."""

    def init_metrics(self, model) -> None:
        use_all_cpu_threads(self.device)  # after Ultralytics' select_device() set its own count
        super().init_metrics(model)

    def __call__(self, trainer=None, model=None, **kwargs):
        if trainer is None:
            given = self.args.data
            self.args.data = resolve_data(given)
            try:
                return super().__call__(trainer, model, **kwargs)
            finally:
                self.args.data = given
        return super().__call__(trainer, model, **kwargs)
