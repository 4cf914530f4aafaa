"""Training throughput: forward + loss + backward + optimizer step on a synthetic batch, the same
loop for every model (no data loading, so the figure is the model's own cost)."""

from __future__ import annotations

import time

import torch

from .. import _ultralytics as ul
from .common import synchronize
from .models import build_model

__all__ = ["synthetic_batch", "train_throughput"]


def synthetic_batch(b: int, imgsz: int, device: torch.device, nc: int = 80, per_image: int = 8) -> dict:
    """A fixed random batch in Ultralytics' format: ``img`` (b, 3, imgsz, imgsz), ``per_image`` boxes per
    image as normalised xywh ``bboxes`` with ``cls`` and ``batch_idx``."""
    g = torch.Generator().manual_seed(0)
    n = b * per_image
    xy = torch.rand(n, 2, generator=g) * 0.8 + 0.1
    wh = torch.rand(n, 2, generator=g) * 0.15 + 0.05
    return {
        "img": torch.rand(b, 3, imgsz, imgsz, generator=g).to(device),
        "cls": torch.randint(0, nc, (n, 1), generator=g).float().to(device),
        "bboxes": torch.cat([xy, wh], 1).to(device),
        "batch_idx": torch.arange(b).repeat_interleave(per_image).float().to(device),
    }


def train_throughput(name: str, device: torch.device, imgsz: int = 640, batch: int = 16, steps: int = 20,
                     amp: bool = True, warmup: int = 3) -> dict:  # fmt: skip
    """Images per second and ms per step of ``steps`` SGD steps after ``warmup`` (AMP on CUDA only)."""
    amp = amp and device.type == "cuda"
    model = build_model(name).to(device).train()
    ul.attach_loss_hyperparameters(model)  # Ultralytics' default loss gains, as a trainer would set
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    scaler = torch.amp.GradScaler(enabled=amp)
    data = synthetic_batch(batch, imgsz, device)

    def step():
        with torch.autocast(device.type, enabled=amp):
            loss, _ = model.loss(data)
        scaler.scale(loss.sum()).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)

    for _ in range(warmup):
        step()
    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(device)
    dt = time.perf_counter() - t0
    return {"model": name, "images_per_s": steps * batch / dt, "step_ms": dt / steps * 1e3}
