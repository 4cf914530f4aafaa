"""``torch.autograd.Function`` over the Triton programs: bidirectional ELA, differentiable."""

from __future__ import annotations

import torch

from ..kernel_maps import KernelFamily
from . import launch

__all__ = ["ELATritonFunction", "ela_triton"]


class ELATritonFunction(torch.autograd.Function):
    """Bidirectional ELA on the Triton programs; q, k: (B, H, L, D), v: (B, H, L, Dv) -> (B, H, L, Dv).

    ``family`` is one of ``launch.FAMILIES``; for ``KernelFamily.FEATURES`` q and k are the
    feature maps φ(q), ψ(k) already applied (registered kernels), so gradients flow back through
    them.
    """

    @staticmethod
    def forward(ctx, q, k, v, family: KernelFamily, segments: int | None = None):  # noqa: D102
        o, fs = launch.forward(q, k, v, family, segments)
        ctx.save_for_backward(q, k, v, o)
        ctx.fs = fs
        ctx.segments = segments
        return o

    @staticmethod
    def backward(ctx, do):  # noqa: D102
        q, k, v, o = ctx.saved_tensors
        dq, dk, dv = launch.backward(q, k, v, o, do, ctx.fs, ctx.segments)
        return dq, dk, dv, None, None


def ela_triton(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, family: KernelFamily, segments: int | None = None
) -> torch.Tensor:
    """Differentiable Triton ELA (bidirectional) for kernel family ``family``; ``segments`` fixes
    the number of L-segments of the state reductions (chosen to fill the GPU when None)."""
    return ELATritonFunction.apply(q, k, v, family, segments)
