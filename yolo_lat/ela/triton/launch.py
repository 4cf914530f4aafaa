"""Host-side launcher of the Triton programs: tiling choices, segment split, partial-state combine.

Forward = two passes over memory: ``fwd_state`` reads k and v once (split into L-segments so that
small B·H still fill the GPU), a tiny combine in torch merges the segment states (rescaling the
``hadamard_exp`` partial sums to the common maxima), and ``fwd_out`` reads q once and writes o.
Backward mirrors it: ``bwd_state`` reduces over queries into dS, then ``bwd_dq``, ``bwd_dk`` and
``bwd_dv`` map rows independently. Shapes: q, k: (B, H, L, D), v, o: (B, H, L, Dv).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import triton  # the real Triton (absolute import), not this subpackage
import triton.language as tl

from ..kernel_maps import KernelFamily
from ..linear import compute_dtype, key_shift
from ..tracing import interpreting
from . import programs

__all__ = ["FAMILIES", "ForwardState", "Tiling", "backward", "choose_segments", "choose_tiling", "forward"]

# the kernel families the Triton programs evaluate (softmax runs as PyTorch's SDPA instead)
FAMILIES = (KernelFamily.HADAMARD_EXP, KernelFamily.SUM_SQEUCLID, KernelFamily.SUB_SQEUCLID, KernelFamily.FEATURES)
_SQEUCLID = (KernelFamily.SUM_SQEUCLID, KernelFamily.SUB_SQEUCLID)


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


@dataclass(frozen=True)
class _Plan:
    """Tiles, tile counts and L-segments of one launch sequence."""

    tile: Tiling
    nd: int  # feature tiles
    ne: int  # value tiles
    seg_len: int
    segments: int


def _plan(q: torch.Tensor, v: torch.Tensor, acc: torch.dtype, segments: int | None) -> _Plan:
    b, h, length, d = q.shape
    dv = v.shape[-1]
    tile = choose_tiling(d, dv, acc)
    nd, ne = triton.cdiv(d, tile.block_d), triton.cdiv(dv, tile.block_e)
    segments = segments or choose_segments(length, b * h * nd * ne, tile.block_l, q.device)
    seg_len = triton.cdiv(triton.cdiv(length, segments), tile.block_l) * tile.block_l
    return _Plan(tile, nd, ne, seg_len, triton.cdiv(length, seg_len))


def _meta(family: int, tile: Tiling, acc: torch.dtype, *tensors: torch.Tensor) -> dict:
    """Compile-time arguments of every program. fp32/fp64 inputs: exact products; fp16/bf16
    inputs: tf32 tensor cores (fp32 range, 10-bit mantissa, at least the precision of the
    inputs), always accumulated in fp32."""
    half = all(t.dtype in (torch.float16, torch.bfloat16) for t in tensors)
    return dict(
        FAMILY=family,
        BLOCK_L=tile.block_l,
        BLOCK_D=tile.block_d,
        BLOCK_E=tile.block_e,
        ACC=tl.float64 if acc == torch.float64 else tl.float32,
        PRECISION="tf32" if half else "ieee",
        num_warps=tile.num_warps,
    )


@dataclass
class ForwardState:
    """What the backward pass needs besides q, k, v, o."""

    family: int
    state: torch.Tensor  # S: (BH, D, Dv)
    z: torch.Tensor  # (BH, D)
    big_m: torch.Tensor  # M: (BH, D) (hadamard_exp) or placeholder
    x: torch.Tensor  # X: (BH, 2, Dv) (other families) or placeholder
    xz: torch.Tensor  # (BH, 2)
    shift: torch.Tensor  # c: (BH, D) (squared-Euclidean) or placeholder
    den: torch.Tensor  # (BH, L)
    row: torch.Tensor  # (BH, L): m_i or a_i


def _family_id(family: KernelFamily | int) -> int:
    if family not in FAMILIES:
        names = [f.name for f in FAMILIES]
        raise ValueError(f"the Triton programs evaluate the kernel families {names}, got {family!r}")
    return int(family)


def forward(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, family: KernelFamily, segments: int | None = None
) -> tuple[torch.Tensor, ForwardState]:
    """Bidirectional ELA forward: q, k: (B, H, L, D), v: (B, H, L, Dv) -> o (B, H, L, Dv), ForwardState."""
    b, h, length, d = q.shape
    dv = v.shape[-1]
    bh = b * h
    family = _family_id(family)
    acc = compute_dtype(q, k, v)
    plan = _plan(q, v, acc, segments)
    dev = q.device
    if family in _SQEUCLID:
        shift = key_shift(k, acc).reshape(bh, d).contiguous()
    else:
        shift = torch.zeros(bh, d, device=dev, dtype=acc)
    s_part = torch.empty(bh, plan.segments, d, dv, device=dev, dtype=acc)
    z_part = torch.empty(bh, plan.segments, d, device=dev, dtype=acc)
    m_part = torch.empty(bh, plan.segments, d, device=dev, dtype=acc) if family == KernelFamily.HADAMARD_EXP else z_part
    x_part = torch.empty(bh, plan.segments, plan.nd, 2, dv, device=dev, dtype=acc)
    xz_part = torch.empty(bh, plan.segments, plan.nd, 2, device=dev, dtype=acc)
    meta = _meta(family, plan.tile, acc, q, k, v)
    programs.fwd_state[(bh, plan.segments, plan.nd * plan.ne)](
        k, v, shift, s_part, z_part, m_part, x_part, xz_part,
        *k.stride(), *v.stride(),
        h, length, d, dv, plan.seg_len, plan.segments, plan.nd, plan.ne,
        **meta,
    )  # fmt: skip
    state, z, big_m, x, xz = _combine_segments(family, s_part, z_part, m_part, x_part, xz_part, shift)

    o = torch.empty(b, h, length, dv, device=dev, dtype=v.dtype)
    den = torch.empty(bh, length, device=dev, dtype=acc)
    row = torch.empty(bh, length, device=dev, dtype=acc)
    programs.fwd_out[(bh, triton.cdiv(length, plan.tile.block_l), plan.ne)](
        q, state, z, big_m, x, xz, shift, o, den, row,
        *q.stride(), *o.stride(),
        h, length, d, dv,
        **meta,
    )  # fmt: skip
    return o, ForwardState(family, state, z, big_m, x, xz, shift, den, row)


def _combine_segments(
    family: int,
    s_part: torch.Tensor,
    z_part: torch.Tensor,
    m_part: torch.Tensor,
    x_part: torch.Tensor,
    xz_part: torch.Tensor,
    shift: torch.Tensor,
) -> tuple[torch.Tensor, ...]:
    """Merge the per-segment partial states (tiny tensors) into S, z, M, X, xz, all contiguous."""
    bh, _, _, dv = s_part.shape
    if family == KernelFamily.HADAMARD_EXP:
        big_m = m_part.amax(1)  # (BH, D)
        weight = torch.exp(m_part - big_m.unsqueeze(1))
        state = (s_part * weight.unsqueeze(-1)).sum(1)
        z = (z_part * weight).sum(1)
        x = s_part.new_zeros(bh, 2, dv)
        xz = s_part.new_ones(bh, 2)
    else:
        big_m = shift
        state, z = s_part.sum(1), z_part.sum(1)
        x, xz = x_part.sum((1, 2)), xz_part.sum((1, 2))
    return state.contiguous(), z.contiguous(), big_m, x.contiguous(), xz.contiguous()


def _den_gradient(o: torch.Tensor, do: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """g_i = ∂loss/∂den_i = −(do_i·o_i)/den_i: (BH, L), zero on rows that fell back to the mean of v."""
    b, h, length, _ = o.shape
    den = den.view(b, h, length)
    fallback = den <= 0
    delta = (do.to(den.dtype) * o.to(den.dtype)).sum(-1)
    g = torch.where(fallback, torch.zeros_like(delta), -delta / torch.where(fallback, torch.ones_like(den), den))
    return g.reshape(b * h, length).contiguous()


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
    plan = _plan(q, v, acc, segments)
    dev = q.device
    do = do.contiguous() if do.stride(-1) != 1 else do
    g = _den_gradient(o, do, fs.den)
    meta = _meta(fs.family, plan.tile, acc, q, k, v, do)

    ds_part = torch.empty(bh, plan.segments, d, dv, device=dev, dtype=acc)
    dz_part = torch.empty(bh, plan.segments, d, device=dev, dtype=acc)
    dx_part = torch.zeros(bh, plan.segments, 2, dv, device=dev, dtype=acc)
    dxz_part = torch.zeros(bh, plan.segments, 2, device=dev, dtype=acc)
    programs.bwd_state[(bh, plan.segments, plan.nd * plan.ne)](
        q, do, fs.row, fs.den, g, fs.big_m, fs.shift, ds_part, dz_part, dx_part, dxz_part,
        *q.stride(), *do.stride(),
        h, length, d, dv, plan.seg_len, plan.segments, plan.ne,
        **meta,
    )  # fmt: skip
    ds, dz = ds_part.sum(1).contiguous(), dz_part.sum(1).contiguous()
    dx, dxz = dx_part.sum(1).contiguous(), dxz_part.sum(1).contiguous()

    dq, dk, dvv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
    nl = triton.cdiv(length, plan.tile.block_l)
    programs.bwd_dq[(bh, nl, plan.nd)](
        q, do, fs.row, fs.den, g, fs.big_m, fs.shift, fs.state, fs.z, fs.x, fs.xz, dq,
        *q.stride(), *do.stride(), *dq.stride(),
        h, length, d, dv,
        **meta,
    )  # fmt: skip
    programs.bwd_dk[(bh, nl, plan.nd)](
        k, v, fs.big_m, fs.shift, ds, dz, dx, dxz, dk,
        *k.stride(), *v.stride(), *dk.stride(),
        h, length, d, dv,
        **meta,
    )  # fmt: skip
    programs.bwd_dv[(bh, nl, plan.ne)](
        k, fs.big_m, fs.shift, ds, dx, dvv,
        *k.stride(), *dvv.stride(),
        h, length, d, dv,
        **meta,
    )  # fmt: skip
    return dq, dk, dvv
