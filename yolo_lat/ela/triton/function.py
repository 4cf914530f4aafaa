"""``torch.autograd.Function`` over the Triton programs: bidirectional ELA, differentiable."""

from __future__ import annotations

import torch

from ..kernel_maps import KernelFamily
from . import launch

__all__ = ["ELATritonFunction", "ela_triton", "ela_triton_op"]


class ELATritonFunction(torch.autograd.Function):
    """Bidirectional ELA on the Triton programs; q, k: (B, H, L, D), v: (B, H, L, Dv) -> (B, H, L, Dv),
    or with ``channels_first`` q, k: (B, H, D, L), v: (B, H, Dv, L) -> (B, H, Dv, L), read and
    written in place (any strides).

    ``family`` is one of ``launch.FAMILIES``; for ``KernelFamily.FEATURES`` q and k are the
    feature maps φ(q), ψ(k) already applied (registered kernels), so gradients flow back through
    them. Saved for backward: q, k, v and one state row per batch·head.
    """

    @staticmethod
    def forward(ctx, q, k, v, family: KernelFamily, segments: int | None = None, channels_first: bool = False):  # noqa: D102
        if channels_first:
            q, k, v = q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2)
        need_state = any(ctx.needs_input_grad[:3])
        o, state = launch.forward(q, k, v, family, segments, need_state, channels_first)
        if need_state:
            ctx.save_for_backward(q, k, v, state)
        ctx.family, ctx.segments, ctx.channels_first = family, segments, channels_first
        return o.transpose(-1, -2) if channels_first else o

    @staticmethod
    def backward(ctx, do):  # noqa: D102
        q, k, v, state = ctx.saved_tensors
        if ctx.channels_first:
            do = do.transpose(-1, -2)
        grads = launch.backward(q, k, v, state, do, ctx.family, ctx.segments, ctx.channels_first)
        if ctx.channels_first:
            grads = tuple(g.transpose(-1, -2) for g in grads)
        return (*grads, None, None, None)


def ela_triton(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    family: KernelFamily,
    segments: int | None = None,
    channels_first: bool = False,
) -> torch.Tensor:
    """Differentiable Triton ELA (bidirectional) for kernel family ``family``.

    ``segments`` fixes the number of L-segments of the state reductions (1: the fused
    single-launch forward; chosen by size when None). ``channels_first``: q, k, v are (B, H, D, L)
    and the result is (B, H, Dv, L), as a detector layer stores them: no transpose or copy."""
    return ELATritonFunction.apply(q, k, v, family, segments, channels_first)


# ----------------------------------------------------------------------------- torch.compile
# The same programs as custom operators with fake (shape-only) implementations and an autograd
# formula, so that torch.compile keeps them whole in its graph (CUDA graphs included) instead of
# tracing into the launcher.
def _cf_views(q, k, v, channels_first):
    return (q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2)) if channels_first else (q, k, v)


@torch.library.custom_op("yolo_lat::ela_forward", mutates_args=())
def _forward_op(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, family: int, channels_first: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    qv, kv, vv = _cf_views(q, k, v, channels_first)
    o, state = launch.forward(qv, kv, vv, family, None, True, channels_first)
    return (o.transpose(-1, -2) if channels_first else o), state


@_forward_op.register_fake
def _forward_fake(q, k, v, family, channels_first):
    qv, _, vv = _cf_views(q, k, v, channels_first)
    b, h, length, d = qv.shape
    dv = vv.shape[-1]
    acc = torch.float64 if torch.float64 in (q.dtype, k.dtype, v.dtype) else torch.float32
    o = v.new_empty(b, h, dv, length) if channels_first else v.new_empty(b, h, length, dv)
    return o, q.new_empty(b * h, d * dv + 3 * d + 2 * dv + 2, dtype=acc)


@torch.library.custom_op("yolo_lat::ela_backward", mutates_args=())
def _backward_op(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, state: torch.Tensor, do: torch.Tensor, family: int,
    channels_first: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    qv, kv, vv = _cf_views(q, k, v, channels_first)
    dov = do.transpose(-1, -2) if channels_first else do
    grads = launch.backward(qv, kv, vv, state, dov, family, None, channels_first)
    return tuple(g.transpose(-1, -2) for g in grads) if channels_first else grads


@_backward_op.register_fake
def _backward_fake(q, k, v, state, do, family, channels_first):
    return torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)


def _setup_context(ctx, inputs, output):
    q, k, v, family, channels_first = inputs
    ctx.save_for_backward(q, k, v, output[1])
    ctx.family, ctx.channels_first = family, channels_first
    ctx.mark_non_differentiable(output[1])


def _backward_formula(ctx, do, _dstate):
    q, k, v, state = ctx.saved_tensors
    dq, dk, dv = _backward_op(q, k, v, state, do, ctx.family, ctx.channels_first)
    return dq, dk, dv, None, None


_forward_op.register_autograd(_backward_formula, setup_context=_setup_context)


def ela_triton_op(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, family: KernelFamily, channels_first: bool = False
) -> torch.Tensor:
    """``ela_triton`` as the custom operator ``yolo_lat::ela_forward`` (what ``ela_attention`` runs
    under ``torch.compile``): the same programs, segments chosen by size."""
    return _forward_op(q, k, v, int(family), channels_first)[0]
