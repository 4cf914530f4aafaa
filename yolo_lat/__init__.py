"""YOLO-LAT: object detection with Exact Linear Attention (ELA) on Ultralytics YOLO."""

__version__ = "0.1.0"
