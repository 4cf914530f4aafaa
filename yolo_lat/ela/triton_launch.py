"""Launchers of the Triton ELA kernels: tiling choices, segment split, partial-state combine.

Forward = two passes over memory: ``_fwd_state`` reads k and v once (split into L-segments so
that small B·H still fill the GPU), a tiny combine merges the segment states (rescaling the
``hadamard_exp`` partial sums to the common maxima), and ``_fwd_out`` reads q once and writes o.
Backward mirrors it: ``_bwd_state`` reduces over queries into dS, then ``_bwd_dq``, ``_bwd_dk`` and
``_bwd_dv`` map rows independently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import triton

from . import triton_kernels as tk
from .linear import compute_dtype, key_shift

MODES = {"exp": tk.MODE_EXP.value, "sum_sq": tk.MODE_SUM_SQ.value, "sub_sq": tk.MODE_SUB_SQ.value,
         "features": tk.MODE_FEATURES.value}  # fmt: skip


def interpreting() -> bool:
    """True when Triton runs its CPU interpreter (TRITON_INTERPRET=1)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


@dataclass(frozen=True)
class Tiling:
    block_l: int
    block_d: int
    block_e: int
    num_warps: int


def choose_tiling(d: int, dv: int, dtype: torch.dtype) -> Tiling:
    """Tiles: feature and value columns up to 64 wide (looped beyond), 32–64 rows."""
    block_d = min(max(triton.next_power_of_2(d), 16), 64)
    block_e = min(max(triton.next_power_of_2(dv), 16), 64)
    block_l = 32 if dtype == torch.float64 or block_d * block_e > 2048 else 64
    return Tiling(block_l, block_d, block_e, 4)


def choose_segments(length: int, programs_per_segment: int, block_l: int, device: torch.device) -> int:
    """Number of L-segments for the state reductions: enough programs to fill the GPU."""
    if interpreting() or device.type != "cuda":
        target = 2
    else:
        target = 4 * torch.cuda.get_device_properties(device).multi_processor_count
    max_segments = max(1, triton.cdiv(length, 4 * block_l))
    return max(1, min(triton.cdiv(target, programs_per_segment), max_segments))


def _segment_len(length: int, segments: int, block_l: int) -> tuple[int, int]:
    seg_len = triton.cdiv(triton.cdiv(length, segments), block_l) * block_l
    return seg_len, triton.cdiv(length, seg_len)


def _tl_dtype(dtype: torch.dtype):
    return tk.tl.float64 if dtype == torch.float64 else tk.tl.float32


def _precision(*tensors: torch.Tensor) -> str:
    # fp32/fp64 inputs: exact products; fp16/bf16 inputs: tf32 tensor cores (fp32 range, 10-bit
    # mantissa, at least the precision of the inputs), always accumulated in fp32
    half = all(t.dtype in (torch.float16, torch.bfloat16) for t in tensors)
    return "tf32" if half else "ieee"


@dataclass
class ForwardState:
    """What the backward pass needs besides q, k, v, o."""

    mode: int
    state: torch.Tensor  # S: (BH, D, Dv)
    z: torch.Tensor  # (BH, D)
    big_m: torch.Tensor  # M: (BH, D) (exp) or placeholder
    x: torch.Tensor  # X: (BH, 2, Dv) (non-exp) or placeholder
    xz: torch.Tensor  # (BH, 2)
    shift: torch.Tensor  # c: (BH, D) (squared-Euclidean) or placeholder
    den: torch.Tensor  # (BH, L)
    row: torch.Tensor  # (BH, L): m_i or a_i


def forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mode: str, segments: int | None = None):
    """Bidirectional ELA forward: q, k: (B, H, L, D), v: (B, H, L, Dv) -> o (B, H, L, Dv), ForwardState."""
    b, h, length, d = q.shape
    dv = v.shape[-1]
    bh = b * h
    mode_id = MODES[mode]
    acc = compute_dtype(q, k, v)
    tile = choose_tiling(d, dv, acc)
    nd, ne = triton.cdiv(d, tile.block_d), triton.cdiv(dv, tile.block_e)
    segments = segments or choose_segments(length, bh * nd * ne, tile.block_l, q.device)
    seg_len, segments = _segment_len(length, segments, tile.block_l)
    dev = q.device
    shift = (
        key_shift(k, acc).reshape(bh, d).contiguous()
        if mode_id in (tk.MODE_SUM_SQ.value, tk.MODE_SUB_SQ.value)
        else torch.zeros(bh, d, device=dev, dtype=acc)
    )
    s_part = torch.empty(bh, segments, d, dv, device=dev, dtype=acc)
    z_part = torch.empty(bh, segments, d, device=dev, dtype=acc)
    m_part = torch.empty(bh, segments, d, device=dev, dtype=acc) if mode_id == tk.MODE_EXP.value else z_part
    x_part = torch.empty(bh, segments, nd, 2, dv, device=dev, dtype=acc)
    xz_part = torch.empty(bh, segments, nd, 2, device=dev, dtype=acc)
    common = dict(
        MODE=mode_id,
        BLOCK_L=tile.block_l,
        BLOCK_D=tile.block_d,
        BLOCK_E=tile.block_e,
        ACC=_tl_dtype(acc),
        PRECISION=_precision(q, k, v),
        num_warps=tile.num_warps,
    )
    tk._fwd_state[(bh, segments, nd * ne)](
        k, v, shift, s_part, z_part, m_part, x_part, xz_part,
        *k.stride(), *v.stride(),
        h, length, d, dv, seg_len, segments, nd, ne,
        **common,
    )  # fmt: skip

    # combine the segments (tiny tensors)
    if mode_id == tk.MODE_EXP.value:
        big_m = m_part.amax(1)  # (BH, D)
        weight = torch.exp(m_part - big_m.unsqueeze(1))
        state = (s_part * weight.unsqueeze(-1)).sum(1)
        z = (z_part * weight).sum(1)
        x = torch.zeros(bh, 2, dv, device=dev, dtype=acc)
        xz = torch.ones(bh, 2, device=dev, dtype=acc)
    else:
        big_m = shift
        state, z = s_part.sum(1), z_part.sum(1)
        x, xz = x_part.sum((1, 2)), xz_part.sum((1, 2))
    state, z, x, xz = state.contiguous(), z.contiguous(), x.contiguous(), xz.contiguous()

    o = torch.empty(b, h, length, dv, device=dev, dtype=v.dtype)
    den = torch.empty(bh, length, device=dev, dtype=acc)
    row = torch.empty(bh, length, device=dev, dtype=acc)
    tk._fwd_out[(bh, triton.cdiv(length, tile.block_l), ne)](
        q, state, z, big_m, x, xz, shift, o, den, row,
        *q.stride(), *o.stride(),
        h, length, d, dv,
        **common,
    )  # fmt: skip
    return o, ForwardState(mode_id, state, z, big_m, x, xz, shift, den, row)


def backward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    o: torch.Tensor,
    do: torch.Tensor,
    fs: ForwardState,
    segments: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients (dq, dk, dv) of bidirectional ELA given the output gradient do: (B, H, L, Dv)."""
    b, h, length, d = q.shape
    dv = v.shape[-1]
    bh = b * h
    acc = fs.state.dtype
    tile = choose_tiling(d, dv, acc)
    nd, ne = triton.cdiv(d, tile.block_d), triton.cdiv(dv, tile.block_e)
    segments = segments or choose_segments(length, bh * nd * ne, tile.block_l, q.device)
    seg_len, segments = _segment_len(length, segments, tile.block_l)
    dev = q.device
    do = do.contiguous() if do.stride(-1) != 1 else do

    # g_i = ∂loss/∂den_i = −(do_i·o_i)/den_i, zero on rows that fell back to the mean of v
    den = fs.den.view(b, h, length)
    fallback = den <= 0
    delta = (do.to(acc) * o.to(acc)).sum(-1)
    g = torch.where(fallback, torch.zeros_like(delta), -delta / torch.where(fallback, torch.ones_like(den), den))
    g = g.reshape(bh, length).contiguous()

    common = dict(
        MODE=fs.mode,
        BLOCK_L=tile.block_l,
        BLOCK_D=tile.block_d,
        BLOCK_E=tile.block_e,
        ACC=_tl_dtype(acc),
        PRECISION=_precision(q, k, v, do),
        num_warps=tile.num_warps,
    )
    ds_part = torch.empty(bh, segments, d, dv, device=dev, dtype=acc)
    dz_part = torch.empty(bh, segments, d, device=dev, dtype=acc)
    dx_part = torch.zeros(bh, segments, 2, dv, device=dev, dtype=acc)
    dxz_part = torch.zeros(bh, segments, 2, device=dev, dtype=acc)
    tk._bwd_state[(bh, segments, nd * ne)](
        q, do, fs.row, fs.den, g, fs.big_m, fs.shift, ds_part, dz_part, dx_part, dxz_part,
        *q.stride(), *do.stride(),
        h, length, d, dv, seg_len, segments, ne,
        **common,
    )  # fmt: skip
    ds, dz = ds_part.sum(1).contiguous(), dz_part.sum(1).contiguous()
    dx, dxz = dx_part.sum(1).contiguous(), dxz_part.sum(1).contiguous()

    dq = torch.empty_like(q)
    dk = torch.empty_like(k)
    dvv = torch.empty_like(v)
    nl = triton.cdiv(length, tile.block_l)
    tk._bwd_dq[(bh, nl, nd)](
        q, do, fs.row, fs.den, g, fs.big_m, fs.shift, fs.state, fs.z, fs.x, fs.xz, dq,
        *q.stride(), *do.stride(), *dq.stride(),
        h, length, d, dv,
        **common,
    )  # fmt: skip
    tk._bwd_dk[(bh, nl, nd)](
        k, v, fs.big_m, fs.shift, ds, dz, dx, dxz, dk,
        *k.stride(), *v.stride(), *dk.stride(),
        h, length, d, dv,
        **common,
    )  # fmt: skip
    tk._bwd_dv[(bh, nl, ne)](
        k, fs.big_m, fs.shift, ds, dx, dvv,
        *k.stride(), *dvv.stride(),
        h, length, d, dv,
        **common,
    )  # fmt: skip
    return dq, dk, dvv
