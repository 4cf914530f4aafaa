"""ONNX export through Ultralytics' exporter, and the ONNX Runtime vs PyTorch parity check.

ELA exports as standard ONNX ops: while tracing, ``ela_attention(backend="auto")`` takes the
torch path (matmuls, exp, max, sums), so no custom op and no Triton reaches the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import _ultralytics as ul

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


@dataclass
class Parity:
    max_abs_diff: float
    max_rel_diff: float  # max |onnx − torch| / max |torch|
    boxes_torch: int
    boxes_onnx: int
    boxes_agree: bool  # same count, same classes, coordinates within 0.5 px
    max_box_diff_px: float
    images: int
    provider: str

    def __str__(self) -> str:
        verdict = "agree" if self.boxes_agree else "DIFFER"
        return (
            f"ONNX Runtime ({self.provider}) vs PyTorch on {self.images} image(s): raw outputs max abs diff "
            f"{self.max_abs_diff:.3g}, max rel diff {self.max_rel_diff:.3g}; final boxes {verdict} "
            f"({self.boxes_onnx} vs {self.boxes_torch}, max coordinate diff {self.max_box_diff_px:.3g} px)"
        )


def _raw(out) -> torch.Tensor:
    return out[0] if isinstance(out, (list, tuple)) else out


def parity_check(
    model: torch.nn.Module,
    onnx_path: str | Path,
    images: list[np.ndarray],
    imgsz: int,
    end2end: bool = False,
    conf: float = 0.25,
    iou: float = 0.7,
) -> Parity:
    """Run the same letterboxed images through PyTorch (fp32) and ONNX Runtime and compare the
    raw head outputs and the boxes after NMS."""
    sess = onnx_session(onnx_path)
    inp = sess.get_inputs()[0]
    fixed_batch = inp.shape[0] if isinstance(inp.shape[0], int) else None
    x = ul.letterbox_batch(images, imgsz).astype(np.float32) / 255
    net = model.float().eval()
    outs_t, outs_o = [], []
    chunks = [x[i : i + 1] for i in range(len(x))] if fixed_batch == 1 else [x]
    with torch.no_grad():
        for c in chunks:
            outs_t.append(_raw(net(torch.from_numpy(c))).numpy())
            outs_o.append(sess.run(None, {inp.name: c})[0])
    yt, yo = np.concatenate(outs_t), np.concatenate(outs_o)
    if yt.shape != yo.shape:
        raise ValueError(f"ONNX output shape {yo.shape} differs from PyTorch output shape {yt.shape}")
    abs_diff = float(np.abs(yo - yt).max())
    rel_diff = abs_diff / max(float(np.abs(yt).max()), 1e-12)
    dt = ul.non_max_suppression(torch.from_numpy(yt), conf, iou, end2end=end2end)
    do = ul.non_max_suppression(torch.from_numpy(yo), conf, iou, end2end=end2end)
    n_t, n_o = sum(len(d) for d in dt), sum(len(d) for d in do)
    agree, max_box = n_t == n_o, 0.0
    for a, b in zip(dt, do):
        if len(a) != len(b):
            agree = False
            continue
        if len(a):
            max_box = max(max_box, float((a[:, :4] - b[:, :4]).abs().max()))
            agree &= bool((a[:, 5] == b[:, 5]).all())
    agree &= max_box <= 0.5
    return Parity(abs_diff, rel_diff, n_t, n_o, agree, max_box, len(images), sess.get_providers()[0])
