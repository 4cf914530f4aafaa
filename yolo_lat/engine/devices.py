"""``device=`` checked before Ultralytics selects it, so that a missing GPU is one accurate line.

Ultralytics turns ``device=cuda`` into ``device=0`` and then reports "Invalid CUDA 'device=0'
requested" with several lines of diagnostics; the user never typed ``0``. ``check_device`` refuses
a CUDA request torch cannot serve, naming what was asked and the values that work here. Anything
it does not recognise as a CUDA request (``cpu``, ``mps``, ``npu``, ``xpu``, ``dla:0``...) is left to
Ultralytics.
"""

from __future__ import annotations

import os
from typing import Any

import torch

__all__ = ["check_device", "working_devices"]


def _cuda_indices(device: Any) -> list[int] | None:
    """GPU indices a ``device=`` value asks for ([] for "any GPU": cuda, -1), or None when it is not a
    CUDA request (cpu, mps, npu, xpu, an empty value...)."""
    if isinstance(device, torch.device):
        return None if device.type != "cuda" else ([] if device.index is None else [device.index])
    if isinstance(device, int):
        return [] if device < 0 else [device]
    if isinstance(device, (list, tuple)):
        parts = [str(d) for d in device]
    else:
        s = str(device or "").strip().lower().replace(" ", "").strip("[]()")
        if s in ("cuda", "cuda:"):
            return []
        parts = [p.removeprefix("cuda:") for p in s.split(",") if p]
    if not parts or not all(p.lstrip("-").isdigit() for p in parts):
        return None
    return [int(p) for p in parts if int(p) >= 0]  # -1: Ultralytics picks an idle GPU


def working_devices() -> list[str]:
    """The ``device=`` values that work on this machine: cpu, the CUDA indices, mps."""
    values = ["cpu"]
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    values += [str(i) for i in range(n)]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        values.append("mps")
    return values


def check_device(device: Any) -> None:
    """Raise ValueError (one line) when ``device`` asks for a CUDA GPU that torch cannot use."""
    indices = _cuda_indices(device)
    if indices is None:
        return
    usable = ", ".join(f"device={v}" for v in working_devices())
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise ValueError(
            f"device={device}: no CUDA GPU is available (torch {torch.__version__}, {build}, sees none); use {usable}"
        )
    n = torch.cuda.device_count()
    bad = [i for i in indices if i >= n]
    if bad and not os.environ.get("CUDA_VISIBLE_DEVICES"):  # else Ultralytics maps physical ids itself
        raise ValueError(f"device={device}: GPU {bad[0]} does not exist, torch sees {n} CUDA GPU(s); use {usable}")
