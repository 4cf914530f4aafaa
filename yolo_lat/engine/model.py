"""``YOLOLAT``: the Ultralytics ``Model`` API (train, val, predict, export, info) for YOLO-LAT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ultralytics.engine.model import Model

from .. import _ultralytics as ul
from ..data.registry import dataset_train_defaults
from ..nn import YOLOLATDetectionModel, load_model_yaml
from .defaults import DEFAULT_DATA, DEFAULT_IMGSZ, DEFAULT_MODEL
from .predictor import YOLOLATPredictor
from .trainer import YOLOLATTrainer
from .validator import YOLOLATValidator
from .weights import resolve_weights

__all__ = ["DEFAULT_DATA", "DEFAULT_MODEL", "YOLOLAT"]  # the defaults live in defaults.py


class YOLOLAT(Model):
    """YOLO-LAT detector with the API of ``ultralytics.YOLO``.

    >>> model = YOLOLAT("yolo-lat-n.yaml")  # doctest: +SKIP
    >>> model.train(data="shapes", epochs=5, imgsz=320)  # doctest: +SKIP
    >>> model.predict("image.jpg")  # doctest: +SKIP

    ``model`` is a model YAML (``yolo-lat-n.yaml``, ``yolo-lat-t.yaml``, any Ultralytics YAML such
    as ``yolo11n.yaml``) or a checkpoint (``best.pt``, or a shipped name like ``yolo-lat-n.pt``).
    """

    def __init__(self, model: str | Path | Model = DEFAULT_MODEL, task: str | None = None, verbose: bool = False):
        if not isinstance(model, Model):
            model = str(model).strip()
            if not model.lower().endswith((".yaml", ".yml")):
                model = resolve_weights(model)
        super().__init__(model=model, task=task, verbose=verbose)

    def _new(self, cfg: str, task: str | None = None, verbose: bool = False) -> None:
        # Model._new reads the YAML with Ultralytics' loader, which finds neither cfg/models/ nor
        # `base:` files, and has no hook for another loader: load it here, build as Model._new does.
        ul.init_new_model(self, cfg, load_model_yaml(cfg), task or "detect", verbose)

    parity = None  # the last ONNX parity check

    def train(self, trainer=None, **kwargs: Any):
        """Train; without ``data`` the embedded ``shapes`` dataset, with its recommended settings."""
        if not kwargs.get("resume") and not kwargs.get("cfg"):
            kwargs.setdefault("data", self.overrides.get("data") or DEFAULT_DATA)
            for key, value in dataset_train_defaults(kwargs["data"]).items():
                kwargs.setdefault(key, value)
        return super().train(trainer=trainer, **kwargs)

    def export(self, **kwargs: Any) -> str:
        """Export (Ultralytics' exporter). ``format=onnx`` is followed by a parity check, ONNX
        Runtime against PyTorch on real images, which is logged and returned in ``self.parity``;
        ``format=engine`` needs TensorRT and an NVIDIA GPU and says so when either is missing."""
        fmt = str(kwargs.get("format", "torchscript")).lower()
        if fmt in ("engine", "tensorrt", "trt"):
            _require_tensorrt()
        path = super().export(**kwargs)
        if fmt == "onnx":
            self.parity = self._onnx_parity(path, kwargs)
        return path

    def _onnx_parity(self, path: str, kwargs: dict):
        from ultralytics.utils import LOGGER

        from ..export.onnx import parity_check
        from .sources import parity_images

        imgsz = kwargs.get("imgsz") or self.overrides.get("imgsz") or DEFAULT_IMGSZ
        imgsz = imgsz[0] if isinstance(imgsz, (list, tuple)) else int(imgsz)
        images, where = parity_images(self.overrides.get("data"), 4)
        result = parity_check(self.model, path, images, imgsz, end2end=bool(getattr(self.model, "end2end", False)))
        LOGGER.info(f"parity ({where}): {result}")
        return result

    def demo(self, source: str | int = 0, **kwargs: Any) -> dict:
        """Live demo on a camera, video, stream, folder or glob (see ``yolo_lat.engine.demo``)."""
        from .demo import run_demo

        return run_demo(self, source, **kwargs)

    @property
    def task_map(self) -> dict:
        return {
            "detect": {
                "model": YOLOLATDetectionModel,
                "trainer": YOLOLATTrainer,
                "validator": YOLOLATValidator,
                "predictor": YOLOLATPredictor,
            }
        }


def _require_tensorrt() -> None:
    """Fail with a clear message, before Ultralytics' exporter tries to pip-install anything."""
    import torch

    missing = []
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        missing.append("TensorRT (pip install tensorrt, or pip install -e '.[gpu]')")
    if not torch.cuda.is_available():
        missing.append("an NVIDIA GPU with CUDA")
    if missing:
        raise RuntimeError(
            f"format=engine builds a TensorRT fp16 engine and needs {' and '.join(missing)}; "
            "use format=onnx on this machine"
        )
