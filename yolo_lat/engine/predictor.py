"""Predictor: Ultralytics' DetectionPredictor, using every CPU core on a CPU device."""

from __future__ import annotations

from ultralytics.models.yolo.detect import DetectionPredictor

from .threads import use_all_cpu_threads

__all__ = ["YOLOLATPredictor"]


class YOLOLATPredictor(DetectionPredictor):
    def setup_model(self, model, verbose: bool = True):
        super().setup_model(model, verbose=verbose)
        use_all_cpu_threads(self.device)  # after Ultralytics' select_device() set its own count
