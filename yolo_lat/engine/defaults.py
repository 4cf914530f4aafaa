"""Defaults shared by the ``YOLOLAT`` class, the demo and the command line."""

from __future__ import annotations

__all__ = ["DEFAULT_DATA", "DEFAULT_IMGSZ", "DEFAULT_MODEL", "DEFAULT_WEIGHTS"]

DEFAULT_MODEL = "yolo-lat-n.yaml"  # what `train` builds without model=
DEFAULT_WEIGHTS = "yolo-lat-n.pt"  # what val, predict, export and demo load without model= (shipped)
DEFAULT_DATA = "shapes"  # what `train` trains on without data= (embedded generator)
DEFAULT_IMGSZ = 640  # input size when none is given: Ultralytics' default imgsz
