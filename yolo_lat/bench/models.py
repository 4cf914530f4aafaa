"""Model size: parameters and FLOPs, counted the same way for every model."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_params", "model_gflops"]


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
