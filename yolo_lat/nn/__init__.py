"""YOLO-LAT network modules (ELA attention for feature maps, the ELA block) and the YAML glue.

- elattention.py: ``ELAttention``, ELA over a feature map; lobe.py, moe.py: the paper's options;
  block.py: ``ELABlock`` and its layers.
- model_yaml.py: finding model YAMLs, scale suffixes, ``base:`` inheritance.
- stand_in.py: the module registry and the stand-ins that Ultralytics' parser scales.
- tasks.py: ``YOLOLATDetectionModel``.

Checkpoints name these classes by module path; paths of earlier versions (``yolo_lat.nn.attention``)
are mapped to today's by ``yolo_lat.checkpoint.LEGACY_CLASSES``.
"""

from .block import ELABlock, ELALayer, GatedFFN, add_memory_lobes, remove_memory_lobes
from .elattention import ELAttention
from .lobe import MemoryLobe
from .model_yaml import load_model_yaml, resolve_model_yaml
from .moe import MoEFFN
from .stand_in import MODULES, register_module
from .tasks import YOLOLATDetectionModel

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
