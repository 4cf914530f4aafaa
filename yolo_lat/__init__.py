"""YOLO-LAT: object detection with Exact Linear Attention (ELA) on Ultralytics YOLO."""

__version__ = "0.1.0"

import os as _os

# YOLO-LAT never downloads (weights, fonts, datasets) and sends no telemetry: Ultralytics reads
# this before its first network check. Set YOLO_OFFLINE=0 yourself to opt back in.
_os.environ.setdefault("YOLO_OFFLINE", "1")


def __getattr__(name: str):
    if name == "YOLOLAT":  # lazy: `import yolo_lat.ela` must not import Ultralytics
        from .engine.model import YOLOLAT

        return YOLOLAT
    raise AttributeError(f"module 'yolo_lat' has no attribute {name!r}")


__all__ = ["YOLOLAT", "__version__"]
