"""Trainer: Ultralytics' DetectionTrainer with YOLO-LAT models and ``data=`` names."""

from __future__ import annotations

from copy import copy

from ultralytics.models.yolo.detect import DetectionTrainer
from ultralytics.utils import RANK

from .. import _ultralytics as ul
from ..data.registry import resolve_data
from ..nn import YOLOLATDetectionModel
from . import amp
from .threads import use_all_cpu_threads
from .validator import YOLOLATValidator

__all__ = ["YOLOLATTrainer"]


class YOLOLATTrainer(DetectionTrainer):
    """Trains ``YOLOLATDetectionModel``s; ``data`` may be a datasets.yaml name (shapes, coco).

    The run's args keep the name the user gave (``data=shapes``), so a checkpoint's args stay
    valid on another machine; the resolved YAML is used only to load the data.
    """

    def train(self):
        """Train (Ultralytics' loop) on every CPU core, with the AMP check that downloads nothing."""
        use_all_cpu_threads(self.device)  # after Ultralytics' select_device() set its own count
        with ul.trainer_amp_check(amp.amp_check):  # Ultralytics' own check would download yolo26n.pt
            return super().train()

    def get_dataset(self) -> dict:
        with ul.args_value(self.args, "data", resolve_data(self.args.data)):
            return super().get_dataset()

    # get_model and get_validator are the documented hooks for a trainer of another model class. Their
    # bodies are DetectionTrainer's with the class changed: it names DetectionModel and
    # DetectionValidator directly, and no task map reaches the trainer.
    def get_model(self, cfg=None, weights=None, verbose: bool = True) -> YOLOLATDetectionModel:
        model = YOLOLATDetectionModel(cfg, nc=self.data["nc"], ch=self.data["channels"], verbose=verbose and RANK == -1)
        model = self.set_model_names_for_load(model)
        if weights:
            model.load(weights)
        return model

    def get_validator(self) -> YOLOLATValidator:
        return YOLOLATValidator(
            self.test_loader, save_dir=self.save_dir, args=copy(self.args), _callbacks=self.callbacks
        )
