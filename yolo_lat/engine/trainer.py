"""Trainer: Ultralytics' DetectionTrainer with YOLO-LAT models and ``data=`` names."""

from __future__ import annotations

from copy import copy
from pathlib import Path

from ultralytics.models.yolo.detect import DetectionTrainer
from ultralytics.utils import DEFAULT_CFG, LOGGER, RANK

from .. import _ultralytics as ul
from ..data.registry import resolve_data
from ..nn import YOLOLATDetectionModel
from . import amp
from .defaults import RunFolder, run_project
from .devices import check_device
from .threads import use_cpu_threads
from .validator import YOLOLATValidator

__all__ = ["YOLOLATTrainer", "discard_unfinished_run"]


def discard_unfinished_run(save_dir: Path | None, folder: RunFolder) -> bool:
    """Delete a run folder this run created when it holds no checkpoint (``weights/*.pt``) and no
    results.csv, i.e. the run failed before finishing its first epoch; True when deleted."""
    if save_dir is None or RANK not in (-1, 0) or not Path(save_dir).is_dir():
        return False
    if any((Path(save_dir) / "weights").glob("*.pt")) or (Path(save_dir) / "results.csv").exists():
        return False
    if folder.discard(save_dir):
        LOGGER.info(f"removed {save_dir}: the run stopped before its first checkpoint")
        return True
    return False


class YOLOLATTrainer(DetectionTrainer):
    """Trains ``YOLOLATDetectionModel``s; ``data`` may be a datasets.yaml name (shapes, coco).

    The run's args keep the name the user gave (``data=shapes``), so a checkpoint's args stay
    valid on another machine; the resolved YAML is used only to load the data. Run folders go under
    ``./runs/detect`` unless ``project=`` says otherwise, and a run that fails before its first
    checkpoint removes the run folder it created.

    Checkpoints are written by Ultralytics' ``save_model``: it serialises to memory, then writes
    ``last.pt`` (and ``best.pt``) in place with ``Path.write_bytes``. That is not atomic: a process
    killed during that one write leaves a truncated file (the previous epoch's is gone). No public
    hook replaces the write, so it is left as Ultralytics does it.
    """

    def __init__(self, cfg=DEFAULT_CFG, overrides: dict | None = None, _callbacks: dict | None = None):
        overrides = dict(overrides or {})
        check_device(overrides.get("device"))
        self._folder = None  # a resumed run keeps the folder its checkpoint names
        if not overrides.get("resume"):
            overrides["project"] = run_project(overrides.get("project"), overrides.get("task"))
            name = str(overrides.get("name") or "train")
            self._folder = RunFolder(overrides["project"], name, bool(overrides.get("exist_ok")))
        try:
            super().__init__(cfg, overrides, _callbacks)
        except BaseException:
            self._discard_if_unfinished()
            raise

    def _discard_if_unfinished(self) -> None:
        if self._folder is not None:
            discard_unfinished_run(getattr(self, "save_dir", None), self._folder)

    def train(self):
        """Train (Ultralytics' loop) with YOLO-LAT's CPU threads and the AMP check that downloads nothing."""
        use_cpu_threads(self.device)  # after Ultralytics' select_device() set its own count
        try:
            with ul.trainer_amp_check(amp.amp_check):  # Ultralytics' own check would download yolo26n.pt
                return super().train()
        except BaseException:
            self._discard_if_unfinished()
            raise

    def preprocess_batch(self, batch: dict) -> dict:
        use_cpu_threads(self.device)  # the count follows the machine's load (see threads.py)
        return super().preprocess_batch(batch)

    def get_dataset(self) -> dict:
        with ul.args_value(self.args, "data", resolve_data(self.args.data)):
            try:
                return super().get_dataset()
            except RuntimeError as exc:
                # Ultralytics wraps the reason as "Dataset '<data>' error ❌ <reason>"; ours already names the data
                if isinstance(exc.__cause__, (FileNotFoundError, ValueError)):
                    raise exc.__cause__ from None
                raise

    # get_model and get_validator are the documented hooks for a trainer of another model class. Their
    # bodies are DetectionTrainer's with the class changed: it names DetectionModel and
    # DetectionValidator directly, and no task map reaches the trainer.
    def get_model(self, cfg=None, weights=None, verbose: bool = True) -> YOLOLATDetectionModel:
        try:
            model = YOLOLATDetectionModel(
                cfg, nc=self.data["nc"], ch=self.data["channels"], verbose=verbose and RANK == -1
            )
            model = self.set_model_names_for_load(model)
            if weights:
                model.load(weights)
        except BaseException:  # Model.train builds the model between the trainer's __init__ and train()
            self._discard_if_unfinished()
            raise
        return model

    def get_validator(self) -> YOLOLATValidator:
        return YOLOLATValidator(
            self.test_loader, save_dir=self.save_dir, args=copy(self.args), _callbacks=self.callbacks
        )
