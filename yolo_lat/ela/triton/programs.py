"""Triton programs of bidirectional ELA (arXiv 2605.18848), forward and backward.

Only ``@triton.jit`` code lives here; launch.py chooses tiles, grids and L-segments and launches
it, and function.py wraps forward and backward in a ``torch.autograd.Function``.

Notation (per batch·head): q, k: (L, D), v: (L, Dv), each read through its own four strides, so
that (B, H, L, D) tensors and the channel-first (B, H, D, L) views of a detector layer are read in
place; o, dq, dk, dv are written through strides as well. Feature maps φ, ψ of width D, plus for
the squared-Euclidean kernels two "extra" features handled as separate vectors:

    φ_i = [φmain_i, a_i, 1]   with φmain_i = q_i ± c,  a_i = ‖q_i ± c‖²
    ψ_j = [ψmain_j, 1, r_j]   with ψmain_j = ±2 (k_j − c),  r_j = ‖k_j − c‖²

c is the mean of the first ``SHIFT_ROWS`` keys, computed by the programs themselves.

State (the whole key/value side, O(D·Dv)), one fp32/fp64 row per batch·head laid out as
``[S (D×Dv) | z (D) | M (D) | c (D) | X (2×Dv) | xz (2)]``:
    S = Σ_j ψmain_j v_jᵀ,  z = Σ_j ψmain_j,  X = [Σ_j v_j, Σ_j r_j v_j],  xz = [L, Σ_j r_j].
Output: n_i = φmain_iᵀ S + e_iᵀ X,  den_i = φmain_i·z + e_i·xz,  o_i = n_i / den_i, where
e_i = [a_i, 1] (squared-Euclidean), [0, 0] (registered feature pairs). A row with den_i ≤ 0 (all
kernel values zero) returns the mean of v: φmain = 0, e = [1/L, 0].

``hadamard_exp`` uses no extras; its features are stabilised per feature column by the key maxima
M_d and per row by m_i = max_d (q_id + M_d) (see linear.py). The row statistic is kept at half
scale (m_i / 2) so that q + M cannot overflow for any finite input, and the exponent is formed
with an error-free TwoSum. With fp16/bf16 inputs, ψ ∈ [0, 1] is rounded to the input dtype for
the tensor-core product with v (fp32 accumulation), and z sums the same rounded values.

Programs (each specialised on the kernel family ``FAMILY``, a ``KernelFamily`` value; one tile
holds all D feature and all Dv value columns):
    fwd_fused   one program per batch·head: keys/values -> state in registers, then queries -> o
    fwd_state   one program per (batch·head, L-segment): partial state; the last program of a
                batch·head to finish (a counter) combines the partials in segment order
    fwd_out     persistent programs over the query tiles of a batch·head: o
    bwd_q       one program per (batch·head, L-segment): φ recomputed, dq, and partial dS, dz, dX,
                dxz combined in segment order by the last program (a counter)
    bwd_kv      persistent programs over the key tiles of a batch·head: dk, dv
The combine runs in a fixed order, so results are bitwise reproducible; the last program resets
its counter to 0, so a launch leaves the counters as it found them (CUDA-graph replays included).
"""

# Family branches are written as plain if/else on constexprs (the compiler folds them: SIM108,
# SIM109, SIM102), and pointer arguments keep the math's names Q, K, V, O (E741).
# ruff: noqa: SIM102, SIM108, SIM109, E741

from __future__ import annotations

import triton
import triton.language as tl

from ..kernel_maps import KernelFamily

__all__ = ["bwd_kv", "bwd_q", "fwd_fused", "fwd_out", "fwd_state"]

# Family ids and constants. @jit code may read a global only when it is a tl.constexpr instance:
# Triton's compiler rejects plain ints, and its CPU interpreter does not check, so only a GPU build
# shows it (tools/compile_triton.py builds one on any machine).
HADAMARD_EXP = tl.constexpr(int(KernelFamily.HADAMARD_EXP))
SUM_SQEUCLID = tl.constexpr(int(KernelFamily.SUM_SQEUCLID))
SUB_SQEUCLID = tl.constexpr(int(KernelFamily.SUB_SQEUCLID))
FEATURES = tl.constexpr(int(KernelFamily.FEATURES))
SHIFT_ROWS = tl.constexpr(64)  # keys averaged for the squared-Euclidean shift c (as linear.key_shift)


# ----------------------------------------------------------------------------- helpers
@triton.jit
def _half_exp_arg(a, b, hm):
    """(a + b)/2 − hm (≤ 0 when hm ≥ (a + b)/2), formed at half scale so that a + b cannot
    overflow, with the rounding error of the sum recovered (TwoSum)."""
    ha = 0.5 * a
    hb = 0.5 * b
    s = ha + hb
    bb = s - ha
    err = (ha - (s - bb)) + (hb - bb)
    return (s - hm) + err


