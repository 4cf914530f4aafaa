"""AMP check without a download.

Ultralytics checks mixed precision on a GPU by downloading yolo26n.pt and comparing its fp32 and
autocast detections. YOLO-LAT downloads nothing, so when that file is not already on disk the
same comparison is made on the model being trained: fp32 and autocast outputs on a random batch
must be finite and agree within 0.5 (pixels for boxes), the tolerance Ultralytics uses.
"""

from __future__ import annotations

import contextlib
from copy import deepcopy

import torch
from ultralytics.utils import LOGGER

__all__ = ["amp_check", "local_amp_check", "no_download_amp_check"]


def local_amp_check(model: torch.nn.Module) -> bool:
    device = next(model.parameters()).device
    if device.type != "cuda":
        return False  # AMP is only used on CUDA
    from ultralytics.utils.torch_utils import autocast

    m = deepcopy(model).float().eval()
    stride = int(max(getattr(m, "stride", torch.tensor([32])).max().item(), 32))
    x = torch.rand(2, 3, 4 * stride, 4 * stride, device=device, generator=torch.Generator(device).manual_seed(0))
    with torch.no_grad():
        a = m(x)
        with autocast(enabled=True, device="cuda"):
            b = m(x)
    a = a[0] if isinstance(a, (list, tuple)) else a
    b = b[0] if isinstance(b, (list, tuple)) else b
    ok = bool(torch.isfinite(b).all()) and torch.allclose(a, b.float(), atol=0.5)
    LOGGER.info(f"AMP: fp32 vs autocast on the model itself {'agree ✅' if ok else 'differ, AMP disabled'}")
    return ok


def amp_check(model: torch.nn.Module) -> bool:
    """Ultralytics' check when its reference weights are on disk, the local check otherwise."""
    from ultralytics.utils import WEIGHTS_DIR
    from ultralytics.utils.checks import check_amp

    if (WEIGHTS_DIR / "yolo26n.pt").is_file():
        return check_amp(model)
    return local_amp_check(model)


@contextlib.contextmanager
def no_download_amp_check():
    """While active, Ultralytics' trainer uses ``amp_check`` instead of its downloading check."""
    import ultralytics.engine.trainer as ul_trainer

    original = ul_trainer.check_amp
    ul_trainer.check_amp = amp_check
    try:
        yield
    finally:
        ul_trainer.check_amp = original
