"""Predictor: Ultralytics' DetectionPredictor with YOLO-LAT's CPU threads, run folders and, on CUDA,
the device pipeline (``yolo_lat.engine.pipeline``: JPEG decoding, letterbox, CUDA-graph forward and
NMS on the GPU; ``YOLO_LAT_GPU_PIPELINE=0`` turns it off)."""

from __future__ import annotations

import torch
from ultralytics.engine.results import Results
from ultralytics.models.yolo.detect import DetectionPredictor
from ultralytics.utils import DEFAULT_CFG, LOGGER

from .. import _ultralytics as ul
from .defaults import run_project
from .devices import check_device
from .pipeline import DevicePipeline, pipeline_enabled
from .threads import use_cpu_threads

__all__ = ["YOLOLATPredictor"]


class YOLOLATPredictor(DetectionPredictor):
    """Saves under ``./runs/detect`` unless ``project=`` says otherwise; a missing GPU is one line;
    CPU threads as ``yolo_lat.engine.threads`` chooses them, checked before each batch.

    ``gpu_pipeline``: None (default) runs the device pipeline on CUDA unless ``YOLO_LAT_GPU_PIPELINE=0``;
    True / False force it on / off (True on CPU runs it on CPU tensors).
    """

    gpu_pipeline: bool | None = None
    pipeline: DevicePipeline | None = None
    _geometry = None  # the letterbox of the batch being processed, when the pipeline prepared it

    def __init__(self, cfg=DEFAULT_CFG, overrides: dict | None = None, _callbacks: dict | None = None):
        overrides = dict(overrides or {})
        overrides["project"] = run_project(overrides.get("project"), overrides.get("task"))
        super().__init__(cfg, overrides, _callbacks)

    def setup_model(self, model, verbose: bool = True):
        check_device(self.args.device)
        super().setup_model(model, verbose=verbose)
        use_cpu_threads(self.device)  # after Ultralytics' select_device() set its own count
        self.pipeline = None
        if pipeline_enabled(self.device, self.gpu_pipeline):
            self.pipeline = DevicePipeline(self.device, forward=self._forward)
            LOGGER.debug(f"device pipeline on {self.device}")

    def _forward(self, im: torch.Tensor) -> torch.Tensor:
        preds = self.model(im)
        return preds[0] if isinstance(preds, (list, tuple)) else preds

    def setup_source(self, source, stride: int | None = None):
        super().setup_source(source, stride)
        if self.pipeline is not None and self.device.type == "cuda":  # JPEGs decoded on the GPU
            ul.decode_images_with(self.dataset, self.pipeline.decode)

    def preprocess(self, im):
        use_cpu_threads(self.device)  # the count follows the machine's load (see threads.py)
        self._geometry = None
        if self.pipeline is None or isinstance(im, torch.Tensor):
            return super().preprocess(im)
        x, self._geometry = self.pipeline.preprocess(
            im,
            self.imgsz,
            auto=ul.predictor_rect(self, im),
            stride=int(torch.as_tensor(self.model.stride).max()),
            half=self.model.fp16,
        )
        return x

    def inference(self, im: torch.Tensor, *args, **kwargs):
        if self.pipeline is None or args or kwargs or not ul.predictor_plain_forward(self):
            return super().inference(im, *args, **kwargs)
        return self.pipeline.forward(im)

    def postprocess(self, preds, img, orig_imgs, **kwargs):
        if self._geometry is None or kwargs or ul.predictor_saves_features(self):
            return super().postprocess(preds, img, orig_imgs, **kwargs)
        a = self.args
        dets = self.pipeline.postprocess(
            preds, self._geometry, a.conf, a.iou, a.classes, a.agnostic_nms, a.max_det,
            end2end=getattr(self.model, "end2end", False),
        )  # fmt: skip
        names = self.model.names
        return [Results(o, path=p, names=names, boxes=d) for d, o, p in zip(dets, orig_imgs, self.batch[0])]