@triton.jit
def _exp_twice(x):
    """exp(2x) = exp(x)² for x ≤ 0: never overflows, even where 2x would."""
    e = tl.exp(x)
    return e * e


@triton.jit
def _exp_diff(a, b):
    """exp(a − b) for b ≥ a, at half scale so that a − b cannot overflow (it may underflow to 0)."""
    return _exp_twice(0.5 * a - 0.5 * b)


@triton.jit
def _block(start, BLOCK: tl.constexpr, end):
    """Indices start … start + BLOCK − 1 and the mask of those below end."""
    offs = start + tl.arange(0, BLOCK)
    return offs, offs < end


@triton.jit
def _load_tile(base, offs_r, offs_c, stride_r, stride_c, mask_r, mask_c):
    """The (rows × columns) tile base[offs_r, offs_c] of a strided 2-D view; 0 outside the masks."""
    ptrs = base + offs_r[:, None] * stride_r + offs_c[None, :] * stride_c
    return tl.load(ptrs, mask=mask_r[:, None] & mask_c[None, :], other=0.0)


@triton.jit
def _store_tile(base, offs_r, offs_c, stride_r, stride_c, mask_r, mask_c, x):
    """Store x, cast to the destination's dtype, into the tile base[offs_r, offs_c] (inside the masks)."""
    ptrs = base + offs_r[:, None] * stride_r + offs_c[None, :] * stride_c
    tl.store(ptrs, x.to(ptrs.dtype.element_ty), mask=mask_r[:, None] & mask_c[None, :])


@triton.jit
def _load_vec(ptr, offs, mask):
    """A state vector written by another program of the same launch: read through L2 (.cg)."""
    return tl.load(ptr + offs, mask=mask, other=0.0, cache_modifier=".cg")


@triton.jit
def _state_offsets(D, DV):
    """Offsets of z, M, c, X, xz in a state row [S | z | M | c | X | xz]."""
    o_z = D * DV
    return o_z, o_z + D, o_z + 2 * D, o_z + 3 * D, o_z + 3 * D + 2 * DV


@triton.jit
def _grad_offsets(D, DV):
    """Offsets of dz, dX, dxz in a gradient-state row [dS | dz | dX | dxz]."""
    o_dz = D * DV
    return o_dz, o_dz + D, o_dz + D + 2 * DV


@triton.jit
def _sign(FAMILY: tl.constexpr):
    if FAMILY == SUM_SQEUCLID:
        return 1.0
    else:
        return -1.0


@triton.jit
def _mma(a, b, ACC: tl.constexpr, PRECISION: tl.constexpr, DOT: tl.constexpr, EMULATE: tl.constexpr):
    """a @ b accumulated in ACC. DOT is the operand dtype: ACC (fp32/fp64 products, ``PRECISION``)
    or the inputs' fp16/bf16 (tensor cores; EMULATE rounds to it but multiplies in ACC, for the CPU
    interpreter, whose bf16 products are wrong)."""
    if DOT == ACC:
        return tl.dot(a.to(ACC), b.to(ACC), input_precision=PRECISION, out_dtype=ACC)
    elif EMULATE:
        return tl.dot(a.to(DOT).to(ACC), b.to(DOT).to(ACC), input_precision="ieee", out_dtype=ACC)
    else:
        return tl.dot(a.to(DOT), b.to(DOT), out_dtype=ACC)


@triton.jit
def _key_shift(k_base, stride_kl, stride_kd, offs_d, mask_d, L, FAMILY: tl.constexpr, BLOCK_D: tl.constexpr,
               ACC: tl.constexpr):  # fmt: skip
    """c = mean of the first SHIFT_ROWS keys (squared-Euclidean kernels), else 0: (BLOCK_D,)."""
    if FAMILY == SUM_SQEUCLID or FAMILY == SUB_SQEUCLID:
        offs = tl.arange(0, SHIFT_ROWS)
        n = tl.minimum(L, SHIFT_ROWS)
        kt = _load_tile(k_base, offs, offs_d, stride_kl, stride_kd, offs < n, mask_d).to(ACC)
        c = tl.sum(kt, axis=0) / n
    else:
        c = tl.zeros((BLOCK_D,), dtype=ACC)
    return c


