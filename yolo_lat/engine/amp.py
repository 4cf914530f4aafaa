"""AMP check without a download.

Ultralytics checks mixed precision on a GPU by downloading yolo26n.pt and comparing its fp32 and
autocast detections. YOLO-LAT downloads nothing, so when that file is not already on disk the
same comparison is made on the model being trained: fp32 and autocast outputs on a random batch
must be finite and agree within 0.5 (pixels for boxes), the tolerance Ultralytics uses.
``YOLOLATTrainer`` has Ultralytics' trainer call ``amp_check`` instead of its own check.
"""

from __future__ import annotations

from copy import deepcopy

import torch
from ultralytics.utils import LOGGER

from .. import _ultralytics as ul

__all__ = ["amp_check", "local_amp_check"]


def local_amp_check(model: torch.nn.Module) -> bool:
    """fp32 and autocast outputs of ``model`` itself agree (always False off CUDA: AMP is CUDA-only)."""
    device = next(model.parameters()).device
    if device.type != "cuda":
        return False  # AMP is only used on CUDA
    m = deepcopy(model).float().eval()
    stride = int(max(getattr(m, "stride", torch.tensor([32])).max().item(), 32))
    x = torch.rand(2, 3, 4 * stride, 4 * stride, device=device, generator=torch.Generator(device).manual_seed(0))
    with torch.no_grad():
        a = m(x)
        with ul.autocast(enabled=True, device="cuda"):
            b = m(x)
    a = a[0] if isinstance(a, (list, tuple)) else a
    b = b[0] if isinstance(b, (list, tuple)) else b
    ok = bool(torch.isfinite(b).all()) and torch.allclose(a, b.float(), atol=0.5)
    LOGGER.info(f"AMP: fp32 vs autocast on the model itself {'agree ✅' if ok else 'differ, AMP disabled'}")
    return ok


def amp_check(model: torch.nn.Module) -> bool:
    """Ultralytics' check when its reference weights are on disk, the local check otherwise."""
    ok = ul.ultralytics_amp_check(model)
    return local_amp_check(model) if ok is None else ok
