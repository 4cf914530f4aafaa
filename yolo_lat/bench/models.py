"""The models the benchmarks compare, how each is built, and how model size is counted."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

__all__ = [
    "DEFAULT_MODELS",
    "NECK_OPTION_MODELS",
    "PAPER_OPTION_MODELS",
    "SMALL_MODELS",
    "SOFTMAX_MODELS",
    "ULTRALYTICS_MODELS",
    "YOLO_LAT_MODELS",
    "build_model",
    "count_params",
    "model_gflops",
    "yaml_sizes",
]

YOLO_LAT_MODELS = ["yolo-lat-n", "yolo-lat-s", "yolo-lat-m", "yolo-lat-l", "yolo-lat-x", "yolo-lat-t"]
SOFTMAX_MODELS = ["yolo-lat-softmax-n", "yolo-lat-softmax-s"]  # the same layout with softmax attention
ULTRALYTICS_MODELS = ["yolo11n", "yolo11s", "yolo12n", "yolo12s", "yolo26n", "yolo26s"]
PAPER_OPTION_MODELS = ["yolo-lat-hyperlink-n", "yolo-lat-lobe-n", "yolo-lat-moe-n", "yolo-lat-moe-inside-n"]
# the same options on YOLO-LAT's first layout (ELA also at the P4/P3 neck merges), where issue 15 measured them
NECK_OPTION_MODELS = [f"ablations/yolo-lat-neck-{m.removeprefix('yolo-lat-')}" for m in PAPER_OPTION_MODELS]
DEFAULT_MODELS = YOLO_LAT_MODELS + SOFTMAX_MODELS + ULTRALYTICS_MODELS + PAPER_OPTION_MODELS
# the n/t-size models: YOLO-LAT, its softmax twin and the Ultralytics models of the same size
SMALL_MODELS = ["yolo-lat-n", "yolo-lat-t", "yolo-lat-softmax-n", "yolo11n", "yolo12n", "yolo26n"]


def _yaml_name(name: str) -> str:
    return name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"


def build_model(name: str, nc: int = 80) -> torch.nn.Module:
    """Eval-mode model (not yet fused) from a YAML name (YOLO-LAT or Ultralytics), in Ultralytics' default
    inference mode: YOLO26's one-to-many head + NMS, like every other model here (its NMS-free
    one-to-one head is Ultralytics' ``nms=False`` setting, not the default)."""
    from ..nn import YOLOLATDetectionModel

    return YOLOLATDetectionModel(_yaml_name(name), nc=nc, verbose=False).eval()


def count_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def model_gflops(model: torch.nn.Module, imgsz: int = 640, channels: int = 3) -> float:
    """GFLOPs of one forward pass on a (1, channels, imgsz, imgsz) input, counted by torch's
    FlopCounterMode: convolutions and every matrix product, including those inside attention
    (which per-module counters such as thop miss). Elementwise ops are not counted."""
    was = model.training
    model.eval()
    try:
        p = next(model.parameters())
        x = torch.zeros(1, channels, imgsz, imgsz, device=p.device, dtype=p.dtype)
        with FlopCounterMode(display=False) as counter:
            model(x)
        return counter.get_total_flops() / 1e9
    finally:
        model.train(was)


def yaml_sizes(path: str | Path, imgsz: int = 640) -> dict[str, dict]:
    """{scale: {"params": int, "gflops": float}} for every scale of a model YAML (nc as the YAML says);
    the scale is "" for a YAML without scales."""
    from ..nn import YOLOLATDetectionModel, load_model_yaml

    d = load_model_yaml(path)
    scales = list(d.get("scales", {})) or [""]
    if d.get("scale") and len(scales) == 1:  # a one-scale YAML names its scale
        scales = [d["scale"]]
    out = {}
    for scale in scales:
        d = load_model_yaml(path)
        if scale:
            d["scale"] = scale
        model = YOLOLATDetectionModel(d, verbose=False)
        out[scale] = {"params": count_params(model), "gflops": round(model_gflops(model, imgsz), 2)}
    return out
