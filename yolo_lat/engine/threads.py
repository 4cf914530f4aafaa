"""CPU threads: Ultralytics uses cpu_count − 1 intra-op threads (1 on a 2-core machine), leaving a
core for dataloader workers; but on CPU it also runs with workers=0, so that core sits idle. On a
CPU device YOLO-LAT uses every core (override with $YOLO_LAT_THREADS)."""

from __future__ import annotations

import os

import torch

__all__ = ["use_all_cpu_threads"]


def use_all_cpu_threads(device: torch.device | str | None) -> None:
    if device is None or torch.device(device).type != "cpu":
        return
    n = int(os.environ.get("YOLO_LAT_THREADS") or os.cpu_count() or 1)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
