"""Test-wide settings: offline, and Triton's CPU interpreter where there is no GPU."""

import os

import torch

os.environ.setdefault("YOLO_OFFLINE", "1")
if not torch.cuda.is_available():
    # must be set before any @triton.jit function is created
    os.environ.setdefault("TRITON_INTERPRET", "1")
