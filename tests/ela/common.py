"""Helpers of the ELA tests (not a test module): the built-in linearisable kernels, the error
measure, and running a backend on the device it needs — the Triton backend on CUDA where a GPU is
present (its programs compiled for real), else on CPU under TRITON_INTERPRET=1 (see
tests/conftest.py)."""

import torch

from yolo_lat.ela import ela_attention, get_kernel

GPU = torch.cuda.is_available()
KERNELS = ["hadamard_exp", "sum_sqeuclid", "sub_sqeuclid"]  # the built-ins with an O(L) path


def rel_err(out: torch.Tensor, ref: torch.Tensor) -> float:
    """max |out − ref| / max |ref| over the whole output (norm-wise relative error), in fp64."""
    return ((out.double() - ref.double()).abs().max() / ref.double().abs().max().clamp_min(1e-30)).item()


def attend(q, k, v, kernel="hadamard_exp", causal=False, backend="auto"):
    """ela_attention with CPU tensors in and out, whichever device the backend runs on."""
    if backend == "triton" and GPU:
        return ela_attention(q.cuda(), k.cuda(), v.cuda(), kernel, causal, backend=backend).cpu()
    return ela_attention(q, k, v, kernel, causal, backend=backend)


def triton_direct(q, k, v, kernel, segments=None):
    """The Triton autograd Function itself (fixed segment count) for the named kernel's family,
    on the device it needs."""
    from yolo_lat.ela.triton import ela_triton

    family = get_kernel(kernel).family
    if GPU:
        return ela_triton(q.cuda(), k.cuda(), v.cuda(), family, segments).cpu()
    return ela_triton(q, k, v, family, segments)
