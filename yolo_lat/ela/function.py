"""``torch.autograd.Function`` wrapping the Triton forward and backward kernels."""

from __future__ import annotations

import torch

from . import triton_launch


class ELATritonFunction(torch.autograd.Function):
    """Bidirectional ELA on Triton kernels; q, k: (B, H, L, D), v: (B, H, L, Dv) -> (B, H, L, Dv).

    ``mode`` is one of ``triton_launch.MODES``; for ``"features"`` q and k are the feature maps
    φ(q), ψ(k) already applied (registered kernels), so gradients flow back through them.
    """

    @staticmethod
    def forward(ctx, q, k, v, mode: str, segments: int | None = None):  # noqa: D102
        o, fs = triton_launch.forward(q, k, v, mode, segments)
        ctx.save_for_backward(q, k, v, o)
        ctx.fs = fs
        ctx.segments = segments
        return o

    @staticmethod
    def backward(ctx, do):  # noqa: D102
        q, k, v, o = ctx.saved_tensors
        dq, dk, dv = triton_launch.backward(q, k, v, o, do, ctx.fs, ctx.segments)
        return dq, dk, dv, None, None


def ela_triton(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mode: str, segments: int | None = None
) -> torch.Tensor:
    """Differentiable Triton ELA (bidirectional)."""
    return ELATritonFunction.apply(q, k, v, mode, segments)
