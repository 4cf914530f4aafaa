"""The device inference pipeline of ``predict``, ``val``, ``demo`` and ``benchmark``.

On a CUDA device every step after reading the file stays on the GPU: JPEGs decoded there
(``decode``), uint8 upload and letterbox by batched tensor ops (``preprocess``), the network
replayed from a CUDA graph per input shape (``graphs``), NMS for the whole batch (``nms``) and the
boxes scaled back to the original images. On by default on CUDA; ``YOLO_LAT_GPU_PIPELINE=0`` (or a
predictor's / validator's ``gpu_pipeline = False``) restores Ultralytics' own steps. On CPU the
Ultralytics path stays the default (OpenCV's resize is faster there); ``YOLO_LAT_GPU_PIPELINE=1``
runs this pipeline on CPU tensors, which is how the tests check it against Ultralytics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .decode import DeviceBatch, decode_images
from .graphs import GraphCache, cuda_capture
from .nms import batched_nms
from .preprocess import Letterbox, letterbox_geometry, letterbox_images, scale_boxes, to_device

__all__ = [
    "ENV_GRAPHS",
    "ENV_PIPELINE",
    "DeviceBatch",
    "DevicePipeline",
    "GraphCache",
    "Letterbox",
    "batched_nms",
    "cuda_capture",
    "decode_images",
    "letterbox_geometry",
    "letterbox_images",
    "pipeline_enabled",
    "scale_boxes",
    "to_device",
]

ENV_PIPELINE = "YOLO_LAT_GPU_PIPELINE"  # 0: Ultralytics' own pre/post-processing everywhere
ENV_GRAPHS = "YOLO_LAT_CUDA_GRAPHS"  # 0: the pipeline without CUDA graphs
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _env_switch(name: str) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value not in _TRUE | _FALSE:
        raise ValueError(f"{name}={os.environ[name]!r}: expected 1/0 (true/false, yes/no, on/off)")
    return value in _TRUE


def pipeline_enabled(device: torch.device | str, setting: bool | None = None) -> bool:
    """Whether the device pipeline runs: ``setting`` when given, else ``YOLO_LAT_GPU_PIPELINE``, else
    on for CUDA devices and off on CPU."""
    if setting is not None:
        return bool(setting)
    env = _env_switch(ENV_PIPELINE)
    return env if env is not None else torch.device(device).type == "cuda"


class DevicePipeline:
    """preprocess -> forward -> NMS -> boxes on the original images, all on ``device``.

    ``forward`` is the network (a tensor in, its raw prediction out); with ``graphs`` (default: on
    unless ``YOLO_LAT_CUDA_GRAPHS=0``) it is replayed from CUDA graphs on CUDA inputs.
    """

    def __init__(self, device: torch.device | str, forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 graphs: bool | None = None, max_graphs: int = 4):  # fmt: skip
        self.device = torch.device(device)
        graphs = _env_switch(ENV_GRAPHS) is not False if graphs is None else graphs
        self.forward = GraphCache(forward, max_graphs=max_graphs) if forward and graphs else forward
        self.decode_stream = torch.cuda.Stream(self.device) if self.device.type == "cuda" else None

    def decode(self, paths: Sequence[str]) -> DeviceBatch:
        """Image files -> a DeviceBatch (decoded on the device where torchvision can)."""
        return decode_images(paths, self.device, stream=self.decode_stream)

    def preprocess(self, images: Sequence[np.ndarray] | DeviceBatch, imgsz: int | Sequence[int], auto: bool = False,
                   stride: int = 32, half: bool = False) -> tuple[torch.Tensor, list[Letterbox]]:  # fmt: skip
        """BGR uint8 arrays (or a DeviceBatch) -> the network's input batch and each image's geometry."""
        tensors = images.device_tensors() if isinstance(images, DeviceBatch) else to_device(images, self.device)
        return letterbox_images(tensors, imgsz, auto=auto, stride=stride, half=half)

    def postprocess(self, preds, geometry: Sequence[Letterbox], conf: float = 0.25, iou: float = 0.7,
                    classes: list[int] | None = None, agnostic: bool = False, max_det: int = 300,
                    end2end: bool = False) -> list[torch.Tensor]:  # fmt: skip
        """Raw predictions -> per image (n, 6) x1 y1 x2 y2 score class, in original-image pixels."""
        dets = batched_nms(preds, conf, iou, classes=classes, agnostic=agnostic, max_det=max_det, end2end=end2end)
        return scale_boxes(dets, geometry)

    def __call__(self, images: Sequence[np.ndarray] | DeviceBatch, imgsz: int, half: bool = False,
                 **nms: object) -> list[torch.Tensor]:  # fmt: skip
        x, geometry = self.preprocess(images, imgsz, half=half)
        return self.postprocess(self.forward(x), geometry, **nms)
