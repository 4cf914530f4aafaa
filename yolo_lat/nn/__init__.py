"""YOLO-LAT network modules (ELA attention for feature maps, the ELA block) and the YAML glue."""

from .attention import ELAttention
from .block import ELABlock, ELALayer, GatedFFN
from .lobe import MemoryLobe, add_memory_lobes, remove_memory_lobes
from .moe import MoEFFN
from .tasks import MODULES, YOLOLATDetectionModel, load_model_yaml, register_module, resolve_model_yaml

__all__ = [
    "MODULES",
    "ELABlock",
    "ELALayer",
    "ELAttention",
    "GatedFFN",
    "MemoryLobe",
    "MoEFFN",
    "add_memory_lobes",
    "remove_memory_lobes",
    "YOLOLATDetectionModel",
    "load_model_yaml",
    "register_module",
    "resolve_model_yaml",
]
