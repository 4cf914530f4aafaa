"""Exact Linear Attention (ELA, arXiv 2605.18848): kernels, the quadratic oracle, the linear torch
path and the Triton code.

- ``kernel_maps``: the attention kernels κ(q, k) = φ(q)·ψ(k), their ``KernelFamily`` and the registry;
- ``quadratic``: the L×L oracle, the specification the fast paths are tested against;
- ``linear``: the O(L) torch path (bidirectional and causal);
- ``triton``: the Triton programs, their launcher and autograd Function (bidirectional);
- ``dispatch``: ``ela_attention``, input checks and the choice of backend;
- ``tracing``: whether torch is tracing/exporting or Triton is interpreting.

Imports torch (and Triton, when present) only; usable without the rest of YOLO-LAT.

>>> import torch
>>> from yolo_lat.ela import ela_attention
>>> q = k = v = torch.randn(1, 2, 100, 16)
>>> ela_attention(q, k, v).shape
torch.Size([1, 2, 100, 16])
"""

from .dispatch import BACKENDS, ela_attention, resolve_backend, triton_available
from .kernel_maps import Kernel, KernelFamily, available_kernels, get_kernel, register_kernel, unregister_kernel
from .linear import linear_attention
from .quadratic import quadratic_attention

__all__ = [
    "BACKENDS",
    "Kernel",
    "KernelFamily",
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
