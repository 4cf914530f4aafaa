"""Host-side launcher of the Triton programs: tiles, L-segments, grids — and nothing else per call.

Forward, two launches at most and no torch compute: ``fwd_fused`` (small L: one program per
batch·head reads k, v and then q) or ``fwd_state`` (L-segments of keys/values, partial states
combined in segment order by the last program of each batch·head) followed by ``fwd_out``
(persistent over query tiles). Backward, two launches: ``bwd_q`` (dq, and dS, dz, dX, dxz combined
the same way) and ``bwd_kv`` (dk, dv). Autograd keeps only q, k, v and one state row per
batch·head; φ, den and o are recomputed in the backward.

Shapes: q, k: (B, H, L, D), v, o: (B, H, L, Dv), any strides (the channel-first (B, H, D, L)
storage of a detector layer is read and written in place). The only per-call host work is
allocation (output, state, partials) and the launches; device properties are read once per device
and the counters the combine uses are allocated once per (device, stream) and left at zero.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import triton  # the real Triton (absolute import), not this subpackage
import triton.language as tl

from ..kernel_maps import KernelFamily
from ..tracing import interpreting
from . import programs

__all__ = [
    "FAMILIES",
    "MAX_BLOCK",
    "SEGMENT_ROWS",
    "Config",
    "backward",
    "choose_segments",
    "config",
    "forward",
    "supports",
]

# the kernel families the Triton programs evaluate (softmax runs as PyTorch's SDPA instead)
FAMILIES = (KernelFamily.HADAMARD_EXP, KernelFamily.SUM_SQEUCLID, KernelFamily.SUB_SQEUCLID, KernelFamily.FEATURES)
MAX_BLOCK = 128  # widest feature/value tile: every program holds all D and all Dv columns at once
# Rows of keys per L-segment below which a batch·head is not split: one program per batch·head
# then runs the whole forward (``fwd_fused``, one launch). Chosen on an H100 by
# tools/bench_attention.py --cutover (benchmarks/results/attention_cutover_cuda.json).
SEGMENT_ROWS = 1024
PROGRAMS_PER_SM = 2  # state/backward programs per multiprocessor: one wave, none left over
PERSISTENT_PER_SM = 4  # persistent fwd_out / bwd_kv programs per multiprocessor


@dataclass(frozen=True)
class Config:
    """Compile-time choices of one (shape, dtype, family) class of calls."""

    block_l: int
    block_d: int
    block_e: int
    num_warps: int
    acc: torch.dtype  # accumulation: float64 for float64 inputs, float32 otherwise
    nstate: int  # floats per batch·head in a state row [S | z | M | c | X | xz]
    ngrad: int  # floats per batch·head in a gradient row [dS | dz | dX | dxz]
    meta: dict  # FAMILY, tiles, ACC, PRECISION, num_warps: what every program takes
    dot: dict  # DOT, EMULATE: the forward state product's operand dtype


def supports(d: int, dv: int) -> bool:
    """Whether the programs take feature width d and value width dv (one tile each)."""
    return max(d, dv) <= MAX_BLOCK


_TL = {torch.float16: tl.float16, torch.bfloat16: tl.bfloat16}


@functools.lru_cache(maxsize=256)
def config(family: int, d: int, dv: int, dtypes: tuple[torch.dtype, ...], interpret: bool) -> Config:
    """Tiles and compile-time arguments for (q, k, v) dtypes ``dtypes``. fp32/fp64 inputs: exact
    products; fp16/bf16: tf32 tensor cores for the fp32 operands and, for ψ·v of ``hadamard_exp``
    (ψ ∈ [0, 1]) and registered feature pairs, the inputs' own dtype; always accumulated in fp32."""
    acc = torch.float64 if torch.float64 in dtypes else torch.float32
    half = all(t in (torch.float16, torch.bfloat16) for t in dtypes)
    block_d = max(16, triton.next_power_of_2(d))
    block_e = max(16, triton.next_power_of_2(dv))
    wide = block_d * block_e >= 8192
    block_l = 32 if acc == torch.float64 or wide else 64
    num_warps = 8 if wide else 4
    tl_acc = tl.float64 if acc == torch.float64 else tl.float32
    meta = dict(FAMILY=int(family), BLOCK_L=block_l, BLOCK_D=block_d, BLOCK_E=block_e, ACC=tl_acc,
                PRECISION="tf32" if half else "ieee", num_warps=num_warps)  # fmt: skip
    same = len(set(dtypes)) == 1
    half_dot = half and same and family in (KernelFamily.HADAMARD_EXP, KernelFamily.FEATURES)
    dot = dict(DOT=_TL[dtypes[0]] if half_dot else tl_acc, EMULATE=interpret)
    nstate = d * dv + 3 * d + 2 * dv + 2
    return Config(block_l, block_d, block_e, num_warps, acc, nstate, d * dv + d + 2 * dv + 2, meta, dot)


