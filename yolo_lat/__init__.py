"""YOLO-LAT: object detection with Exact Linear Attention (ELA) on Ultralytics YOLO."""

__version__ = "0.1.0"

import os as _os
import sys as _sys

# YOLO-LAT never downloads (weights, fonts, datasets), sends no telemetry and installs nothing:
# Ultralytics reads these when it is imported. Set YOLO_OFFLINE=0 / YOLO_AUTOINSTALL=1 yourself to
# give Ultralytics its network checks / its pip installs back (weights and datasets are still
# never downloaded, and data YAML download scripts never run).
_os.environ.setdefault("YOLO_OFFLINE", "1")
_os.environ.setdefault("YOLO_AUTOINSTALL", "False")
if "ultralytics" in _sys.modules:  # imported first: it has read them already; the door resets what it read
    from . import _ultralytics  # noqa: F401  (installs its guards on import)


def __getattr__(name: str):
    if name == "YOLOLAT":  # lazy: `import yolo_lat.ela` must not import Ultralytics
        from .engine.model import YOLOLAT

        return YOLOLAT
    raise AttributeError(f"module 'yolo_lat' has no attribute {name!r}")


__all__ = ["YOLOLAT", "__version__"]
