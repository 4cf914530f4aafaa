"""Glue to Ultralytics: the YOLOLAT model class, trainer, validator."""

from .model import YOLOLAT
from .trainer import YOLOLATTrainer
from .validator import YOLOLATValidator

__all__ = ["YOLOLAT", "YOLOLATTrainer", "YOLOLATValidator"]
