"""Trainer: Ultralytics' DetectionTrainer with YOLO-LAT models and ``data=`` names."""

from __future__ import annotations

from copy import copy

from ultralytics.models.yolo.detect import DetectionTrainer
from ultralytics.utils import RANK

from ..data.registry import resolve_data
from ..nn.tasks import YOLOLATDetectionModel
from .amp import no_download_amp_check
from .threads import use_all_cpu_threads
from .validator import YOLOLATValidator

__all__ = ["YOLOLATTrainer"]


class YOLOLATTrainer(DetectionTrainer):
    """Trains ``YOLOLATDetectionModel``s; ``data`` may be a datasets.yaml name (shapes, coco).

    The run's args keep the name the user gave (``data=shapes``), so a checkpoint's args stay
    valid on another machine; the resolved YAML is used only to load the data.
    """

    def _setup_train(self):
        use_all_cpu_threads(self.device)
        with no_download_amp_check():  # Ultralytics' AMP check would download yolo26n.pt
            return super()._setup_train()

    def get_dataset(self) -> dict:
        given = self.args.data
        self.args.data = resolve_data(given)
        try:
            return super().get_dataset()
        finally:
            self.args.data = given

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
