"""Checks of the numeric arguments Ultralytics would otherwise quietly change or fail on deep inside.

Ultralytics turns ``imgsz=-5`` into 32 with a warning and hands ``batch=0`` to a DataLoader that
fails with its own wording; YOLO-LAT refuses such values up front with one line naming the key, the
value and what is expected (``ValueError``, which the CLI prints as one line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["check_args", "check_autobatch", "check_batch", "check_imgsz"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_imgsz(value: Any, key: str = "imgsz") -> None:
    """``imgsz``: a positive integer or a list of one or two positive integers ([h, w])."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not 1 <= len(values) <= 2 or not all(_is_int(v) and v > 0 for v in values):
        shown = value if not isinstance(value, (list, tuple)) else "[" + ",".join(map(str, value)) + "]"
        raise ValueError(f"{key}={shown} is not an image size; expected a positive integer such as 640, or [h, w]")


def check_batch(value: Any, mode: str) -> None:
    """``batch``: a positive integer; for train also Ultralytics' AutoBatch values (-1, or a fraction of
    GPU memory in (0, 1)), which need a CUDA device (checked where the device is known)."""
    if _is_int(value) and value >= 1:
        return
    if mode == "train" and (value == -1 or (isinstance(value, float) and 0 < value < 1)):
        return
    expected = "a positive integer" + (
        " (or -1 / a fraction in (0, 1) for AutoBatch on a GPU)" if mode == "train" else ""
    )
    raise ValueError(f"batch={value} is not a batch size; expected {expected}")


def check_autobatch(batch: Any, device: Any) -> None:
    """AutoBatch (``batch=-1`` or a fraction) sizes the batch from GPU memory: refuse it for a CPU run
    instead of Ultralytics' silent fall back to 16."""
    import torch

    autobatch = batch == -1 or (isinstance(batch, float) and 0 < batch < 1)
    if autobatch and (str(device).lower() in ("cpu", "mps") or not torch.cuda.is_available()):
        raise ValueError(f"batch={batch} asks for AutoBatch, which needs a CUDA GPU; give a batch size such as 16")


def check_args(mode: str, args: Mapping[str, Any]) -> None:
    """Check the numeric arguments of one call of ``mode`` (train, val, predict, export, benchmark)."""
    if args.get("imgsz") is not None:
        imgsz = args["imgsz"]
        if mode == "benchmark" and isinstance(imgsz, Sequence) and not isinstance(imgsz, str):
            for v in imgsz:  # a list of sizes to sweep
                check_imgsz(v)
        elif mode == "benchmark" and isinstance(imgsz, str) and "," in imgsz:
            for v in imgsz.split(","):
                check_imgsz(int(v) if v.strip().lstrip("-").isdigit() else v.strip())
        else:
            check_imgsz(imgsz)
    if args.get("batch") is not None:
        batch = args["batch"]
        values = batch if mode == "benchmark" and isinstance(batch, (list, tuple)) else [batch]
        for v in values:
            check_batch(v, mode)
        if mode == "train":
            check_autobatch(batch, args.get("device"))
