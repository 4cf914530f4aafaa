"""Running a backend on the device it needs: the Triton backend on CUDA where a GPU is present
(its kernels compiled for real), else on CPU under TRITON_INTERPRET=1 (see tests/conftest.py)."""

import torch

from yolo_lat.ela import ela_attention
from yolo_lat.ela.function import ela_triton

GPU = torch.cuda.is_available()


def attend(q, k, v, kernel="hadamard_exp", causal=False, backend="auto"):
    """ela_attention with CPU tensors in and out, whichever device the backend runs on."""
    if backend == "triton" and GPU:
        return ela_attention(q.cuda(), k.cuda(), v.cuda(), kernel, causal, backend=backend).cpu()
    return ela_attention(q, k, v, kernel, causal, backend=backend)


def triton_direct(q, k, v, mode, segments=None):
    """The Triton autograd Function itself (fixed segment count), on the device it needs."""
    if GPU:
        return ela_triton(q.cuda(), k.cuda(), v.cuda(), mode, segments).cpu()
    return ela_triton(q, k, v, mode, segments)