@triton.jit
def _sq_psi(kt, c, mask_ld, FAMILY: tl.constexpr):
    """Squared-Euclidean key features of a (BLOCK_L, BLOCK_D) tile about the shift c: ψmain = ±2 (k − c)
    and r_j = ‖k_j − c‖²."""
    kc = tl.where(mask_ld, kt - c[None, :], 0.0)
    return (2.0 * _sign(FAMILY)) * kc, tl.sum(kc * kc, axis=1)


@triton.jit
def _phi_row(qt, mask_l, mask_ld, mt, ct, FAMILY: tl.constexpr):
    """Main query features φmain of a (BLOCK_L, BLOCK_D) tile (zero outside the masks) and the row
    statistic: m_i / 2 = max_d (q_id/2 + M_d/2) (exp), a_i = ‖q_i ± c‖² (squared-Euclidean), 0."""
    if FAMILY == HADAMARD_EXP:
        row = tl.max(tl.where(mask_ld, 0.5 * qt + 0.5 * mt[None, :], float("-inf")), axis=1)
        row = tl.where(mask_l, row, 0.0)
        phi = _exp_twice(tl.where(mask_ld, _half_exp_arg(qt, mt[None, :], row[:, None]), float("-inf")))
    elif FAMILY == FEATURES:
        phi = tl.where(mask_ld, qt, 0.0)
        row = tl.sum(phi, axis=1) * 0.0
    else:
        phi = tl.where(mask_ld, qt + _sign(FAMILY) * ct[None, :], 0.0)
        row = tl.sum(phi * phi, axis=1)
    return phi, row


# ----------------------------------------------------------------------------- forward pieces
@triton.jit
def _fold_keys(
    k_base, v_base, stride_kl, stride_kd, stride_vl, stride_ve, start, end, c,
    offs_d, mask_d, offs_e, mask_e,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr, DOT: tl.constexpr, EMULATE: tl.constexpr,
):  # fmt: skip
    """State of keys/values start … end − 1: S, z, running maxima M (exp) and X₀, X₁, xz₀, xz₁.

    ``hadamard_exp`` folds each tile about the running key maxima: what was there is rescaled by
    exp(M_old − M_new) ≤ 1, as online softmax does."""
    acc = tl.zeros((BLOCK_D, BLOCK_E), dtype=ACC)
    z = tl.zeros((BLOCK_D,), dtype=ACC)
    run_max = tl.full((BLOCK_D,), float("-inf"), dtype=ACC)
    x0 = tl.zeros((BLOCK_E,), dtype=ACC)
    x1 = tl.zeros((BLOCK_E,), dtype=ACC)
    xz0 = tl.zeros((BLOCK_L,), dtype=ACC)
    xz1 = tl.zeros((BLOCK_L,), dtype=ACC)
    for l0 in range(start, end, BLOCK_L):
        offs_l, mask_l = _block(l0, BLOCK_L, end)
        mask_ld = mask_l[:, None] & mask_d[None, :]
        kt = _load_tile(k_base, offs_l, offs_d, stride_kl, stride_kd, mask_l, mask_d)
        vt = _load_tile(v_base, offs_l, offs_e, stride_vl, stride_ve, mask_l, mask_e)
        if FAMILY == HADAMARD_EXP:
            km = tl.where(mask_ld, kt.to(ACC), float("-inf"))
            new_max = tl.maximum(run_max, tl.max(km, axis=0))
            safe = tl.where(new_max == float("-inf"), 0.0, new_max)
            alpha = _exp_diff(run_max, safe)
            psi = _exp_diff(km, safe[None, :])
            if DOT != ACC:  # z sums the ψ the product sees
                psi = psi.to(DOT).to(ACC)
            acc = acc * alpha[:, None] + _mma(tl.trans(psi), vt, ACC, PRECISION, DOT, EMULATE)
            z = z * alpha + tl.sum(psi, axis=0)
            run_max = new_max
        else:
            vt = vt.to(ACC)
            if FAMILY == FEATURES:
                psi = kt
            else:
                psi, r = _sq_psi(kt.to(ACC), c, mask_ld, FAMILY)
                x1 += tl.sum(r[:, None] * vt, axis=0)
                xz1 += r
            acc += _mma(tl.trans(psi), vt, ACC, PRECISION, DOT, EMULATE)
            z += tl.sum(psi.to(ACC), axis=0)
            x0 += tl.sum(vt, axis=0)
            xz0 += mask_l.to(ACC)
    return acc, z, run_max, x0, x1, tl.sum(xz0, axis=0), tl.sum(xz1, axis=0)


