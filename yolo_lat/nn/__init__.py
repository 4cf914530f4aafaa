"""YOLO-LAT network modules (ELA attention for feature maps, the ELA block) and the YAML glue.

- elattention.py: ``ELAttention``, ELA over a feature map; lobe.py, moe.py: the paper's options;
  block.py: ``ELABlock`` and its layers.
- model_yaml.py: finding model YAMLs, scale suffixes, ``base:`` inheritance.
- stand_in.py: the module registry and the stand-ins that Ultralytics' parser scales.
- tasks.py: ``YOLOLATDetectionModel``.
"""

import sys as _sys

from . import elattention as _elattention
from .block import ELABlock, ELALayer, GatedFFN, add_memory_lobes, remove_memory_lobes
from .elattention import ELAttention
from .lobe import MemoryLobe
from .model_yaml import load_model_yaml, resolve_model_yaml
from .moe import MoEFFN
from .stand_in import MODULES, register_module
from .tasks import YOLOLATDetectionModel

# Checkpoints saved before nn/attention.py became nn/elattention.py (the shipped weights among them)
# pickle yolo_lat.nn.attention.ELAttention; unpickling imports this package first, then finds it here.
_sys.modules.setdefault(f"{__name__}.attention", _elattention)

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
