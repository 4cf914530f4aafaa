"""ONNX export through Ultralytics' exporter, and the ONNX Runtime vs PyTorch parity check.

ELA exports as standard ONNX ops: while tracing, ``ela_attention(backend="auto")`` takes the
torch path (matmuls, exp, max, sums), so no custom op and no Triton reaches the graph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch

from .. import _ultralytics as ul
from .parity import Parity, compare_with_torch

__all__ = ["Parity", "export_with_ultralytics", "onnx_session", "parity_check"]


def export_with_ultralytics(model: torch.nn.Module, workdir: Path, name: str = "model", **args) -> str:
    """Export an in-memory model with Ultralytics' Exporter into ``workdir/<name>.<ext>``; returns the path."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    overrides = {"format": "onnx", "opset": 17, "simplify": True, "verbose": False, **args}
    return ul.export_model(model, workdir / f"{name}.pt", overrides)


def onnx_session(path: str | Path, device: str | torch.device = "cpu"):
    """ONNX Runtime session: CUDA execution provider when onnxruntime-gpu and a GPU are present."""
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    if torch.device(device).type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    return ort.InferenceSession(str(path), providers=providers)


def parity_check(
    model: torch.nn.Module,
    onnx_path: str | Path,
    images: list[np.ndarray],
    imgsz: int,
    end2end: bool = False,
    conf: float = 0.25,
    iou: float = 0.7,
    nms_inside: bool = False,
    max_det: int = 300,
    max_batch: int | None = None,
) -> Parity:
    """Run the same letterboxed images through PyTorch (fp32) and ONNX Runtime and compare the raw head
    outputs and the boxes after NMS (``nms_inside``: the ONNX model returns final boxes itself)."""
    sess = onnx_session(onnx_path)
    inp = sess.get_inputs()[0]
    fixed_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
    quantized = any(n.op_type in ("QuantizeLinear", "QLinearConv") for n in onnx.load(str(onnx_path)).graph.node)
    return compare_with_torch(
        model,
        lambda x: sess.run(None, {inp.name: x})[0],
        images,
        imgsz,
        f"ONNX Runtime ({sess.get_providers()[0]})",
        fixed_batch=fixed_batch,
        max_batch=max_batch,
        nms_inside=nms_inside,
        exact=not quantized,
        end2end=end2end,
        conf=conf,
        iou=iou,
        max_det=max_det,
    )
