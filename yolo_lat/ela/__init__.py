"""Exact Linear Attention (ELA, arXiv 2605.18848): kernels, oracle, torch and Triton paths.

Imports torch (and Triton, when present) only; usable without the rest of YOLO-LAT.

>>> import torch
>>> from yolo_lat.ela import ela_attention
>>> q = k = v = torch.randn(1, 2, 100, 16)
>>> ela_attention(q, k, v).shape
torch.Size([1, 2, 100, 16])
"""

from .attention import BACKENDS, ela_attention, resolve_backend, triton_available
from .kernels import Kernel, available_kernels, get_kernel, register_kernel, unregister_kernel
from .linear import linear_attention
from .naive import quadratic_attention

__all__ = [
    "BACKENDS",
    "Kernel",
    "available_kernels",
    "ela_attention",
    "get_kernel",
    "linear_attention",
    "quadratic_attention",
    "register_kernel",
    "resolve_backend",
    "triton_available",
    "unregister_kernel",
]
