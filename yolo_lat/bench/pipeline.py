"""The inference pipeline benchmark: how close end to end comes to the network alone, and predict's
throughput against Ultralytics' own ``YOLO.predict``.

1. ``latency``: yolo-lat-n (the shipped weights, fused; fp16 on CUDA) through the device pipeline
   (``yolo_lat.engine.pipeline``): ``forward`` is the network on a ready input tensor (replayed from
   its CUDA graph on CUDA), ``end_to_end`` is uint8 BGR frames in host memory -> boxes in
   original-image pixels (upload, letterbox, forward, NMS, scaling), and ``end_to_end_host`` the
   same with Ultralytics' CPU letterbox and NMS (the detector benchmark's pipeline) for reference.
   Goal: end_to_end <= 1.5 x forward.
2. ``predict``: images/s of ``YOLOLAT("yolo-lat-n.pt").predict`` and of Ultralytics'
   ``YOLO("yolo11n.yaml").predict`` (built from its YAML, nothing downloaded) over the same folder
   of JPEG files, same batch, imgsz and precision, results streamed and discarded (no saving).
   Goal: yolo-lat >= 2 x Ultralytics.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import torch
from ultralytics.utils import LOGGER

from ..engine.pipeline import DevicePipeline
from .common import environment, time_callable, write_json
from .detectors import Pipeline as HostPipeline
from .detectors import sample_images

__all__ = ["measure_pipeline"]


def _latency(model, device: torch.device, batch: int, imgsz: int, frame_hw: tuple[int, int], half: bool,
             timing: dict) -> dict:  # fmt: skip
    net = model.to(device)
    net = net.half() if half else net.float()

    def fwd(x):
        with torch.inference_mode():
            return net(x)[0]

    pipe = DevicePipeline(device, forward=fwd)
    images = sample_images(batch, frame_hw)
    x, _ = pipe.preprocess(images, imgsz, half=half)
    host = HostPipeline(pipe.forward, imgsz, device, end2end=False, half=half)
    with torch.inference_mode():
        row = {
            "forward": time_callable(lambda: pipe.forward(x), device, **timing),
            "end_to_end": time_callable(lambda: pipe(images, imgsz, half=half), device, **timing),
            "end_to_end_host": time_callable(lambda: host(images), device, **timing),
        }
        row["detections"] = sum(len(d) for d in pipe(images, imgsz, half=half))
    row["ratio"] = row["end_to_end"]["median_ms"] / row["forward"]["median_ms"]
    row["graphs"] = getattr(pipe.forward, "info", lambda: None)()
    return row


def _predict_rate(make: Callable, folder: Path, n: int, repeats: int, **kwargs) -> dict:
    """Best of ``repeats`` timed passes over the folder after one warm-up pass (graph capture, cuDNN)."""
    model = make()
    times = []
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        count = sum(1 for _ in model.predict(str(folder), stream=True, verbose=False, save=False, **kwargs))
        if torch.cuda.is_available() and str(kwargs.get("device", "")).startswith(("cuda", "0")):
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - t0)
        if count != n:
            raise RuntimeError(f"predict returned {count} results for {n} images")
    return {"images_per_s": n / min(times), "seconds": min(times), "passes": repeats}


def measure_pipeline(device: str = "cuda", configs: tuple[tuple[int, int], ...] = ((1, 640), (16, 1280)),
                     frame_hw: tuple[int, int] = (720, 1280), predict_images: int = 256, predict_batch: int = 16,
                     predict_imgsz: int = 640, repeats: int = 3, timing: dict | None = None,
                     gpu_pipeline: bool | None = None, out_json: Path | None = None,
                     log: Callable[[str], None] = LOGGER.info) -> dict:  # fmt: skip
    """Run both parts; returns the report and writes it to ``out_json`` (when given) as rows land."""
    from ultralytics import YOLO

    from ..engine.model import YOLOLAT
    from ..engine.predictor import YOLOLATPredictor

    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device} requested but no CUDA GPU is available")
    half = dev.type == "cuda"
    timing = timing or (dict(warmup=10, min_runs=50, max_runs=200, budget_s=3.0) if half else
                        dict(warmup=1, min_runs=3, max_runs=5, budget_s=1.0))  # fmt: skip
    report = {
        "benchmark": "pipeline",
        "environment": environment(dev),
        "what": __doc__.strip(),
        "precision": "fp16" if half else "fp32",
        "frame_hw": list(frame_hw),
        "gpu_pipeline": "default" if gpu_pipeline is None else bool(gpu_pipeline),
        "latency": [],
        "predict": {},
    }
    model = YOLOLAT("yolo-lat-n.pt").model.fuse(verbose=False).eval()
    for batch, imgsz in configs:
        row = {"model": "yolo-lat-n", "batch": batch, "imgsz": imgsz, **_latency(model, dev, batch, imgsz, frame_hw,
                                                                                  half, timing)}  # fmt: skip
        report["latency"].append(row)
        log(f"b{batch} {imgsz}: forward {row['forward']['median_ms']:.2f} ms, end-to-end "
            f"{row['end_to_end']['median_ms']:.2f} ms ({row['ratio']:.2f}x; host pipeline "
            f"{row['end_to_end_host']['median_ms']:.2f} ms)")  # fmt: skip
        if out_json:
            write_json(report, out_json)
    kwargs = dict(batch=predict_batch, imgsz=predict_imgsz, device=device, **({"quantize": 16} if half else {}))
    with tempfile.TemporaryDirectory(prefix="yolo-lat-pipeline-") as tmp:
        for i, im in enumerate(sample_images(predict_images, frame_hw)):
            cv2.imwrite(str(Path(tmp) / f"{i:05d}.jpg"), im)
        previous = YOLOLATPredictor.gpu_pipeline
        YOLOLATPredictor.gpu_pipeline = gpu_pipeline
        try:
            ours = _predict_rate(lambda: YOLOLAT("yolo-lat-n.pt"), Path(tmp), predict_images, repeats, **kwargs)
        finally:
            YOLOLATPredictor.gpu_pipeline = previous
        theirs = _predict_rate(lambda: YOLO("yolo11n.yaml"), Path(tmp), predict_images, repeats, **kwargs)
    report["predict"] = {"images": predict_images, **kwargs, "yolo-lat-n (yolo-lat predict)": ours,
                         "yolo11n (ultralytics YOLO.predict)": theirs,
                         "speedup": ours["images_per_s"] / theirs["images_per_s"]}  # fmt: skip
    log(f"predict: yolo-lat-n {ours['images_per_s']:.1f} img/s, YOLO11n (Ultralytics) "
        f"{theirs['images_per_s']:.1f} img/s ({report['predict']['speedup']:.2f}x)")  # fmt: skip
    if out_json:
        write_json(report, out_json)
    return report