@triton.jit
def _store_state(base, D, DV, acc, z, m, c, x0, x1, xz0, xz1, offs_d, mask_d, offs_e, mask_e):
    """Write one state row [S | z | M | c | X | xz] at ``base``."""
    o_z, o_m, o_c, o_x, o_xz = _state_offsets(D, DV)
    _store_tile(base, offs_d, offs_e, DV, 1, mask_d, mask_e, acc)
    tl.store(base + o_z + offs_d, z, mask=mask_d)
    tl.store(base + o_m + offs_d, m, mask=mask_d)
    tl.store(base + o_c + offs_d, c, mask=mask_d)
    tl.store(base + o_x + offs_e, x0, mask=mask_e)
    tl.store(base + o_x + DV + offs_e, x1, mask=mask_e)
    tl.store(base + o_xz, xz0)
    tl.store(base + o_xz + 1, xz1)


@triton.jit
def _combine_state(
    part, NSEG, NSTATE, out, D, DV, c, offs_d, mask_d, offs_e, mask_e,
    FAMILY: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr, ACC: tl.constexpr,
):  # fmt: skip
    """Sum the NSEG partial states at ``part`` (rows NSTATE apart) in segment order into ``out``;
    ``hadamard_exp`` partials are first rescaled to the common maxima M = max over segments."""
    o_z, o_m, o_c, o_x, o_xz = _state_offsets(D, DV)
    mask_de = mask_d[:, None] & mask_e[None, :]
    big_m = tl.full((BLOCK_D,), float("-inf"), dtype=ACC)
    if FAMILY == HADAMARD_EXP:
        for s in range(0, NSEG):
            big_m = tl.maximum(big_m, _load_vec(part + s * NSTATE + o_m, offs_d, mask_d))
    safe = tl.where(mask_d, big_m, 0.0)
    acc = tl.zeros((BLOCK_D, BLOCK_E), dtype=ACC)
    z = tl.zeros((BLOCK_D,), dtype=ACC)
    x0 = tl.zeros((BLOCK_E,), dtype=ACC)
    x1 = tl.zeros((BLOCK_E,), dtype=ACC)
    xz0 = tl.sum(x0, axis=0)
    xz1 = tl.sum(x0, axis=0)
    for s in range(0, NSEG):
        p = part + s * NSTATE
        st = tl.load(p + offs_d[:, None] * DV + offs_e[None, :], mask=mask_de, other=0.0, cache_modifier=".cg")
        zt = _load_vec(p + o_z, offs_d, mask_d)
        if FAMILY == HADAMARD_EXP:
            w = _exp_diff(_load_vec(p + o_m, offs_d, mask_d), safe)  # ≤ 1
            acc += st * w[:, None]
            z += zt * w
        else:
            acc += st
            z += zt
            x0 += _load_vec(p + o_x, offs_e, mask_e)
            x1 += _load_vec(p + o_x + DV, offs_e, mask_e)
            xz0 += tl.load(p + o_xz, cache_modifier=".cg")
            xz1 += tl.load(p + o_xz + 1, cache_modifier=".cg")
    _store_state(out, D, DV, acc, z, safe, c, x0, x1, xz0, xz1, offs_d, mask_d, offs_e, mask_e)


@triton.jit
def _load_state(base, D, DV, offs_d, mask_d, offs_e, mask_e):
    """S, z, M, c, X₀, X₁, xz₀, xz₁ of one state row."""
    o_z, o_m, o_c, o_x, o_xz = _state_offsets(D, DV)
    st = _load_tile(base, offs_d, offs_e, DV, 1, mask_d, mask_e)
    zt = tl.load(base + o_z + offs_d, mask=mask_d, other=0.0)
    mt = tl.load(base + o_m + offs_d, mask=mask_d, other=0.0)
    ct = tl.load(base + o_c + offs_d, mask=mask_d, other=0.0)
    x0 = tl.load(base + o_x + offs_e, mask=mask_e, other=0.0)
    x1 = tl.load(base + o_x + DV + offs_e, mask=mask_e, other=0.0)
    return st, zt, mt, ct, x0, x1, tl.load(base + o_xz), tl.load(base + o_xz + 1)


