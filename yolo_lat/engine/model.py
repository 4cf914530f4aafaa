"""``YOLOLAT``: the Ultralytics ``Model`` API (train, val, predict, export, info) for YOLO-LAT."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ultralytics.engine.model import Model
from ultralytics.utils import LOGGER

from .. import _ultralytics as ul
from ..checkpoint import check_checkpoint
from ..data.registry import dataset_train_defaults
from ..nn import YOLOLATDetectionModel, load_model_yaml
from .args import check_args
from .defaults import DEFAULT_DATA, DEFAULT_IMGSZ, DEFAULT_MODEL, run_project
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
                _require_runtime(model)
        super().__init__(model=model, task=task, verbose=verbose)

    def _new(self, cfg: str, task: str | None = None, verbose: bool = False) -> None:
        # Model._new reads the YAML with Ultralytics' loader, which finds neither cfg/models/ nor
        # `base:` files, and has no hook for another loader: load it here, build as Model._new does.
        ul.init_new_model(self, cfg, load_model_yaml(cfg), task or "detect", verbose)

    parity = None  # the last export's parity check (ONNX, OpenVINO)

    def train(self, trainer=None, **kwargs: Any):
        """Train; without ``data`` the embedded ``shapes`` dataset, with its recommended settings."""
        if not kwargs.get("resume") and not kwargs.get("cfg"):
            kwargs.setdefault("data", self.overrides.get("data") or DEFAULT_DATA)
            for key, value in dataset_train_defaults(kwargs["data"]).items():
                kwargs.setdefault(key, value)
        resume = kwargs.get("resume")
        if isinstance(resume, (str, Path)) and Path(resume).is_file():
            check_checkpoint(resume)  # the trainer would report a refused checkpoint as "not found"
        check_args("train", kwargs)
        return super().train(trainer=trainer, **kwargs)

    def val(self, validator=None, **kwargs: Any):
        """Ultralytics' val, with the numeric arguments checked first (``imgsz=-5`` is an error)."""
        check_args("val", kwargs)
        return super().val(validator=validator, **kwargs)

    def predict(self, source=None, stream: bool = False, predictor=None, **kwargs: Any):
        """Ultralytics' predict; saved results go under ``./runs/detect`` unless ``project=`` says otherwise
        (on every call: Ultralytics recomputes the folder from its global settings when the arguments change)."""
        check_args("predict", kwargs)
        kwargs["project"] = run_project(kwargs.get("project"), self.task)
        return super().predict(source, stream, predictor, **kwargs)

    def export(self, **kwargs: Any) -> str:
        """Export (Ultralytics' exporter). ``format=onnx`` and ``format=openvino`` are followed by a
        parity check, the runtime against PyTorch on real images (raw outputs and final boxes), which is
        logged and returned in ``self.parity``; ``format=engine`` needs TensorRT and an NVIDIA GPU and
        says so when either is missing.

        ``half=True``/``int8=True`` are accepted for ``quantize=16``/``quantize=8``. ``format=openvino
        int8=True`` calibrates with NNCF on the validation images of ``data`` (default: the bundled
        samples). ``nms=True`` puts NMS inside the model (output: final boxes, (batch, max_det, 6)).

        The files go beside the weights, or into the current directory for the shipped weights, or
        into ``project/name`` when given (see ``yolo_lat.export.output``); they appear whole or not at all.
        """
        from ..export.openvino import calibration_data, require_openvino
        from ..export.output import atomic_export, check_export_format, export_dir
        from .devices import check_device

        kwargs = _precision_args(kwargs)
        fmt = str(kwargs.get("format", "torchscript")).lower()
        check_export_format(fmt)
        check_args("export", kwargs)
        check_device(kwargs.get("device"))
        if fmt in ("engine", "tensorrt", "trt"):
            _require_tensorrt()
        if fmt == "openvino":
            require_openvino(int8=kwargs.get("quantize") in (8, "int8"))
        if kwargs.get("nms") and kwargs.get("dynamic") and int(kwargs.get("batch") or 1) < 2:
            raise ValueError(
                "nms=True with dynamic=True needs batch=N, the largest batch the model will run (the NMS "
                "inside the model is unrolled once per image); e.g. batch=8"
            )
        out_dir = export_dir(self.ckpt_path, kwargs.get("project"), kwargs.get("name"))
        calibrate = fmt == "openvino" and kwargs.get("quantize") in (8, "int8")
        with contextlib.ExitStack() as stack:
            if calibrate:
                kwargs["data"], where = stack.enter_context(calibration_data(kwargs.get("data"), self.model.names))
                LOGGER.info(f"int8 calibration on {where}")
            written = stack.enter_context(atomic_export(self.model, out_dir))
            written.path = super().export(**kwargs)
        path = written.path
        if fmt in ("onnx", "openvino"):
            self.parity = self._export_parity(path, fmt, kwargs)
        return path

    def _export_parity(self, path: str, fmt: str, kwargs: dict):
        from ..export import onnx, openvino
        from .sources import parity_images

        imgsz = kwargs.get("imgsz") or self.overrides.get("imgsz") or DEFAULT_IMGSZ
        imgsz = imgsz[0] if isinstance(imgsz, (list, tuple)) else int(imgsz)
        images, where = parity_images(self.overrides.get("data"), 4)
        check = onnx.parity_check if fmt == "onnx" else openvino.parity_check
        result = check(
            self.model,
            path,
            images,
            imgsz,
            end2end=bool(getattr(self.model, "end2end", False)),
            conf=kwargs.get("conf") or 0.25,
            iou=kwargs.get("iou") or 0.7,
            nms_inside=bool(kwargs.get("nms")),
            max_det=int(kwargs.get("max_det") or 300),
            max_batch=int(kwargs.get("batch") or 1),  # NMS inside a dynamic model: unrolled for this many
        )
        LOGGER.info(f"parity ({where}): {result}")
        return result

    def demo(self, source: str | int = 0, **kwargs: Any) -> dict:
        """Live demo on a camera, video, stream, folder or glob (see ``yolo_lat.engine.demo``)."""
        from .demo import run_demo

        return run_demo(self, source, **kwargs)

    def explain(self, source=None, points=None, layers=None, heads=None, **kwargs: Any):
        """The exact attention of query points at every ELA layer, as arrays and PNGs (``yolo_lat.explain``).

        ``points``: pixel (x, y) pairs in the original image (default: centres of the top detections, or
        a 3×3 grid); ``layers``/``heads``: names as in ``model.named_modules()`` / head indices (default
        all). Returns an ``ExplainResult``; ``save=False`` writes nothing.
        """
        from ..explain import explain_model

        return explain_model(self, source, points, layers, heads, **kwargs)

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


def _require_runtime(model: str) -> None:
    """One line naming the extra to install, before Ultralytics' backend tries to pip-install it."""
    from ..export.openvino import is_openvino_model, require_openvino

    if is_openvino_model(model):
        require_openvino()


def _precision_args(kwargs: dict) -> dict:
    """``int8=True`` -> ``quantize=8``, ``half=True`` -> ``quantize=16`` (Ultralytics 8.4 deprecated both
    for ``quantize``, with a warning); an explicit ``quantize`` wins."""
    kwargs = dict(kwargs)
    int8, half = kwargs.pop("int8", None), kwargs.pop("half", None)
    if "quantize" not in kwargs and (int8 or half):
        kwargs["quantize"] = 8 if int8 else 16
    return kwargs


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
