"""YOLO-LAT network modules (ELA attention for feature maps, the ELA block) and the YAML glue."""

from .attention import ELAttention
from .block import ELABlock, ELALayer
from .tasks import MODULES, YOLOLATDetectionModel, load_model_yaml, register_module, resolve_model_yaml

__all__ = [
    "MODULES",
    "ELABlock",
    "ELALayer",
    "ELAttention",
    "YOLOLATDetectionModel",
    "load_model_yaml",
    "register_module",
    "resolve_model_yaml",
]