@triton.jit
def _out_tile(
    q_base, o_base, stride_ql, stride_qd, stride_ol, stride_oe, l0, L,
    st, zt, mt, ct, x0, x1, xz0, xz1, offs_d, mask_d, offs_e, mask_e,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """o_i = n_i / den_i for the query rows l0 … l0 + BLOCK_L − 1: q read once, o written once."""
    offs_l, mask_l = _block(l0, BLOCK_L, L)
    mask_ld = mask_l[:, None] & mask_d[None, :]
    qt = _load_tile(q_base, offs_l, offs_d, stride_ql, stride_qd, mask_l, mask_d).to(ACC)
    phi, row = _phi_row(qt, mask_l, mask_ld, mt, ct, FAMILY)
    acc = tl.dot(phi, st, input_precision=PRECISION, out_dtype=ACC)
    den = tl.sum(phi * zt[None, :], axis=1)
    if FAMILY != HADAMARD_EXP:
        if FAMILY != FEATURES:
            acc += row[:, None] * x0[None, :] + x1[None, :]
            den += row * xz0 + xz1
        fallback = den <= 0.0
        acc = tl.where(fallback[:, None], x0[None, :] / xz0, acc)
        out = acc / tl.where(fallback, 1.0, den)[:, None]
    else:
        out = acc / tl.where(mask_l, den, 1.0)[:, None]
    _store_tile(o_base, offs_l, offs_e, stride_ol, stride_oe, mask_l, mask_e, out)


# ----------------------------------------------------------------------------- forward
@triton.jit
def fwd_fused(
    Q, K, V, O, STATE,
    stride_qb, stride_qh, stride_ql, stride_qd,
    stride_kb, stride_kh, stride_kl, stride_kd,
    stride_vb, stride_vh, stride_vl, stride_ve,
    stride_ob, stride_oh, stride_ol, stride_oe,
    H, L, D, DV, NSTATE,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr, DOT: tl.constexpr, EMULATE: tl.constexpr,
    STORE_STATE: tl.constexpr,
):  # fmt: skip
    """The whole forward of one batch·head in one program (small L): keys and values into the
    state, then every query tile; the state is written only when autograd needs it."""
    pid_bh = tl.program_id(0)
    b = pid_bh // H
    h = pid_bh % H
    offs_d, mask_d = _block(0, BLOCK_D, D)
    offs_e, mask_e = _block(0, BLOCK_E, DV)
    k_base = K + b * stride_kb + h * stride_kh
    c = _key_shift(k_base, stride_kl, stride_kd, offs_d, mask_d, L, FAMILY, BLOCK_D, ACC)
    st, zt, mt, x0, x1, xz0, xz1 = _fold_keys(
        k_base, V + b * stride_vb + h * stride_vh, stride_kl, stride_kd, stride_vl, stride_ve, 0, L, c,
        offs_d, mask_d, offs_e, mask_e, FAMILY, BLOCK_L, BLOCK_D, BLOCK_E, ACC, PRECISION, DOT, EMULATE,
    )  # fmt: skip
    mt = tl.where(mask_d, mt, 0.0)
    if STORE_STATE:
        _store_state(STATE + pid_bh * NSTATE, D, DV, st, zt, mt, c, x0, x1, xz0, xz1, offs_d, mask_d, offs_e, mask_e)
    q_base = Q + b * stride_qb + h * stride_qh
    o_base = O + b * stride_ob + h * stride_oh
    for l0 in range(0, L, BLOCK_L):
        _out_tile(q_base, o_base, stride_ql, stride_qd, stride_ol, stride_oe, l0, L,
                  st, zt, mt, c, x0, x1, xz0, xz1, offs_d, mask_d, offs_e, mask_e,
                  FAMILY, BLOCK_L, ACC, PRECISION)  # fmt: skip


@triton.jit
def fwd_state(
    K, V, PART, STATE, COUNT,
    stride_kb, stride_kh, stride_kl, stride_kd,
    stride_vb, stride_vh, stride_vl, stride_ve,
    H, L, D, DV, NSTATE, SEG_LEN, NSEG,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr, DOT: tl.constexpr, EMULATE: tl.constexpr,
):  # fmt: skip
    """Partial state of one L-segment of keys/values; the batch·head's last program to finish
    combines all partials, in segment order, into its state row and resets the counter."""
    pid_bh = tl.program_id(0)
    pid_s = tl.program_id(1)
    b = pid_bh // H
    h = pid_bh % H
    offs_d, mask_d = _block(0, BLOCK_D, D)
    offs_e, mask_e = _block(0, BLOCK_E, DV)
    k_base = K + b * stride_kb + h * stride_kh
    c = _key_shift(k_base, stride_kl, stride_kd, offs_d, mask_d, L, FAMILY, BLOCK_D, ACC)
    start = pid_s * SEG_LEN
    st, zt, mt, x0, x1, xz0, xz1 = _fold_keys(
        k_base, V + b * stride_vb + h * stride_vh, stride_kl, stride_kd, stride_vl, stride_ve,
        start, tl.minimum(start + SEG_LEN, L), c,
        offs_d, mask_d, offs_e, mask_e, FAMILY, BLOCK_L, BLOCK_D, BLOCK_E, ACC, PRECISION, DOT, EMULATE,
    )  # fmt: skip
    part = PART + pid_bh * NSEG * NSTATE
    _store_state(part + pid_s * NSTATE, D, DV, st, zt, mt, c, x0, x1, xz0, xz1, offs_d, mask_d, offs_e, mask_e)
    tl.debug_barrier()  # every thread's partial stored before the counter says so
    done = tl.atomic_add(COUNT + pid_bh, 1, sem="acq_rel")
    if done == NSEG - 1:
        _combine_state(part, NSEG, NSTATE, STATE + pid_bh * NSTATE, D, DV, c, offs_d, mask_d, offs_e, mask_e,
                       FAMILY, BLOCK_D, BLOCK_E, ACC)  # fmt: skip
        tl.atomic_xchg(COUNT + pid_bh, 0)


@triton.jit
def fwd_out(
    Q, STATE, O,
    stride_qb, stride_qh, stride_ql, stride_qd,
    stride_ob, stride_oh, stride_ol, stride_oe,
    H, L, D, DV, NSTATE, NPROG,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """Persistent over the query tiles of one batch·head (NPROG programs each): the state is loaded
    once per program, each tile of q read once and of o written once."""
    pid_bh = tl.program_id(0)
    pid_p = tl.program_id(1)
    b = pid_bh // H
    h = pid_bh % H
    offs_d, mask_d = _block(0, BLOCK_D, D)
    offs_e, mask_e = _block(0, BLOCK_E, DV)
    st, zt, mt, ct, x0, x1, xz0, xz1 = _load_state(STATE + pid_bh * NSTATE, D, DV, offs_d, mask_d, offs_e, mask_e)
    q_base = Q + b * stride_qb + h * stride_qh
    o_base = O + b * stride_ob + h * stride_oh
    for l0 in range(pid_p * BLOCK_L, L, NPROG * BLOCK_L):
        _out_tile(q_base, o_base, stride_ql, stride_qd, stride_ol, stride_oe, l0, L,
                  st, zt, mt, ct, x0, x1, xz0, xz1, offs_d, mask_d, offs_e, mask_e,
                  FAMILY, BLOCK_L, ACC, PRECISION)  # fmt: skip


# ----------------------------------------------------------------------------- backward
@triton.jit
def bwd_q(
    Q, DO, STATE, DQ, PART, DSTATE, COUNT,
    stride_qb, stride_qh, stride_ql, stride_qd,
    stride_ob, stride_oh, stride_ol, stride_oe,
    stride_gb, stride_gh, stride_gl, stride_gd,
    H, L, D, DV, NSTATE, NGRAD, SEG_LEN, NSEG,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """Query side of the backward for one L-segment: φ, n, den and o recomputed from q and the
    state; dn = do/den, g = −dn·o; dq through dφ = S dn + z g; dS = Σ φ dnᵀ, dz = Σ φ g,
    dX = Σ e dnᵀ, dxz = Σ e g, combined over segments in order by the last program to finish."""
    pid_bh = tl.program_id(0)
    pid_s = tl.program_id(1)
    b = pid_bh // H
    h = pid_bh % H
    offs_d, mask_d = _block(0, BLOCK_D, D)
    offs_e, mask_e = _block(0, BLOCK_E, DV)
    st, zt, mt, ct, x0, x1, xz0, xz1 = _load_state(STATE + pid_bh * NSTATE, D, DV, offs_d, mask_d, offs_e, mask_e)
    q_base = Q + b * stride_qb + h * stride_qh
    do_base = DO + b * stride_ob + h * stride_oh
    dq_base = DQ + b * stride_gb + h * stride_gh
    inv_len = 1.0 / L

    ds = tl.zeros((BLOCK_D, BLOCK_E), dtype=ACC)
    dz = tl.zeros((BLOCK_D,), dtype=ACC)
    dx0 = tl.zeros((BLOCK_E,), dtype=ACC)
    dx1 = tl.zeros((BLOCK_E,), dtype=ACC)
    dxz0 = tl.zeros((BLOCK_L,), dtype=ACC)
    dxz1 = tl.zeros((BLOCK_L,), dtype=ACC)
    start = pid_s * SEG_LEN
    end = tl.minimum(start + SEG_LEN, L)
    for l0 in range(start, end, BLOCK_L):
        offs_l, mask_l = _block(l0, BLOCK_L, end)
        mask_ld = mask_l[:, None] & mask_d[None, :]
        qt = _load_tile(q_base, offs_l, offs_d, stride_ql, stride_qd, mask_l, mask_d).to(ACC)
        dot = _load_tile(do_base, offs_l, offs_e, stride_ol, stride_oe, mask_l, mask_e).to(ACC)
        phi, row = _phi_row(qt, mask_l, mask_ld, mt, ct, FAMILY)
        n = tl.dot(phi, st, input_precision=PRECISION, out_dtype=ACC)
        den = tl.sum(phi * zt[None, :], axis=1)
        if FAMILY == HADAMARD_EXP:  # every den ≥ 1 (0 on rows past the end)
            rden = 1.0 / tl.where(mask_l, den, 1.0)
            o = n * rden[:, None]
            dn = dot * rden[:, None]
            g = -tl.sum(dn * o, axis=1)
            dphi = tl.dot(dn, tl.trans(st), input_precision=PRECISION, out_dtype=ACC) + g[:, None] * zt[None, :]
            dq = dphi * phi
        else:
            if FAMILY != FEATURES:
                n += row[:, None] * x0[None, :] + x1[None, :]
                den += row * xz0 + xz1
            fallback = den <= 0.0
            rden = 1.0 / tl.where(fallback, 1.0, den)
            o = tl.where(fallback[:, None], x0[None, :] / xz0, n * rden[:, None])
            dn = dot * rden[:, None]
            g = tl.where(fallback, 0.0, -tl.sum(dn * o, axis=1))
            dphi = tl.dot(dn, tl.trans(st), input_precision=PRECISION, out_dtype=ACC) + g[:, None] * zt[None, :]
            if FAMILY == FEATURES:
                dq = dphi
                e0 = tl.where(fallback, inv_len, 0.0)
                e1 = tl.zeros((BLOCK_L,), dtype=ACC)
            else:
                da = tl.sum(dn * x0[None, :], axis=1) + g * xz0
                dq = dphi + 2.0 * phi * da[:, None]
                e0 = tl.where(fallback, inv_len, row)
                e1 = tl.where(fallback, 0.0, 1.0)
            dq = tl.where(fallback[:, None], 0.0, dq)
            phi = tl.where(fallback[:, None], 0.0, phi)
            e0 = tl.where(mask_l, e0, 0.0)
            e1 = tl.where(mask_l, e1, 0.0)
            dx0 += tl.sum(e0[:, None] * dn, axis=0)
            dx1 += tl.sum(e1[:, None] * dn, axis=0)
            dxz0 += e0 * g
            dxz1 += e1 * g
        _store_tile(dq_base, offs_l, offs_d, stride_gl, stride_gd, mask_l, mask_d, dq)
        ds += tl.dot(tl.trans(phi), dn, input_precision=PRECISION, out_dtype=ACC)
        dz += tl.sum(phi * g[:, None], axis=0)

    o_dz, o_dx, o_dxz = _grad_offsets(D, DV)
    part = PART + pid_bh * NSEG * NGRAD
    mine = part + pid_s * NGRAD
    _store_tile(mine, offs_d, offs_e, DV, 1, mask_d, mask_e, ds)
    tl.store(mine + o_dz + offs_d, dz, mask=mask_d)
    tl.store(mine + o_dx + offs_e, dx0, mask=mask_e)
    tl.store(mine + o_dx + DV + offs_e, dx1, mask=mask_e)
    tl.store(mine + o_dxz, tl.sum(dxz0, axis=0))
    tl.store(mine + o_dxz + 1, tl.sum(dxz1, axis=0))
    tl.debug_barrier()  # every thread's partial stored before the counter says so
    done = tl.atomic_add(COUNT + pid_bh, 1, sem="acq_rel")
    if done == NSEG - 1:
        mask_de = mask_d[:, None] & mask_e[None, :]
        ds = tl.zeros((BLOCK_D, BLOCK_E), dtype=ACC)
        dz = tl.zeros((BLOCK_D,), dtype=ACC)
        dx0 = tl.zeros((BLOCK_E,), dtype=ACC)
        dx1 = tl.zeros((BLOCK_E,), dtype=ACC)
        sxz0 = tl.sum(dx0, axis=0)
        sxz1 = tl.sum(dx0, axis=0)
        for s in range(0, NSEG):
            p = part + s * NGRAD
            ds += tl.load(p + offs_d[:, None] * DV + offs_e[None, :], mask=mask_de, other=0.0, cache_modifier=".cg")
            dz += _load_vec(p + o_dz, offs_d, mask_d)
            dx0 += _load_vec(p + o_dx, offs_e, mask_e)
            dx1 += _load_vec(p + o_dx + DV, offs_e, mask_e)
            sxz0 += tl.load(p + o_dxz, cache_modifier=".cg")
            sxz1 += tl.load(p + o_dxz + 1, cache_modifier=".cg")
        out = DSTATE + pid_bh * NGRAD
        _store_tile(out, offs_d, offs_e, DV, 1, mask_d, mask_e, ds)
        tl.store(out + o_dz + offs_d, dz, mask=mask_d)
        tl.store(out + o_dx + offs_e, dx0, mask=mask_e)
        tl.store(out + o_dx + DV + offs_e, dx1, mask=mask_e)
        tl.store(out + o_dxz, sxz0)
        tl.store(out + o_dxz + 1, sxz1)
        tl.atomic_xchg(COUNT + pid_bh, 0)


@triton.jit
def bwd_kv(
    K, V, STATE, DSTATE, DK, DV_OUT,
    stride_kb, stride_kh, stride_kl, stride_kd,
    stride_vb, stride_vh, stride_vl, stride_ve,
    stride_gb, stride_gh, stride_gl, stride_gd,
    stride_wb, stride_wh, stride_wl, stride_we,
    H, L, D, DV, NSTATE, NGRAD, NPROG,
    FAMILY: tl.constexpr, BLOCK_L: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_E: tl.constexpr,
    ACC: tl.constexpr, PRECISION: tl.constexpr,
):  # fmt: skip
    """Key side of the backward, persistent over the key tiles of one batch·head:
    dψmain_j = dS v_j + dz, dr_j = dX₁·v_j + dxz₁ -> dk;  dv_j = dSᵀ ψmain_j + dX₀ + r_j dX₁."""
    pid_bh = tl.program_id(0)
    pid_p = tl.program_id(1)
    b = pid_bh // H
    h = pid_bh % H
    offs_d, mask_d = _block(0, BLOCK_D, D)
    offs_e, mask_e = _block(0, BLOCK_E, DV)
    o_z, o_m, o_c, o_x, o_xz = _state_offsets(D, DV)
    mt = tl.load(STATE + pid_bh * NSTATE + o_m + offs_d, mask=mask_d, other=0.0)
    ct = tl.load(STATE + pid_bh * NSTATE + o_c + offs_d, mask=mask_d, other=0.0)
    o_dz, o_dx, o_dxz = _grad_offsets(D, DV)
    gbase = DSTATE + pid_bh * NGRAD
    dst = _load_tile(gbase, offs_d, offs_e, DV, 1, mask_d, mask_e)
    dzt = tl.load(gbase + o_dz + offs_d, mask=mask_d, other=0.0)
    dx0 = tl.load(gbase + o_dx + offs_e, mask=mask_e, other=0.0)
    dx1 = tl.load(gbase + o_dx + DV + offs_e, mask=mask_e, other=0.0)
    dxz1 = tl.load(gbase + o_dxz + 1)
    k_base = K + b * stride_kb + h * stride_kh
    v_base = V + b * stride_vb + h * stride_vh
    dk_base = DK + b * stride_gb + h * stride_gh
    dv_base = DV_OUT + b * stride_wb + h * stride_wh
    for l0 in range(pid_p * BLOCK_L, L, NPROG * BLOCK_L):
        offs_l, mask_l = _block(l0, BLOCK_L, L)
        mask_ld = mask_l[:, None] & mask_d[None, :]
        kt = _load_tile(k_base, offs_l, offs_d, stride_kl, stride_kd, mask_l, mask_d).to(ACC)
        vt = _load_tile(v_base, offs_l, offs_e, stride_vl, stride_ve, mask_l, mask_e).to(ACC)
        dpsi = tl.dot(vt, tl.trans(dst), input_precision=PRECISION, out_dtype=ACC) + dzt[None, :]
        if FAMILY == HADAMARD_EXP:
            psi = _exp_diff(tl.where(mask_ld, kt, float("-inf")), mt[None, :])
            dk = dpsi * psi
            dv = tl.dot(psi, dst, input_precision=PRECISION, out_dtype=ACC)
        elif FAMILY == FEATURES:
            dk = dpsi
            dv = tl.dot(tl.where(mask_ld, kt, 0.0), dst, input_precision=PRECISION, out_dtype=ACC) + dx0[None, :]
        else:
            psi, r = _sq_psi(kt, ct, mask_ld, FAMILY)
            dr = tl.sum(vt * dx1[None, :], axis=1) + dxz1
            dk = (2.0 * _sign(FAMILY)) * dpsi + 2.0 * (kt - ct[None, :]) * dr[:, None]
            dv = tl.dot(psi, dst, input_precision=PRECISION, out_dtype=ACC) + dx0[None, :] + r[:, None] * dx1[None, :]
        _store_tile(dk_base, offs_l, offs_d, stride_gl, stride_gd, mask_l, mask_d, dk)
        _store_tile(dv_base, offs_l, offs_e, stride_wl, stride_we, mask_l, mask_e, dv)