@functools.lru_cache(maxsize=16)
def _multiprocessors(device: torch.device) -> int:
    """Multiprocessors of a CUDA device (read once); 2 for the CPU interpreter."""
    if device.type != "cuda":
        return 2
    return torch.cuda.get_device_properties(device).multi_processor_count


def choose_segments(length: int, bh: int, device: torch.device) -> int:
    """L-segments of the state reductions: 1 (the fused forward) when L is short or B·H alone
    fills the GPU, else enough to fill one wave of programs."""
    return max(1, min(triton.cdiv(length, SEGMENT_ROWS), PROGRAMS_PER_SM * _multiprocessors(device) // bh))


def _persistent(length: int, bh: int, block_l: int, device: torch.device) -> int:
    """Programs per batch·head of the persistent row-wise programs."""
    per_bh = triton.cdiv(PERSISTENT_PER_SM * _multiprocessors(device), bh)
    return max(1, min(triton.cdiv(length, block_l), per_bh))


def _split(length: int, segments: int, block_l: int) -> tuple[int, int]:
    """(rows per segment, a multiple of the tile; number of non-empty segments)."""
    seg_len = triton.cdiv(triton.cdiv(length, segments), block_l) * block_l
    return seg_len, triton.cdiv(length, seg_len)


_COUNTERS: dict[tuple, torch.Tensor] = {}


def _counters(device: torch.device, n: int) -> torch.Tensor:
    """n int32 counters at zero, one per batch·head, for the in-kernel combine. The programs leave
    them at zero, so one buffer per (device, stream) serves every call, CUDA-graph replays too."""
    stream = torch.cuda.current_stream(device).cuda_stream if device.type == "cuda" else 0
    key = (device, stream)
    buf = _COUNTERS.get(key)
    if buf is None or buf.numel() < n:
        buf = torch.zeros(max(256, triton.next_power_of_2(n)), dtype=torch.int32, device=device)
        _COUNTERS[key] = buf
    return buf


def _like(
    shape: tuple[int, int, int, int], ref: torch.Tensor, dtype: torch.dtype, channels_first: bool
) -> torch.Tensor:
    """A new (B, H, L, N) tensor, stored channel-first ((B, H, N, L) contiguous) when asked."""
    b, h, length, n = shape
    if channels_first:
        return torch.empty(b, h, n, length, device=ref.device, dtype=dtype).transpose(-1, -2)
    return torch.empty(b, h, length, n, device=ref.device, dtype=dtype)


def _family_id(family: KernelFamily | int) -> int:
    if family not in FAMILIES:
        names = [f.name for f in FAMILIES]
        raise ValueError(f"the Triton programs evaluate the kernel families {names}, got {family!r}")
    return int(family)


def forward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    family: KernelFamily | int,
    segments: int | None = None,
    need_state: bool = True,
    channels_first: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Bidirectional ELA forward: q, k: (B, H, L, D), v: (B, H, L, Dv) -> (o (B, H, L, Dv), state).

    ``segments``: 1 runs the fused single-program forward, more split the keys into that many
    L-segments (chosen by size when None). The state (B·H, nstate) is what the backward needs;
    ``need_state=False`` (no autograd) skips writing it on the fused path. ``channels_first``
    stores o as (B, H, Dv, L) (the returned tensor is its (B, H, L, Dv) view)."""
    b, h, length, d = q.shape
    dv = v.shape[-1]
    bh = b * h
    cfg = config(_family_id(family), d, dv, (q.dtype, k.dtype, v.dtype), interpreting())
    dev = q.device
    o = _like((b, h, length, dv), q, v.dtype, channels_first)
    segments = segments or choose_segments(length, bh, dev)
    seg_len, segments = _split(length, segments, cfg.block_l)
    if segments == 1:
        state = torch.empty(bh, cfg.nstate, device=dev, dtype=cfg.acc) if need_state else o
        programs.fwd_fused[(bh,)](
            q, k, v, o, state, *q.stride(), *k.stride(), *v.stride(), *o.stride(),
            h, length, d, dv, cfg.nstate, STORE_STATE=need_state, **cfg.meta, **cfg.dot,
        )  # fmt: skip
        return o, state if need_state else None
    state = torch.empty(bh, cfg.nstate, device=dev, dtype=cfg.acc)
    part = torch.empty(bh, segments, cfg.nstate, device=dev, dtype=cfg.acc)
    programs.fwd_state[(bh, segments)](
        k, v, part, state, _counters(dev, bh), *k.stride(), *v.stride(),
        h, length, d, dv, cfg.nstate, seg_len, segments, **cfg.meta, **cfg.dot,
    )  # fmt: skip
    nprog = _persistent(length, bh, cfg.block_l, dev)
    programs.fwd_out[(bh, nprog)](
        q, state, o, *q.stride(), *o.stride(), h, length, d, dv, cfg.nstate, nprog, **cfg.meta,
    )  # fmt: skip
    return o, state


def backward(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    state: torch.Tensor,
    do: torch.Tensor,
    family: KernelFamily | int,
    segments: int | None = None,
    channels_first: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients (dq, dk, dv) of bidirectional ELA given do: (B, H, L, Dv), any strides, and the
    forward's state; stored channel-first when ``channels_first``."""
    b, h, length, d = q.shape
    dv = v.shape[-1]
    bh = b * h
    cfg = config(_family_id(family), d, dv, (q.dtype, k.dtype, v.dtype), interpreting())
    dev = q.device
    segments = segments or choose_segments(length, bh, dev)
    seg_len, segments = _split(length, segments, cfg.block_l)
    dq = _like(q.shape, q, q.dtype, channels_first)
    dk = _like(k.shape, k, k.dtype, channels_first)
    dvv = _like(v.shape, v, v.dtype, channels_first)
    dstate = torch.empty(bh, cfg.ngrad, device=dev, dtype=cfg.acc)
    part = torch.empty(bh, segments, cfg.ngrad, device=dev, dtype=cfg.acc)
    programs.bwd_q[(bh, segments)](
        q, do, state, dq, part, dstate, _counters(dev, bh), *q.stride(), *do.stride(), *dq.stride(),
        h, length, d, dv, cfg.nstate, cfg.ngrad, seg_len, segments, **cfg.meta,
    )  # fmt: skip
    nprog = _persistent(length, bh, cfg.block_l, dev)
    programs.bwd_kv[(bh, nprog)](
        k, v, state, dstate, dk, dvv, *k.stride(), *v.stride(), *dk.stride(), *dvv.stride(),
        h, length, d, dv, cfg.nstate, cfg.ngrad, nprog, **cfg.meta,
    )  # fmt: skip
    return dq, dk, dvv
